"""``ecgaug fit``: train a generative sampler on real beats and save it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ecgaug.cli._common import (
    CLIError,
    add_data_options,
    add_run_options,
    display_path,
    format_table,
    load_data,
    parse_params,
    progress,
    resolve_sampler_class,
)

__all__ = ["add_parser", "build_sampler", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug fit``."""
    parser = sub.add_parser(
        "fit",
        help="train a generative sampler and save it",
        description="Train a class-conditional generative sampler on real beats "
        "(the training split of the bundled MIT-BIH sample unless --database, "
        "--data-home or $ECGAUG_DATA names the full database) and save it "
        "atomically with sampler.save. Load it in Python with "
        "ecgaug.base.BaseGenerativeSampler.load(path), or draw beats with "
        "'ecgaug sample'. The same --seed on the same CPU gives the same model.",
        epilog="Example: ecgaug fit ttscgan --sample --epochs 5 --out tts.pt",
    )
    parser.add_argument(
        "sampler",
        metavar="SAMPLER",
        help="the generator, e.g. 'ttscgan', 'cgan', 'diffusion' (the class name "
        "without 'Sampler', any case; 'ecgaug info' lists those installed)",
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to save the fitted sampler (e.g. model.pt)",
    )
    parser.add_argument(
        "--preset",
        choices=("cpu", "paper"),
        default="cpu",
        help="sizes and optimisation: 'cpu' (minutes on a laptop) or 'paper' (the "
        "published architecture, a GPU job) (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=int, metavar="N", help="training epochs (default: preset's)"
    )
    parser.add_argument(
        "--batch-size", type=int, metavar="N", help="batch size (default: preset's)"
    )
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="any constructor parameter of the sampler, repeatable "
        "(e.g. --param lr_g=2e-4 --param g_depth=2)",
    )
    add_data_options(parser, default_split="train")
    add_run_options(parser)
    parser.set_defaults(run=run)
    return parser


def build_sampler(args: argparse.Namespace, **fixed):
    """The unfitted sampler that the options of ``args`` describe."""
    cls = resolve_sampler_class(args.sampler)
    params = {"preset": args.preset, "random_state": args.seed, "device": args.device}
    if args.epochs is not None:
        params["n_epochs"] = args.epochs
    if args.batch_size is not None:
        params["batch_size"] = args.batch_size
    params.update(parse_params(args.param))
    params.update(fixed)
    valid = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise CLIError(
            f"{cls.__name__} has no parameter(s) {', '.join(unknown)}; it has "
            f"{', '.join(sorted(valid))}."
        )
    sampler = cls(**params)
    # Reject bad values (n_epochs=-1...) before any data is read.
    sampler._validate_params()
    return sampler


def run(args: argparse.Namespace) -> int:
    """Fit the sampler, save it, print what was trained."""
    import numpy as np

    sampler = build_sampler(args, verbose=0 if args.quiet else 1)
    out = args.out
    if out.is_dir():
        raise CLIError(f"--out {out} is a folder; give a file name such as model.pt.")
    bunch, what = load_data(args, quiet=args.quiet)
    progress(
        f"Training {type(sampler).__name__} (preset {args.preset}) on "
        f"{len(bunch.target):,} beats of {what}",
        args.quiet,
    )
    start = time.perf_counter()
    sampler.fit(bunch.data, bunch.target)
    seconds = time.perf_counter() - start
    sampler.save(out)
    names = bunch.get("target_names")
    rows = []
    for label, count in zip(sampler.classes_, sampler.class_counts_):
        name = str(names[label]) if names is not None else str(label)
        rows.append(
            (label.item() if hasattr(label, "item") else label, name, int(count))
        )
    print(format_table(rows, ["label", "class", "training beats"]))
    last = sampler.history_[-1] if sampler.history_ else {}
    losses = ", ".join(
        f"{k} {v:.4g}"
        for k, v in last.items()
        if k not in ("epoch", "time") and not isinstance(v, dict) and np.isfinite(v)
    )
    print(
        f"Trained {type(sampler).__name__} for {sampler.n_epochs_} epoch(s) in "
        f"{seconds:.1f} s on {sampler.device_}"
        + (f"; last epoch: {losses}" if losses else "")
    )
    print(f"Saved to {display_path(out)}")
    return 0
