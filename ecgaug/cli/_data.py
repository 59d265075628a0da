"""``ecgaug data summary|extract|cache``: look at, export and pre-extract beats."""

from __future__ import annotations

import argparse
from pathlib import Path

from ecgaug.cli._common import (
    CLIError,
    add_data_options,
    check_beats_path,
    display_path,
    format_table,
    load_data,
    progress,
    write_beats,
)

__all__ = ["add_parser", "run_cache", "run_extract", "run_summary"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug data`` and its three actions."""
    parser = sub.add_parser(
        "data",
        help="summarise, extract or cache a database of beats",
        description="Work with the real heartbeats: 'summary' prints class counts, "
        "records and leads; 'extract' writes the beats to .npz or .csv; 'cache' "
        "extracts every record once so that later loads take seconds.",
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(parser)
    )

    summary = actions.add_parser(
        "summary",
        help="class counts, records, leads, sampling rate",
        description="Print what a data set holds: beats per class, records "
        "(patients), leads, beat length and sampling rate.",
    )
    add_data_options(summary)
    summary.add_argument(
        "--per-record",
        action="store_true",
        help="also print the beats of each class in every record",
    )
    _quiet(summary)
    summary.set_defaults(run=run_summary)

    extract = actions.add_parser(
        "extract",
        help="write the beats to .npz or .csv",
        description="Write the beats to a file, atomically. .npz holds data "
        "(float32, n_beats x n_features), target, target_names, groups (record), "
        "r_peak and feature_names; read it with numpy.load. .csv is the layout of "
        "the Kaggle files (no header; the samples of a beat, then its label), "
        "which load_kaggle_heartbeat reads back.",
    )
    add_data_options(extract)
    extract.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="output file, .npz or .csv",
    )
    _quiet(extract)
    extract.set_defaults(run=run_extract)

    cache = actions.add_parser(
        "cache",
        help="extract every record once into the cache (or clear it)",
        description="Read every record of a database and keep its beats in the "
        "cache folder ($ECGAUG_CACHE or ~/.cache/ecgaug), downloading absent "
        "records first. Later loads with the same options read the cache. With "
        "--clear, delete the cached beats instead (the records are kept).",
    )
    add_data_options(cache)
    cache.add_argument(
        "--clear",
        action="store_true",
        help="delete the cached beats (all databases) instead of building them",
    )
    _quiet(cache)
    cache.set_defaults(run=run_cache)
    return parser


def _quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars or messages"
    )


def run_summary(args: argparse.Namespace) -> int:
    """Print the summary of the data set the options name."""
    import numpy as np

    bunch, what = load_data(args, quiet=args.quiet)
    names = _target_names(bunch)
    y = bunch.target
    n = len(y)
    print(what)
    groups = bunch.get("groups")
    n_features = bunch.data.shape[1]
    feature_names = list(bunch.get("feature_names") or [])
    leads = list(
        dict.fromkeys(f.rsplit("_t", 1)[0] for f in feature_names if "_t" in f)
    )
    facts = [
        ("beats", f"{n:,}"),
        ("features", f"{n_features} ({_lead_text(leads, n_features)})"),
        ("sampling rate", f"{bunch['fs']:g} Hz" if "fs" in bunch else "unknown"),
        ("dtype", str(bunch.data.dtype)),
    ]
    if bunch.get("record") is not None:  # PTB: groups are patients
        facts.append(("patients", str(len(np.unique(groups)))))
        facts.append(("records", str(len(np.unique(bunch["record"])))))
    else:
        n_groups = len(np.unique(groups)) if groups is not None else "unknown"
        facts.append(("records", str(n_groups)))
    width = max(len(k) for k, _ in facts)
    for key, value in facts:
        print(f"{key.ljust(width)}  {value}")
    print()
    rows = []
    for label in range(len(names)):
        count = int(np.sum(y == label))
        rows.append((label, names[label], count, 100.0 * count / max(n, 1)))
    print(format_table(rows, ["label", "class", "beats", "%"], ["", "", "", ".1f"]))
    if args.per_record:
        if groups is None:
            raise CLIError("--per-record needs record ids, which the CSVs do not have.")
        print()
        records = np.unique(groups)
        table = [
            [str(r)]
            + [int(np.sum((groups == r) & (y == k))) for k in range(len(names))]
            for r in records
        ]
        print(format_table(table, ["record", *names]))
    if n == 0:
        raise CLIError(
            f"{what} holds no beats: the records or files are empty or damaged. "
            "Check them (or delete them and download again) before using them."
        )
    return 0


def run_extract(args: argparse.Namespace) -> int:
    """Write the beats to ``--out``."""
    import numpy as np

    out = check_beats_path(args.out)
    bunch, what = load_data(args, quiet=args.quiet)
    extra = {"target_names": np.asarray(_target_names(bunch))}
    for key in ("groups", "r_peak", "record", "symbol"):
        if bunch.get(key) is not None:
            extra[key] = np.asarray(bunch[key])
    if bunch.get("feature_names") is not None:
        extra["feature_names"] = np.asarray(bunch["feature_names"])
    if "fs" in bunch:
        extra["fs"] = np.float64(bunch["fs"])
    n = write_beats(out, [(bunch.data, bunch.target)], extra)
    print(f"Wrote {n:,} beats of {what} to {display_path(out)}")
    return 0


def run_cache(args: argparse.Namespace) -> int:
    """Build (or clear) the cache of extracted beats."""
    from ecgaug.datasets import clear_cache, get_cache_dir

    cache_dir = get_cache_dir()
    if args.clear:
        n = clear_cache()
        print(f"Removed {n} cached file(s) from {cache_dir}")
        return 0
    if args.sample or args.csv:
        raise CLIError(
            "The bundled sample and the CSVs are not cached; 'data cache' is for "
            "--database mitbih|ptb."
        )
    if args.split not in (None, "all"):
        progress("Note: the cache holds whole records; --split is ignored.", args.quiet)
    args.split = "all"
    bunch, what = load_data(args, quiet=args.quiet)
    files = list(cache_dir.glob("*/*.npz")) if cache_dir.is_dir() else []
    size = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"Cached {len(bunch.target):,} beats of {what}; {cache_dir} holds "
        f"{len(files)} file(s), {size:.1f} MB."
    )
    return 0


def _target_names(bunch) -> list[str]:
    names = bunch.get("target_names")
    if names is None:
        n = int(bunch.target.max()) + 1 if len(bunch.target) else 0
        return [str(k) for k in range(n)]
    return [str(s) for s in names]


def _lead_text(leads: list[str], n_features: int) -> str:
    if not leads:
        return f"1 lead x {n_features} samples"
    per = n_features // len(leads)
    return f"{len(leads)} lead(s) {', '.join(leads)} x {per} samples"
