"""Time the reference TTS-CGAN code against ecgaug's TTSCGANSampler, interleaved.

The reference (https://github.com/imics-lab/tts-cgan, Apache-2.0) is *not*
part of ecgaug: point ``--reference`` at a checkout of it (only
``TransCGAN_model.py`` is imported, with ``einops`` importable; its unused
``torchvision``/``torchsummary`` imports are stubbed). Its training iteration
(``cgan_functions.train``: critic on non-detached fakes, WGAN-GP on
interpolates, AC losses, gradient clipping, a per-parameter deep-copied EMA) is
re-enacted below on the CPU, since the original hard-codes CUDA. Steps of the
two implementations alternate, so that other load on the machine hits both
alike; the medians are reported.
"""

from __future__ import annotations

import copy
import importlib
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from torch import nn

# MIT-BIH sizes of the reference run (trainCGAN.py)
GEN_KW = {
    "seq_len": 187,
    "channels": 1,
    "num_classes": 5,
    "latent_dim": 100,
    "data_embed_dim": 10,
    "label_embed_dim": 10,
    "depth": 3,
    "num_heads": 5,
    "forward_drop_rate": 0.5,
    "attn_drop_rate": 0.5,
}
DIS_KW = {
    "in_channels": 1,
    "patch_size": 1,
    "data_emb_size": 50,
    "label_emb_size": 10,
    "seq_length": 187,
    "depth": 3,
    "n_classes": 5,
}


def import_reference(path: str | Path, extra_sys_path: list[str] = ()):
    """Import ``TransCGAN_model`` from a checkout of the reference repository."""
    path = Path(path)
    if not (path / "TransCGAN_model.py").exists():
        raise FileNotFoundError(f"no TransCGAN_model.py in {path}")
    for p in [*extra_sys_path, str(path)]:
        if p not in sys.path:
            sys.path.insert(0, p)
    for name in ("torchvision", "torchvision.transforms", "torchsummary"):
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:
                stub = types.ModuleType(name)
                stub.Compose = stub.Resize = stub.ToTensor = stub.summary = None
                sys.modules[name] = stub
    return importlib.import_module("TransCGAN_model")


class ReferenceTTSCGAN:
    """The reference networks and one training iteration as ``cgan_functions.train``."""

    def __init__(self, module, seed: int = 0):
        torch.manual_seed(seed)
        self.G = module.Generator(**GEN_KW)
        self.D = module.Discriminator(**DIS_KW)
        self.g_opt = torch.optim.Adam(self.G.parameters(), 1e-4, (0.9, 0.999))
        self.d_opt = torch.optim.Adam(self.D.parameters(), 3e-4, (0.9, 0.999))
        self.avg = [p.detach().clone() for p in self.G.parameters()]
        self.ce = nn.CrossEntropyLoss()

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        G, D, B = self.G, self.D, len(x)
        G.train()
        D.train()
        real = x.view(B, 1, 1, -1)  # (B, C, 1, T), the reference layout
        z = torch.randn(B, 100)
        fake_y = torch.randint(0, 5, (B,))
        D.zero_grad()
        r_adv, r_cls = D(real)
        fake = G(z, fake_y)  # not detached: the critic's loss backpropagates into G
        f_adv, _ = D(fake)
        alpha = torch.rand(B, 1, 1, 1)
        x_hat = (alpha * real.data + (1 - alpha) * fake.data).requires_grad_(True)
        out, _ = D(x_hat)
        (grad,) = torch.autograd.grad(
            out, x_hat, torch.ones_like(out), retain_graph=True, create_graph=True
        )
        gp = ((grad.view(B, -1).norm(2, dim=1) - 1) ** 2).mean()
        d_loss = -r_adv.mean() + f_adv.mean() + self.ce(r_cls, y) + 10 * gp
        d_loss.backward()
        nn.utils.clip_grad_norm_(D.parameters(), 5.0)
        self.d_opt.step()
        G.zero_grad()
        g_adv, g_cls = D(G(z, fake_y))
        g_loss = -g_adv.mean() + self.ce(g_cls, fake_y)
        g_loss.backward()
        nn.utils.clip_grad_norm_(G.parameters(), 5.0)
        self.g_opt.step()
        for p, avg_p in zip(G.parameters(), self.avg):  # as the reference
            cpu_p = copy.deepcopy(p)
            avg_p.mul_(0.999).add_(cpu_p.cpu().data, alpha=0.001)

    @torch.no_grad()
    def sample(self, n: int) -> np.ndarray:
        self.G.eval()
        z = torch.randn(n, 100)
        y = torch.randint(0, 5, (n,))
        return self.G(z, y).reshape(n, -1).numpy()


def _rates(n: int, t_ref, t_ours, unit: str) -> dict:
    o = statistics.median(t_ours)
    r = statistics.median(t_ref) if t_ref else None
    return {
        f"reference_s_per_{unit}": r,
        f"ecgaug_s_per_{unit}": o,
        "reference_beats_per_s": n / r if r else None,
        "ecgaug_beats_per_s": n / o,
        "speedup": r / o if r else None,
    }


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def compare(
    reference_path: str | Path | None,
    X: np.ndarray,
    y: np.ndarray,
    *,
    batch_sizes=(16, 64),
    n_steps: int = 5,
    sample_batch: int = 1024,
    n_sample_rounds: int = 3,
    extra_sys_path: list[str] = (),
    ecgaug_params: dict | None = None,
) -> dict:
    """Interleaved timings of the reference and ``TTSCGANSampler(preset="paper")``.

    Returns a dict with, per batch size, the median seconds per training step
    and beats/s of each and their ratio, and the same for sampling. Without
    ``reference_path`` only ecgaug is timed (the reference entries are None).
    """
    from ecgaug.generators import TTSCGANSampler

    module = None
    if reference_path is not None:
        module = import_reference(reference_path, list(extra_sys_path))
    results: dict = {"train": {}, "sample": {}}
    for B in batch_sizes:
        ref = ReferenceTTSCGAN(module) if module is not None else None
        ours = TTSCGANSampler(
            preset="paper", batch_size=B, random_state=0, **(ecgaug_params or {})
        )
        ours._init_fitted_state(X, y)
        ours.n_features_in_ = X.shape[1]
        ours._build(ours.config_, ours.n_timesteps_, len(ours.classes_))
        ours._set_train_mode(True)
        rng = np.random.RandomState(0)
        x_all = torch.from_numpy(ours._scale(X))
        y_all = torch.from_numpy(ours._encode(y))
        t_ref, t_ours = [], []
        for i in range(n_steps + 1):  # the first step of each is a warm-up
            idx = torch.from_numpy(rng.choice(len(X), B, replace=False))
            xb, yb = x_all[idx], y_all[idx]
            a = _timed(lambda: ref.train_step(xb, yb)) if ref else None  # noqa: B023
            b = _timed(lambda: ours._train_step(xb, yb))  # noqa: B023
            if i:
                t_ref.append(a)
                t_ours.append(b)
        ours._set_train_mode(False)
        results["train"][B] = _rates(B, t_ref if ref else None, t_ours, "step")
    s_ref, s_ours = [], []
    ours.sample(sample_batch, batch_size=sample_batch)
    if ref:
        ref.sample(sample_batch)
    for _ in range(n_sample_rounds):
        if ref:
            s_ref.append(_timed(lambda: ref.sample(sample_batch)))
        s_ours.append(
            _timed(lambda: ours.sample(sample_batch, batch_size=sample_batch))
        )
    results["sample"] = {
        "batch_size": sample_batch,
        **_rates(sample_batch, s_ref if ref else None, s_ours, "batch"),
    }
    results["threads"] = torch.get_num_threads()
    return results
