"""The demo job of ``ecgaug demo``: generative oversampling vs SMOTE vs nothing.

On the real MIT-BIH beats shipped with ecgaug (:func:`ecgaug.datasets.load_sample`,
its train and test sides), :func:`run_demo`, for each of a few seeds,

1. fits a class-conditional generative sampler on the training beats and lets
   it oversample every minority class up to the majority class
   (``sampling_strategy="auto"``),
2. does the same with :class:`imblearn.over_sampling.SMOTE`,
3. trains the same small :class:`~ecgaug.classifiers.ResNetClassifier` (same
   seed, same epochs) on the real beats alone, on the SMOTE-resampled beats and
   on the generator-resampled beats,
4. scores the three on the held-out test beats (macro-F1, balanced accuracy,
   recall of each AAMI class) and times each step;

then it reports the mean and standard deviation over the seeds (the seed
varies the generator, SMOTE and the classifier together; the test beats are
the same for every method and seed), saves a figure of real vs synthetic beats
per class, the table (Markdown) and every number with its settings (JSON).

The demo's settings were chosen without the test beats: by validation inside
the sample's training beats (``benchmarks/demo_search.py``, results in
``benchmarks/results/demo_search.md``). Nothing is hard-coded: every number
printed is measured in the run, including when the generator loses. The sample
is small (about 2,000 training and 500 test beats, 30-60 test beats of each
rare class S, V, F and Q), so differences of a point or two between the
methods are within the spread over seeds; ``benchmarks/oversampling.py``
answers the question on the full database.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_N_SEEDS",
    "DEFAULT_SAMPLER",
    "DEMO_SAMPLER_PARAMS",
    "DemoResult",
    "format_demo_table",
    "format_per_seed",
    "run_demo",
]

#: The sampler ``ecgaug demo`` uses without ``--sampler``.
DEFAULT_SAMPLER = "diffusion"

#: Seeds ``ecgaug demo`` runs without ``--n-seeds``.
DEFAULT_N_SEEDS = 3

#: Settings of each sampler in the demo (on top of its ``"cpu"`` preset).
#: The diffusion settings were chosen by ``benchmarks/demo_search.py`` on a
#: validation split of the sample's training beats (never on its test beats):
#: 40 epochs with batches drawn with class weight ``count ** 0.5`` (the rare
#: classes seen about twice as often as in the data) and judge-filtered
#: sampling (a synthetic beat is kept when a small network, trained in
#: ``fit`` on the same real training beats, gives it probability >= 0.5 of
#: its class). Validation macro-F1 / balanced accuracy at 18feb6d (5 seeds,
#: ``benchmarks/results/demo_search.md``), classifier 10 epochs: diffusion +
#: filter 0.815 / 0.813, SMOTE 0.811 / 0.834, none 0.777 / 0.746. Every
#: generator arm (60 epochs, thresholds 0.3 / 0.5 / 0.7, classifier 10, 20
#: or 30 epochs) was within the seeds' spread of SMOTE with the same
#: classifier; the best (60 epochs, threshold 0.7, classifier 30 epochs:
#: 0.841 / 0.833 vs SMOTE 0.836 / 0.840) needs more than the demo's 5
#: minutes. The classifier stays at 10 epochs: with 20 (the best arm within
#: the time estimate, 0.826 / 0.837 vs SMOTE 0.832 / 0.837) the demo took
#: 329 s on 2 quiet cores, over its 5 minutes, and still trailed SMOTE on the
#: test beats (0.825 / 0.820 vs 0.833 / 0.849). The CGAN and TTS-CGAN
#: settings are those of ``tests/test_common.py::test_label_adherence``.
DEMO_SAMPLER_PARAMS: dict[str, dict[str, Any]] = {
    "cgan": {"n_epochs": 30},
    "ttscgan": {"n_epochs": 40, "batch_size": 32, "lr_g": 5e-4, "lr_d": 1e-3},
    "diffusion": {"n_epochs": 40, "batch_class_power": 0.5, "filter_threshold": 0.5},
}

#: The classifier of the demo, the same for every method: the paper's
#: one-block residual network, 10 epochs.
DEMO_CLASSIFIER_PARAMS: dict[str, Any] = {
    "module__n_blocks": 1,
    "max_epochs": 10,
    "batch_size": 64,
    "lr": 1e-3,
    "train_split": None,
}

_FAST_CLASSIFIER_EPOCHS = 1
_FAST_FRACTION = 0.2
_METRICS = ("macro_f1", "balanced_accuracy")


@dataclass
class DemoResult:
    """What :func:`run_demo` measured and wrote.

    Attributes
    ----------
    rows : list of dict
        One per method (``"none"``, ``"SMOTE"``, the sampler's name): its
        training-set size, the mean over the seeds of macro-F1, balanced
        accuracy (with their standard deviations ``*_sd``), recall per class
        and the seconds spent resampling and training the classifier, and
        ``per_seed``, the same scores of each seed.
    class_names : list of str
        Names of the classes, in label order.
    train_counts, synthetic_counts : dict
        Real training beats per class, and synthetic beats the generator added.
    sampler : str
        Name of the generative sampler's class.
    settings : dict
        Seeds, device, sampler and classifier parameters, data sizes, versions.
    figure : pathlib.Path
        PNG of real vs synthetic beats per class (the first seed's generator).
    table : pathlib.Path
        The table, in Markdown.
    json : pathlib.Path
        Everything above, in JSON.
    """

    rows: list[dict[str, Any]]
    class_names: list[str]
    train_counts: dict[str, int]
    synthetic_counts: dict[str, int]
    sampler: str
    settings: dict[str, Any]
    figure: Path
    table: Path
    json: Path = field(default=Path())


def _sampler(name: str, *, seed: int, device: str, fast: bool, verbose: int):
    from ecgaug.cli._common import resolve_sampler_class

    cls = resolve_sampler_class(name)
    key = cls.__name__[: -len("Sampler")].lower()
    params = dict(DEMO_SAMPLER_PARAMS.get(key, {}))
    if fast:
        params["n_epochs"] = 1
        params.pop("filter_threshold", None)  # an untrained judge rejects all
    return cls(
        sampling_strategy="auto",
        random_state=seed,
        device=device,
        verbose=verbose,
        **params,
    )


def _classifier(seed: int, device: str, fast: bool, verbose: int = 0, desc: str = ""):
    from ecgaug.classifiers import ResNetClassifier
    from ecgaug.classifiers._progress import EpochProgressBar

    params = dict(DEMO_CLASSIFIER_PARAMS)
    if fast:
        params["max_epochs"] = _FAST_CLASSIFIER_EPOCHS
    if verbose:  # an epoch bar, like the sampler's
        params["callbacks"] = [
            ("progress", EpochProgressBar(desc or "ResNetClassifier"))
        ]
    return ResNetClassifier(random_state=seed, device=device, **params)


def _scores(y_true, y_pred, labels) -> dict[str, Any]:
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "recall": [float(r) for r in recall],
    }


def _one_arm(
    method: str,
    seed: int,
    data: tuple,
    *,
    sampler: str,
    device: str,
    fast: bool,
    verbose: int,
    threads: int | None,
    figure: bool,
) -> dict[str, Any]:
    """One method on one seed: resample, train the classifier, score the test beats.

    Runs in a worker process when the demo runs seeds in parallel; returns
    plain data (and, for the figure, the first seed's synthetic beats).
    """
    import warnings

    import torch
    from imblearn.over_sampling import SMOTE

    if threads:
        torch.set_num_threads(threads)
    X, y, X_test, y_test, labels = data
    cpu_start = time.process_time()
    out: dict[str, Any] = {"method": method, "seed": seed}
    start = time.perf_counter()
    if method == "none":
        X_fit, y_fit = X, y
    elif method == "SMOTE":
        X_fit, y_fit = SMOTE(sampling_strategy="auto", random_state=seed).fit_resample(
            X, y
        )
    else:
        generator = _sampler(
            sampler, seed=seed, device=device, fast=fast, verbose=verbose
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            X_fit, y_fit = generator.fit_resample(X, y)
        out["warnings"] = [str(w.message) for w in caught]
        out["generator"] = {
            "name": type(generator).__name__,
            "device": str(generator.device_),
            "params": {
                k: v
                for k, v in generator.get_params().items()
                if isinstance(v, int | float | str | bool | type(None))
            },
            "config": _plain(generator.config_),
            "sampling_strategy": {
                int(k): int(v) for k, v in generator.sampling_strategy_.items()
            },
            "acceptance_rate": _plain(getattr(generator, "acceptance_rate_", None)),
        }
        if figure:  # as many synthetic beats per class as the class has real ones
            out["synthetic"] = generator.sample(len(y), y=y, random_state=seed + 1)
    out["resample_s"] = time.perf_counter() - start
    clf = _classifier(
        seed, device, fast, verbose, f"Classifier ({method}, seed {seed})"
    )
    start = time.perf_counter()
    clf.fit(X_fit, y_fit)
    out["classifier_s"] = time.perf_counter() - start
    out["n_train"] = int(len(y_fit))
    out |= _scores(y_test, clf.predict(X_test), labels)
    out["cpu_s"] = time.process_time() - cpu_start  # this process's CPU seconds
    return out


def _summarise(method: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean, SD and per-seed scores of one method."""
    row: dict[str, Any] = {"method": method, "n_train": runs[0]["n_train"]}
    for m in _METRICS:
        v = np.array([r[m] for r in runs])
        row[m] = float(v.mean())
        row[f"{m}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    row["recall"] = np.mean([r["recall"] for r in runs], axis=0).tolist()
    for k in ("resample_s", "classifier_s"):
        row[k] = float(np.mean([r[k] for r in runs]))
    row["per_seed"] = [
        {
            k: r[k]
            for k in (
                "seed",
                *_METRICS,
                "recall",
                "resample_s",
                "classifier_s",
                "cpu_s",
            )
        }
        for r in runs
    ]
    return row


def _seeds(seed: int, n_seeds: int | None, seeds: Sequence[int] | None) -> list[int]:
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct integers; got {seeds}.")
        return seeds
    n = DEFAULT_N_SEEDS if n_seeds is None else int(n_seeds)
    if n < 1:
        raise ValueError(f"n_seeds must be >= 1; got {n_seeds}.")
    return list(range(seed, seed + n))


def run_demo(
    *,
    sampler: str = DEFAULT_SAMPLER,
    out_dir: str | os.PathLike = "ecgaug_demo_output",
    seed: int = 0,
    n_seeds: int | None = None,
    seeds: Sequence[int] | None = None,
    n_jobs: int | None = None,
    device: str = "cpu",
    fast: bool = False,
    verbose: int = 1,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Compare no resampling, SMOTE and a generative sampler on the bundled sample.

    Parameters
    ----------
    sampler : str, default=DEFAULT_SAMPLER
        Generative sampler, by command-line name (``"ttscgan"``, ``"cgan"``,
        ``"diffusion"``) or class name.
    out_dir : str or path-like, default="ecgaug_demo_output"
        Folder for ``real_vs_synthetic.png``, ``results.md`` and
        ``results.json`` (created; files are replaced atomically).
    seed : int, default=0
        First seed: the demo runs seeds ``seed, seed + 1, ...``. A seed sets
        the sampler, SMOTE and the classifiers of its run.
    n_seeds : int, default=None
        How many seeds (``None``: :data:`DEFAULT_N_SEEDS`).
    seeds : sequence of int, default=None
        The seeds themselves, instead of ``seed`` and ``n_seeds``.
    n_jobs : int, default=None
        Worker processes for the (method, seed) runs, each with one torch
        thread (``None``: as many as CPUs, at most the number of runs; ``1``:
        one after the other in this process, with progress bars).
    device : str, default="cpu"
        Where the networks train (``"auto"``, ``"cpu"``, ``"cuda"``).
    fast : bool, default=False
        A fifth of the training beats, one generator epoch, no judge filter
        and one classifier epoch: a check that everything runs (seconds), not a
        result.
    verbose : int, default=1
        Progress bars (epochs) of the generator's and the classifiers'
        training when positive and ``n_jobs=1``.
    log : callable, default=None
        Receives one progress message per step (e.g. ``print``).

    Returns
    -------
    DemoResult
        The measured table, the paths written and the settings.

    Examples
    --------
    >>> from ecgaug._demo import run_demo, format_demo_table
    >>> result = run_demo(fast=True, n_seeds=1, verbose=0)  # doctest: +SKIP
    >>> print(format_demo_table(result))  # doctest: +SKIP
    """
    from joblib import Parallel, delayed
    from matplotlib.figure import Figure

    from ecgaug import __version__
    from ecgaug._utils import atomic_path
    from ecgaug.datasets import load_sample
    from ecgaug.plotting import plot_beats

    say = log or (lambda message: None)
    seed_list = _seeds(seed, n_seeds, seeds)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train, test = load_sample(split="train"), load_sample(split="test")
    names = [str(s) for s in train.target_names]
    labels = np.arange(len(names))
    X, y = train.data, train.target
    if fast:  # a stratified fifth of the training beats: a smoke run, not a result
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(
            X, y, train_size=_FAST_FRACTION, stratify=y, random_state=seed
        )
    from ecgaug.cli._common import resolve_sampler_class

    gen_method = resolve_sampler_class(sampler).__name__
    methods = ["none", "SMOTE", gen_method]
    # The generator runs first: they take longest.
    tasks = [(gen_method, s) for s in seed_list]
    tasks += [(m, s) for s in seed_list for m in methods[:2]]
    if n_jobs is None:
        n_jobs = min(len(tasks), os.cpu_count() or 1)
    parallel = int(n_jobs) != 1
    data = (X, y, test.data, test.target, labels)
    say(
        f"{len(methods)} methods x {len(seed_list)} seed(s) "
        f"({', '.join(map(str, seed_list))}), "
        + (f"{n_jobs} at a time..." if parallel else "one after the other...")
    )
    jobs = (
        delayed(_one_arm)(
            method,
            s,
            data,
            sampler=sampler,
            device=device,
            fast=fast,
            verbose=0 if parallel else verbose,
            threads=1 if parallel else None,
            figure=method == gen_method and s == seed_list[0],
        )
        for method, s in tasks
    )
    runs = []
    for run in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        say(
            f"{run['method']}, seed {run['seed']}: macro-F1 {run['macro_f1']:.3f}, "
            f"balanced accuracy {run['balanced_accuracy']:.3f}"
        )
        runs.append(run)
    rows = [
        _summarise(m, sorted((r for r in runs if r["method"] == m), key=_seed_key))
        for m in methods
    ]
    gen_runs = sorted((r for r in runs if r["method"] == gen_method), key=_seed_key)
    first = gen_runs[0]
    generator = first["generator"]
    X_syn, y_syn = first["synthetic"]

    train_counts = {names[k]: int(np.sum(y == k)) for k in labels}
    synthetic_counts = {
        names[int(k)]: int(v) for k, v in generator["sampling_strategy"].items()
    }
    # A bare Figure, not pyplot: no GUI backend, nothing left open.
    fig = Figure(figsize=(2.6 * len(names) + 1.0, 5.6), layout="constrained")
    plot_beats(
        X,
        y,
        X_syn,
        y_syn,
        n_examples=8,
        target_names=names,
        sampling_rate=train.fs,
        random_state=seed_list[0],
        fig=fig,
    )
    fig.suptitle(
        f"Real (top) vs {gen_method} (bottom, seed {seed_list[0]}) beats of the "
        "bundled MIT-BIH sample"
    )
    figure = out_dir / "real_vs_synthetic.png"
    with atomic_path(figure) as tmp:
        fig.savefig(tmp, format="png", dpi=110)

    settings = {
        "seeds": seed_list,
        "n_jobs": int(n_jobs),
        "device": generator["device"],
        "fast": fast,
        "sampler": gen_method,
        "sampler_params": generator["params"],
        "sampler_config": generator["config"],
        "acceptance_rate": {
            str(r["seed"]): r["generator"]["acceptance_rate"] for r in gen_runs
        },
        "sampler_warnings": sorted({w for r in gen_runs for w in r["warnings"]}),
        "classifier": "ResNetClassifier",
        "classifier_params": _plain(
            {
                **DEMO_CLASSIFIER_PARAMS,
                **({"max_epochs": _FAST_CLASSIFIER_EPOCHS} if fast else {}),
            }
        ),
        "data": "ecgaug.datasets.load_sample(split='train' / 'test')",
        "n_train": int(len(y)),
        "n_test": int(len(test.target)),
        "test_counts": {names[k]: int(np.sum(test.target == k)) for k in labels},
        "ecgaug": __version__,
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
    }
    result = DemoResult(
        rows=rows,
        class_names=names,
        train_counts=train_counts,
        synthetic_counts=synthetic_counts,
        sampler=gen_method,
        settings=settings,
        figure=figure,
        table=out_dir / "results.md",
        json=out_dir / "results.json",
    )
    with atomic_path(result.table) as tmp:
        tmp.write_text(format_demo_table(result, markdown=True) + "\n", "utf-8")
    payload = {k: v for k, v in asdict(result).items() if k not in ("figure", "table")}
    payload["json"] = str(result.json)
    with atomic_path(result.json) as tmp:
        tmp.write_text(json.dumps(_plain(payload), indent=2) + "\n", "utf-8")
    return result


def _seed_key(run: dict[str, Any]) -> int:
    return run["seed"]


def format_demo_table(result: DemoResult, *, markdown: bool = False) -> str:
    """The demo's table: one row per method (mean ± SD over the seeds)."""
    from ecgaug.cli._common import format_table

    header = [
        "method",
        "train beats",
        "macro-F1",
        "bal. acc.",
        *[f"recall {n}" for n in result.class_names],
        "resample s",
        "classifier s",
    ]
    rows = [
        [
            r["method"],
            r["n_train"],
            _mean_sd(r, "macro_f1"),
            _mean_sd(r, "balanced_accuracy"),
            *r["recall"],
            r["resample_s"],
            r["classifier_s"],
        ]
        for r in result.rows
    ]
    formats = [""] * 4 + [".3f"] * len(result.class_names) + [".1f"] * 2
    if not markdown:
        return format_table(rows, header, formats)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            format(v, f) if isinstance(v, float) else str(v)
            for v, f in zip(row, formats)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_per_seed(result: DemoResult) -> str:
    """Macro-F1 / balanced accuracy of each method on each seed, as text."""
    from ecgaug.cli._common import format_table

    seeds = [s["seed"] for s in result.rows[0]["per_seed"]]
    rows = [
        [
            r["method"],
            *[
                f"{s['macro_f1']:.3f} / {s['balanced_accuracy']:.3f}"
                for s in r["per_seed"]
            ],
        ]
        for r in result.rows
    ]
    return format_table(rows, ["method", *[f"seed {s}" for s in seeds]])


def _mean_sd(row: dict[str, Any], metric: str) -> str:
    """``0.850 ± 0.012`` (the SD over the seeds; the mean alone for one seed)."""
    if len(row.get("per_seed", ())) > 1:
        return f"{row[metric]:.3f} ± {row[metric + '_sd']:.3f}"
    return f"{row[metric]:.3f}"


def _plain(value):
    """numpy values -> JSON-able Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value
