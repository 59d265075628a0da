"""WithTabular: generate beats together with their tabular (RR-interval) columns.

``X`` of ``load_mitbih(rr_features="append")`` is a waveform followed by ``k``
RR features. A generative sampler of :mod:`ecgaug.generators` scales ``X`` as
one signal, so the RR columns (seconds and ratios) would squash the waveform's
range and be modelled as if they were time steps. :class:`WithTabular`
splits the columns instead:

* the waveform (all but the last ``n_tabular`` columns) goes to a clone of the
  wrapped generative sampler, class-conditional as usual;
* the tabular columns get a class-conditional Gaussian mixture of their
  logarithms (``n_components`` per class), so that an oversampled S beat comes
  with an S-like rhythm: short ``pre_rr``, low prematurity ratio, compensatory
  pause.

Given the class, the tabular draw is **independent of the generated waveform**:
an S beat's RR vector is a plausible S rhythm, but not the rhythm that the
neighbouring R peaks inside a generated context window show. This is the
simple, honest design. The window-consistent alternative (each generated
window given the RR vector of its nearest real window of its class, the
``-nnRR`` arms of ``benchmarks/interpatient.py``) did not classify DS2's S
beats better (diffusion: S average precision 0.364 ± 0.063 vs 0.358 ± 0.047,
5 seeds, ``benchmarks/results/interpatient.md``), so a joint model is not
here.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from sklearn.base import clone
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ecgaug.datasets._rr import RR_LOG_FLOOR

__all__ = ["WithTabular"]


class WithTabular(BaseOverSampler):
    """Oversample beats and their tabular columns (e.g. RR features), per class.

    Parameters
    ----------
    generator : estimator
        A generative sampler (``fit(X, y)``, ``sample(n, y=labels,
        random_state=...)``), e.g. :class:`CGANSampler`; cloned and fitted on
        the waveform columns.
    n_tabular : int, default=8
        Tabular columns at the end of each row of ``X`` (8 RR features of
        ``load_mitbih(rr_features="append")``).
    n_components : int, default=3
        Gaussian components per class of the model of the log tabular columns
        (fewer for a class with fewer beats).
    log : bool, default=True
        Model ``log(max(x, 1e-3))`` (RR intervals and their ratios are
        positive and skewed) and exponentiate the draws; ``False`` models the
        values as they are.
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn: how many beats ``fit_resample`` adds per class.
    random_state : int, RandomState instance or None, default=None
        Seeds the generator's clone (when it has ``random_state``), the mixture
        fits and the draws.

    Attributes
    ----------
    generator_ : estimator
        The generative sampler fitted on the waveform columns.
    tabular_models_ : dict
        ``{class: GaussianMixture}`` fitted on the (log) tabular columns.
    classes_ : ndarray
        Class labels seen in ``fit``.
    n_features_in_ : int
        Waveform plus tabular columns.
    sampling_strategy_ : dict
        Beats to add per class.

    See Also
    --------
    ecgaug.classifiers.ResNetClassifier : ``module__n_tabular`` reads the same
        layout.

    Examples
    --------
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.generators import CGANSampler, WithTabular
    >>> import numpy as np
    >>> s = load_sample()
    >>> X = np.hstack([s.data, s.rr])  # waveform, then 8 RR features
    >>> sampler = WithTabular(
    ...     CGANSampler(preset="cpu", n_epochs=1), n_tabular=8, random_state=0
    ... )
    >>> X_new, y_new = sampler.fit(X, s.target).sample(4, y=1)  # doctest: +SKIP
    >>> X_new.shape  # doctest: +SKIP
    (4, 195)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "generator": [HasMethods(["fit", "sample"])],
        "n_tabular": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "log": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        generator,
        *,
        n_tabular: int = 8,
        n_components: int = 3,
        log: bool = True,
        sampling_strategy="auto",
        random_state=None,
    ) -> None:
        super().__init__(sampling_strategy=sampling_strategy)
        self.generator = generator
        self.n_tabular = n_tabular
        self.n_components = n_components
        self.log = log
        self.random_state = random_state

    # ------------------------------------------------------------- fit
    def fit(self, X, y):
        """Fit the generator on the waveforms and the mixtures on the tabular columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_waveform + n_tabular)
            Waveform columns, then the ``n_tabular`` tabular columns.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : WithTabular
        """
        self._validate_params()
        X, y = self._check(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y, self._sampling_type
        )
        self._train(X, y)
        return self

    def _check_X_y(self, X, y, accept_sparse=None):
        # fit_resample's validation: dense only (beats are signals), as the
        # wrapped samplers; imbalanced-learn's default would let sparse X in.
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y = self._check(X, y)
        return X, y, binarize_y

    def _fit_resample(self, X, y):
        self._train(X, y)
        labels = np.concatenate(
            [
                np.full(int(n), c, dtype=y.dtype)
                for c, n in self.sampling_strategy_.items()
            ]
            + [np.empty(0, dtype=y.dtype)]
        )
        if len(labels) == 0:
            return X.copy(), np.asarray(y).copy()
        X_new, y_new = self.sample(len(labels), y=labels)
        return np.vstack([X, X_new.astype(X.dtype)]), np.concatenate([y, y_new])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    def _check(self, X, y):
        # float64 first: a list becomes float64, as in the wrapped samplers
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=True)
        if X.shape[1] <= self.n_tabular:
            raise ValueError(
                f"X has {X.shape[1]} feature(s) but n_tabular={self.n_tabular}: there "
                "must be waveform columns before the tabular ones."
            )
        return X, y

    def _train(self, X, y) -> None:
        rng = check_random_state(self.random_state)
        k = self.n_tabular
        gen = clone(self.generator)
        if (
            "random_state" in gen.get_params(deep=False)
            and self.random_state is not None
        ):
            gen.set_params(random_state=int(rng.randint(2**31 - 1)))
        self.generator_ = gen.fit(X[:, :-k], y)
        self.classes_ = np.unique(y)
        self.dtype_ = X.dtype
        tab = self._forward(X[:, -k:].astype(np.float64))
        self.tabular_models_ = {}
        for c in self.classes_:
            rows = tab[y == c]
            gmm = GaussianMixture(
                n_components=min(self.n_components, len(rows)),
                covariance_type="full",
                reg_covar=1e-4,
                random_state=int(rng.randint(2**31 - 1)),
            )
            self.tabular_models_[c] = gmm.fit(rows)

    def _forward(self, tab: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(tab, RR_LOG_FLOOR)) if self.log else tab

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        return np.exp(z) if self.log else z

    # ---------------------------------------------------------- sample
    def sample(self, n_samples: int, y=None, *, random_state=None):
        """Generate ``n_samples`` beats with their tabular columns.

        Parameters
        ----------
        n_samples : int
            Number of beats.
        y : label, array-like of shape (n_samples,) or None, default=None
            One label for all, one per beat, or None for the generator's choice.
        random_state : int, RandomState instance or None, default=None
            Seed of this draw (``None``: the sampler's ``random_state``).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            Generated waveforms, then the drawn tabular columns.
        y : ndarray of shape (n_samples,)
            Their labels.
        """
        check_is_fitted(self, "tabular_models_")
        seed = self.random_state if random_state is None else random_state
        rng = check_random_state(seed)
        wave_seed = int(rng.randint(2**31 - 1))
        X_wave, labels = self.generator_.sample(n_samples, y=y, random_state=wave_seed)
        labels = np.asarray(labels)
        tab = np.empty((len(labels), self.n_tabular), dtype=np.float64)
        for c in np.unique(labels):
            rows = np.flatnonzero(labels == c)
            tab[rows] = self._draw(self.tabular_models_[c], len(rows), rng)
        X = np.hstack([X_wave, self._inverse(tab)]).astype(self.dtype_, copy=False)
        return X, labels

    @staticmethod
    def _draw(gmm: GaussianMixture, n: int, rng) -> np.ndarray:
        """``n`` draws of a fitted mixture from ``rng`` (not the mixture's own)."""
        comp = rng.choice(len(gmm.weights_), size=n, p=gmm.weights_)
        out = np.empty((n, gmm.means_.shape[1]))
        for j in np.unique(comp):
            rows = np.flatnonzero(comp == j)
            out[rows] = rng.multivariate_normal(
                gmm.means_[j], gmm.covariances_[j], size=len(rows)
            )
        return out
