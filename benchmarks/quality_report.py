"""Synthetic quality report of every generative sampler of ecgaug on MIT-BIH.

For each sampler of ``ecgaug.generators.__all__`` (whatever it holds when the
script runs), fit it on the MIT-BIH training beats and run
:func:`ecgaug.evaluation.synthetic_quality_report` against the test beats:
Fréchet distance in the embedding of a residual classifier trained on the real
training beats (the same fitted classifier for every sampler, so that the
distances compare), RBF MMD, precision / recall / density / coverage,
discriminative AUC, label adherence, memorisation (DCR ratio, near-copy rate)
and the TRTR / TSTR / TRTS / TSTS / TRSTR protocols. Every row also holds the
value that real beats reach in place of synthetic ones (``reference``:
training beats for the fidelity rows; for the memorisation rows, the real
test beats, which the generator never saw: measured, not the nominal 1), and
the memorisation rows a ``copier`` column: the same measure for training
beats drawn from the generator's own training set, which must score 0 (a
check that every training beat is searched).

Budgets
-------
smoke   seconds: the bundled sample (``load_sample``), the smoke generators of
        ``benchmarks/_models.py`` (every training beat they saw, at most 120
        per class), at most 60 test beats per class, 1 epoch (for tests).
quick   the generators of the other benchmark scripts
        (``benchmarks/_models.py``, quick budget: the ``"cpu"`` presets fitted
        on the MIT-BIH training split capped at 10,000 beats per class, shared
        through the cache, so this report judges the generators of Table 1);
        ``X_train`` is *every* beat each generator was fitted on (the
        memorisation rows search them all: a copy of a beat left out would go
        unseen), the test beats at most 400 per class of ``load_mitbih``
        test; the paper's 1-block classifier for 5 epochs, one repeat.
standard  the same for the standard budget's generators (seed 0), test
        beats at most 1,000 per class, 2,000 queries per metric.
full    GPU-sized: the generators of ``_models.py``'s full budget (paper
        presets, every beat), all 87,556 / 21,890 beats, 20-epoch classifier,
        3 repeats of the protocols.

Usage::

    python benchmarks/quality_report.py --budget quick [--samplers TTSCGANSampler]

writes ``benchmarks/results/quality_report.json`` and ``.md`` (``--out``);
smoke runs write ``quality_report_smoke``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import ecgaug
from ecgaug._utils import atomic_path
from ecgaug.datasets import AAMI_CLASSES, load_mitbih, load_sample
from ecgaug.evaluation import synthetic_quality_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEED = 0

BUDGETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "data": "sample",
        "train_cap": 100,
        "test_cap": 60,
        "preset": "cpu",
        "max_epochs": 1,
        "classifier": {"module__n_blocks": 1, "module__n_filters": 8, "max_epochs": 1},
        "max_samples": 100,
        "cv": 2,
        "n_repeats": 1,
        "shared_generators": True,
    },
    "quick": {
        "data": "mitbih",
        "train_cap": 1000,
        "test_cap": 400,
        "preset": "cpu",
        "max_epochs": 5,
        "classifier": {"module__n_blocks": 1, "max_epochs": 5},
        "max_samples": 1000,
        "cv": 5,
        "n_repeats": 1,
        "shared_generators": True,
    },
    "standard": {
        "data": "mitbih",
        "train_cap": None,
        "test_cap": 1000,
        "preset": "cpu",
        "max_epochs": None,
        "classifier": {"module__n_blocks": 1, "max_epochs": 5},
        "max_samples": 2000,
        "cv": 5,
        "n_repeats": 1,
        "shared_generators": True,
    },
    "full": {
        "data": "mitbih",
        "train_cap": None,
        "test_cap": None,
        "preset": "paper",
        "max_epochs": None,
        "classifier": {"module__n_blocks": 1, "max_epochs": 20},
        "max_samples": 5000,
        "cv": 5,
        "n_repeats": 3,
        "shared_generators": True,
    },
}
#: Rows of the summary table, in order (pooled values, label "all").
SUMMARY = (
    "frechet_distance",
    "mmd_rbf",
    "precision",
    "density",
    "recall",
    "coverage",
    "discriminative_auc",
    "label_adherence",
    "dcr_ratio",
    "near_copy_rate",
    "TRTR_accuracy",
    "TSTR_accuracy",
    "TSTR_f1_macro",
    "TRTS_accuracy",
    "TSTS_accuracy",
    "TRSTR_accuracy",
    "TRSTR_f1_macro",
)
#: Rows of the per-class tables.
PER_CLASS = (
    "frechet_distance",
    "coverage",
    "discriminative_auc",
    "label_adherence",
    "near_copy_rate",
    "TSTR_class_recall",
    "TRSTR_class_recall",
)


def default_data_home() -> str | None:
    if "ECGAUG_DATA" in os.environ:
        return os.environ["ECGAUG_DATA"]
    shared = REPO.parent / "shared" / "data"
    return str(shared) if (shared / "mitdb").is_dir() else None


def cap_per_class(y: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """Sorted indices of at most ``cap`` beats per class, drawn with ``seed``."""
    if cap is None:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(y == c))[:cap] for c in np.unique(y)]
    return np.sort(np.concatenate(keep))


def load_data(cfg: dict, data_home: str | None):
    """``(X_train, y_train, X_test, y_test, source)`` capped per class."""
    if cfg["data"] == "sample":
        X, y = load_sample(split="train", return_X_y=True)
        X_test, y_test = load_sample(split="test", return_X_y=True)
        source = "load_sample() train/test"
    else:
        train = load_mitbih(data_home=data_home, split="train")
        test = load_mitbih(data_home=data_home, split="test")
        X, y, X_test, y_test = train.data, train.target, test.data, test.target
        source = "load_mitbih(split='train'/'test'), segmentation='kachuee'"
    tr = cap_per_class(y, cfg["train_cap"], SEED)
    te = cap_per_class(y_test, cfg["test_cap"], SEED + 1)
    if cfg["train_cap"] or cfg["test_cap"]:
        source += (
            f", at most {cfg['train_cap']} train / {cfg['test_cap']} test beats "
            "per class"
        )
    return X[tr], y[tr], X_test[te], y_test[te], source


def discover_samplers() -> dict[str, type]:
    """The sampler classes of ``ecgaug.generators.__all__``."""
    import ecgaug.generators as generators
    from ecgaug.base import BaseGenerativeSampler

    found = {}
    for name in generators.__all__:
        obj = getattr(generators, name)
        if isinstance(obj, type) and issubclass(obj, BaseGenerativeSampler):
            found[name] = obj
    return found


def build_sampler(cls: type, cfg: dict):
    """The sampler with the budget's preset, seed and epoch cap."""
    params = cls().get_params(deep=False)
    kwargs = {"random_state": SEED}
    if "preset" in params:
        kwargs["preset"] = cfg["preset"]
    if "verbose" in params:
        kwargs["verbose"] = 0
    sampler = cls(**kwargs)
    if cfg["max_epochs"] is not None and "n_epochs" in params:
        preset = getattr(sampler, "_presets", {}).get(cfg["preset"], {})
        epochs = preset.get("n_epochs", cfg["max_epochs"])
        sampler.set_params(n_epochs=int(min(epochs, cfg["max_epochs"])))
    return sampler


def shared_generators(budget: str, data_home: str | None, cache_dir=None):
    """The generators the other benchmark scripts judge, fitted or from the cache.

    Fitted by ``benchmarks/_models.py`` on the whole MIT-BIH training split
    (capped per class by that budget) and cached, so that this report and
    Table 1 describe the very same generators.

    Returns
    -------
    samplers : dict
        ``{name: fitted sampler}``.
    infos : dict
        ``{name: fit info}``.
    X_fit, y_fit : ndarray
        Every beat the generators were fitted on (the report's ``X_train``).
    """
    import _models as M

    if BUDGETS[budget]["data"] == "sample":
        X, y = load_sample(split="train", return_X_y=True)
    else:
        train = load_mitbih(data_home=data_home, split="train")
        X, y = train.data, train.target
    found, _ = M.generator_classes(budget)
    args = argparse.Namespace(
        budget=budget,
        device="auto",
        cache_dir=Path(cache_dir) if cache_dir else C.default_cache_dir(),
        threads=torch.get_num_threads(),
        jobs=1,
    )
    infos = M.fit_generators(list(found), X, y, args=args)
    samplers = {n: M.load_fitted(i, device="auto") for n, i in infos.items()}
    X_fit, y_fit = M.generator_training_set(X, y, budget)
    return samplers, {n: M.public_info(i) for n, i in infos.items()}, X_fit, y_fit


def copier_scores(X, y, y_test, cfg: dict) -> dict:
    """Memorisation of a copier: training beats (test class counts) as "synthetic".

    ``X`` must be every beat the generators were fitted on; then a copier
    scores a DCR ratio of 0 and a near-copy rate of 1. Anything else means
    that the memorisation rows do not search the whole training set.
    """
    from ecgaug.evaluation.metrics import memorisation_score

    rng = np.random.default_rng(SEED)
    idx = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), int(np.sum(y_test == c)))
            for c in np.unique(y_test)
        ]
    )
    return memorisation_score(
        X, y, X[idx], y[idx], max_samples=cfg["max_samples"], random_state=SEED
    )


def make_classifier(cfg: dict):
    from ecgaug.classifiers import ResNetClassifier

    return ResNetClassifier(
        train_split=None, random_state=SEED, verbose=0, **cfg["classifier"]
    )


def _plain(v):
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    return v.item() if isinstance(v, np.generic) else v


def run_sampler(name, sampler, data, classifier, cfg, fitted: bool = False) -> dict:
    X, y, X_test, y_test = data
    result: dict[str, Any] = {
        "params": {
            k: _plain(v)
            for k, v in sampler.get_params(deep=False).items()
            if v is None or isinstance(v, bool | int | float | str)
        }
    }
    try:
        start = time.perf_counter()
        if not fitted:
            sampler.fit(X, y)
        result["fit_time_s"] = time.perf_counter() - start
        start = time.perf_counter()
        report = synthetic_quality_report(
            sampler,
            X,
            y,
            X_test,
            y_test,
            classifier=classifier,
            max_samples=cfg["max_samples"],
            cv=cfg["cv"],
            n_repeats=cfg["n_repeats"],
            target_names=AAMI_CLASSES,
            random_state=SEED,
            as_frame=False,
        )
        result["report_time_s"] = time.perf_counter() - start
        keys = list(report)
        result["rows"] = [
            {k: _plain(report[k][i]) for k in keys}
            for i in range(len(report["metric"]))
        ]
    except Exception as exc:  # one failing sampler must not sink the others
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
        print(f"{name} failed: {result['error']}", file=sys.stderr)
    return result


def _fit_time(result: dict) -> float:
    """Seconds to fit the sampler (when shared: its fit in the cache's run)."""
    return result.get("shared_fit", {}).get("fit_time_s", result["fit_time_s"])


def _lookup(rows: list[dict], metric: str, label: str, col: str = "value"):
    for r in rows:
        if r["metric"] == metric and r["label"] == label:
            return r[col]
    return None


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def markdown(report: dict) -> str:
    m, d, git = report["machine"], report["data"], report["git"]
    lines = [
        f"# Synthetic quality report ({report['budget']})"
        + (" — UNCOMMITTED" if git.get("committed") is False else ""),
        *C.uncommitted_banner(git),
        "",
        f"- command: `{report['command']}`",
        f"- git: {git['commit']} (committed tree: {git.get('committed')})",
        f"- machine: {m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']} "
        f"({m['torch_threads']} threads), GPU: {m['gpu']}, "
        f"1-min load at start {m.get('load_avg_1min_at_start', float('nan')):.1f}",
        f"- data: {d['source']}: {d['n_train']} train beats "
        f"(N S V F Q: {' '.join(map(str, d['train_counts']))}), {d['n_test']} test "
        f"({' '.join(map(str, d['test_counts']))})",
        f"- settings: {json.dumps(report['settings'])}",
        f"- seed {report['seed']}, wall time {report['wall_time_s']:.0f} s",
        "",
    ]
    samplers = report["samplers"]
    ok = {n: r for n, r in samplers.items() if "rows" in r}
    if not samplers:
        lines.append("No sampler in `ecgaug.generators.__all__`: nothing to report.")
    for name, r in samplers.items():
        if "error" in r:
            lines.append(f"**{name} failed**: `{r['error']}`")
            lines.append("")
    if ok:
        first = next(iter(ok.values()))["rows"]
        names = list(ok)
        lines += [
            "## All classes pooled",
            "",
            "`reference`: real training beats (same class counts) in place of the "
            "synthetic ones; memorisation rows: the real test beats (never seen "
            "by the generators), measured like the synthetic ones; utility rows: "
            "TRTR. `copier`: training beats of the generators' own training set "
            "as the synthetic ones (must score 0 / 1: every training beat is "
            "searched).",
            "",
            "| metric | goal | reference | copier | " + " | ".join(names) + " |",
            "|---|---|---|---|" + "---|" * len(names),
        ]
        copier = report.get("copier", {})
        for metric in SUMMARY:
            goal = next((r["goal"] for r in first if r["metric"] == metric), None)
            if goal is None:
                continue
            ref = _lookup(first, metric, "all", "reference")
            vals = [_fmt(_lookup(ok[n]["rows"], metric, "all")) for n in names]
            lines.append(
                f"| {metric} | {goal} | {_fmt(ref)} | {_fmt(copier.get(metric))} | "
                + " | ".join(vals)
                + " |"
            )
        lines += [
            "",
            "| | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
            "| fit time (s) | "
            + " | ".join(f"{_fit_time(ok[n]):.0f}" for n in names)
            + " |",
            "| report time (s) | "
            + " | ".join(f"{ok[n]['report_time_s']:.0f}" for n in names)
            + " |",
            "",
        ]
        for name in names:
            rows = ok[name]["rows"]
            lines += [
                f"## {name} per class (value / reference)",
                "",
                "| metric | " + " | ".join(AAMI_CLASSES) + " |",
                "|---|" + "---|" * len(AAMI_CLASSES),
            ]
            for metric in PER_CLASS:
                cells = [
                    f"{_fmt(_lookup(rows, metric, c))} / "
                    f"{_fmt(_lookup(rows, metric, c, 'reference'))}"
                    for c in AAMI_CLASSES
                ]
                if all(c == "– / –" for c in cells):
                    continue
                lines.append(f"| {metric} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines) + "\n"


def run(
    budget: str = "quick",
    *,
    samplers: dict[str, Any] | None = None,
    data_home: str | None = None,
    out: str | Path | None = None,
    command: str = "",
    allow_uncommitted: bool = False,
    cache_dir: str | Path | None = None,
) -> dict:
    """Run the benchmark; ``samplers`` maps names to unfitted samplers (default:
    every sampler of ``ecgaug.generators`` built for the budget)."""
    git_start = C.check_tree(budget, allow_uncommitted)
    cfg = BUDGETS[budget]
    start = time.perf_counter()
    shared = samplers is None and cfg.get("shared_generators", False)
    shared_info: dict[str, Any] = {}
    fit_set = None
    if shared:
        samplers, shared_info, *fit_set = shared_generators(
            budget, data_home, cache_dir
        )
    elif samplers is None:
        samplers = {n: build_sampler(c, cfg) for n, c in discover_samplers().items()}
    report: dict[str, Any] = {
        "benchmark": "quality_report",
        "budget": budget,
        "command": command,
        "git": git_start,
        "machine": {**C.machine_info(), "ecgaug": ecgaug.__version__},
        "seed": SEED,
        "settings": cfg,
    }
    X, y, X_test, y_test, source = load_data(cfg, data_home)
    if fit_set is not None:
        # every beat the generators saw, not a subsample (memorisation)
        X, y = fit_set
        source += (
            f"; training beats: all {len(y)} beats the generators were fitted on "
            "(the budget's cap per class of benchmarks/_models.py)"
        )
    report["data"] = {
        "source": source,
        "n_train": len(y),
        "n_test": len(y_test),
        "train_counts": np.bincount(y, minlength=5).tolist(),
        "test_counts": np.bincount(y_test, minlength=5).tolist(),
    }
    # one classifier for all samplers: the Fréchet distances share an embedding
    clf_start = time.perf_counter()
    classifier = make_classifier(cfg).fit(X, y) if samplers else None
    report["classifier_fit_time_s"] = time.perf_counter() - clf_start
    report["copier"] = copier_scores(X, y, y_test, cfg)
    report["samplers"] = {}
    for name, sampler in samplers.items():
        print(f"== {name}", flush=True)
        report["samplers"][name] = run_sampler(
            name, sampler, (X, y, X_test, y_test), classifier, cfg, fitted=shared
        )
        if shared:
            report["samplers"][name]["shared_fit"] = shared_info[name]
    report["wall_time_s"] = time.perf_counter() - start
    report["git"] = C.merge_git(git_start, C.git_info())
    text = markdown(report)
    print("\n" + text)
    out = Path(
        out
        or REPO
        / "benchmarks"
        / "results"
        / ("quality_report" + ("_smoke" if budget == "smoke" else ""))
    )
    with atomic_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n")
    with atomic_path(out.with_suffix(".md")) as tmp:
        tmp.write_text(text)
    print(f"wrote {out.with_suffix('.json')} and .md")
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=BUDGETS, default="quick")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument(
        "--samplers",
        nargs="*",
        default=None,
        help="names from ecgaug.generators.__all__ (default: all of them)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch / BLAS / OpenMP threads (default: 1 for smoke/quick, as is "
        "for full)",
    )
    parser.add_argument("--out", default=None, help="output path without suffix")
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="fitted generators shared with the other scripts (default "
        "$ECGAUG_CACHE/benchmarks)",
    )
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="run --budget standard / full on a tree with uncommitted code "
        "(results stamped UNCOMMITTED)",
    )
    args = parser.parse_args(argv)
    cfg = BUDGETS[args.budget]
    samplers = None
    if args.samplers is not None:
        found = discover_samplers()
        unknown = sorted(set(args.samplers) - set(found))
        if unknown:
            parser.error(f"unknown sampler(s) {unknown}; available: {sorted(found)}")
        samplers = {n: build_sampler(found[n], cfg) for n in args.samplers}
    threads = args.threads or (None if args.budget == "full" else 1)
    command = " ".join(
        [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
    )
    if threads:
        torch.set_num_threads(threads)
        with threadpool_limits(threads):
            return run(
                args.budget,
                samplers=samplers,
                data_home=args.data_home,
                out=args.out,
                command=command,
                allow_uncommitted=args.allow_uncommitted,
                cache_dir=args.cache_dir,
            )
    return run(
        args.budget,
        samplers=samplers,
        data_home=args.data_home,
        out=args.out,
        command=command,
        allow_uncommitted=args.allow_uncommitted,
        cache_dir=args.cache_dir,
    )


if __name__ == "__main__":
    main()
