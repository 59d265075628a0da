"""Layers and helpers shared by ecgaug's GANs.

- :class:`LabelConditionedLatent`: mixes the class label into the latent noise;
- :class:`SNConv1d`, :class:`SNLinear`: spectrally normalised layers (Miyato et
  al. 2018) written as plain modules, so that a fitted sampler pickles (torch's
  ``parametrizations.spectral_norm`` forbids pickling);
- :class:`EMASchedule` and :func:`make_ema`: an exponential moving average of the
  generator's weights through :class:`torch.optim.swa_utils.AveragedModel`, with
  a picklable update rule (``get_ema_multi_avg_fn`` returns a closure);
- :func:`gradient_penalty` (Gulrajani et al. 2017).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel

from ecgaug._utils import active_generator

__all__ = [
    "EMASchedule",
    "LabelConditionedLatent",
    "latent_noise",
    "SNConv1d",
    "SNLinear",
    "gradient_penalty",
    "make_ema",
]


class LabelConditionedLatent(nn.Module):
    """Concatenate the latent noise with a learned embedding of the class label.

    Parameters
    ----------
    n_classes : int
        Number of classes.
    embed_dim : int
        Size of the label embedding.
    """

    def __init__(self, n_classes: int, embed_dim: int):
        super().__init__()
        self.embedding = nn.Embedding(n_classes, embed_dim)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # z (B, latent_dim), y (B,) -> (B, latent_dim + embed_dim)
        return torch.cat([z, self.embedding(y).to(z.dtype)], dim=1)


def latent_noise(n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """``(n, dim)`` standard normal noise that does not depend on how a draw is
    split into batches.

    ``torch.randn`` on CPU fills tensors of 16 or more values in blocks, so
    ``randn(a + b)`` differs from ``cat(randn(a), randn(b))``; ``torch.rand`` is
    sequential, and the Box-Muller transform of its pairs is exact.
    """
    u = torch.rand((n, dim + dim % 2), generator=generator, dtype=torch.float64)
    u1, u2 = u[:, 0::2], u[:, 1::2]  # (n, ceil(dim / 2)) each
    r = torch.sqrt(-2.0 * torch.log1p(-u1))  # 1 - u1 in (0, 1]
    theta = 2.0 * torch.pi * u2
    z = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=-1)
    return z.flatten(1)[:, :dim].float()  # (n, dim)


def _sn_weight(weight: torch.Tensor, u: torch.Tensor, update: bool) -> torch.Tensor:
    """``weight / sigma(weight)``, sigma estimated by one power iteration on ``u``."""
    device_type = weight.device.type
    autocast_off = (
        torch.autocast(device_type, enabled=False)
        if device_type in ("cuda", "cpu")
        else contextlib.nullcontext()
    )
    with autocast_off:
        w = weight.float().flatten(1)  # (out, in * k)
        with torch.no_grad():
            if update:
                v = F.normalize(w.t() @ u, dim=0, eps=1e-12)  # (in * k,)
                u.copy_(F.normalize(w @ v, dim=0, eps=1e-12))  # (out,)
            v = F.normalize(w.t() @ u, dim=0, eps=1e-12)
        # clones: u is updated in place by the next training-mode forward,
        # possibly before this one's backward
        sigma = torch.dot(u.clone(), w @ v.clone())
        return (weight.float() / sigma).to(weight.dtype)


class SNConv1d(nn.Conv1d):
    """:class:`torch.nn.Conv1d` with spectral normalisation of its weight.

    One power iteration per training-mode forward updates the buffer ``sn_u``;
    in eval mode the estimate is frozen, so outputs are deterministic.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("sn_u", F.normalize(torch.randn(self.out_channels), dim=0))

    def init_parameters_(self, generator: torch.Generator | None) -> None:
        """Re-draw ``sn_u`` (see :func:`ecgaug._utils.init_parameters_`)."""
        _redraw_unit(self.sn_u, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = _sn_weight(self.weight, self.sn_u, self.training)
        return self._conv_forward(x, w, self.bias)


class SNLinear(nn.Linear):
    """:class:`torch.nn.Linear` with spectral normalisation of its weight."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("sn_u", F.normalize(torch.randn(self.out_features), dim=0))

    def init_parameters_(self, generator: torch.Generator | None) -> None:
        """Re-draw ``sn_u`` (see :func:`ecgaug._utils.init_parameters_`)."""
        _redraw_unit(self.sn_u, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = _sn_weight(self.weight, self.sn_u, self.training)
        return F.linear(x, w, self.bias)


@torch.no_grad()
def _redraw_unit(u: torch.Tensor, generator: torch.Generator | None) -> None:
    """Fill ``u`` with a random unit vector drawn from ``generator``."""
    device = generator.device if generator is not None else u.device
    r = torch.randn(u.shape, generator=generator, device=device)
    u.copy_(F.normalize(r, dim=0))


@dataclass
class EMASchedule:
    """Update rule of an exponential moving average of weights (picklable).

    With ``half_life=None`` the decay is ``min(decay, (1 + t) / (10 + t))`` at
    update ``t``: constant after a warm-up in which early, random weights are
    forgotten quickly (as ``tf.train.ExponentialMovingAverage`` with
    ``num_updates``). Otherwise it follows
    Karras et al.'s schedule used by TTS-CGAN: the weights' half-life is
    ``half_life`` training beats, ramped up as ``warmup * beats seen so far``
    when ``warmup > 0``: ``decay = 0.5 ** (batch_size / half_life_now)``.

    Parameters
    ----------
    decay : float, default=0.999
        Decay after the warm-up, used when ``half_life`` is None.
    half_life : float or None, default=None
        Half-life of the average in training beats.
    warmup : float, default=0.0
        Ramp-up factor of the half-life (0: none).
    batch_size : int, default=1
        Beats per update.
    """

    decay: float = 0.999
    half_life: float | None = None
    warmup: float = 0.0
    batch_size: int = 1

    def decay_at(self, step: int) -> float:
        """The decay applied at update number ``step`` (1 for the first update)."""
        if self.half_life is None:
            return min(self.decay, (1.0 + step) / (10.0 + step))
        half_life = self.half_life
        if self.warmup > 0:
            half_life = min(half_life, step * self.batch_size * self.warmup)
        return 0.5 ** (self.batch_size / max(half_life, 1e-8))

    @torch.no_grad()
    def __call__(self, ema_params, params, n_averaged) -> None:
        decay = self.decay_at(int(n_averaged))
        if torch.is_floating_point(ema_params[0]):
            torch._foreach_lerp_(ema_params, params, 1.0 - decay)
        else:  # integer buffers (BatchNorm's counter): follow the model
            for e, p in zip(ema_params, params, strict=True):
                e.copy_(p)


def make_ema(module: nn.Module, schedule: EMASchedule) -> AveragedModel:
    """An :class:`~torch.optim.swa_utils.AveragedModel` of ``module`` (and its
    buffers) updated by ``schedule``; call ``update_parameters(module)`` after
    every optimiser step."""
    return AveragedModel(module, multi_avg_fn=schedule, use_buffers=True)


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP penalty ``E[(||grad critic(x_hat)||_2 - 1)^2]`` on interpolates.

    Parameters
    ----------
    critic : callable
        Maps a batch ``(B, C, T)`` to scores ``(B, ...)``; must be twice
        differentiable.
    real, fake : Tensor of shape (B, C, T)
        Real and (detached) generated beats.
    generator : torch.Generator or None, default=None
        Source of the interpolation weights, on ``real``'s device; ``None``:
        :func:`ecgaug._utils.active_generator`.
    """
    if generator is None:
        generator = active_generator()
    alpha = torch.rand(
        len(real), 1, 1, device=real.device, generator=generator
    )  # (B, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)  # (B, C, T)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(
        scores.float().sum(), x_hat, create_graph=True, only_inputs=True
    )
    return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()
