"""Residual 1-D CNN heartbeat classifiers, and synthetic pretrain-then-fine-tune.

- :class:`ResNet1D` (with its :class:`ResNet1DConfig`): the deep residual
  convolutional network of Kachuee et al. (2018), 5 blocks, or the paper's 1.
- :class:`ResNetClassifier`: that network as a skorch / scikit-learn classifier.
- :class:`AcceleratedResNetClassifier`: the same, trained through Hugging Face
  accelerate (several GPUs, mixed precision).
- :class:`FineTunedClassifier`: pretrain a classifier on beats drawn from a
  generative sampler (or any pretraining set), then fine-tune it on real beats.
- :func:`learning_curve_finetune`: the paper's Tables 2-4 protocol, real-only
  versus pretrained-then-fine-tuned for growing fractions of the real data.
"""

from ecgaug.classifiers._accelerate import AcceleratedResNetClassifier
from ecgaug.classifiers._curves import learning_curve_finetune
from ecgaug.classifiers._estimator import ResNetClassifier
from ecgaug.classifiers._finetune import FineTunedClassifier
from ecgaug.classifiers._resnet import ResNet1D, ResNet1DConfig

__all__ = [
    "AcceleratedResNetClassifier",
    "FineTunedClassifier",
    "ResNet1D",
    "ResNet1DConfig",
    "ResNetClassifier",
    "learning_curve_finetune",
]
