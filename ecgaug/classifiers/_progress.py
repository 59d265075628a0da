"""A tqdm progress bar over a skorch classifier's epochs, like the samplers' bar."""

from __future__ import annotations

from skorch.callbacks import Callback
from tqdm.auto import tqdm

__all__ = ["EpochProgressBar"]


class EpochProgressBar(Callback):
    """One tqdm bar per fit: an epoch per step, the last training loss shown.

    skorch's own ``ProgressBar`` counts the batches of each epoch; this one
    counts epochs, as the generative samplers' ``verbose`` bar does.

    Parameters
    ----------
    desc : str, default="ResNetClassifier"
        The bar's label.
    """

    def __init__(self, desc: str = "ResNetClassifier") -> None:
        self.desc = desc

    def on_train_begin(self, net, X=None, y=None, **kwargs) -> None:
        self.bar_ = tqdm(total=int(net.max_epochs), desc=self.desc, unit="epoch")

    def on_epoch_end(self, net, **kwargs) -> None:
        loss = net.history[-1].get("train_loss") if len(net.history) else None
        if loss is not None:
            self.bar_.set_postfix(loss=f"{loss:.3f}", refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, X=None, y=None, **kwargs) -> None:
        bar = getattr(self, "bar_", None)
        if bar is not None:
            bar.close()
