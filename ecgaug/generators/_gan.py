"""The training step shared by ecgaug's auxiliary-classifier conditional GANs.

A subclass of :class:`BaseConditionalGAN` builds ``generator_`` (``(z, y) ->
(B, n_leads, T)``) and ``discriminator_`` (``(B, n_leads, T) -> (realness,
class logits)``) and chooses its adversarial losses; this module runs one
alternating update:

1. ``fake = G(z, y_fake)`` once. ``y_fake`` is the labels of the real batch,
   so that real and generated beats have the same class mix and an
   unconditional realness score cannot tell them apart by class frequency
   alone; a subclass whose realness score is class-conditional may set
   ``_conditional_realness = True`` to draw ``y_fake`` uniformly over the
   classes instead, so that minority classes get as many generator updates as
   the majority (:class:`CGANSampler` does);
2. discriminator step on ``[real, fake.detach()]`` in one forward pass:
   adversarial loss + ``lambda_cls`` * cross-entropy of the class head on the
   real beats (AC-GAN) + an optional regulariser (gradient penalty);
3. generator step through the same ``fake`` with the discriminator's
   parameters frozen (no wasted weight gradients): adversarial loss +
   ``lambda_cls`` * cross-entropy of the class head on the generated beats;
4. optional gradient-norm clipping, then the generator's exponential moving
   average (``ema_``), which is what :meth:`sample` draws from.

After each epoch the moving average draws ``_SPREAD_BEATS`` beats per class
(from a generator of its own, so training is unchanged) and
``history_[i]["spread_by_class"]`` records how varied they are against the
real beats of the class. A GAN can collapse onto a few beats of a class
(mode collapse): the quick TTS-CGAN of ``benchmarks/`` did, with seed 0 on the
capped training split, while seed 1 did not; its F beats were all one beat.
``fit`` warns when a class ends below ``COLLAPSE_RATIO``, instead of letting
``fit_resample`` add thousands of near-copies, or above ``NOISE_RATIO`` (its
beats are noise: the quick TTS-CGAN with seed 0, fitted on one thread).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from ecgaug._utils import active_generator
from ecgaug.base import BaseGenerativeSampler, _plain

from ._nn.layers import latent_noise

__all__ = [
    "COLLAPSE_RATIO",
    "NOISE_RATIO",
    "BaseConditionalGAN",
    "spread_failures",
    "spread_ratio",
]

#: Generated (and real) beats per class compared after each epoch.
_SPREAD_BEATS = 64
#: A class whose generated beats vary less than this fraction of its real
#: beats counts as collapsed. Working fits of the three samplers measured
#: 0.48-0.97 per class; the collapsed quick TTS-CGAN 0.00-0.17.
COLLAPSE_RATIO = 0.2
#: A class whose generated beats vary more than this many times as much as its
#: real beats counts as noise: a quick TTS-CGAN measured 2.1, 2.2 and 4.0 on V,
#: F and Q, and a classifier trained on real beats recognised none of them
#: (TRTS recall 0), while working fits stayed below 1.
NOISE_RATIO = 2.0


def spread_failures(spread: dict) -> dict:
    """Classes of a ``spread_by_class`` below COLLAPSE_RATIO or above NOISE_RATIO."""
    return {c: r for c, r in spread.items() if r < COLLAPSE_RATIO or r > NOISE_RATIO}


def spread_ratio(fake: torch.Tensor, real: torch.Tensor) -> float:
    """How varied ``fake`` beats are next to ``real`` ones (1: as varied).

    The spread of a set of beats ``(B, C, T)`` is the standard deviation
    across beats, averaged over leads and time steps; the ratio is NaN when
    the real beats do not vary.
    """
    real_spread = float(real.float().std(0).mean())
    if not real_spread > 0:
        return float("nan")
    return float(fake.float().std(0).mean()) / real_spread


class BaseConditionalGAN(BaseGenerativeSampler):
    """Base class of the AC-GAN samplers. Do not use directly.

    Subclasses implement ``_build`` (setting ``generator_``,
    ``discriminator_``, ``ema_`` and calling :meth:`_make_optimizers`),
    :meth:`_d_adversarial_loss`, :meth:`_g_adversarial_loss` and optionally
    :meth:`_regularizer`. The discriminator is called as ``D(x, y)`` and
    returns ``(realness (B, P), class logits (B, K))``; it may ignore ``y``.
    The configuration must hold ``latent_dim``,
    ``lr_g``, ``lr_d``, ``beta1``, ``beta2``, ``lambda_cls`` and
    ``grad_clip`` (``None``: no clipping).
    """

    _module_names: ClassVar[tuple[str, ...]] = (
        "generator_",
        "discriminator_",
        "ema_",
    )
    _conditional_realness: ClassVar[bool] = False
    _warm_start_settings: ClassVar[frozenset[str]] = (
        BaseGenerativeSampler._warm_start_settings
        | {"lr_g", "lr_d", "beta1", "beta2", "lambda_cls", "grad_clip"}
    )

    def _apply_settings(self, config: dict[str, Any]) -> None:
        betas = (float(config["beta1"]), float(config["beta2"]))
        for optimizer, lr in (
            (self.g_optimizer_, config["lr_g"]),
            (self.d_optimizer_, config["lr_d"]),
        ):
            for group in optimizer.param_groups:
                group["lr"], group["betas"] = float(lr), betas
        self.ema_.multi_avg_fn.batch_size = int(config["batch_size"])

    def _make_optimizers(self, config: dict[str, Any]) -> None:
        # foreach: one kernel per operation over all parameters instead of a
        # Python loop over them (the default on CPU), measurably faster here
        kw = {
            "betas": (float(config["beta1"]), float(config["beta2"])),
            "foreach": True,
        }
        self.g_optimizer_ = torch.optim.Adam(
            self.generator_.parameters(), lr=config["lr_g"], **kw
        )
        self.d_optimizer_ = torch.optim.Adam(
            self.discriminator_.parameters(), lr=config["lr_d"], **kw
        )

    # ----------------------------------------------------------- hooks
    def _d_adversarial_loss(
        self, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError

    def _g_adversarial_loss(self, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _regularizer(
        self, x: torch.Tensor, fake: torch.Tensor, step: int
    ) -> dict[str, torch.Tensor]:
        """Extra discriminator losses, by name, already weighted."""
        return {}

    # ------------------------------------------------------------ step
    def _train_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        config = self.config_
        G, D = self.generator_, self.discriminator_
        B = len(x)
        step = int(self.ema_.n_averaged) + 1
        lambda_cls = float(config["lambda_cls"])
        gen = active_generator()  # the fit's own generator (see base._train)
        z = torch.randn(
            B, config["latent_dim"], device=x.device, generator=gen
        )  # (B, Z)
        if self._conditional_realness:
            y_fake = torch.randint(
                0, len(self.classes_), (B,), device=x.device, generator=gen
            )
        else:
            y_fake = y

        with self._autocast():
            fake = G(z, y_fake)  # (B, C, T)
            scores, logits = D(
                torch.cat([x, fake.detach()]), torch.cat([y, y_fake])
            )  # (2B, P), (2B, K)
        scores, logits = scores.float(), logits.float()
        d_adv = self._d_adversarial_loss(scores[:B], scores[B:])
        d_cls = F.cross_entropy(logits[:B], y)
        reg = self._regularizer(x, fake.detach(), step)
        d_loss = d_adv + lambda_cls * d_cls + sum(reg.values())
        self.d_optimizer_.zero_grad(set_to_none=True)
        self._backward(d_loss, D)
        _clip(D, config["grad_clip"])
        self.d_optimizer_.step()

        D.requires_grad_(False)
        try:
            with self._autocast():
                g_scores, g_logits = D(fake, y_fake)
            g_adv = self._g_adversarial_loss(g_scores.float())
            g_cls_beats = F.cross_entropy(g_logits.float(), y_fake, reduction="none")
            g_cls = g_cls_beats.mean()
            g_loss = g_adv + lambda_cls * g_cls
            self.g_optimizer_.zero_grad(set_to_none=True)
            self._backward(g_loss, G)
        finally:
            D.requires_grad_(True)
        _clip(G, config["grad_clip"])
        self.g_optimizer_.step()
        self.ema_.update_parameters(G)

        losses = {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_cls": d_cls,
            "g_cls": g_cls,
            **reg,
        }
        out = {k: float(v.detach()) for k, v in losses.items()}
        # per class: how recognisable the generated beats of each class are
        out["per_sample"] = (y_fake, g_cls_beats.detach())
        return out

    def _generate(self, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        z = latent_noise(len(y), self.config_["latent_dim"], generator)  # (B, Z)
        return self.ema_.module(z.to(self.device_), y)  # (B, C, T)

    # ------------------------------------------------------ mode collapse
    def _epoch_diagnostics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, Any]:
        return {"spread_by_class": self._spread_by_class(x, y)}

    @torch.no_grad()
    def _spread_by_class(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        """``{class: spread_ratio}`` of the moving average's beats, per class."""
        gen = torch.Generator().manual_seed(0)  # not the fit's own generators
        was_training = self.ema_.training
        self.ema_.eval()
        out = {}
        try:
            for code, label in enumerate(self.classes_):
                rows = torch.nonzero(y == code).squeeze(1)  # no copy of the beats
                if len(rows) < 2:
                    continue
                pick = torch.linspace(0, len(rows) - 1, _SPREAD_BEATS, device=x.device)
                real = x[rows[pick.long()]]  # evenly spread over the class
                codes = torch.full(
                    (_SPREAD_BEATS,), code, dtype=torch.long, device=self.device_
                )
                ratio = spread_ratio(self._generate(codes, gen), real)
                out[_plain(label)] = round(ratio, 4)
        finally:
            self.ema_.train(was_training)
        return out

    def _after_train(self) -> None:
        spread = self.history_[-1].get("spread_by_class", {}) if self.history_ else {}
        failed = spread_failures(spread)
        if not failed:
            return
        low = {c: r for c, r in failed.items() if r < COLLAPSE_RATIO}
        high = {c: r for c, r in failed.items() if r > NOISE_RATIO}
        problems = []
        if low:
            problems.append(
                f"the beats it generates for class(es) {_shown(low)} vary less than "
                f"{COLLAPSE_RATIO} times as much as the real beats of the class "
                "(collapsed: fit_resample would add near-copies of a few beats)"
            )
        if high:
            problems.append(
                f"the beats it generates for class(es) {_shown(high)} vary more "
                f"than {NOISE_RATIO} times as much as the real beats of the class "
                "(noise, not beats of the class)"
            )
        warnings.warn(
            f"{type(self).__name__} failed: {'; '.join(problems)}. Fit again with "
            "another random_state (or more epochs); history_[i]['spread_by_class'] "
            "shows the ratio epoch by epoch.",
            ConvergenceWarning,
            stacklevel=4,
        )


def _shown(ratios: dict) -> str:
    return ", ".join(f"{c!r} ({r:.2f})" for c, r in ratios.items())


def _clip(module: nn.Module, max_norm) -> None:
    if max_norm is not None:
        nn.utils.clip_grad_norm_(module.parameters(), float(max_norm), foreach=True)
