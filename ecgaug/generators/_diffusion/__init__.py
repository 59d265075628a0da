"""Class-conditional DiffWave diffusion (private): network, process, samplers and
the estimator, one module each."""

from .sampler import DiffusionSampler

__all__ = ["DiffusionSampler"]
