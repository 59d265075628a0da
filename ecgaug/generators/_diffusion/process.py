"""The Gaussian diffusion process: noise schedule, ``q(x_t | x_0)`` and the DDPM loss.

==========================  ===================================================
Notation                    Meaning
==========================  ===================================================
``n`` (``n_steps``)         training diffusion steps, indexed ``t = 0 ... n-1``
``beta_t``                  noise added at step ``t`` (the noise schedule)
``alpha_t = 1 - beta_t``
``abar_t = prod alpha_s``   signal kept after steps ``0 ... t``
``x_t``                     ``sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``
``p_uncond``                probability of replacing the class by the null
                            class in training (classifier-free guidance)
``v``                       ``sqrt(abar_t) eps - sqrt(1 - abar_t) x_0``, the
                            "velocity" target of Salimans & Ho (2022)
==========================  ===================================================

The network predicts ``eps`` (DDPM, DiffWave), ``v`` or ``x_0``;
:meth:`GaussianDiffusion.eps_from_output` turns each into ``eps`` for the
samplers. All three are the DDPM objective with another weighting over ``t``:
the ``eps`` loss is dominated by the low-noise steps, where the tiny ``eps`` is
hardest to predict and the class hardly matters; the ``x_0`` loss (with
Karras et al.'s skip connection, so that a nearly clean beat passes through)
weighs the noisy steps that decide the class and the shape, and learned
class-specific beats in a few thousand steps where ``eps`` needed many more
(measured on the bundled sample, see issue 6's report).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ecgaug._utils import active_generator

from .network import DiffWave

__all__ = ["GaussianDiffusion", "make_beta_schedule"]

#: Typical standard deviation of beats scaled to [-1, 1], for the ``x0``
#: preconditioning (Karras et al. 2022 use 0.5 for images in [-1, 1]).
SIGMA_DATA = 0.5


def make_beta_schedule(
    kind: str, n_steps: int, beta_start: float, beta_end: float
) -> torch.Tensor:
    """The noise schedule ``beta`` of shape ``(n_steps,)``, in float64.

    Parameters
    ----------
    kind : {"linear", "cosine"}
        ``"linear"``: ``beta`` evenly spaced from ``beta_start`` to
        ``beta_end`` (DDPM, DiffWave). ``"cosine"``: ``abar_t = cos^2`` of
        Nichol & Dhariwal (2021), ``beta`` clipped to ``beta_end``; it ends
        close to pure noise for any ``n_steps``.
    n_steps : int
        Training diffusion steps.
    beta_start, beta_end : float
        First and last ``beta`` (linear); ``beta_end`` caps the cosine's.
    """
    if kind == "linear":
        return torch.linspace(beta_start, beta_end, n_steps, dtype=torch.float64)
    if kind == "cosine":
        s = 0.008
        u = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
        abar = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
        betas = 1 - abar[1:] / abar[:-1]
        return betas.clamp(min=beta_start, max=beta_end)
    raise ValueError(f"Unknown noise schedule {kind!r}; use 'linear' or 'cosine'.")


class GaussianDiffusion(nn.Module):
    """DDPM forward process around a noise-prediction network.

    The schedule is computed once, in float64, and kept as float32 buffers
    (not saved: it is rebuilt from the configuration).

    Parameters
    ----------
    network : DiffWave
        Predicts ``eps`` from ``(x_t, t, y)``.
    betas : torch.Tensor of shape (n_steps,)
        The noise schedule (:func:`make_beta_schedule`).
    p_uncond : float, default=0.1
        Conditioning dropout of classifier-free guidance.
    prediction : {"eps", "v"}, default="eps"
        What the network predicts.
    """

    def __init__(
        self,
        network: DiffWave,
        betas: torch.Tensor,
        p_uncond: float = 0.1,
        prediction: str = "eps",
    ):
        super().__init__()
        if prediction not in ("eps", "v", "x0"):
            raise ValueError(
                f"Unknown prediction {prediction!r}; use 'eps', 'v' or 'x0'."
            )
        self.network = network
        self.p_uncond = float(p_uncond)
        self.prediction = prediction
        betas = betas.to(torch.float64)
        abar = torch.cumprod(1.0 - betas, dim=0)  # (n,)
        for name, value in {
            "betas": betas,
            "alphas_cumprod": abar,
            "sqrt_alphas_cumprod": abar.sqrt(),
            "sqrt_one_minus_alphas_cumprod": (1.0 - abar).sqrt(),
        }.items():
            self.register_buffer(name, value.float(), persistent=False)
        # float64 copy for building sampling schedules exactly
        self.alphas_cumprod64 = abar

    @property
    def n_steps(self) -> int:
        """Training diffusion steps ``n``."""
        return len(self.betas)

    def q_sample(
        self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor
    ) -> torch.Tensor:
        """``x_t`` (B, L, T) of clean beats ``x0`` (B, L, T) at steps ``t`` (B,)."""
        a = self.sqrt_alphas_cumprod[t][:, None, None]  # (B, 1, 1)
        s = self.sqrt_one_minus_alphas_cumprod[t][:, None, None]  # (B, 1, 1)
        return a * x0 + s * noise

    def loss(
        self,
        x0: torch.Tensor,
        y: torch.Tensor,
        generator: torch.Generator | None = None,
        reduction: str = "mean",
    ) -> torch.Tensor:
        """The DDPM objective ``E || eps - eps_theta(x_t, t, y') ||^2``.

        ``t`` is uniform over the steps, ``eps`` standard normal (both from
        ``generator``, on ``x0``'s device; ``None``:
        :func:`ecgaug._utils.active_generator`) and ``y'`` is ``y`` with each
        label replaced by the null class with probability ``p_uncond``.
        ``reduction="none"`` gives each beat's loss, shape ``(B,)``, instead of
        their mean.
        """
        if generator is None:
            generator = active_generator()
        B, dev = len(x0), x0.device
        t = torch.randint(0, self.n_steps, (B,), device=dev, generator=generator)
        noise = torch.randn(
            x0.shape, dtype=x0.dtype, device=dev, generator=generator
        )  # (B, L, T)
        if self.p_uncond > 0:
            drop = torch.rand(B, device=dev, generator=generator) < self.p_uncond
            y = torch.where(drop, torch.full_like(y, self.network.null_class), y)
        x_t = self.q_sample(x0, t, noise)  # (B, L, T)
        out = self.network(x_t, t.float(), y)  # (B, L, T)
        if self.prediction == "eps":
            pred, target = out.float(), noise
        elif self.prediction == "x0":
            abar = self.alphas_cumprod[t][:, None, None]  # (B, 1, 1)
            pred, target = self._x0_from_output(x_t, out.float(), abar), x0
        else:
            a = self.sqrt_alphas_cumprod[t][:, None, None]  # (B, 1, 1)
            s = self.sqrt_one_minus_alphas_cumprod[t][:, None, None]  # (B, 1, 1)
            pred, target = out.float(), a * noise - s * x0
        if reduction == "mean":
            return F.mse_loss(pred, target)
        return F.mse_loss(pred, target, reduction="none").flatten(1).mean(1)  # (B,)

    def _x0_from_output(
        self, x_t: torch.Tensor, out: torch.Tensor, abar: torch.Tensor
    ) -> torch.Tensor:
        """Karras et al.'s preconditioned ``x_0 = c_skip x_t / sqrt(abar) + c_out F``.

        With ``sigma^2 = (1 - abar) / abar``: ``c_skip = s_d^2 / (sigma^2 + s_d^2)``,
        ``c_out = sigma s_d / sqrt(sigma^2 + s_d^2)``, so the nearly clean beat
        passes straight through and the network only adds what noise hides.
        """
        sd2 = SIGMA_DATA**2
        sigma2 = ((1 - abar) / abar).to(x_t.dtype)
        c_skip = sd2 / (sigma2 + sd2)
        c_out = (sigma2 * sd2 / (sigma2 + sd2)).sqrt()
        return c_skip * x_t / abar.sqrt().to(x_t.dtype) + c_out * out

    def eps_from_output(
        self, x_t: torch.Tensor, out: torch.Tensor, alpha_cumprod: float
    ) -> torch.Tensor:
        """The noise ``eps`` implied by the network's output at level ``abar``."""
        out = out.float()
        if self.prediction == "eps":
            return out
        if self.prediction == "x0":
            abar = torch.tensor(alpha_cumprod, dtype=torch.float64)
            x0 = self._x0_from_output(x_t, out, abar)
            return (x_t - math.sqrt(alpha_cumprod) * x0) / math.sqrt(1 - alpha_cumprod)
        return math.sqrt(1.0 - alpha_cumprod) * x_t + math.sqrt(alpha_cumprod) * out
