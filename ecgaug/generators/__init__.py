"""Class-conditional generative models of heartbeats, as imbalanced-learn samplers.

Every sampler here derives from :class:`ecgaug.base.BaseGenerativeSampler`, so
it has ``fit``, ``fit_resample`` (real beats plus generated ones, as many per
class as ``sampling_strategy`` asks), ``sample``, ``iter_sample``, ``save`` and
``load``, and fits in an :class:`imblearn.pipeline.Pipeline`.
"""

from ._cgan import CGANSampler
from ._diffusion import DiffusionSampler
from ._tabular import WithTabular
from ._ttscgan import TTSCGANSampler

__all__: list[str] = [
    "CGANSampler",
    "DiffusionSampler",
    "TTSCGANSampler",
    "WithTabular",
]
