"""Feature spaces for the metrics: raw beats, a classifier's embedding, any callable.

The paper notes that ECG has no pretrained feature network like the Inception
network behind the FID of images. ecgaug answers with the penultimate layer of
its residual classifier (:meth:`ecgaug.classifiers.ResNet1D.embed`) trained on
the real beats; :func:`make_embedding` turns that, or any other choice, into a
function ``X -> features``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import check_random_state

from ecgaug._utils import check_finite

from ._validation import is_fitted

__all__ = [
    "DEFAULT_CLASSIFIER_PARAMS",
    "default_classifier",
    "fit_reference_classifier",
    "make_embedding",
]

#: The small residual classifier trained when no classifier or embedding is given:
#: the paper's one-block network, a few epochs.
DEFAULT_CLASSIFIER_PARAMS: dict[str, Any] = {
    "module__n_blocks": 1,
    "max_epochs": 10,
    "train_split": None,
    "verbose": 0,
}


def _seed(random_state) -> int | None:
    if random_state is None:
        return None
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def default_classifier(random_state=None):
    """An unfitted small :class:`~ecgaug.classifiers.ResNetClassifier`.

    Its settings are :data:`DEFAULT_CLASSIFIER_PARAMS`: one residual block (the
    paper's configuration), 10 epochs on all the beats it is given (no
    validation split).
    """
    try:
        from ecgaug.classifiers import ResNetClassifier
    except ImportError as exc:  # pragma: no cover - the package ships it
        raise ImportError(
            "The default embedding and classifier need ecgaug.classifiers."
            "ResNetClassifier, which could not be imported; pass classifier= or "
            "embedding= explicitly."
        ) from exc
    return ResNetClassifier(
        random_state=_seed(random_state), **DEFAULT_CLASSIFIER_PARAMS
    )


def fit_reference_classifier(
    classifier, X: np.ndarray, y: np.ndarray, random_state=None
):
    """A classifier fitted on the real beats ``(X, y)``.

    ``None`` trains :func:`default_classifier`; a fitted classifier is used as
    it is; an unfitted one is cloned and fitted on ``(X, y)``.
    """
    if classifier is None:
        return default_classifier(random_state).fit(X, y)
    if is_fitted(classifier):
        return classifier
    return clone(classifier).fit(X, y)


class _Identity:
    """The raw beats as features."""

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)

    def __repr__(self) -> str:
        return "RawBeats()"


class _ModuleEmbedding:
    """``module.embed`` of a torch module, batched, in eval mode, without gradients."""

    def __init__(self, module: torch.nn.Module, batch_size: int = 1024):
        self.module = module
        self.batch_size = batch_size

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        params = list(self.module.parameters())
        device = params[0].device if params else torch.device("cpu")
        was_training = self.module.training
        self.module.eval()
        out = []
        try:
            with torch.inference_mode():
                for start in range(0, len(X), self.batch_size):
                    xb = torch.from_numpy(X[start : start + self.batch_size])
                    feats = self.module.embed(xb.to(device))  # (B, D)
                    out.append(feats.float().reshape(len(xb), -1).cpu().numpy())
        finally:
            self.module.train(was_training)
        if not out:
            return np.empty((0, 0))
        return np.concatenate(out).astype(np.float64)

    def __repr__(self) -> str:
        return f"ModuleEmbedding({type(self.module).__name__})"


class _FunctionEmbedding:
    """A callable or a fitted transformer, with its output checked."""

    def __init__(self, fn: Callable[[np.ndarray], Any], name: str):
        self.fn = fn
        self.name = name

    def __call__(self, X: np.ndarray) -> np.ndarray:
        feats = np.asarray(self.fn(X), dtype=np.float64)
        if feats.ndim == 1:
            feats = feats.reshape(-1, 1)
        if feats.ndim != 2 or len(feats) != len(X):
            raise ValueError(
                f"The embedding {self.name} returned shape {feats.shape} for "
                f"{len(X)} beats; it must return (n_beats, n_features)."
            )
        check_finite(feats, f"the features of {self.name}")
        return feats

    def __repr__(self) -> str:
        return f"FunctionEmbedding({self.name})"


def make_embedding(
    embedding: Any = None,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    random_state: int | np.random.RandomState | None = None,
    batch_size: int = 1024,
) -> Callable[[np.ndarray], np.ndarray]:
    """Turn an embedding specification into a function ``X -> features``.

    Parameters
    ----------
    embedding : None, "raw", classifier, torch module, transformer or callable
        - ``None``: train a small :class:`~ecgaug.classifiers.ResNetClassifier`
          (one residual block, 10 epochs, no validation split) on the real
          beats ``(X, y)`` and use its penultimate layer
          (:meth:`~ecgaug.classifiers.ResNet1D.embed`);
        - ``"raw"``: the beats themselves;
        - a fitted :class:`~ecgaug.classifiers.ResNetClassifier` (any skorch
          net whose ``module_`` has an ``embed`` method) or a
          :class:`~ecgaug.classifiers.ResNet1D` (any ``torch.nn.Module`` with
          ``embed``): its ``embed`` output, computed in eval mode;
        - a fitted transformer (an object with ``transform``, e.g. a fitted
          :class:`~sklearn.decomposition.PCA`) or any callable
          ``X -> (n_beats, n_features)``.
    X, y : ndarray, default=None
        Real beats and labels, needed only to train the default network.
    random_state : int, RandomState instance or None, default=None
        Seed of the default network.
    batch_size : int, default=1024
        Beats per forward pass of a torch embedding.

    Returns
    -------
    embed : callable
        ``embed(X)`` returns a float64 array of shape ``(n_beats, n_features)``.
        Compute it once and pass it to several metrics to train the default
        network only once.

    See Also
    --------
    frechet_distance : The Fréchet distance in such an embedding.

    References
    ----------
    .. [1] Kachuee M, Fazeli S, Sarrafzadeh M. ECG heartbeat classification: a
       deep transferable representation. IEEE ICHI 2018 (the network).
    .. [2] Heusel M, Ramsauer H, Unterthiner T, Nessler B, Hochreiter S. GANs
       trained by a two time-scale update rule converge to a local Nash
       equilibrium. NeurIPS 2017 (features of a trained classifier for FID).

    Examples
    --------
    >>> import numpy as np
    >>> from ecgaug.evaluation.metrics import make_embedding
    >>> embed = make_embedding("raw")
    >>> embed(np.zeros((3, 187), dtype=np.float32)).shape
    (3, 187)
    """
    if isinstance(embedding, str):
        if embedding == "raw":
            return _Identity()
        raise ValueError(
            f"Unknown embedding {embedding!r}; use None (train a classifier on the "
            "real beats), 'raw', a fitted ResNetClassifier, a ResNet1D, a fitted "
            "transformer or a callable."
        )
    if isinstance(embedding, _Identity | _ModuleEmbedding | _FunctionEmbedding):
        return embedding
    if embedding is None:
        if X is None or y is None:
            raise ValueError(
                "The default embedding trains a classifier on labelled real beats; "
                "pass y_real, or pass embedding='raw' or a fitted embedding."
            )
        embedding = fit_reference_classifier(None, X, y, random_state=random_state)
    if hasattr(embedding, "initialize") and hasattr(embedding, "module"):
        # a skorch net: its fitted module must expose ``embed``
        if not is_fitted(embedding):
            raise ValueError(
                f"The {type(embedding).__name__} passed as embedding is not fitted; "
                "fit it on real beats first, or pass embedding=None to train one."
            )
        if callable(getattr(embedding, "embed", None)):
            return _FunctionEmbedding(embedding.embed, type(embedding).__name__)
        embedding = embedding.module_
    if isinstance(embedding, torch.nn.Module):
        if not callable(getattr(embedding, "embed", None)):
            raise ValueError(
                f"The torch module {type(embedding).__name__} has no embed(x) method; "
                "pass a ResNet1D or wrap your module in a callable X -> features."
            )
        return _ModuleEmbedding(embedding, batch_size=batch_size)
    if hasattr(embedding, "transform"):
        if not is_fitted(embedding):
            raise ValueError(
                f"The {type(embedding).__name__} passed as embedding is not fitted."
            )
        return _FunctionEmbedding(embedding.transform, type(embedding).__name__)
    if callable(embedding):
        name = getattr(embedding, "__name__", type(embedding).__name__)
        return _FunctionEmbedding(embedding, name)
    raise TypeError(
        f"embedding must be None, 'raw', a fitted classifier, a torch module, a "
        f"fitted transformer or a callable; got {type(embedding).__name__}."
    )
