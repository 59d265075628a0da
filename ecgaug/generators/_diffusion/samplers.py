"""Reverse-process samplers: ancestral DDPM, DiffWave's fast schedule, DDIM.

Each sampler visits ``S`` noise levels ``abar_{S-1} < ... < abar_0`` (from the
noisiest) and evaluates the network at a step ``tau_k`` of the training
schedule; they differ in which levels, which steps and which update:

============  ==============================  ===========================  ==========
sampler       levels ``abar_k``               network step ``tau_k``       update
============  ==============================  ===========================  ==========
``"ddpm"``    the training schedule's         ``0 ... n-1``                ancestral
              (all ``n``; ``S < n`` takes
              ``S`` evenly spaced of them,
              as Nichol & Dhariwal)
``"fast"``    ``S`` levels evenly spaced in   DiffWave's alignment: the    ancestral
              log-SNR between the first and   fractional ``t + twiddle``
              last training level             whose ``sqrt(abar)`` matches
``"ddim"``    ``S`` evenly spaced training    those steps                  DDIM,
              levels                                                       ``eta = 0``
============  ==============================  ===========================  ==========

DiffWave's fast sampler (Kong et al. 2021, Sec. 4 and App. B) is a short
user-chosen schedule ``eta_s`` run with the ancestral update; the network is
evaluated at ``t + (sqrt(abar_t) - sqrt(gamma_s)) / (sqrt(abar_t) -
sqrt(abar_{t+1}))`` where ``abar_{t+1} <= gamma_s <= abar_t``. Its hand-picked
6-step schedule ``[1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5]`` is nearly evenly spaced
in log-SNR (steps of 2.4, 2.3, 1.8, 1.6, 1.6 nats); ``"fast"`` generalises it
to any ``S`` and any training schedule.

Every update predicts ``x_0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar)``,
clips it to ``[-1, 1]`` (the data range) and moves to the previous level:

- ancestral: ``x_prev ~ q(x_prev | x_t, x_0)``, the DDPM posterior with
  ``beta = 1 - abar_k / abar_{k-1}`` (DiffWave's ``c1 (x - c2 eps) + sigma z``);
- DDIM: ``x_prev = sqrt(abar_{k-1}) x_0 + sqrt(1 - abar_{k-1}) eps``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["SAMPLERS", "SamplingSchedule", "make_schedule", "run_sampler"]

SAMPLERS = ("ddpm", "fast", "ddim")


@dataclass(frozen=True)
class SamplingSchedule:
    """Noise levels a sampler visits, index 0 the cleanest.

    Attributes
    ----------
    steps : list of float
        Network step ``tau_k`` at each level.
    alphas_cumprod : list of float
        ``abar_k`` at each level.
    stochastic : bool
        Ancestral (True) or deterministic DDIM (False) updates.
    """

    steps: list[float]
    alphas_cumprod: list[float]
    stochastic: bool

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def n_noise(self) -> int:
        """Standard-normal draws per beat: the start, plus one per ancestral step."""
        return 1 + (len(self) - 1 if self.stochastic else 0)


def _evenly_spaced(n_train: int, n_steps: int) -> list[int]:
    """``n_steps`` training steps from ``n_train - 1`` down to 0, evenly spaced."""
    if n_steps == 1:
        return [n_train - 1]
    return sorted({round(i * (n_train - 1) / (n_steps - 1)) for i in range(n_steps)})


def _align(abar_train: torch.Tensor, level: float) -> float:
    """DiffWave's fractional training step whose ``sqrt(abar)`` matches ``level``."""
    root = math.sqrt(level)
    sq = abar_train.sqrt().tolist()
    for t in range(len(sq) - 1):
        if sq[t + 1] <= root <= sq[t]:
            return t + (sq[t] - root) / (sq[t] - sq[t + 1])
    return 0.0 if root > sq[0] else float(len(sq) - 1)


def make_schedule(
    sampler: str, alphas_cumprod: torch.Tensor, n_steps: int
) -> SamplingSchedule:
    """The levels, steps and update of ``sampler`` with ``n_steps`` network calls.

    Parameters
    ----------
    sampler : {"ddpm", "fast", "ddim"}
    alphas_cumprod : torch.Tensor of shape (n,)
        ``abar`` of the training schedule (float64).
    n_steps : int
        Network evaluations, ``1 <= n_steps <= n``.
    """
    n = len(alphas_cumprod)
    if sampler not in SAMPLERS:
        raise ValueError(f"Unknown sampler {sampler!r}; use one of {SAMPLERS}.")
    if not 1 <= n_steps <= n:
        raise ValueError(
            f"n_sampling_steps={n_steps} must be between 1 and the "
            f"{n} diffusion steps the model was trained with "
            "(n_diffusion_steps); lower it, or train with more steps."
        )
    abar = alphas_cumprod.to(torch.float64)
    if sampler in ("ddpm", "ddim"):
        idx = _evenly_spaced(n, n_steps)
        return SamplingSchedule(
            steps=[float(i) for i in idx],
            alphas_cumprod=abar[idx].tolist(),
            stochastic=sampler == "ddpm",
        )
    snr = abar / (1 - abar)
    lo, hi = snr[-1].log().item(), snr[0].log().item()
    if n_steps == 1:
        log_snr = [lo]
    else:
        log_snr = [hi + (lo - hi) * k / (n_steps - 1) for k in range(n_steps)]
    levels = [1.0 / (1.0 + math.exp(-s)) for s in log_snr]  # abar = sigmoid(log-SNR)
    return SamplingSchedule(
        steps=[_align(abar, a) for a in levels],
        alphas_cumprod=levels,
        stochastic=True,
    )


def run_sampler(
    denoise: Callable[[torch.Tensor, float, float], torch.Tensor],
    schedule: SamplingSchedule,
    noise: torch.Tensor,
) -> torch.Tensor:
    """Run the reverse process from pure noise to beats in ``[-1, 1]``.

    Parameters
    ----------
    denoise : callable
        ``denoise(x_t (B, L, T), tau, abar) -> eps (B, L, T)``: the noise in
        ``x_t`` at network step ``tau`` and level ``abar``.
    schedule : SamplingSchedule
        From :func:`make_schedule`.
    noise : torch.Tensor of shape (B, schedule.n_noise, L, T)
        Every standard-normal draw, on the network's device: ``noise[:, 0]``
        is ``x_{S-1}``, ``noise[:, j]`` the ancestral noise of the ``j``-th step.

    Returns
    -------
    x0 : torch.Tensor of shape (B, L, T)
    """
    abar = schedule.alphas_cumprod
    x = noise[:, 0]  # (B, L, T)
    for j, k in enumerate(reversed(range(len(schedule)))):
        a_t = abar[k]
        a_prev = abar[k - 1] if k > 0 else 1.0
        eps = denoise(x, schedule.steps[k], a_t).float()  # (B, L, T)
        x0 = ((x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)).clamp_(-1.0, 1.0)
        if k == 0:
            return x0
        if schedule.stochastic:
            beta = 1 - a_t / a_prev
            c_x0 = math.sqrt(a_prev) * beta / (1 - a_t)
            c_xt = math.sqrt(1 - beta) * (1 - a_prev) / (1 - a_t)
            sigma = math.sqrt((1 - a_prev) / (1 - a_t) * beta)
            x = c_x0 * x0 + c_xt * x + sigma * noise[:, j + 1]
        else:
            eps = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
            x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
    return x
