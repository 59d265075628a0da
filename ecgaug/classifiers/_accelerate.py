"""``AcceleratedResNetClassifier``: the classifier trained by HF accelerate."""

from __future__ import annotations

import torch
from skorch.hf import AccelerateMixin

from ecgaug.classifiers._estimator import ResNetClassifier

__all__ = ["AcceleratedResNetClassifier"]


class AcceleratedResNetClassifier(AccelerateMixin, ResNetClassifier):
    """:class:`ResNetClassifier` trained by an ``accelerate.Accelerator``.

    skorch's :class:`~skorch.hf.AccelerateMixin` on top of
    :class:`ResNetClassifier`: the accelerator places the network, the
    optimizer and the data loaders, so that one script trains on one GPU, on
    several with data parallelism (DDP), or on a TPU, with mixed precision,
    without a change to the code. Run the script with ``accelerate launch``
    (or ``torchrun``); every process fits the same estimator on the same data
    and each trains on its shard of every batch. With one device (or
    ``Accelerator(cpu=True)``) the fit is the one of :class:`ResNetClassifier`
    with the same ``random_state``.

    Needs ``pip install accelerate`` (``pip install ecgaug[accelerate]``).

    Parameters
    ----------
    accelerator : accelerate.Accelerator
        Its settings decide the devices, the number of processes and the
        precision (``Accelerator(mixed_precision="bf16")``).
    device : None, default=None
        Leave it ``None``: the accelerator places the tensors.
    unwrap_after_train : bool, default=True
        Unwrap the network after ``fit`` (so that the estimator pickles).
    **kwargs
        Every parameter of :class:`ResNetClassifier` except ``amp`` (mixed
        precision is the accelerator's ``mixed_precision``).

    See Also
    --------
    ResNetClassifier : The same classifier on one device.

    Notes
    -----
    The progress table follows ``verbose``, printed by the main process only.
    Read more in :ref:`scaling`.

    Examples
    --------
    >>> from accelerate import Accelerator
    >>> from ecgaug.classifiers import AcceleratedResNetClassifier
    >>> from ecgaug.datasets import load_sample
    >>> X, y = load_sample(split="train", return_X_y=True)
    >>> clf = AcceleratedResNetClassifier(
    ...     accelerator=Accelerator(cpu=True), module__n_blocks=1, max_epochs=2,
    ...     random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    def _get_param_names(self):
        # AccelerateMixin's bookkeeping flag looks public to skorch, which
        # would hand it to __init__ in clone()
        names = super()._get_param_names()
        return [k for k in names if k != "_wrapped_with_accelerator"]

    def _initialize_accelerator(self):
        # A loss without trainable parameters only needs the device; on several
        # CPU processes accelerate would wrap it in DDP, which refuses it.
        frozen = [
            name
            for name in self._criteria
            if isinstance(getattr(self, name + "_"), torch.nn.Module)
            and not any(p.requires_grad for p in getattr(self, name + "_").parameters())
        ]
        for name in frozen:
            getattr(self, name + "_").to(self.accelerator.device)
        criteria = self._criteria
        self._criteria = [name for name in criteria if name not in frozen]
        try:
            return super()._initialize_accelerator()
        finally:
            self._criteria = criteria

    def _initialize_callbacks(self):
        # skorch's PrintLog ignores ``verbose`` for any sink but ``print``: keep
        # ``print`` when quiet, the accelerator's main-process print otherwise
        if self.callbacks__print_log__sink == "auto" and not self.verbose:
            self.callbacks__print_log__sink = print
        return super()._initialize_callbacks()

    def initialize(self):
        """Check the settings, then initialise as :class:`ResNetClassifier`."""
        if self.amp is not False:
            raise ValueError(
                f"amp={self.amp!r} is not used with an accelerator; leave amp=False "
                "and ask the accelerator for mixed precision: "
                "Accelerator(mixed_precision='bf16')."
            )
        return super().initialize()
