"""``ecgaug evaluate``: quality report and figures for a saved sampler."""

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
    progress,
)
from ecgaug.cli._sample import load_sampler

__all__ = ["add_parser", "run"]

_SECTIONS = (
    "frechet",
    "mmd",
    "prdc",
    "discriminative",
    "adherence",
    "memorisation",
    "protocols",
)
_PROTOCOLS = ("TRTR", "TSTR", "TRTS", "TSTS", "TRSTR")
_EMBEDDINGS = ("tsne", "lle", "umap", "pca")


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug evaluate``."""
    parser = sub.add_parser(
        "evaluate",
        help="quality report and figures for a saved sampler",
        description="Judge a saved sampler against real beats: fidelity (Fréchet "
        "distance in a classifier's embedding, MMD, precision, density, "
        "discriminative AUC), diversity (recall, coverage), label adherence, "
        "memorisation of training beats, and the TRTR/TSTR/TRTS/TSTS/TRSTR "
        "protocols, each next to the value real beats reach "
        "(ecgaug.evaluation.synthetic_quality_report). Give the data the sampler "
        "was trained on (--split, default train) and held-out beats (--test-split, "
        "default test) of the same source. Writes report.csv, report.md and "
        "figures (beats.png, embedding.png, protocols.png) to --out.",
        epilog="Example: ecgaug evaluate tts.pt --sample --out tts_report",
    )
    parser.add_argument("model", type=Path, metavar="MODEL", help="a saved sampler")
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the report and figures (default: MODEL's name + _report)",
    )
    parser.add_argument(
        "--test-split",
        default="test",
        metavar="SPLIT",
        help="held-out split of the same source: test (with --split train) or DS2 "
        "(with --split DS1) (default: %(default)s)",
    )
    parser.add_argument(
        "--test-csv",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="held-out Kaggle CSVs, with --csv for the training ones",
    )
    parser.add_argument(
        "--metrics",
        nargs="+",
        choices=_SECTIONS,
        default=list(_SECTIONS),
        metavar="SECTION",
        help=f"report sections, among {', '.join(_SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--protocols",
        nargs="+",
        choices=_PROTOCOLS,
        default=list(_PROTOCOLS),
        metavar="P",
        help=f"protocols of the 'protocols' section, among {', '.join(_PROTOCOLS)} "
        "(default: all)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        metavar="N",
        help="repeats of the protocols; 2 or more give confidence intervals "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--classifier-epochs",
        type=int,
        default=10,
        metavar="N",
        help="epochs of the one-block ResNetClassifier that judges adherence, "
        "gives the embedding and runs the protocols (default: %(default)s)",
    )
    parser.add_argument(
        "--embeddings",
        nargs="*",
        choices=_EMBEDDINGS,
        default=["tsne", "lle"],
        metavar="METHOD",
        help="2-D embeddings drawn in embedding.png, among tsne, lle, umap (needs "
        "umap-learn), pca; none: no embedding figure (default: tsne lle)",
    )
    add_data_options(parser, default_split="train")
    add_run_options(parser)
    parser.set_defaults(run=run)
    return parser


def _test_data(args: argparse.Namespace):
    """The held-out beats of the same source as the training ones."""
    if args.csv:
        if not args.test_csv:
            raise CLIError(
                "--csv needs --test-csv: the held-out Kaggle file(s) "
                "(e.g. mitbih_test.csv)."
            )
        test_args = argparse.Namespace(**{**vars(args), "csv": args.test_csv})
        return load_data(test_args, quiet=args.quiet)
    if args.test_csv:
        raise CLIError("--test-csv goes with --csv.")
    if not args.sample and args.database == "ptb":
        raise CLIError(
            "PTB has no predefined train/test split: extract it with 'ecgaug data "
            "extract', split it by patient, and call "
            "ecgaug.evaluation.synthetic_quality_report in Python."
        )
    if args.test_split == (args.split or args.default_split):
        raise CLIError(
            f"--split and --test-split are both {args.test_split!r}: the test beats "
            "must be held out from the training ones."
        )
    return load_data(args, split=args.test_split, quiet=args.quiet)


def _protocol_results(report: dict) -> dict | None:
    """The utility rows of a report, in the layout of ``evaluate_protocols``."""
    rows = {"protocol": [], "metric": [], "label": [], "mean": []}
    rows.update(ci_low=[], ci_high=[])
    for i, group in enumerate(report["group"]):
        if group != "utility":
            continue
        protocol, _, metric = report["metric"][i].partition("_")
        label = report["label"][i]
        rows["protocol"].append(protocol)
        rows["metric"].append(metric)
        rows["label"].append(None if label == "all" else label)
        rows["mean"].append(report["value"][i])
        rows["ci_low"].append(report["ci_low"][i])
        rows["ci_high"].append(report["ci_high"][i])
    return rows if rows["protocol"] else None


def run(args: argparse.Namespace) -> int:
    """Compute the report, print its pooled rows, write the files."""
    import numpy as np
    from matplotlib.figure import Figure

    from ecgaug._utils import atomic_path
    from ecgaug.classifiers import ResNetClassifier
    from ecgaug.evaluation import synthetic_quality_report
    from ecgaug.plotting import plot_beats, plot_embeddings, plot_protocols

    if args.repeats < 1 or args.classifier_epochs < 1:
        raise CLIError("--repeats and --classifier-epochs must be at least 1.")
    out = args.out or args.model.with_name(args.model.stem + "_report")
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is a file; give a folder.")
    device = None if args.device == "auto" else args.device
    sampler = load_sampler(args.model, device)
    train, what = load_data(args, quiet=args.quiet)
    test, test_what = _test_data(args)
    if train.data.shape[1] != sampler.n_features_in_:
        raise CLIError(
            f"{args.model} was fitted on beats of {sampler.n_features_in_} features "
            f"but {what} has {train.data.shape[1]}; pass the data it was trained on."
        )
    names = [str(s) for s in train.target_names]
    classifier = ResNetClassifier(
        module__n_blocks=1,
        max_epochs=args.classifier_epochs,
        batch_size=64,
        train_split=None,
        random_state=args.seed,
        device=args.device,
    )
    progress(
        f"Evaluating {type(sampler).__name__} against {len(train.target):,} training "
        f"beats ({what}) and {len(test.target):,} held-out beats ({test_what})",
        args.quiet,
    )
    start = time.perf_counter()
    report = synthetic_quality_report(
        sampler,
        train.data,
        train.target,
        test.data,
        test.target,
        classifier=classifier,
        metrics=args.metrics,
        protocols=args.protocols,
        n_repeats=args.repeats,
        target_names=names,
        random_state=args.seed,
        as_frame=False,
        verbose=0 if args.quiet else 1,
    )
    seconds = time.perf_counter() - start

    out.mkdir(parents=True, exist_ok=True)
    columns = ["group", "metric", "label", "value", "reference", "goal"]
    all_rows = [[report[c][i] for c in columns] for i in range(len(report["group"]))]
    pooled = [row[:2] + row[3:] for row in all_rows if row[2] == "all"]
    print(format_table(pooled, columns[:2] + columns[3:]))
    with atomic_path(out / "report.csv") as tmp, open(tmp, "w", encoding="utf-8") as f:
        full = [*columns, "ci_low", "ci_high"]
        f.write(",".join(full) + "\n")
        for i in range(len(report["group"])):
            f.write(",".join(_csv_cell(report[c][i]) for c in full) + "\n")
    with atomic_path(out / "report.md") as tmp:
        lines = [
            f"# Quality report of `{args.model.name}` ({type(sampler).__name__})",
            "",
            f"Training beats: {what}; held-out beats: {test_what}; seed {args.seed}; "
            f"{seconds:.0f} s.",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
        ]
        lines += [
            "| " + " | ".join(_md_cell(v) for v in row) + " |" for row in all_rows
        ]
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # Figures: synthetic beats drawn with the labels of the held-out beats.
    X_syn, y_syn = sampler.sample(
        len(test.target), y=test.target, random_state=args.seed
    )
    figures = {}
    fig = Figure(figsize=(2.6 * len(np.unique(test.target)) + 1.0, 5.6))
    fig.set_layout_engine("constrained")
    plot_beats(
        test.data,
        test.target,
        X_syn,
        y_syn,
        target_names=names,
        sampling_rate=test.get("fs"),
        random_state=args.seed,
        fig=fig,
    )
    figures["beats.png"] = fig
    if args.embeddings:
        fig = Figure(figsize=(6.0 * len(args.embeddings), 5.0), layout="constrained")
        plot_embeddings(
            test.data,
            test.target,
            X_syn,
            y_syn,
            methods=args.embeddings,
            max_per_class=200,
            target_names=names,
            random_state=args.seed,
            fig=fig,
        )
        figures["embedding.png"] = fig
    protocols = _protocol_results(report)
    if protocols is not None:
        fig = Figure(figsize=(1.6 * len(args.protocols) + 2.0, 4.0))
        fig.set_layout_engine("constrained")
        plot_protocols(protocols, ax=fig.add_subplot())
        figures["protocols.png"] = fig
    for name, fig in figures.items():
        with atomic_path(out / name) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    print("\nPooled rows above ('reference': the same metric for real beats).")
    print(f"Report: {display_path(out / 'report.md')} and report.csv (per class)")
    print(f"Figures: {', '.join(display_path(out / n) for n in figures)}")
    print(f"Time: {seconds:.0f} s")
    return 0


def _csv_cell(value) -> str:
    text = (
        ""
        if value is None
        else (f"{value:.6g}" if isinstance(value, float) else str(value))
    )
    return f'"{text}"' if "," in text else text


def _md_cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
