"""ecgaug: class-conditional generative models of ECG heartbeats for oversampling
and synthetic pretraining, with a scikit-learn / imbalanced-learn / skorch face."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
