"""ecgaug: class-conditional generative models of ECG heartbeats for oversampling
and synthetic pretraining, with a scikit-learn / imbalanced-learn / skorch face."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]

# Before torch loads: threads that wait sleep instead of spinning (ecgaug._threads).
from ecgaug._threads import prefer_passive_wait as _prefer_passive_wait  # noqa: E402

_prefer_passive_wait()
