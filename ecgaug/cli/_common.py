"""What every ``ecgaug`` command shares: options, data sources, output files, tables.

Heavy libraries (torch, scikit-learn, ecgaug's own subpackages) are imported
inside the functions, so that ``ecgaug --help`` answers at once and the
malloc re-execution (:mod:`ecgaug._malloc`) happens before torch loads.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CLIError",
    "add_data_options",
    "add_run_options",
    "format_table",
    "load_data",
    "parse_params",
    "progress",
    "resolve_sampler_class",
    "sampler_names",
    "write_beats",
]

DATABASES = ("mitbih", "ptb")
SEGMENTATIONS = ("kachuee", "annotation", "detector")
SPLITS = ("all", "train", "test", "DS1", "DS2")
BEAT_FORMATS = (".npz", ".csv")


class CLIError(Exception):
    """Bad arguments or input, reported as one line and exit status 2."""


# --------------------------------------------------------------------- options
def add_run_options(
    parser: argparse.ArgumentParser,
    *,
    device: bool = True,
    seed_default: int | None = 0,
    seed_help: str | None = None,
) -> None:
    """``--seed``, ``--device`` and ``--quiet``, shared by the commands that compute."""
    group = parser.add_argument_group("run options")
    group.add_argument(
        "--seed",
        type=int,
        default=seed_default,
        metavar="N",
        help=seed_help
        or "random seed; the same seed on the same CPU gives the same results "
        "(default: %(default)s)",
    )
    if device:
        group.add_argument(
            "--device",
            default="auto",
            metavar="D",
            help="'auto' (CUDA when a GPU is visible, else CPU), 'cpu', 'cuda', "
            "'cuda:1'... (default: %(default)s)",
        )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars or progress messages; results are still printed",
    )


def add_data_options(
    parser: argparse.ArgumentParser, *, default_split: str = "all"
) -> None:
    """Options that choose the real beats: the bundled sample, a database or CSVs."""
    group = parser.add_argument_group(
        "data",
        "Where the real beats come from: the MIT-BIH sample shipped with ecgaug "
        "(--sample, the default when no database option is given and $ECGAUG_DATA "
        "is not set), a PhysioNet database read from --data-home or $ECGAUG_DATA "
        "(absent records are downloaded from PhysioNet unless --no-download: about "
        "100 MB for MIT-BIH), or the public Kaggle CSVs of Kachuee et al. (--csv).",
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--sample",
        action="store_true",
        help="the 2,500 real MIT-BIH beats shipped with ecgaug (no download); "
        "--split all|train|test (the default source, see above)",
    )
    source.add_argument(
        "--database",
        choices=DATABASES,
        default=None,
        help="PhysioNet database: 'mitbih' (MIT-BIH Arrhythmia, 5 AAMI classes) or "
        "'ptb' (PTB Diagnostic, MI vs healthy) (default: mitbih when --data-home, "
        "$ECGAUG_DATA or another database option is given, else the sample)",
    )
    source.add_argument(
        "--csv",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="Kaggle 'ECG Heartbeat Categorization' CSVs (mitbih_train.csv, "
        "ptbdb_normal.csv...), read with load_kaggle_heartbeat",
    )
    group.add_argument(
        "--data-home",
        type=Path,
        metavar="DIR",
        help="folder with one subfolder per database (mitdb/, ptbdb/) "
        "(default: $ECGAUG_DATA or ~/ecgaug_data)",
    )
    group.add_argument(
        "--split",
        choices=SPLITS,
        default=None,
        help="'train'/'test': the intra-patient stratified 80/20 split; "
        "'DS1'/'DS2': the inter-patient split of de Chazal et al. (MIT-BIH only) "
        f"(default: {default_split}; the CSVs are used whole)",
    )
    parser.set_defaults(default_split=default_split)
    group.add_argument(
        "--segmentation",
        choices=SEGMENTATIONS,
        default=None,
        help="how beats are cut (MIT-BIH): 'kachuee' (the public beats, 120 Hz), "
        "'annotation' (125 Hz), 'detector' (R peaks found without annotations), "
        "'context' (3.4 s windows at 100 Hz holding the neighbouring beats); "
        "PTB has only 'detector' (default: kachuee for MIT-BIH, detector for PTB)",
    )
    group.add_argument(
        "--detector",
        choices=("xqrs", "kachuee"),
        default="xqrs",
        help="R-peak detector of --segmentation detector (default: %(default)s)",
    )
    group.add_argument(
        "--records",
        nargs="+",
        metavar="REC",
        help="records to read (MIT-BIH: 100 101...; PTB: patient001/s0010_re...) "
        "(default: all)",
    )
    group.add_argument(
        "--leads",
        nargs="+",
        metavar="LEAD",
        help="lead names (MIT-BIH: MLII V1...; default the first channel of each "
        "record; PTB: one of i ii iii avr avl avf v1..v6 vx vy vz, default ii)",
    )
    group.add_argument(
        "--no-download",
        action="store_true",
        help="fail instead of downloading records that are absent",
    )


def load_data(args: argparse.Namespace, *, split: str | None = None, quiet=False):
    """The Bunch that the data options of ``args`` name.

    ``split`` overrides ``args.split`` (``evaluate`` reads both sides).
    Returns ``(bunch, description)``.
    """
    from ecgaug.datasets import (
        get_data_home,
        load_kaggle_heartbeat,
        load_mitbih,
        load_ptb,
        load_sample,
    )

    if split is None:
        split = args.split
    resolve_data_source(args, quiet=quiet)
    if split is None:  # the command's default, where the source has splits
        whole = args.csv or (not args.sample and args.database == "ptb")
        split = "all" if whole else args.default_split
    verbose = 0 if quiet else 1
    if args.sample:
        _only_for(args, "the bundled sample (--sample)", allowed=())
        if split not in ("all", "train", "test"):
            raise CLIError(
                f"--split {split} is not available for the bundled sample; "
                "use all, train or test."
            )
        return load_sample(split=split), f"bundled MIT-BIH sample (split={split})"
    if args.csv:
        _only_for(args, "Kaggle CSVs (--csv)", allowed=())
        if split != "all":
            raise CLIError(
                f"--split {split} does not apply to --csv: the Kaggle files are "
                "already split (pass mitbih_train.csv or mitbih_test.csv)."
            )
        names = ", ".join(str(p) for p in args.csv)
        return load_kaggle_heartbeat([str(p) for p in args.csv]), f"CSV: {names}"
    home = get_data_home(args.data_home)
    download = not args.no_download
    if args.database == "ptb":
        if args.segmentation not in (None, "detector"):
            raise CLIError(
                f"--segmentation {args.segmentation} is not available for PTB (it has "
                "no beat annotations); only 'detector' applies."
            )
        if split != "all":
            raise CLIError(
                f"--split {split} is not available for PTB; load it whole and split "
                "by patient (groups) yourself."
            )
        if args.leads and len(args.leads) != 1:
            raise CLIError("PTB beats are single-lead: pass one name to --leads.")
        with _cli_advice(home / "ptbdb", "ptb"):
            bunch = load_ptb(
                data_home=home,
                records=args.records,
                lead=args.leads[0] if args.leads else "ii",
                detector=args.detector,
                download_if_missing=download,
                verbose=verbose,
            )
        return bunch, f"PTB Diagnostic ECG Database in {home / 'ptbdb'}"
    segmentation = args.segmentation or "kachuee"
    with _cli_advice(home / "mitdb", "mitbih"):
        bunch = load_mitbih(
            data_home=home,
            split=split,
            segmentation=segmentation,
            leads=args.leads,
            records=args.records,
            detector=args.detector,
            download_if_missing=download,
            verbose=verbose,
        )
    what = f"MIT-BIH Arrhythmia Database in {home / 'mitdb'}"
    return bunch, f"{what} (segmentation={segmentation}, split={split})"


def _database_options(args: argparse.Namespace) -> list[str]:
    """The options given that only a PhysioNet database uses."""
    given = {
        "--database": args.database is not None,
        "--data-home": args.data_home is not None,
        "--segmentation": args.segmentation is not None,
        "--records": bool(args.records),
        "--leads": bool(args.leads),
        "--no-download": args.no_download,
    }
    return [name for name, on in given.items() if on]


def resolve_data_source(args: argparse.Namespace, *, quiet: bool = False) -> None:
    """Choose the bundled sample when no data is named, else MIT-BIH by default.

    A new user's ``ecgaug fit cgan --out m.pt`` trains on the sample shipped
    with ecgaug (and says so on stderr) instead of downloading the database:
    the database is read (and downloaded when absent) only when ``--database``,
    ``--data-home``, another database option or ``$ECGAUG_DATA`` names it.
    Sets ``args.sample`` or ``args.database``; idempotent.
    """
    if args.sample or args.csv or args.database is not None:
        return
    if _database_options(args) or os.environ.get("ECGAUG_DATA"):
        args.database = "mitbih"
        return
    args.sample = True
    if not quiet:
        print(
            "Using the 2,500 MIT-BIH beats shipped with ecgaug (--sample). For the "
            "full MIT-BIH database pass --database mitbih with --data-home DIR (or "
            "set $ECGAUG_DATA); absent records are then downloaded from PhysioNet "
            "(about 100 MB) unless --no-download.",
            file=sys.stderr,
        )


@contextlib.contextmanager
def _cli_advice(db_dir: Path, database: str):
    """Turn a loader's missing-files error into command-line advice."""
    try:
        yield
    except FileNotFoundError as exc:
        # The loader's first sentence says which file; its advice is Python's.
        what = str(exc).split(". ")[0].rstrip(".")
        raise CLIError(
            f"{what}. Point --data-home (or $ECGAUG_DATA) at the folder that holds "
            f"{db_dir.name}/ (PhysioNet's '{db_dir.name}' files), drop --no-download "
            f"to download the '{database}' records from PhysioNet, or use --sample "
            "for the beats shipped with ecgaug."
        ) from exc


def _only_for(args: argparse.Namespace, source: str, allowed: Sequence[str]) -> None:
    """Refuse database options that the chosen source would silently ignore."""
    extra = [name for name in _database_options(args) if name not in allowed]
    if extra:
        raise CLIError(f"{', '.join(extra)} cannot be used with {source}.")


# ---------------------------------------------------------------------- values
def parse_params(items: Iterable[str] | None) -> dict[str, Any]:
    """``["lr_g=1e-4", "g_depth=2", "device=cpu"]`` -> a dict of Python values.

    Values are read as Python literals (numbers, ``True``, ``None``, tuples,
    dicts); anything else stays a string.
    """
    params: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise CLIError(
                f"--param {item!r} is not of the form name=value "
                "(e.g. --param lr_g=1e-4)."
            )
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip()
        params[key] = value
    return params


def sampler_names() -> dict[str, str]:
    """Command-line names of the samplers in ``ecgaug.generators.__all__``.

    ``{"ttscgan": "TTSCGANSampler", ...}``: the class name, lower-cased, without
    ``Sampler``.
    """
    import ecgaug.generators as generators

    names = {}
    for cls_name in generators.__all__:
        if cls_name.endswith("Sampler"):
            names[cls_name[: -len("Sampler")].lower()] = cls_name
    return names


def resolve_sampler_class(name: str):
    """The sampler class for a command-line name or a class name."""
    import ecgaug.generators as generators

    names = sampler_names()
    key = name.lower()
    key = key[: -len("sampler")] if key.endswith("sampler") else key
    key = key.replace("-", "").replace("_", "")
    if key not in names:
        raise CLIError(
            f"Unknown sampler {name!r}; choose one of {', '.join(sorted(names))}."
        )
    return getattr(generators, names[key])


# ----------------------------------------------------------------------- files
def check_beats_path(path: Path) -> Path:
    """Refuse an output file whose format ecgaug cannot write."""
    if path.suffix.lower() not in BEAT_FORMATS:
        raise CLIError(
            f"--out {path}: unknown format {path.suffix or '(no suffix)'!r}; "
            "use a .npz or .csv file."
        )
    if path.is_dir():
        raise CLIError(f"--out {path} is a folder; give a file name.")
    return path


def write_beats(
    path: Path, batches: Iterable[tuple[Any, Any]], extra: dict[str, Any] | None = None
) -> int:
    """Write beats ``(X, y)`` arriving in batches to ``.npz`` or ``.csv``, atomically.

    ``.csv`` is the layout of the Kaggle files that
    :func:`~ecgaug.datasets.load_kaggle_heartbeat` reads: no header, one beat
    per row, its samples then its label; it is written batch by batch, so memory
    stays bounded. ``.npz`` holds ``data`` (float32), ``target`` and the arrays
    of ``extra``; read it with ``numpy.load(path)``. Returns the number of beats.
    """
    import numpy as np

    from ecgaug._utils import atomic_path

    n = 0
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                for X, y in batches:
                    X = np.asarray(X)
                    labels = np.asarray(y).reshape(-1, 1)
                    if np.issubdtype(labels.dtype, np.number):
                        table = np.hstack([X.astype(np.float64), labels])
                        np.savetxt(f, table, delimiter=",", fmt="%.9g")
                    else:
                        for row, label in zip(X, labels[:, 0]):
                            values = ",".join(f"{v:.9g}" for v in row)
                            f.write(f"{values},{label}\n")
                    n += len(X)
        else:
            Xs, ys = [], []
            for X, y in batches:
                Xs.append(np.asarray(X))
                ys.append(np.asarray(y))
            data = np.concatenate(Xs) if Xs else np.empty((0, 0), np.float32)
            target = np.concatenate(ys) if ys else np.empty(0, np.int64)
            n = len(data)
            with open(tmp, "wb") as f:
                np.savez_compressed(f, data=data, target=target, **(extra or {}))
    return n


# ---------------------------------------------------------------------- output
def format_table(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str],
    formats: Sequence[str] | None = None,
) -> str:
    """A plain-text table for the terminal, numbers right-aligned.

    ``formats`` gives a format spec per column for floats (``".3f"`` by default).
    """
    formats = list(formats or [".3f"] * len(header))

    def cell(v: Any, fmt: str) -> str:
        if not isinstance(v, float):
            return str(v)
        text = format(v, fmt)
        # a tiny negative value (an unbiased MMD of real vs real) is 0.000, not -0.000
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        return text

    cells = [[cell(v, f) for v, f in zip(row, formats)] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) for row in rows)
        for i in range(len(header))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric)
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep] + [line(r) for r in cells])


def progress(message: str, quiet: bool) -> None:
    """A progress message on stderr, so that stdout holds only results."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` is set to a true value."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")
