"""The scikit-learn / imbalanced-learn face shared by every ecgaug generator.

A concrete generator (:class:`~ecgaug.generators.CGANSampler`, ...) writes only
its networks and its training step; this module owns input validation,
``sampling_strategy``, label encoding, scaling, the epoch loop with its progress
bar and callbacks, divergence detection, batched sampling, ``save``/``load`` and
determinism.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
import zipfile
from collections.abc import Iterator
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from ecgaug import _accel, _judge
from ecgaug._accel import accelerated
from ecgaug._class_mix import ClassLossMeter, class_power, epoch_batches
from ecgaug._persist import (
    InvalidFileError,
    check_payload,
    content_digest,
    import_class,
)
from ecgaug._threads import limit_threads
from ecgaug._utils import (
    atomic_path,
    check_finite,
    resolve_device,
    rng_scope,
    torch_generator,
)

__all__ = ["BaseGenerativeSampler", "TrainingDivergedError", "accelerated"]

_FORMAT = "ecgaug.sampler/2"  # /2: with a SHA-256 of the content


class TrainingDivergedError(RuntimeError):
    """A generator's loss became NaN or infinite during training."""


class BaseGenerativeSampler(BaseOverSampler):
    """Base class of the class-conditional generative samplers.

    Warning: this class should not be used directly; use a derived sampler.

    A subclass declares ``_presets`` (``{"cpu": {...}, "paper": {...}}``: every
    architecture and optimisation setting, each also a constructor parameter
    whose default ``None`` means "take it from the preset"), ``_module_names``
    (the fitted ``torch.nn.Module`` attributes that ``save`` keeps) and
    implements three hooks:

    - ``_build(config, n_timesteps, n_classes)``: create the networks and
      optimisers (attributes ending in ``_``) on ``self.device_``, passing each
      network through :func:`ecgaug._utils.init_parameters_` so that its
      initial weights come from the fit's generator;
    - ``_train_step(x, y)``: one optimisation step on a batch ``x`` of shape
      ``(B, n_leads, T)`` scaled to ``[-1, 1]`` and encoded labels ``y`` of shape
      ``(B,)``, drawing all its randomness from
      :func:`ecgaug._utils.active_generator` (on ``self.device_``) and calling
      ``self._backward(loss, *networks)`` for its backward passes; returns a
      dict of float losses, and may add under
      ``"per_sample"`` a pair ``(codes, values)`` of ``(B,)`` tensors (each
      beat's class and loss) from which ``history_`` gets ``loss_by_class``;
    - ``_generate(y, generator)``: a batch of beats ``(B, n_leads, T)`` in
      ``[-1, 1]`` for encoded labels ``y``, drawing all noise from the CPU
      ``torch.Generator`` ``generator``.
    """

    _presets: ClassVar[dict[str, dict[str, Any]]] = {}
    _module_names: ClassVar[tuple[str, ...]] = ()
    _min_samples_per_class: ClassVar[int] = 2
    #: Settings (keys of ``config_``) that a ``warm_start`` fit may change;
    #: changing any other one needs a new fit.
    _warm_start_settings: ClassVar[frozenset[str]] = frozenset(
        {"n_epochs", "batch_size", "sample_batch_size"}
    )
    _sampling_type = "over-sampling"

    _parameter_constraints: ClassVar[dict] = {
        **BaseOverSampler._parameter_constraints,
        "preset": [StrOptions({"cpu", "paper"})],
        "n_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_leads": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, None],
        "batch_class_power": [
            Interval(Real, 0, 1, closed="both"),
            StrOptions({"balanced", "proportional"}),
        ],
        "filter_threshold": [Interval(Real, 0, 1, closed="neither"), None],
        "judge": [StrOptions({"auto"}), HasMethods(["predict_proba"]), None],
        "filter_max_tries": [Interval(Integral, 1, None, closed="left")],
    }

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the class-conditional generative model on all classes of ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_leads * n_timesteps)
            Beats, lead-major when ``n_leads > 1``. float32 stays float32.
        y : array-like of shape (n_samples,)
            Class labels (any type).

        Returns
        -------
        self : object
            The fitted sampler.
        """
        X, y, _ = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y, self._sampling_type
        )
        self._train(X, y)
        return self

    def fit_resample(self, X, y, **params):
        """Train on ``(X, y)`` and append generated beats as ``sampling_strategy`` asks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_leads * n_timesteps)
            Beats.
        y : array-like of shape (n_samples,)
            Class labels, all of one type.

        Returns
        -------
        X_resampled : ndarray of shape (n_samples_new, n_features_in_)
            ``X`` followed by the generated beats.
        y_resampled : ndarray of shape (n_samples_new,)
            Their labels.
        """
        _check_one_label_type(y)  # before imbalanced-learn's own target checks
        return super().fit_resample(X, y, **params)

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
            return X.copy(), y.copy()
        X_new, y_new = self.sample(len(labels), y=labels)
        return np.vstack([X, X_new]), np.concatenate([y, y_new])

    def _check_X_y(self, X, y, accept_sparse=None):
        _check_one_label_type(y)
        check_classification_targets(y)
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y = validate_data(
            self,
            X=X,
            y=y,
            reset=not self._continues_training(),
            dtype=(np.float64, np.float32),
            ensure_min_samples=2,
        )
        check_finite(X)
        n_features = X.shape[1]
        if n_features % self.n_leads:
            raise ValueError(
                f"X has {n_features} features, which is not a multiple of "
                f"n_leads={self.n_leads}; X must be (n_samples, n_leads * n_timesteps)."
            )
        return X, y, binarize_y

    def _continues_training(self) -> bool:
        return bool(self.warm_start) and hasattr(self, "classes_")

    def _check_class_sizes(self, y: np.ndarray) -> None:
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); a class-conditional "
                "generator needs at least two classes."
            )
        small = {
            _plain(c): int(k)
            for c, k in zip(classes, counts)
            if k < self._min_samples_per_class
        }
        if small:
            raise ValueError(
                f"Class(es) {small} have fewer than "
                f"{self._min_samples_per_class} beats, "
                f"the least {type(self).__name__} needs to learn a class; drop them "
                "or collect more beats."
            )

    def _resolve_config(self) -> dict[str, Any]:
        """Merge the preset with the parameters the user set explicitly."""
        preset = self._presets[self.preset]
        return {
            k: (v if getattr(self, k, None) is None else getattr(self, k))
            for k, v in preset.items()
        }

    # ---------------------------------------------------------------- train
    def _train(self, X: np.ndarray, y: np.ndarray) -> None:
        self._check_class_sizes(y)
        continuing = self._continues_training()
        if continuing:
            y_enc = self._encode(y)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features but this sampler was fitted on "
                    f"{self.n_features_in_}; warm_start needs the same beat length."
                )
            self._warm_start_update(X)
        else:
            self._init_fitted_state(X, y)
            y_enc = self._encode(y)
        config = self.config_
        accelerator = _accel.active_accelerator()
        if accelerator is not None:  # accelerate decides the device
            self.device_ = torch.device(accelerator.device)
        device = self.device_
        rng = check_random_state(self.random_state)
        # Every draw of the fit comes from its own generators, never from
        # torch's global one, which all threads share: the initial weights
        # from a CPU generator, the training noise and dropout masks from one
        # on the device (the hooks read it with active_generator()), the batch
        # order from ``rng``.
        init_gen = torch_generator(rng)
        train_gen = torch_generator(rng, device)
        if accelerator is not None and accelerator.num_processes > 1:
            # same initial weights and batches everywhere; each process's
            # share of a batch gets noise of its own
            train_gen.manual_seed(train_gen.initial_seed() + accelerator.process_index)
        x_all = torch.from_numpy(self._scale(X)).to(device)
        y_all = torch.from_numpy(y_enc).to(device)
        n, batch_size = len(X), min(int(config["batch_size"]), len(X))
        steps = max(1, n // batch_size)  # whatever the class mix
        power = class_power(self.batch_class_power)
        with rng_scope(train_gen), limit_threads():
            if not continuing:
                with rng_scope(init_gen), _global_rng_kept():
                    self._build(config, self.n_timesteps_, len(self.classes_))
                self.history_ = []
            self._fit_judge(x_all, y_all, init_gen)
            self._set_train_mode(True)
            callbacks = list(self.callbacks or ())
            for cb in callbacks:
                cb.on_train_begin(self)
            bar = tqdm(
                range(int(config["n_epochs"])),
                desc=type(self).__name__,
                disable=not self.verbose,
                unit="epoch",
            )
            start = time.perf_counter()
            for _ in bar:
                batches = epoch_batches(
                    y_enc, len(self.classes_), power, batch_size, steps, rng
                )
                batches = torch.from_numpy(batches).to(device)  # (steps, B)
                sums: dict[str, float] = {}
                by_class = ClassLossMeter(len(self.classes_))
                for step in range(steps):
                    idx = batches[step]
                    idx = _accel.shard(idx, accelerator)  # this process's share
                    losses = self._train_step(x_all[idx], y_all[idx])
                    per_sample = losses.pop("per_sample", None)
                    self._check_losses(losses, len(self.history_), step)
                    for k, v in losses.items():
                        sums[k] = sums.get(k, 0.0) + float(v)
                    if per_sample is not None:
                        by_class.add(*per_sample)
                logs = {k: v / steps for k, v in sums.items()}
                if by_class.counts.any():
                    logs["loss_by_class"] = by_class.means(self.classes_)
                logs |= self._epoch_diagnostics(x_all, y_all)
                logs["epoch"] = len(self.history_) + 1
                logs["time"] = time.perf_counter() - start
                self.history_.append(logs)
                bar.set_postfix(
                    {
                        k: f"{v:.3g}"
                        for k, v in logs.items()
                        if k not in ("epoch", "time") and not isinstance(v, dict)
                    }
                )
                for cb in callbacks:
                    cb.on_epoch_end(self, logs)
            self._set_train_mode(False)
            for cb in callbacks:
                cb.on_train_end(self)
        self.n_epochs_ = len(self.history_)
        self._after_train()

    def _warm_start_update(self, X: np.ndarray) -> None:
        """Take the settings changed since the last fit, or refuse them.

        ``n_epochs`` is the number of epochs of this fit call (as
        ``max_iter`` of scikit-learn's warm-started estimators); the settings
        in ``_warm_start_settings`` (learning rates, ...) apply from now on;
        the beats keep the first fit's scaling (``data_range_``), so ``X``
        must lie inside it, and the networks' shapes cannot change.
        """
        fitted = self.n_features_in_ // self.n_timesteps_
        if self.n_leads != fitted:
            raise ValueError(
                f"warm_start cannot change n_leads (fitted with n_leads={fitted}, "
                f"now {self.n_leads}); set warm_start=False to refit."
            )
        if resolve_device(self.device) != self.device_:
            raise ValueError(
                f"warm_start cannot change device (fitted on {self.device_}, "
                f"now {self.device!r}); set warm_start=False to refit."
            )
        lo, hi = self.data_range_
        x_lo, x_hi = float(X.min()), float(X.max())
        tol = 1e-6 * (hi - lo)
        if x_lo < lo - tol or x_hi > hi + tol:
            raise ValueError(
                f"X spans [{x_lo:.6g}, {x_hi:.6g}], outside the range "
                f"data_range_=({lo:.6g}, {hi:.6g}) that this sampler scales beats "
                "with since its first fit; warm_start keeps that scaling, and "
                "samples could not reach the new values. Clip X to data_range_, "
                "or set warm_start=False to refit."
            )
        config = self._resolve_config()
        frozen = {
            k: (self.config_.get(k), v)
            for k, v in config.items()
            if k not in self._warm_start_settings and self.config_.get(k) != v
        }
        if frozen:
            changes = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in frozen.items())
            raise ValueError(
                f"warm_start cannot change {changes} (they shape the networks or "
                "the noise process); set them back, or set warm_start=False to "
                "refit."
            )
        self.config_ = config
        self.dtype_ = X.dtype  # samples come out in the latest fit's dtype
        self._apply_settings(config)

    def _apply_settings(self, config: dict[str, Any]) -> None:
        """Push changed ``_warm_start_settings`` into optimisers and networks.

        ``n_epochs``, ``batch_size`` and ``sample_batch_size`` are read from
        ``config_`` where they are used; a subclass overrides this for the
        settings held elsewhere (the optimisers' learning rates).
        """

    def _init_fitted_state(self, X: np.ndarray, y: np.ndarray) -> None:
        self.classes_, counts = np.unique(y, return_counts=True)
        self.class_counts_ = counts.astype(np.int64)
        self.n_timesteps_ = X.shape[1] // self.n_leads
        lo, hi = float(X.min()), float(X.max())
        if hi - lo < 1e-12:
            raise ValueError(
                "X is constant; there is nothing for a generator to learn."
            )
        self.data_range_ = (lo, hi)
        self.dtype_ = X.dtype
        self.config_ = self._resolve_config()
        self.device_ = resolve_device(self.device)

    def _check_losses(self, losses: dict[str, float], epoch: int, step: int) -> None:
        bad = {k: v for k, v in losses.items() if not math.isfinite(float(v))}
        if bad:
            raise TrainingDivergedError(
                f"{type(self).__name__} diverged at epoch {epoch + 1}, "
                f"step {step + 1}: "
                f"{bad}. Lower the learning rates, raise batch_size, or check X for "
                "extreme values."
            )

    def _epoch_diagnostics(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, Any]:
        """Entries of each epoch's ``history_`` row beyond the losses (none here)."""
        return {}

    def _after_train(self) -> None:
        """Checks of the trained networks at the end of ``fit`` (none here)."""

    def _set_train_mode(self, mode: bool) -> None:
        for name in self._module_names:
            getattr(self, name).train(mode)

    # -------------------------------------------------------------- scaling
    def _scale(self, X: np.ndarray) -> np.ndarray:
        lo, hi = self.data_range_
        x = (2.0 * (X - lo) / (hi - lo) - 1.0).astype(np.float32, copy=False)
        return x.reshape(len(X), self.n_leads, -1)

    def _unscale(self, x: torch.Tensor) -> np.ndarray:
        lo, hi = self.data_range_
        x = x.float().clamp(-1.0, 1.0).reshape(len(x), -1).cpu().numpy()
        return ((x + 1.0) * 0.5 * (hi - lo) + lo).astype(self.dtype_, copy=False)

    def _encode(self, labels) -> np.ndarray:
        labels = np.asarray(labels)
        idx = np.searchsorted(self.classes_, labels)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != labels
        if np.any(unknown):
            raise ValueError(
                f"Unknown class label(s) {sorted(set(labels[unknown].tolist()))}; "
                f"this sampler was fitted on classes {self.classes_.tolist()}."
            )
        return idx.astype(np.int64)

    def _backward(self, loss: torch.Tensor, *modules: torch.nn.Module) -> None:
        """``loss.backward()``; the training steps call this instead.

        Under :func:`accelerated` with several processes, the gradients of
        ``modules`` (the networks this loss trains) are then averaged over the
        processes, before the step clips them and steps the optimiser.
        """
        loss.backward()
        _accel.average_gradients(_accel.active_accelerator(), *modules)

    def _autocast(self):
        accelerated = _accel.autocast(_accel.active_accelerator())
        if accelerated is not None:
            return accelerated
        if self.device_.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # ------------------------------------------------------------- sampling
    def _sample_labels(
        self, n_samples: int, y, rng: np.random.RandomState
    ) -> np.ndarray:
        if y is None:
            prior = self.class_counts_ / self.class_counts_.sum()
            return self.classes_[
                rng.choice(len(self.classes_), size=n_samples, p=prior)
            ]
        y = _as_labels(y)
        self._check_label_types(y)
        if y.ndim == 0:  # keep y's own dtype: 'NX' must not become 'N'
            y = np.full(n_samples, y.item(), dtype=y.dtype)
        if y.shape != (n_samples,):
            raise ValueError(
                f"y must be one label or an array of n_samples labels "
                f"(n_samples={n_samples}); got shape {y.shape}."
            )
        # the fitted classes themselves, in their dtype (codes are checked)
        return self.classes_[self._encode(y)]

    def _check_label_types(self, labels: np.ndarray) -> None:
        """Refuse labels of another type than the classes (no silent casting).

        ``2.5``, ``True`` or ``"2"`` are not the class ``2``; an integer is
        accepted for float classes (``1`` is ``1.0``).
        """
        if labels.size == 0:  # no label, nothing to check
            return
        have, fitted = _label_kinds(labels), _label_kinds(self.classes_)
        allowed = fitted | ({"int"} if "float" in fitted else set())
        wrong = sorted(have - allowed)
        if wrong:
            values = labels.ravel().tolist()
            bad = next((v for v in values if _value_kind(v) in wrong), values[0])
            raise ValueError(
                f"y holds {'/'.join(wrong)} label(s) such as {bad!r}, but this "
                f"sampler was fitted on {'/'.join(sorted(fitted))} classes "
                f"{self.classes_.tolist()}; pass labels of the fitted type."
            )

    def _check_n_samples(self, n_samples) -> int:
        if (
            not isinstance(n_samples, Integral)
            or isinstance(n_samples, bool | np.bool_)
            or n_samples < 0
        ):
            raise ValueError(
                f"n_samples must be a non-negative integer, got {n_samples!r}."
            )
        return int(n_samples)

    def _sample_batch(self, batch_size) -> int:
        """The beats per forward pass: ``batch_size``, else ``sample_batch_size``
        as set now, else the preset's."""
        if batch_size is None:
            batch_size = getattr(self, "sample_batch_size", None)
            name = "sample_batch_size"
        else:
            name = "batch_size"
        if batch_size is None:
            return int(self.config_.get("sample_batch_size", 1024))
        if (
            not isinstance(batch_size, Integral)
            or isinstance(batch_size, bool | np.bool_)
            or batch_size < 1
        ):
            raise ValueError(
                f"{name} must be a positive integer (beats per forward pass), "
                f"got {batch_size!r}; pass None for the preset's value."
            )
        return int(batch_size)

    def iter_sample(
        self,
        n_samples: int,
        y=None,
        *,
        batch_size: int | None = None,
        random_state=None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Draw beats batch by batch, holding only one batch in memory.

        Parameters and randomness are those of :meth:`sample`, which this
        generator underlies: concatenating its batches gives ``sample``'s output.

        Yields
        ------
        X_batch : ndarray of shape (n_batch, n_features_in_)
        y_batch : ndarray of shape (n_batch,)
        """
        check_is_fitted(self, "classes_")
        n_samples = self._check_n_samples(n_samples)
        batch = self._sample_batch(batch_size)
        rs = self.random_state if random_state is None else random_state
        rng = check_random_state(rs)
        labels = self._sample_labels(n_samples, y, rng)
        codes = self._encode(labels)
        gen = torch_generator(rng)
        self._set_train_mode(False)
        draw = self._batched_draw(gen, batch)
        stats, score = self._filter_start()
        with torch.inference_mode(), self._autocast(), limit_threads():
            for start in range(0, len(codes), batch):
                cb = codes[start : start + batch]
                if stats is None:
                    xb = draw(cb)
                else:
                    xb = self._filtered_batch(cb, draw, score, stats)
                yield self._unscale(xb), labels[start : start + batch]
        if stats is not None:
            self._warn_low_acceptance(stats)

    def _batched_draw(self, gen: torch.Generator, batch: int):
        """``draw(codes) -> (len(codes), L, T)``, ``batch`` beats per pass."""

        def draw(codes: np.ndarray) -> torch.Tensor:
            parts = [
                self._generate(
                    torch.from_numpy(codes[i : i + batch]).to(self.device_), gen
                )
                for i in range(0, len(codes), batch)
            ]
            return parts[0] if len(parts) == 1 else torch.cat(parts)

        return draw

    # -------------------------------------------------- filtered sampling
    def _filter_start(self) -> tuple[_judge.FilterStats | None, Any]:
        """Validate the filter settings as set now: ``(stats, score)``.

        Both are ``None`` when the filter is off.
        """
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in _FILTER_PARAMS},
            {k: getattr(self, k) for k in _FILTER_PARAMS},
            caller_name=type(self).__name__,
        )
        if self.filter_threshold is None:
            return None, None
        score = self._judge_scorer()
        self.acceptance_rate_ = {}
        return _judge.FilterStats(len(self.classes_)), score

    def _judge_scorer(self):
        """``score(beats, codes)``: the judge's probability of each requested class."""
        judge = self.judge
        if _is_auto(judge):
            if getattr(self, "judge_", None) is None:
                raise ValueError(
                    f"filter_threshold={self.filter_threshold} needs a judge, but "
                    "none was trained: the automatic judge is trained in fit when "
                    "filter_threshold is set. Refit with filter_threshold set, or "
                    "pass a fitted classifier as judge."
                )
            model = self.judge_

            def score(x: torch.Tensor, codes: np.ndarray) -> np.ndarray:
                proba = _judge.judge_probabilities(model, x)  # (B, K)
                rows = torch.arange(len(codes), device=proba.device)
                cols = torch.from_numpy(codes).to(proba.device)
                return proba[rows, cols].cpu().numpy()

            return score
        columns = _judge.check_user_judge(judge, self.classes_)

        def score(x: torch.Tensor, codes: np.ndarray) -> np.ndarray:
            proba = np.asarray(judge.predict_proba(self._unscale(x)))
            return proba[np.arange(len(codes)), columns[codes]]

        return score

    def _filtered_batch(
        self, codes: np.ndarray, draw, score, stats: _judge.FilterStats
    ) -> torch.Tensor:
        x = _judge.filtered_draw(
            codes,
            draw,
            score,
            float(self.filter_threshold),
            int(self.filter_max_tries),
            stats,
        )
        self.acceptance_rate_ = {
            _plain(c): float(r)
            for c, r, g in zip(self.classes_, stats.rates(), stats.generated)
            if g > 0
        }
        return x

    def _warn_low_acceptance(self, stats: _judge.FilterStats) -> None:
        for code in np.flatnonzero(stats.filled):
            warnings.warn(
                f"filter_threshold={self.filter_threshold}: the judge accepted "
                f"{stats.accepted[code]} of the {stats.generated[code]} beats "
                f"generated for class {_plain(self.classes_[code])!r} "
                f"({stats.rates()[code]:.1%}); {stats.filled[code]} beat(s) of it "
                "are the most class-like rejected ones after "
                f"filter_max_tries={self.filter_max_tries} candidates each. Lower "
                "filter_threshold, raise filter_max_tries or train the sampler "
                "longer.",
                UserWarning,
                stacklevel=3,
            )

    def _fit_judge(
        self, x_all: torch.Tensor, y_all: torch.Tensor, generator: torch.Generator
    ) -> None:
        """Train the automatic judge on fit's beats when filtering asks for one."""
        if self.filter_threshold is None or not _is_auto(self.judge):
            if not self._continues_training():
                self.__dict__.pop("judge_", None)
            return
        if self._continues_training() and getattr(self, "judge_", None) is not None:
            return
        self.judge_ = _judge.fit_beat_judge(x_all, y_all, len(self.classes_), generator)

    def sample(
        self,
        n_samples: int,
        y=None,
        *,
        batch_size: int | None = None,
        random_state=None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Generate ``n_samples`` beats of the requested classes.

        Parameters
        ----------
        n_samples : int
            Number of beats.
        y : label, array-like of shape (n_samples,) or None, default=None
            One class label for all beats, one label per beat, or ``None`` to
            draw labels with the class proportions seen in ``fit``. Labels
            must be of the fitted classes' type: ``2.5``, ``True`` or ``"2"``
            is not the class ``2`` (a ``ValueError`` says so).
        batch_size : int >= 1, default=None
            Beats generated per forward pass; ``None`` takes the sampler's
            ``sample_batch_size`` as set now (the preset's when that is None).
            Memory is bounded by the batch, plus the returned array.
        random_state : int, RandomState instance or None, default=None
            Seed of this draw; ``None`` uses the sampler's ``random_state``, so
            that an integer ``random_state`` gives the same beats on every call
            (as :meth:`sklearn.mixture.GaussianMixture.sample`). Pass another
            seed for an independent draw.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            Generated beats, in the dtype and value range of the training data.
        y : ndarray of shape (n_samples,)
            Their class labels.
        """
        check_is_fitted(self, "classes_")
        n_samples = self._check_n_samples(n_samples)
        self._sample_batch(batch_size)  # before allocating X
        X = np.empty((n_samples, self.n_features_in_), dtype=self.dtype_)
        ys = []
        start = 0
        for xb, yb in self.iter_sample(
            n_samples, y, batch_size=batch_size, random_state=random_state
        ):
            X[start : start + len(xb)] = xb
            ys.append(yb)
            start += len(xb)
        labels = np.concatenate(ys) if ys else np.empty(0, dtype=self.classes_.dtype)
        return X, labels

    # ------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted sampler (configuration and weights) to ``path``, atomically.

        The file is read back with :meth:`load`, which uses
        ``torch.load(weights_only=True)``: it holds only tensors and plain
        Python values, and a SHA-256 of them that :meth:`load` checks.
        Callbacks and ``RandomState`` instances are not saved (a warning says
        which); a callable ``sampling_strategy`` is saved as the dict of class
        sizes it asked for on the training data (with a warning).
        """
        check_is_fitted(self, "classes_")
        payload = {
            "format": _FORMAT,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "params": self._plain_params(),
            "fitted": {
                "classes": self.classes_.tolist(),
                "class_counts": self.class_counts_.tolist(),
                "n_features_in": int(self.n_features_in_),
                "n_timesteps": int(self.n_timesteps_),
                "data_range": list(self.data_range_),
                "dtype": np.dtype(self.dtype_).name,
                "config": {k: _plain_value(v) for k, v in self.config_.items()},
                "sampling_strategy": {
                    _plain(k): int(v) for k, v in self.sampling_strategy_.items()
                },
                "history": [dict(h) for h in getattr(self, "history_", [])],
            },
            "modules": {
                name: getattr(self, name).state_dict() for name in self._module_names
            },
            "judge": _judge_payload(getattr(self, "judge_", None)),
        }
        payload["sha256"] = content_digest(payload)
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)

    @classmethod
    def load(cls, path, *, device: str | None = None):
        """Load a sampler written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The file.
        device : str, default=None
            Where to put the networks; ``None`` keeps the saved ``device``
            parameter (``"auto"`` by default).

        Returns
        -------
        sampler : BaseGenerativeSampler
            A fitted sampler that draws the same beats as the one saved.

        Raises
        ------
        ValueError
            When the file is not one that :meth:`save` wrote, or its content
            does not match its checksum (damaged or edited).
        TypeError
            When the file holds another sampler class than ``cls``.
        """
        payload = _read_payload(path)
        check_payload(payload, path, _FORMAT)
        klass = import_class(payload["class"], path, BaseGenerativeSampler)
        if not issubclass(klass, cls):
            raise TypeError(f"{path} holds a {klass.__name__}, not a {cls.__name__}.")
        params = dict(payload["params"])
        unknown = sorted(set(params) - set(klass().get_params(deep=False)))
        if unknown:
            raise InvalidFileError(
                path, f"{klass.__name__} has no parameter(s) {unknown}."
            )
        if device is not None:
            params["device"] = device
        est = klass(**params)
        est.device_ = resolve_device(est.device)
        try:
            est._restore(payload)
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as exc:
            raise InvalidFileError(
                path,
                f"its content does not fit a {klass.__name__} "
                f"({type(exc).__name__}: {exc}).",
            ) from exc
        est._set_train_mode(False)
        return est

    def _restore(self, payload: dict) -> None:
        """Set the fitted state and weights of :meth:`load` from ``payload``."""
        est, klass = self, type(self)
        fitted = payload["fitted"]
        est.classes_ = np.asarray(fitted["classes"])
        est.class_counts_ = np.asarray(fitted["class_counts"], dtype=np.int64)
        est.n_features_in_ = fitted["n_features_in"]
        est.n_timesteps_ = fitted["n_timesteps"]
        est.data_range_ = tuple(fitted["data_range"])
        est.dtype_ = np.dtype(fitted["dtype"])
        est.config_ = fitted["config"]
        est.sampling_strategy_ = dict(fitted["sampling_strategy"])
        est.history_ = list(fitted["history"])
        est.n_epochs_ = len(est.history_)
        _check_fitted_state(est)
        with rng_scope(torch.Generator()), _global_rng_kept():  # weights loaded below
            est._build(est.config_, est.n_timesteps_, len(est.classes_))
        for name in klass._module_names:
            getattr(est, name).load_state_dict(payload["modules"][name])
        if payload.get("judge") is not None:
            est.judge_ = _judge_from_payload(payload["judge"], est.device_)

    def _plain_params(self) -> dict[str, Any]:
        params, dropped = {}, []
        for k, v in self.get_params(deep=False).items():
            if k == "sampling_strategy" and callable(v):
                params[k] = self._strategy_as_dict()
            elif v is None or isinstance(v, bool | int | float | str):
                params[k] = v
            elif isinstance(v, dict) and all(
                isinstance(_plain(x), int | str) for x in v
            ):
                params[k] = {_plain(a): _plain(b) for a, b in v.items()}
            elif isinstance(v, torch.device):
                params[k] = str(v)
            else:
                params[k] = None
                dropped.append(k)
        if dropped:
            warnings.warn(
                f"save() does not keep {dropped} (not plain values); "
                "they load as None.",
                UserWarning,
                stacklevel=3,
            )
        return params

    def _strategy_as_dict(self) -> dict:
        """A callable ``sampling_strategy`` as the class sizes it asked for."""
        counts = dict(zip(self.classes_.tolist(), self.class_counts_.tolist()))
        sizes = {
            _plain(c): counts[_plain(c)] + int(n)
            for c, n in self.sampling_strategy_.items()
        }
        warnings.warn(
            f"save() cannot keep the callable sampling_strategy; the saved "
            f"sampler gets the class sizes it asked for on the training data, "
            f"{sizes}. set_params(sampling_strategy=...) after load to use a "
            "callable again.",
            UserWarning,
            stacklevel=4,
        )
        return sizes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------- hooks
    def _build(self, config: dict[str, Any], n_timesteps: int, n_classes: int) -> None:
        raise NotImplementedError

    def _train_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        raise NotImplementedError

    def _generate(self, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError


def _global_rng_kept():
    """Restore torch's global CPU generator after building networks.

    Layer constructors draw their default weights from it; those draws are
    replaced (:func:`ecgaug._utils.init_parameters_`), and the caller's global
    random stream stays as it was.
    """
    return torch.random.fork_rng(devices=[])


def _check_fitted_state(est: BaseGenerativeSampler) -> None:
    """Raise ``ValueError`` when a loaded fitted state contradicts itself."""
    n_classes = len(est.classes_)
    if (
        est.classes_.ndim != 1
        or n_classes < 2
        or est.class_counts_.shape != (n_classes,)
    ):
        raise ValueError("classes and class_counts do not match")
    if est.n_timesteps_ * est.n_leads != est.n_features_in_:
        raise ValueError(
            f"n_timesteps={est.n_timesteps_} x n_leads={est.n_leads} is not "
            f"n_features_in={est.n_features_in_}"
        )
    lo, hi = (float(v) for v in est.data_range_)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"data_range {est.data_range_} is not a finite interval")
    if est.dtype_.kind != "f":
        raise ValueError(f"dtype {est.dtype_} is not a float type")


def _check_one_label_type(y) -> None:
    """Refuse ``y`` mixing label types (``[0, "S", ...]``) with a clear error."""
    kinds = _label_kinds(_as_labels(y))
    if len(kinds) > 1 and kinds != {"int", "float"}:
        raise ValueError(
            f"y mixes label types ({', '.join(sorted(kinds))}); class labels must "
            "all be of one type: convert them, e.g. y = y.astype(str)."
        )


def _as_labels(y) -> np.ndarray:
    """``y`` as an array, a list's items kept as they are (numpy would turn
    ``[0, "S"]`` into the strings ``["0", "S"]``)."""
    if isinstance(y, list | tuple):
        labels = np.empty(len(y), dtype=object)
        labels[:] = y
        kinds = _label_kinds(labels)
        return labels if len(kinds) > 1 else np.asarray(y)
    return np.asarray(y)


def _label_kinds(labels: np.ndarray) -> set[str]:
    """The kinds of the labels: ``{"int"}``, ``{"str"}``, ``{"int", "str"}``..."""
    kind = labels.dtype.kind
    if kind != "O":
        return {_DTYPE_KINDS.get(kind, labels.dtype.name)}
    return {_value_kind(v) for v in labels.ravel().tolist()}


_DTYPE_KINDS = {
    "b": "bool",
    "i": "int",
    "u": "int",
    "f": "float",
    "U": "str",
    "S": "bytes",
}


def _value_kind(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "bool"
    if isinstance(v, Integral):
        return "int"
    if isinstance(v, Real):
        return "float"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def _plain(v):
    """numpy scalars → Python scalars, for files read with ``weights_only=True``."""
    return v.item() if isinstance(v, np.generic) else v


def _plain_value(v):
    """A setting with numpy scalars (also as dict keys) made plain Python."""
    if isinstance(v, dict):
        return {_plain(a): _plain(b) for a, b in v.items()}
    return copy.deepcopy(_plain(v))


_FILTER_PARAMS = ("filter_threshold", "judge", "filter_max_tries")


def _is_auto(judge) -> bool:
    """Whether ``judge`` asks for the judge trained in ``fit``."""
    return judge is None or (isinstance(judge, str) and judge == "auto")


def _judge_payload(judge) -> dict | None:
    """The automatic judge as plain values and tensors, for :meth:`save`."""
    if judge is None:
        return None
    return {
        "n_features": judge.n_features,
        "n_classes": judge.n_classes,
        "hidden": judge.hidden,
        "state": judge.state_dict(),
    }


def _judge_from_payload(payload: dict, device: torch.device) -> _judge.BeatJudge:
    judge = _judge.BeatJudge(
        payload["n_features"], payload["n_classes"], payload["hidden"]
    )
    judge.load_state_dict(payload["state"])
    return judge.to(device).eval()


def _read_payload(path):
    """The object in a file written by ``torch.save``, read without running code."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No sampler file at {path}.")
    if not zipfile.is_zipfile(path):
        raise InvalidFileError(
            path, "it is not a torch archive written by save() (truncated or foreign)."
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # damaged archive, or objects weights_only refuses
        raise InvalidFileError(path, f"torch.load cannot read it ({exc}).") from exc
