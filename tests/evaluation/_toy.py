"""Small samplers for the evaluation and plotting tests.

- :class:`GaussianBeatSampler`: an honest class-conditional generator that
  draws each class from a Gaussian fitted in the class's leading principal
  directions (probabilistic PCA); ``shift`` and ``noise`` spoil it on purpose.
- :class:`CopyingSampler`: "generates" by returning training beats, the
  memorising generator that the privacy metric must flag.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval


class _ToyBase(BaseOverSampler):
    """fit / fit_resample / sample in the shape of ecgaug's samplers."""

    _parameter_constraints: ClassVar[dict] = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state"],
    }

    def fit(self, X, y):
        super().fit(X, y)  # validation and sampling_strategy_
        X = np.asarray(X)
        self._learn(X, np.asarray(y))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.class_counts_ = counts
        self.n_features_in_ = X.shape[1]
        self.dtype_ = X.dtype
        return self

    def _fit_resample(self, X, y):
        self.fit(X, y)
        labels = np.concatenate(
            [np.full(n, c) for c, n in self.sampling_strategy_.items()]
            + [np.empty(0, dtype=y.dtype)]
        ).astype(y.dtype)
        X_new, y_new = self.sample(len(labels), y=labels)
        return np.vstack([X, X_new]), np.concatenate([y, y_new])

    def _labels(self, n_samples, y, rng):
        if y is None:
            p = self.class_counts_ / self.class_counts_.sum()
            return self.classes_[rng.choice(len(self.classes_), size=n_samples, p=p)]
        y = np.asarray(y)
        return np.full(n_samples, y.item()) if y.ndim == 0 else y

    def sample(self, n_samples, y=None, *, random_state=None):
        rng = check_random_state(
            self.random_state if random_state is None else random_state
        )
        labels = self._labels(int(n_samples), y, rng)
        X = np.empty((len(labels), self.n_features_in_), dtype=self.dtype_)
        for c in np.unique(labels):
            mask = labels == c
            X[mask] = self._draw(c, int(mask.sum()), rng)
        return X, labels


class GaussianBeatSampler(_ToyBase):
    """Per class, the mean beat plus Gaussian variation along its PCA directions."""

    _parameter_constraints: ClassVar[dict] = {
        **_ToyBase._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "shift": [Real],
        "noise": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        n_components=8,
        shift=0.0,
        noise=0.0,
        random_state=None,
    ):
        self.sampling_strategy = sampling_strategy
        self.n_components = n_components
        self.shift = shift
        self.noise = noise
        self.random_state = random_state

    def _learn(self, X, y):
        self.pca_ = {}
        for c in np.unique(y):
            Xc = X[y == c].astype(np.float64)
            k = max(1, min(self.n_components, len(Xc) - 1))
            self.pca_[c] = PCA(n_components=k).fit(Xc)

    def _draw(self, c, n, rng):
        pca = self.pca_[c]
        z = rng.standard_normal((n, pca.n_components_)) * np.sqrt(
            pca.explained_variance_
        )
        X = pca.mean_ + z @ pca.components_ + self.shift
        if self.noise:
            X = X + self.noise * rng.standard_normal(X.shape)
        return X


class CopyingSampler(_ToyBase):
    """Returns training beats of the requested class: pure memorisation."""

    def __init__(self, *, sampling_strategy="auto", random_state=None):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    def _learn(self, X, y):
        self.X_, self.y_ = X, y

    def _draw(self, c, n, rng):
        pool = np.flatnonzero(self.y_ == c)
        return self.X_[rng.choice(pool, size=n, replace=n > len(pool))]


class SpySampler(GaussianBeatSampler):
    """A GaussianBeatSampler that logs what it is fitted on and its draw seeds."""

    log: ClassVar[list] = []

    def _learn(self, X, y):
        SpySampler.log.append(("fit", X.copy()))
        super()._learn(X, y)

    def sample(self, n_samples, y=None, *, random_state=None):
        SpySampler.log.append(("sample", random_state))
        return super().sample(n_samples, y, random_state=random_state)
