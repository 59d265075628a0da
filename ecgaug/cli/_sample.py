"""``ecgaug sample``: draw beats from a saved sampler to ``.npz`` or ``.csv``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ecgaug.cli._common import (
    CLIError,
    add_run_options,
    check_beats_path,
    display_path,
    progress,
    write_beats,
)

__all__ = ["add_parser", "load_sampler", "requested_labels", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug sample``."""
    parser = sub.add_parser(
        "sample",
        help="draw beats from a saved sampler to .npz or .csv",
        description="Draw synthetic beats from a sampler saved by 'ecgaug fit' (or "
        "sampler.save). Without --class, -n beats with the class proportions of "
        "the training data; with --class, -n beats of each class listed. The same "
        "--seed gives the same beats, as sampler.sample(n, y, random_state=seed) "
        "does in Python. Beats are generated and written batch by batch.",
        epilog="Example: ecgaug sample tts.pt -n 500 --class 1 3 --out beats.npz",
    )
    parser.add_argument("model", type=Path, metavar="MODEL", help="a saved sampler")
    parser.add_argument(
        "-n",
        "--n-samples",
        type=int,
        required=True,
        metavar="N",
        help="beats to draw (per class when --class is given)",
    )
    parser.add_argument(
        "--class",
        dest="classes",
        nargs="+",
        metavar="LABEL",
        help="class labels as the sampler was fitted on them (MIT-BIH: 0 N, 1 S, "
        "2 V, 3 F, 4 Q; PTB: 0 healthy, 1 MI)",
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="output file: .npz (arrays data, target) or .csv (Kaggle layout: the "
        "samples of a beat, then its label)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help="beats generated per forward pass (default: the sampler's)",
    )
    add_run_options(
        parser,
        seed_default=None,
        seed_help="seed of this draw (default: the seed the sampler was fitted "
        "with, so that the same file gives the same beats)",
    )
    parser.set_defaults(run=run)
    return parser


def load_sampler(path: Path, device: str | None):
    """A saved sampler, with a clear error when the file is not one."""
    from ecgaug.base import BaseGenerativeSampler

    if not path.is_file():
        raise CLIError(f"{path}: no such file (train one with 'ecgaug fit').")
    return BaseGenerativeSampler.load(path, device=device)


def requested_labels(sampler, classes, n_samples: int):
    """``y`` for ``sampler.sample`` from ``--class``/``-n``, and the total."""
    import numpy as np

    if n_samples < 0:
        raise CLIError(f"-n must be a non-negative number of beats, got {n_samples}.")
    if not classes:
        return None, n_samples
    known = sampler.classes_
    labels = []
    for raw in classes:
        if np.issubdtype(known.dtype, np.integer):
            try:
                labels.append(int(raw))
            except ValueError:
                raise CLIError(
                    f"--class {raw!r}: this sampler's classes are the integer "
                    f"labels {known.tolist()}."
                ) from None
        else:
            labels.append(raw)
    unknown = [c for c in labels if c not in set(known.tolist())]
    if unknown:
        raise CLIError(
            f"--class {' '.join(map(str, unknown))}: not a class of this sampler, "
            f"which was fitted on {known.tolist()}."
        )
    y = np.repeat(np.asarray(labels, dtype=known.dtype), n_samples)
    return y, len(y)


def run(args: argparse.Namespace) -> int:
    """Draw the beats and write them."""
    import numpy as np
    from tqdm.auto import tqdm

    out = check_beats_path(args.out)
    device = None if args.device == "auto" else args.device
    sampler = load_sampler(args.model, device)
    y, total = requested_labels(sampler, args.classes, args.n_samples)
    if args.batch_size is not None and args.batch_size < 1:
        raise CLIError(f"--batch-size must be at least 1, got {args.batch_size}.")
    progress(
        f"Drawing {total:,} beats from {type(sampler).__name__} on {sampler.device_}",
        args.quiet,
    )
    batches = sampler.iter_sample(
        total, y, batch_size=args.batch_size, random_state=args.seed
    )
    bar = tqdm(total=total, unit="beat", disable=args.quiet, desc="sampling")

    def counted():
        for X, labels in batches:
            bar.update(len(X))
            yield X, labels

    with bar:
        n = write_beats(out, counted(), {"classes": np.asarray(sampler.classes_)})
    print(f"Wrote {n:,} beats to {display_path(out)}")
    return 0
