"""``ecgaug demo``: the main job on the bundled sample, in a few minutes on a CPU."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ecgaug.cli._common import add_run_options, display_path, progress

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug demo``."""
    from ecgaug._demo import DEFAULT_N_SEEDS, DEFAULT_SAMPLER

    parser = sub.add_parser(
        "demo",
        help="generative oversampling vs SMOTE vs nothing, on the bundled sample",
        description="On the real MIT-BIH beats shipped with ecgaug: fit a "
        "class-conditional generative sampler, oversample the minority classes "
        "(S, V, F, Q) up to the majority class, train the same residual CNN "
        "classifier without resampling, with SMOTE and with the generator, print "
        "macro-F1, balanced accuracy and the recall of each class on the held-out "
        "test beats (mean and SD over a few seeds), with the time each step took, "
        "and save a figure of real vs synthetic beats per class. About 5 minutes "
        "on a 2-core CPU.",
    )
    parser.add_argument(
        "--sampler",
        default=DEFAULT_SAMPLER,
        metavar="NAME",
        help="the generative sampler (e.g. ttscgan, cgan, diffusion) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("ecgaug_demo_output"),
        metavar="DIR",
        help="folder for real_vs_synthetic.png, results.md and results.json "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--n-seeds",
        type=int,
        default=DEFAULT_N_SEEDS,
        metavar="K",
        help="run seeds --seed, --seed + 1, ..., K in all; each sets the "
        "generator, SMOTE and the classifiers (default: %(default)s)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for the (method, seed) runs, one thread each; 1 "
        "runs them one after the other with progress bars (default: the CPUs)",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="a fifth of the training beats, one epoch of each model: checks that "
        "everything runs, in seconds; the numbers mean nothing",
    )
    add_run_options(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the demo, print its table, say where the files are."""
    from ecgaug._demo import format_demo_table, format_per_seed, run_demo
    from ecgaug.cli._common import CLIError, resolve_sampler_class

    resolve_sampler_class(args.sampler)  # a bad name fails before any work
    if args.out.exists() and not args.out.is_dir():
        raise CLIError(f"--out {args.out} is a file; give a folder.")
    if args.n_seeds < 1:
        raise CLIError(f"--n-seeds must be at least 1; got {args.n_seeds}.")
    if args.jobs is not None and args.jobs < 1:
        raise CLIError(f"--jobs must be at least 1; got {args.jobs}.")
    start = time.perf_counter()
    result = run_demo(
        sampler=args.sampler,
        out_dir=args.out,
        seed=args.seed,
        n_seeds=args.n_seeds,
        n_jobs=args.jobs,
        device=args.device,
        fast=args.fast,
        verbose=0 if args.quiet else 1,
        log=lambda message: progress(message, args.quiet),
    )
    wall = time.perf_counter() - start
    counts = ", ".join(f"{k} {v}" for k, v in result.train_counts.items())
    added = ", ".join(f"{k} +{v}" for k, v in result.synthetic_counts.items() if v)
    settings = result.settings
    print()
    print(
        f"Bundled MIT-BIH sample: {settings['n_train']:,} training beats ({counts}), "
        f"{settings['n_test']:,} test beats."
    )
    print(f"Oversampled to the majority class: {added} (SMOTE and {result.sampler}).")
    seeds = settings["seeds"]
    print(
        "Classifier: ResNetClassifier (1 residual block, "
        f"{settings['classifier_params']['max_epochs']} epochs), the same for all; "
        f"scores on the same test beats; device {settings['device']}."
    )
    print(
        f"Seeds {', '.join(map(str, seeds))} (each sets the generator, SMOTE and "
        "the classifier); macro-F1 and balanced accuracy are mean ± SD over them."
    )
    print()
    print(format_demo_table(result))
    if len(seeds) > 1:
        print()
        print("Per seed (macro-F1 / balanced accuracy):")
        print(format_per_seed(result))
    print()
    print(_verdict(result))
    if args.fast:
        print("--fast: a smoke run; these numbers are not a result.")
    print(
        "A small sample: differences within the SD are noise. "
        "benchmarks/oversampling.py compares the methods on the full database."
    )
    print(f"Figure: {display_path(result.figure)}")
    print(f"Table:  {display_path(result.table)} (and {result.json.name})")
    print(f"Total time: {wall:.0f} s")
    return 0


def _verdict(result) -> str:
    """One sentence: did the generator match SMOTE on both scores, in the mean?"""
    rows = {r["method"]: r for r in result.rows}
    gen, smote = rows[result.sampler], rows["SMOTE"]
    parts = []
    for key, label in (
        ("macro_f1", "macro-F1"),
        ("balanced_accuracy", "balanced accuracy"),
    ):
        diff = gen[key] - smote[key]
        parts.append(f"{label} {diff:+.3f}")
    both = all(gen[k] >= smote[k] for k in ("macro_f1", "balanced_accuracy"))
    word = "matched or beat" if both else "did NOT match"
    return (
        f"{result.sampler} {word} SMOTE on the mean of both scores "
        f"({', '.join(parts)})."
    )
