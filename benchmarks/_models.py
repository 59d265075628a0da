"""The models of the benchmark scripts: the classifier, the generators, parallel fits.

- :func:`make_classifier`: the :class:`~ecgaug.classifiers.ResNetClassifier`
  of every script, per budget (:data:`CLASSIFIER`), optionally with a fixed
  number of batches per epoch (:class:`FixedStepsLoader`) and the epoch of
  best validation macro-F1 kept.
- :func:`fit_generator` / :func:`fit_generators`: a generator of
  :mod:`ecgaug.generators` with the budget's preset and overrides
  (:data:`GENERATOR_BUDGETS`), fitted on at most ``max_per_class`` beats of
  each class, or loaded from the cache.
- :class:`GeneratorOversampler`: an imblearn ``Pipeline`` step around a
  (cached) generator.
- :func:`run_parallel`: independent fits in worker processes, each finished
  one kept on disk with ``--resume``.

Fitted generators are cached (``--cache-dir``, by default
``$ECGAUG_CACHE/benchmarks`` or ``~/.cache/ecgaug/benchmarks``, outside the
repository), keyed by the sampler's class and parameters (its preset, the
budget's overrides and its seed, ``random_state``), a digest of the beats it is
fitted on and a digest of ecgaug's generator source code (``ecgaug/base.py``,
``ecgaug/_*.py`` and ``ecgaug/generators/``), so that an edited generator is
refitted: the scripts that need the same generator on the same beats
(``table1_protocols``, ``table2_finetune``, ``oversampling`` and
``quality_report`` on the intra-patient training split; ``table4_cross_task``
and ``oversampling`` on the DS1 training records) fit it once
(``run_standard.py`` fits them all first). The fit time reported is the one
measured when it was fitted; the results say which generators came from the
cache. ``--no-cache`` refits.
Cache files are read with ``torch.load(weights_only=True)``
(:meth:`ecgaug.base.BaseGenerativeSampler.load`).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from _common import fingerprint
from sklearn.base import BaseEstimator
from skorch.callbacks import Callback
from torch.utils.data import DataLoader, RandomSampler

from ecgaug.callbacks import Callback as SamplerCallback

#: The paper's three generators, in the order of the tables.
GENERATORS = ("CGANSampler", "TTSCGANSampler", "DiffusionSampler")
#: Generators with extra parameters. A budget's ``variants`` adds some of them
#: to its tables' methods; :func:`make_generator` makes any of them at any
#: budget (``filter_throughput.py`` measures the filtered one at every budget).
VARIANTS = {
    # judge-filtered sampling (issue 14)
    "DiffusionSampler+filter": {
        "base": "DiffusionSampler",
        "params": {"filter_threshold": 0.5},
    },
}
#: The seed of every generator fit of a budget whose generators are not
#: ``seeded`` (smoke, quick, full), so that the scripts share fitted generators.
GENERATOR_SEED = 0


# --------------------------------------------------------------------------- #
# the classifier                                                              #
# --------------------------------------------------------------------------- #
#: The classifier of every script, per budget: the paper's 1-block network on a
#: CPU, Kachuee's 5-block network for the full budget.
CLASSIFIER: dict[str, dict[str, Any]] = {
    "smoke": {"n_blocks": 1, "n_filters": 8, "batch_size": 128, "epochs": 1},
    "quick": {"n_blocks": 1, "n_filters": 32, "batch_size": 256, "epochs": 3},
    # Kachuee's network, long enough for no resampling to reach the anchor
    # (intra macro-F1 >= 0.90): results/classifier_trtr.md has it at 0.925
    # after 8 OneCycle epochs (batch 128, kept epoch 7), issue 8's anchor
    # (0.907) used 12 epochs-worth of steps; classifier_trtr --budget standard
    # measures this very length (12 epochs, batch 128) first in run_standard.
    "standard": {"n_blocks": 5, "n_filters": 32, "batch_size": 128, "epochs": 12},
    "full": {"n_blocks": 5, "n_filters": 32, "batch_size": 128, "epochs": 30},
}
MAX_LR = 3e-3  # OneCycle peak learning rate (as benchmarks/classifier_trtr.py)


class FixedStepsLoader(DataLoader):
    """A skorch ``iterator_train``: every epoch is ``steps`` random batches.

    Epochs then cost the same whatever the size of the (resampled) training
    set, so that oversamplers that triple the data get no more training than
    no resampling. Batches are drawn without replacement, cycling through the
    data in fresh permutations (a ``torch.utils.data.RandomSampler`` drawing
    from the loader's ``generator``: the one :class:`ResNetClassifier` seeds
    from its ``random_state`` in ``fit`` and hands to ``DataLoader`` classes,
    so that a fit gives the same result in any process). Set it as
    ``iterator_train=FixedStepsLoader, iterator_train__steps=steps``.
    """

    def __init__(
        self, dataset, steps: int, batch_size: int = 128, generator=None, **kw
    ) -> None:
        kw.pop("shuffle", None)  # the sampler shuffles
        sampler = RandomSampler(
            dataset, num_samples=int(steps) * int(batch_size), generator=generator
        )
        super().__init__(
            dataset, batch_size=batch_size, sampler=sampler, generator=generator, **kw
        )


class TimeBudget(Callback):
    """A skorch callback that ends training once ``seconds`` have passed.

    Checked after every training batch (skorch's ``fit`` ends quietly on the
    ``KeyboardInterrupt`` it raises, as ``EarlyStopping`` does); ``steps_``
    counts the batches trained. For comparisons at matched wall time.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_train_begin(self, net, **kwargs) -> None:
        self.steps_ = 0
        self.start_ = time.perf_counter()

    def on_batch_end(self, net, batch=None, training=None, **kwargs) -> None:
        if not training:
            return
        self.steps_ += 1
        if time.perf_counter() - self.start_ >= self.seconds:
            raise KeyboardInterrupt


def _valid_f1(net, X, y) -> float:
    """Macro-F1 on the validation set (labels as skorch sees them: encoded)."""
    import numpy as np
    from sklearn.metrics import f1_score

    pred = net.predict_proba(X).argmax(axis=1)
    return float(
        f1_score(
            np.asarray(y),
            pred,
            labels=np.arange(len(net.classes_)),
            average="macro",
            zero_division=0,
        )
    )


def make_classifier(
    budget: str,
    *,
    seed: int,
    device: str = "auto",
    steps_per_epoch: int | None = None,
    epochs: int | None = None,
    valid: tuple | None = None,
    classes: Sequence | None = None,
    one_cycle: bool = True,
    extra_callbacks: Sequence[tuple] = (),
):
    """The benchmarks' :class:`~ecgaug.classifiers.ResNetClassifier`.

    Parameters
    ----------
    budget : str
        Picks the network and epochs of :data:`CLASSIFIER`.
    seed : int
        ``random_state``.
    device : str
        Where to train.
    steps_per_epoch : int or None
        Fixed batches per epoch (:class:`FixedStepsLoader`); ``None``: plain
        epochs over the training set.
    epochs : int or None
        Overrides the budget's epochs.
    valid : (X_val, y_val) or None
        Validation beats: the epoch with the best macro-F1 on them is kept
        (``None``: no validation, the last epoch is kept).
    classes : sequence or None
        All labels (so that a training set lacking one still predicts it).
    one_cycle : bool
        OneCycle learning-rate schedule over the fixed steps (needs
        ``steps_per_epoch``); else Adam's constant 1e-3.
    extra_callbacks : sequence of (name, callback)
        Added after the others (e.g. :class:`TimeBudget`).
    """
    import numpy as np
    import torch
    from skorch.callbacks import EarlyStopping, EpochScoring, LRScheduler
    from skorch.dataset import Dataset
    from skorch.helper import predefined_split

    from ecgaug.classifiers import ResNetClassifier

    cfg = CLASSIFIER[budget]
    epochs = int(epochs or cfg["epochs"])
    callbacks = []
    params: dict[str, Any] = {}
    if steps_per_epoch is not None:
        params["iterator_train"] = FixedStepsLoader
        params["iterator_train__steps"] = int(steps_per_epoch)
        if one_cycle:
            callbacks.append(
                (
                    "one_cycle",
                    LRScheduler(
                        policy=torch.optim.lr_scheduler.OneCycleLR,
                        max_lr=MAX_LR,
                        total_steps=epochs * int(steps_per_epoch),
                        step_every="batch",
                    ),
                )
            )
    elif one_cycle:
        raise ValueError("one_cycle needs steps_per_epoch (the total steps).")
    train_split = None
    if valid is not None:
        X_val, y_val = valid
        labels = np.asarray(classes if classes is not None else np.unique(y_val))
        y_enc = np.searchsorted(labels, np.asarray(y_val)).astype(np.int64)
        train_split = predefined_split(Dataset(np.asarray(X_val, np.float32), y_enc))
        callbacks += [
            (
                "valid_f1",
                EpochScoring(_valid_f1, lower_is_better=False, name="valid_f1"),
            ),
            (
                "best_f1",
                EarlyStopping(
                    monitor="valid_f1",
                    lower_is_better=False,
                    patience=epochs + 1,  # never stops early; restores the best
                    load_best=True,
                    sink=lambda *a: None,
                ),
            ),
        ]
    callbacks += list(extra_callbacks)
    return ResNetClassifier(
        module__n_blocks=cfg["n_blocks"],
        module__n_filters=cfg["n_filters"],
        max_epochs=epochs,
        batch_size=cfg["batch_size"],
        lr=MAX_LR if one_cycle else 1e-3,
        train_split=train_split,
        callbacks=callbacks or None,
        classes=None if classes is None else list(classes),
        device=device,
        random_state=seed,
        verbose=0,
        **params,
    )


def classifier_settings(budget: str) -> dict[str, Any]:
    """What :func:`make_classifier` builds, for the results header."""
    cfg = CLASSIFIER[budget]
    return {
        "network": f"ResNet1D, {cfg['n_blocks']} residual block(s) of "
        f"{cfg['n_filters']} filters (kernel 5), 2 dense layers of 32",
        "optimizer": "Adam",
        **cfg,
    }


# --------------------------------------------------------------------------- #
# generators                                                                  #
# --------------------------------------------------------------------------- #
#: Per budget: the preset, the cap on training beats per class, and
#: per-generator overrides of the preset (only parameters the sampler has).
GENERATOR_BUDGETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "preset": "cpu",
        "max_per_class": 120,
        "overrides": {
            "CGANSampler": {"n_epochs": 1, "g_width": 8, "d_width": 8},
            "TTSCGANSampler": {
                "n_epochs": 1,
                "g_depth": 1,
                "d_depth": 1,
                "g_embed_dim": 16,
                "d_embed_dim": 16,
                "g_heads": 2,
                "d_heads": 2,
            },
            "DiffusionSampler": {"n_epochs": 1, "residual_channels": 8, "n_layers": 2},
        },
    },
    "quick": {
        "preset": "cpu",
        "max_per_class": 10_000,
        "overrides": {
            "CGANSampler": {"n_epochs": 6},
            "TTSCGANSampler": {"n_epochs": 5},
            "DiffusionSampler": {"n_epochs": 6},
        },
    },
    # Epochs cut so that three seeds and their pipelines fit a working
    # session (the machine and its cache do not outlive one): 100 DiffWave
    # epochs took ~2.5 CPU-hours per fit (f63466b); 30 took 2,350 s per fit
    # with the three seeds at once on the 2 cores, one thread each (bf5e688).
    # CGAN and TTS-CGAN are cut by the same factor (not measured at this
    # size), on 35,085 beats (20,000 N and every S, V, F, Q beat).
    # Seeded: the generator of seed s has random_state s.
    "standard": {
        "preset": "cpu",
        "max_per_class": 20_000,
        "seeded": True,
        "overrides": {
            "CGANSampler": {"n_epochs": 64},
            "TTSCGANSampler": {"n_epochs": 72},
            "DiffusionSampler": {"n_epochs": 30},
        },
        # Further methods: a generator with extra parameters (applied only
        # when the sampler has them in this build; else listed as missing).
        "variants": {"DiffusionSampler+filter": VARIANTS["DiffusionSampler+filter"]},
    },
    "full": {"preset": "paper", "max_per_class": None, "overrides": {}},
}


def generator_seed(budget: str, seed: int) -> int:
    """The generator's ``random_state`` for a run's ``seed``.

    Budgets marked ``seeded`` vary the generator with the classifier's seed,
    so that the spread over seeds includes the generator's training; the
    others fit every generator once with :data:`GENERATOR_SEED`.
    """
    return int(seed) if GENERATOR_BUDGETS[budget].get("seeded") else GENERATOR_SEED


def _variants(budget: str | None) -> dict[str, dict]:
    return {} if budget is None else GENERATOR_BUDGETS[budget].get("variants", {})


def _variant(budget: str, name: str) -> dict:
    """The base class and extra parameters of the generator ``name``."""
    found = _variants(budget).get(name) or VARIANTS.get(name)
    return found or {"base": name, "params": {}}


def generator_classes(
    budget: str | None = None,
) -> tuple[dict[str, type], dict[str, str]]:
    """The generators ecgaug exports, and why any of :data:`GENERATORS` is absent.

    With a ``budget``, also its ``variants`` (a generator with extra
    parameters, e.g. judge-filtered sampling) whose parameters the sampler
    has in this build, mapped to the sampler's class.
    """
    try:
        import ecgaug.generators as gen
    except ImportError as exc:  # pragma: no cover - a broken install
        return {}, dict.fromkeys(GENERATORS, f"ecgaug.generators: {exc}")
    exported = list(getattr(gen, "__all__", []))
    names = [n for n in GENERATORS if n in exported]
    names += [n for n in exported if n not in GENERATORS and n.endswith("Sampler")]
    found = {n: getattr(gen, n) for n in names}
    missing = {
        n: "not exported by ecgaug.generators in this build"
        for n in GENERATORS
        if n not in found
    }
    for name, variant in _variants(budget).items():
        cls = found.get(variant["base"])
        lacking = (
            [variant["base"]]
            if cls is None
            else [k for k in variant["params"] if k not in cls().get_params()]
        )
        if lacking:
            missing[name] = f"{variant['base']} has no {lacking} in this build"
        else:
            found[name] = cls
    return found, missing


def make_generator(
    name: str, budget: str, *, device: str = "auto", seed: int = GENERATOR_SEED
):
    """A generator with the budget's preset, overrides and seed (not fitted)."""
    found, missing = generator_classes(budget)
    base = _variant(budget, name)["base"]
    # a variant of VARIANTS that this budget does not list is made all the same
    cls = found.get(name) or (found.get(base) if name in VARIANTS else None)
    if cls is None:
        raise ValueError(f"{name}: {missing.get(name, 'unknown generator')}")
    spec = GENERATOR_BUDGETS[budget]
    sampler = cls(preset=spec["preset"], random_state=int(seed), device=device)
    return sampler.set_params(**_overrides(budget, name, sampler))


def _overrides(budget: str, name: str, sampler) -> dict[str, Any]:
    """The budget's overrides and the variant's parameters that ``sampler`` has."""
    variant = _variant(budget, name)
    known = sampler.get_params(deep=False)
    wanted = GENERATOR_BUDGETS[budget]["overrides"].get(variant["base"], {})
    return {k: v for k, v in (wanted | variant["params"]).items() if k in known}


def generator_settings(budget: str, names: Iterable[str]) -> dict[str, Any]:
    """The preset, cap, overrides and seeds of each generator, for the header."""
    spec = GENERATOR_BUDGETS[budget]
    return {
        name: {
            "class": _variant(budget, name)["base"],
            "preset": spec["preset"],
            "overrides": _overrides(budget, name, make_generator(name, budget)),
            "max_training_beats_per_class": spec["max_per_class"],
            "random_state": "the run's seed" if spec.get("seeded") else GENERATOR_SEED,
        }
        for name in names
    }


def minority_targets(y, target: int | None, min_beats: int = 6) -> dict[int, int]:
    """Beats wanted per class: each minority class with enough beats raised.

    A class with fewer than ``min_beats`` beats (SMOTE's ``k_neighbors=5``
    needs 6) or as many as the largest is left alone; the others are raised
    to ``target`` (never above the largest class), or to the largest class
    when ``target`` is None.
    """
    import numpy as np

    counts = np.bincount(y)
    top = int(counts.max())
    want = {}
    for c, n in enumerate(counts):
        if n < min_beats or n >= top:
            continue
        goal = top if target is None else min(top, max(int(n), target))
        if goal > n:
            want[c] = goal
    return want


def cap_per_class(X, y, cap: int | None, seed: int = GENERATOR_SEED):
    """At most ``cap`` beats of each class, drawn without replacement (sorted)."""
    import numpy as np

    if cap is None:
        return X, y
    rng = np.random.RandomState(seed)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        keep.append(idx if len(idx) <= cap else rng.choice(idx, cap, replace=False))
    keep = np.sort(np.concatenate(keep))
    return X[keep], y[keep]


def generator_training_set(X, y, budget: str):
    """The beats a generator of ``budget`` is fitted on: every one of them.

    :func:`cap_per_class` with the budget's ``max_per_class`` (the same draw
    for every generator and seed). ``quality_report`` searches all of them for
    memorisation.
    """
    return cap_per_class(X, y, GENERATOR_BUDGETS[budget]["max_per_class"])


def source_digest() -> str:
    """A digest of the code a fitted generator depends on."""
    import ecgaug

    root = Path(ecgaug.__file__).parent
    # the base class, the generators and the private modules they build on
    # (class mix, judge, utilities): an edit to any of them refits
    files = sorted(
        [root / "base.py", *root.glob("_*.py"), *(root / "generators").rglob("*.py")]
    )
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


#: A GAN that ends its fit failed (a class of its last ``spread_by_class``
#: below ``COLLAPSE_RATIO``, collapsed, or above ``NOISE_RATIO``, noise) is
#: fitted again with ``random_state`` raised by :data:`RETRY_SEED_STEP`, at
#: most this many times. The step is far from the budgets' seeds (0-4), so a
#: retry never reuses another seed's generator.
RETRIES = 2
RETRY_SEED_STEP = 1000


def failed_classes(info: dict) -> dict[str, float]:
    """The classes of a fit's ``spread_by_class`` that collapsed or are noise."""
    from ecgaug.generators._gan import spread_failures

    return spread_failures(info.get("spread_by_class") or {})


def fit_generator(
    name: str,
    X,
    y,
    *,
    budget: str,
    device: str = "auto",
    cache_dir: Path | None = None,
    verbose: int = 0,
    seed: int = GENERATOR_SEED,
):
    """Fit (or load from the cache) a generator on ``(X, y)``; refit a failure.

    The beats are first capped at the budget's ``max_per_class`` (the same
    draw for every ``seed``). A GAN that ends failed on some class (its
    own ``ConvergenceWarning``: collapsed or noise; see
    :func:`failed_classes`) is fitted again with ``seed + RETRY_SEED_STEP``,
    and so on, at most :data:`RETRIES` times: the rule is decided by the
    training beats alone, never by a test score, and every failed try is
    recorded.

    Returns
    -------
    sampler : BaseGenerativeSampler
        Fitted: the first try that did not fail, else the last try.
    info : dict
        See :func:`_fit_or_load`, plus ``requested_seed`` (the seed asked
        for; ``seed`` is the one fitted) and ``failed_tries`` (``seed``,
        ``spread_by_class`` and ``fit_time_s`` of each failed try).
    """
    tries = []
    for attempt in range(RETRIES + 1):
        sampler, info = _fit_or_load(
            name,
            X,
            y,
            budget=budget,
            device=device,
            cache_dir=cache_dir,
            verbose=verbose,
            seed=seed + attempt * RETRY_SEED_STEP,
        )
        failed = failed_classes(info)
        if not failed or attempt == RETRIES:
            break
        tries.append(
            {k: info[k] for k in ("seed", "spread_by_class", "fit_time_s", "cached")}
        )
    if failed:
        warnings.warn(
            f"{name}: still failed after {RETRIES} refits "
            f"(seed {info['seed']}: {failed}); using it anyway"
        )
    return sampler, info | {"requested_seed": int(seed), "failed_tries": tries}


def refit_note(info: dict) -> str:
    """``"refit: seed 0 failed (3 0.00)"`` after failed tries, else ``""``."""
    return "; ".join(
        f"refit: seed {t['seed']} failed ("
        + ", ".join(f"{c} {r:.2f}" for c, r in failed_classes(t).items())
        + ")"
        for t in info.get("failed_tries", ())
    )


def _fit_or_load(
    name: str,
    X,
    y,
    *,
    budget: str,
    device: str,
    cache_dir: Path | None,
    verbose: int,
    seed: int,
):
    """Fit (or load from the cache) one generator on ``(X, y)``, one seed.

    The cache file is written atomically (sampler first, then the metadata
    that marks it complete), so that a run stopped mid-write or two runs
    fitting the same generator never leave a partial file that a later run
    would load.

    Returns
    -------
    sampler : BaseGenerativeSampler
        Fitted.
    info : dict
        ``name``, ``n_fit`` (beats per class it saw), ``fit_time_s`` (measured
        when it was fitted), ``epochs``, ``cached`` (loaded from the cache),
        ``cache_file``, ``class`` (the sampler's class), ``seed``, and a GAN's
        last ``spread_by_class``.
    """
    import numpy as np
    import torch

    sampler = make_generator(name, budget, device=device, seed=seed)
    X_fit, y_fit = generator_training_set(X, y, budget)
    classes, counts = np.unique(y_fit, return_counts=True)
    params = {
        k: (v if isinstance(v, str | int | float | bool | type(None)) else repr(v))
        for k, v in sorted(sampler.get_params(deep=False).items())
        if k not in ("verbose", "device")
    }
    device_type = "cuda" if device != "cpu" and torch.cuda.is_available() else "cpu"
    key_src = json.dumps(
        {
            "class": f"{type(sampler).__module__}.{type(sampler).__qualname__}",
            "params": params,
            "data": fingerprint(X_fit, y_fit),
            "code": source_digest(),
            "torch": torch.__version__,
            "device": device_type,
            "accelerate": _accelerate_key(),
        },
        sort_keys=True,
    )
    key = hashlib.sha256(key_src.encode()).hexdigest()[:20]
    info: dict[str, Any] = {
        "name": name,
        "class": type(sampler).__name__,
        "seed": int(seed),
        "n_fit": {str(c): int(k) for c, k in zip(classes, counts)},
        "cached": False,
        "cache_file": None,
    }
    path = meta_path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{name}-{key}.pt"
        meta_path = path.with_suffix(".json")
        info["cache_file"] = str(path)
        if path.is_file() and meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text())
                fitted = type(sampler).load(path, device=device)
            except (ValueError, OSError, KeyError, RuntimeError) as exc:
                warnings.warn(f"ignoring the unreadable cache file {path}: {exc}")
            else:
                fitted.set_params(verbose=verbose)
                info |= {
                    "cached": True,
                    "fit_time_s": meta["fit_time_s"],
                    "epochs": meta.get("epochs"),
                    "fitted_at": meta.get("fitted_at"),
                    **_spread(fitted),
                }
                return fitted, info
    sampler.set_params(verbose=verbose)
    partial = None if path is None else path.parent / "partial" / path.name
    sampler, fit_time, resumed_at = _fit_in_parts(sampler, X_fit, y_fit, partial)
    info |= {
        "fit_time_s": round(fit_time, 2),
        "epochs": int(sampler.n_epochs_),
        **_spread(sampler),
    }
    if resumed_at:
        info["resumed_at_epoch"] = resumed_at
    if path is not None and _is_main_process():
        from ecgaug._utils import atomic_path

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # callbacks=None not kept
            sampler.save(path)
        meta = {
            "fit_time_s": info["fit_time_s"],
            "epochs": info["epochs"],
            "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "key": json.loads(key_src),
        }
        with atomic_path(meta_path) as tmp:
            tmp.write_text(json.dumps(meta, indent=1))
        partial.unlink(missing_ok=True)
        partial.with_suffix(".json").unlink(missing_ok=True)
    return sampler, info


#: A fit into the cache saves its sampler every this many epochs (``partial/``
#: beside the cache file), so that a stopped run goes on from there.
PARTIAL_EVERY = 5


def _fit_in_parts(sampler, X, y, partial: Path | None):
    """Fit ``sampler``, saving it every :data:`PARTIAL_EVERY` epochs to ``partial``.

    When ``partial`` holds a sampler saved by an earlier, stopped fit of the
    same generator (the same cache key), it is loaded and trained for the
    epochs left (``warm_start``): the weights, the optimiser and the history
    go on from there, while the batch order and noise draws of the rest start
    again from the seed, so a resumed fit is an equally long fit of the same
    model, not the bit-identical one. Returns ``(sampler, fit_time_s,
    resumed_at_epoch)``: the fit time adds up the parts, ``resumed_at_epoch``
    is 0 for a fit in one go.
    """
    if partial is None or _accelerate_key() is not None:  # every process alike
        start = time.perf_counter()
        return sampler.fit(X, y), time.perf_counter() - start, 0
    total = int(sampler._resolve_config()["n_epochs"])
    fitted, done, before = sampler, 0, 0.0
    if partial.is_file():
        try:
            loaded = type(sampler).load(partial, device=sampler.device)
            before = json.loads(partial.with_suffix(".json").read_text())["fit_time_s"]
        except (ValueError, OSError, KeyError, RuntimeError) as exc:
            warnings.warn(f"fitting from scratch: unreadable {partial}: {exc}")
        else:
            fitted, done = loaded, int(loaded.n_epochs_)
            fitted.set_params(warm_start=True, verbose=sampler.verbose)
    if done >= total:
        return fitted.set_params(warm_start=False), before, done
    fitted.set_params(n_epochs=total - done, callbacks=[_PartialSave(partial, before)])
    start = time.perf_counter()
    fitted.fit(X, y)
    fitted.set_params(callbacks=None, warm_start=False, n_epochs=total)
    return fitted, before + time.perf_counter() - start, done


class _PartialSave(SamplerCallback):
    """Save the sampler and its fit time so far every :data:`PARTIAL_EVERY` epochs.

    Nothing at the end of training: the finished sampler goes to the cache.
    """

    def __init__(self, path: Path, before: float) -> None:
        self.path, self.before = path, before

    def on_epoch_end(self, sampler, logs: dict[str, Any]) -> None:
        from ecgaug._utils import atomic_path

        if logs["epoch"] % PARTIAL_EVERY:
            return
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="save\\(\\) does not keep")
            sampler.save(self.path)
        fit_time = self.before + logs["time"]
        with atomic_path(self.path.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps({"fit_time_s": fit_time, "epoch": logs["epoch"]}))


def _spread(sampler) -> dict:
    """A GAN's last ``spread_by_class`` (mode collapse) for ``info``, else ``{}``."""
    history = getattr(sampler, "history_", None) or [{}]
    spread = history[-1].get("spread_by_class")
    return (
        {}
        if spread is None
        else {"spread_by_class": {str(k): v for k, v in spread.items()}}
    )


def _accelerate_key() -> list | None:
    """Processes and precision of an active ``--accelerate`` (they change the fit)."""
    from ecgaug._accel import active_accelerator

    accelerator = active_accelerator()
    if accelerator is None:
        return None
    return [int(accelerator.num_processes), str(accelerator.mixed_precision)]


def _is_main_process() -> bool:
    """False in the other processes of an ``accelerate launch`` (``--accelerate``)."""
    from ecgaug._accel import active_accelerator

    accelerator = active_accelerator()
    return accelerator is None or bool(accelerator.is_main_process)


def fit_generators(
    names: Sequence[str],
    X,
    y,
    *,
    args: argparse.Namespace,
    seed: int = GENERATOR_SEED,
) -> dict[str, dict]:
    """Fit (or load) several generators on the same beats, ``args.jobs`` at a time.

    ``seed`` is the generators' ``random_state`` (see :func:`generator_seed`).
    Returns ``{name: info}`` (see :func:`fit_generator`); the fitted samplers
    are in the cache, or, without a cache, under ``info["sampler"]``.
    """
    grid = fit_generator_grid(names, [seed], X, y, args=args)
    return {name: grid[name, seed] for name in names}


def fit_generator_grid(
    names: Sequence[str],
    seeds: Sequence[int],
    X,
    y,
    *,
    args: argparse.Namespace,
) -> dict[tuple[str, int], dict]:
    """:func:`fit_generators` for every seed of ``seeds``, all ``args.jobs`` at a time.

    Returns ``{(name, seed): info}``.
    """
    pairs = [(name, seed) for seed in seeds for name in names]
    jobs = [
        (name, X, y, args.budget, args.device, args.cache_dir, args.threads, seed)
        for name, seed in pairs
    ]
    return dict(zip(pairs, run_parallel(_fit_generator_job, jobs, n_jobs=args.jobs)))


def _fit_generator_job(name, X, y, budget, device, cache_dir, threads, seed):
    set_threads(threads)
    sampler, info = fit_generator(
        name, X, y, budget=budget, device=device, cache_dir=cache_dir, seed=seed
    )
    if cache_dir is None:
        info["sampler"] = sampler
    return info


def loadable_info(info: dict) -> dict:
    """The part of an ``info`` that :func:`load_fitted` reads.

    It is the same whether the generator was just fitted or read from the
    cache, so a job given it keeps its key (``--resume``).
    """
    return {k: info[k] for k in ("name", "class", "cache_file", "sampler") if k in info}


def load_fitted(info: dict, *, device: str = "auto"):
    """The fitted sampler of an ``info`` of :func:`fit_generators`."""
    if "sampler" in info:
        return info["sampler"]
    found, _ = generator_classes()
    return found[info.get("class", info["name"])].load(
        info["cache_file"], device=device
    )


def public_info(info: dict) -> dict:
    """``info`` without the sampler object, for JSON."""
    return {k: v for k, v in info.items() if k != "sampler"}


class GeneratorOversampler(BaseEstimator):
    """An imblearn ``Pipeline`` step that oversamples with an ecgaug generator.

    ``fit_resample(X, y)`` does what the generator's own ``fit_resample`` does
    (fit the class-conditional model on ``(X, y)``, then append as many
    generated beats per class as ``sampling_strategy`` asks, with imblearn's
    semantics), but takes the fitted generator from the cache when the same
    generator was already fitted on the same beats, and draws with
    ``random_state``, so that seeds vary the draw.

    Parameters
    ----------
    name : str
        A generator of :func:`generator_classes`.
    budget, device, cache_dir
        As for :func:`fit_generator`.
    sampling_strategy : str, float, dict or callable
        imblearn's ``sampling_strategy``.
    random_state : int or None
        Seed of the draw.
    generator_seed : int
        ``random_state`` of the generator's fit (:func:`generator_seed`).
    """

    _estimator_type = "sampler"

    def __init__(
        self,
        name: str,
        *,
        budget: str = "quick",
        device: str = "auto",
        cache_dir: Path | None = None,
        sampling_strategy="auto",
        random_state: int | None = None,
        generator_seed: int = GENERATOR_SEED,
    ) -> None:
        self.name = name
        self.budget = budget
        self.device = device
        self.cache_dir = cache_dir
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.generator_seed = generator_seed

    def fit(self, X, y) -> GeneratorOversampler:
        """Fit the generator only (``fit_resample`` is what a Pipeline calls)."""
        self.fit_resample(X, y)
        return self

    def fit_resample(self, X, y):
        """The real beats plus the generated ones.

        Returns
        -------
        X_res : ndarray of shape (n_samples + n_new, n_features)
        y_res : ndarray of shape (n_samples + n_new,)
        """
        import numpy as np
        from imblearn.utils import check_sampling_strategy

        X = np.asarray(X)
        y = np.asarray(y)
        sampler, info = fit_generator(
            self.name,
            X,
            y,
            budget=self.budget,
            device=self.device,
            cache_dir=self.cache_dir,
            seed=self.generator_seed,
        )
        strategy = check_sampling_strategy(self.sampling_strategy, y, "over-sampling")
        labels = np.concatenate(
            [np.full(int(n), c, dtype=y.dtype) for c, n in strategy.items() if n > 0]
            + [np.empty(0, dtype=y.dtype)]
        )
        start = time.perf_counter()
        X_new, y_new = sampler.sample(
            len(labels), y=labels, random_state=self.random_state
        )
        info["sample_time_s"] = round(time.perf_counter() - start, 2)
        info["n_generated"] = int(len(labels))
        self.fit_info_ = info
        return np.vstack([X, X_new.astype(X.dtype)]), np.concatenate([y, y_new])


# --------------------------------------------------------------------------- #
# parallel fits                                                               #
# --------------------------------------------------------------------------- #
def set_threads(threads: int | None) -> None:
    """torch's CPU threads in this (worker) process."""
    import torch

    if threads:
        torch.set_num_threads(int(threads))


def run_parallel(
    func: Callable, jobs: Sequence[tuple], *, n_jobs: int, store: Path | None = None
) -> list:
    """``[func(*job) for job in jobs]`` through :class:`joblib.Parallel`, in order.

    joblib's default backend runs ``n_jobs`` fresh worker processes (loky); they
    inherit the environment, the malloc variables included. ``n_jobs=1`` runs
    in this process. No backend is named here, so that a script run inside
    ``with joblib.parallel_config(backend="dask"):`` sends its fits to a Dask
    cluster (``n_jobs`` then counts nothing: Dask runs as many at once as its
    workers have threads).

    With a ``store`` folder (``--resume``), each job's result is written there
    as JSON, atomically, as soon as the job finishes, under a name made of a
    digest of ``func``, the job's arguments and the code (:func:`job_key`);
    a job whose file is already there is not run again: its stored result is
    returned, a dict marked with ``"resumed_from"`` (the file and when it
    finished). A run stopped after hours thus loses only its unfinished jobs.
    Results go through JSON in both cases, so a resumed run reads exactly
    what a fresh one does.
    """
    from joblib import Parallel, delayed

    paths = [None if store is None else job_path(store, func, job) for job in jobs]
    results: list[Any] = [_resumed(p) for p in paths]
    todo = [i for i, r in enumerate(results) if r is None]
    if store is not None:
        print(f"== {len(jobs) - len(todo)} of {len(jobs)} job(s) resumed from {store}")
    done = Parallel(n_jobs=max(1, min(n_jobs, len(todo))))(
        delayed(_stored_job)(func, jobs[i], paths[i]) for i in todo
    )
    for i, result in zip(todo, done):
        results[i] = result
    return results


def job_key(func: Callable, job: tuple) -> str:
    """A digest of ``func``'s name, the job's arguments and the code they run.

    Arrays are digested by their bytes, an ``argparse.Namespace`` by its
    options (but those of :data:`_RESULT_FREE_OPTIONS`), and the
    code is every ``.py`` file of ``ecgaug/``, ``benchmarks/_common.py``,
    ``benchmarks/_models.py`` and the file that defines ``func``: an edit to
    any of them runs the job again.
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{func.__module__}.{func.__qualname__}".encode())
    h.update(_code_digest(func).encode())
    h.update(_describe(job).encode())
    return h.hexdigest()


def job_path(store: Path, func: Callable, job: tuple) -> Path:
    """The file of one job's stored result (see :func:`run_parallel`)."""
    return Path(store) / f"{func.__name__}-{job_key(func, job)}.json"


#: Options that change no job's result: where results go, how many run at
#: once, and those that only choose which jobs run (each job carries its seed).
_RESULT_FREE_OPTIONS = (
    "out",
    "jobs",
    "resume",
    "job_store",
    "seeds",
    "methods",
    "settings",
    "generators",
    "allow_uncommitted",
)


def _describe(value: Any) -> str:
    """A stable text of a job's arguments, for :func:`job_key`."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return f"array:{fingerprint(value)}"
    if isinstance(value, argparse.Namespace):
        value = {k: v for k, v in vars(value).items() if k not in _RESULT_FREE_OPTIONS}
    if isinstance(value, dict):
        items = sorted((str(k), _describe(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_describe(v) for v in value) + "]"
    if isinstance(value, Path):
        return f"path:{value}"
    if callable(value):
        return f"callable:{getattr(value, '__qualname__', repr(value))}"
    return repr(value)


@functools.cache
def _code_digest(func: Callable) -> str:
    """Every ``.py`` of ``ecgaug/``, these two helper modules and ``func``'s file.

    Read once per function and process: the code a run executes is the code it
    imported at its start, whatever happens on disk later.
    """
    import sys

    import ecgaug

    here = Path(__file__).resolve().parent
    files = sorted(Path(ecgaug.__file__).resolve().parent.rglob("*.py"))
    files += [here / "_common.py", here / "_models.py"]
    module = getattr(sys.modules.get(func.__module__), "__file__", None)
    if module is not None and Path(module).resolve() not in files:
        files.append(Path(module).resolve())
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _stored_job(func: Callable, job: tuple, path: Path | None) -> Any:
    """Run one job; with a ``path``, write its result there before returning it."""
    result = func(*job)
    if path is None:
        return result
    from _common import _json

    from ecgaug._utils import atomic_path

    try:
        text = json.dumps(
            {
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "result": result,
            },
            default=_json,
        )
    except TypeError as exc:
        raise TypeError(
            f"--resume stores each job's result as JSON, but {func.__name__} "
            f"returned {type(result).__name__} that is not: {exc}"
        ) from None
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return json.loads(text)["result"]


def _resumed(path: Path | None) -> Any:
    """A stored result of :func:`_stored_job`, or None (absent or unreadable)."""
    if path is None or not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
        result = stored["result"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        warnings.warn(f"running again the job of the unreadable {path}: {exc}")
        return None
    if isinstance(result, dict):
        finished = stored.get("finished_at")
        result["resumed_from"] = {"file": path.name, "finished_at": finished}
    return result
