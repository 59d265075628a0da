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
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ecgaug._utils import active_generator
from ecgaug.base import BaseGenerativeSampler

from ._nn.layers import latent_noise

__all__ = ["BaseConditionalGAN"]


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


def _clip(module: nn.Module, max_norm) -> None:
    if max_norm is not None:
        nn.utils.clip_grad_norm_(module.parameters(), float(max_norm), foreach=True)
