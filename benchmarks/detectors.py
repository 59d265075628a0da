"""How close are ecgaug's R-peak detectors to the MIT-BIH reference annotations?

For each detector of ``load_mitbih(segmentation="detector")`` / ``load_ptb``,
run exactly as the loaders run it (first channel, physical units, resampled to
125 Hz with ``resample_poly``), on all 48 MIT-BIH records, and compare the
detections with the annotated AAMI beats using ``wfdb.processing.compare_annotations``
(match window ±150 ms). Reports, summed over records (gross statistics, ANSI/AAMI
EC57 style):

* sensitivity Se = TP / (TP + FN) and positive predictivity +P = TP / (TP + FP);
* beats found per AAMI class (annotated beats with a detection within 150 ms);
* beats per class that ``load_mitbih(segmentation="detector")`` returns (its
  one-to-one pairing may keep slightly fewer than ``compare_annotations``);
* detection time.

Usage::

    python benchmarks/detectors.py --data-home ../shared/data

Writes ``benchmarks/results/detectors.json`` and ``detectors.md`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import sklearn
import wfdb
from wfdb import processing

from ecgaug import __version__
from ecgaug._utils import atomic_path
from ecgaug.datasets import AAMI_CLASSES
from ecgaug.datasets._aami import aami_labels
from ecgaug.datasets._detectors import DETECTORS, detect_r_peaks, match_peaks
from ecgaug.datasets._mitbih import MATCH_TOLERANCE_S, MITDB_RECORDS
from ecgaug.datasets._records import read_annotation, read_signal, signal_to_physical
from ecgaug.datasets._segmentation import TARGET_FS, resample_to

REPO = Path(__file__).resolve().parents[1]


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "none (no commit yet)"
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return commit + (" (with uncommitted changes)" if dirty else "")


def _machine() -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "wfdb": wfdb.__version__,
        "ecgaug": __version__,
    }


def evaluate(data_home: Path) -> dict:
    db = data_home / "mitdb"
    window = int(round(MATCH_TOLERANCE_S * 360))
    results = {d: {"records": {}, "seconds": 0.0} for d in DETECTORS}
    for record in MITDB_RECORDS:
        d_signal, rec = read_signal(db, record, [0])
        ann = read_annotation(db, record)
        labels = aami_labels(ann.symbol)
        ref = np.asarray(ann.sample)[labels >= 0]
        ref_labels = labels[labels >= 0]
        signal = resample_to(signal_to_physical(d_signal, rec), rec.fs, TARGET_FS)[:, 0]
        ref_125 = np.rint(ref * TARGET_FS / rec.fs).astype(np.int64)
        line = [record]
        for detector in DETECTORS:
            start = time.perf_counter()
            peaks = detect_r_peaks(signal, TARGET_FS, detector)
            seconds = time.perf_counter() - start
            test = np.rint(peaks * rec.fs / TARGET_FS).astype(np.int64)
            cmp = processing.compare_annotations(ref, test, window)
            found = np.asarray(cmp.matching_sample_nums) >= 0
            paired = match_peaks(peaks, ref_125, MATCH_TOLERANCE_S * TARGET_FS)
            kept_labels = ref_labels[paired[paired >= 0]]
            results[detector]["seconds"] += seconds
            results[detector]["records"][record] = {
                "tp": int(cmp.tp),
                "fp": int(cmp.fp),
                "fn": int(cmp.fn),
                "annotated": np.bincount(ref_labels, minlength=5).tolist(),
                "found": np.bincount(ref_labels[found], minlength=5).tolist(),
                "loader_beats": np.bincount(kept_labels, minlength=5).tolist(),
                "seconds": round(seconds, 3),
            }
            se, ppv = cmp.sensitivity, cmp.positive_predictivity
            line.append(f"{detector} Se {se:.3f} +P {ppv:.3f}")
        print("  ".join(line), flush=True)
    for res in results.values():
        recs = res["records"].values()
        tp, fp, fn = (sum(r[k] for r in recs) for k in ("tp", "fp", "fn"))
        res["total"] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "sensitivity": tp / (tp + fn),
            "positive_predictivity": tp / (tp + fp),
            "annotated": np.sum([r["annotated"] for r in recs], axis=0).tolist(),
            "found": np.sum([r["found"] for r in recs], axis=0).tolist(),
            "loader_beats": np.sum([r["loader_beats"] for r in recs], axis=0).tolist(),
        }
        res["seconds"] = round(res["seconds"], 2)
    return results


def table(results: dict) -> str:
    head = ["detector", "Se", "+P", "TP", "FP", "FN", "time (s)"]
    head += [f"{c} found" for c in AAMI_CLASSES] + ["beats returned by load_mitbih"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    annotated = next(iter(results.values()))["total"]["annotated"]
    for detector, res in results.items():
        t = res["total"]
        per_class = [f"{f} / {a} ({f / a:.1%})" for f, a in zip(t["found"], annotated)]
        cells = [
            detector,
            f"{t['sensitivity']:.4f}",
            f"{t['positive_predictivity']:.4f}",
            str(t["tp"]),
            str(t["fp"]),
            str(t["fn"]),
            f"{res['seconds']:.1f}",
            *per_class,
            f"{sum(t['loader_beats'])} ({t['loader_beats']})",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-home",
        type=Path,
        default=Path(os.environ.get("ECGAUG_DATA", REPO / "../shared/data")).resolve(),
        help="folder holding mitdb/ (default: $ECGAUG_DATA or ../shared/data)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = evaluate(args.data_home)
    wall = time.perf_counter() - start
    best = max(
        results,
        key=lambda d: (
            results[d]["total"]["sensitivity"]
            + results[d]["total"]["positive_predictivity"]
        ),
    )
    report = {
        "benchmark": "R-peak detectors vs MIT-BIH annotations (AAMI beats, ±150 ms)",
        "command": "python benchmarks/detectors.py " + " ".join(argv or sys.argv[1:]),
        "git_commit": _git_commit(),
        "machine": _machine(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_seconds": round(wall, 1),
        "records": len(MITDB_RECORDS),
        "match_window_s": MATCH_TOLERANCE_S,
        "closest_to_annotations": best,
        "detectors": results,
    }
    machine = report["machine"]
    md = "\n".join(
        [
            "# R-peak detectors vs the MIT-BIH Arrhythmia annotations",
            "",
            f"All {len(MITDB_RECORDS)} records, first channel resampled to 125 Hz "
            "as the loaders do; reference = annotated AAMI beats; match window "
            "±150 ms (`wfdb.processing.compare_annotations`); gross Se and +P over "
            "all records. "
            "'found' = annotated beats with a detection; the last column is what "
            '`load_mitbih(segmentation="detector")` returns (one-to-one pairs; '
            "N, S, V, F, Q).",
            "",
            table(results),
            "",
            f"Closest to the annotations (Se + +P): **{best}**, the loaders' default.",
            "",
            f"- command: `{report['command'].strip()}`",
            f"- git commit: {report['git_commit']}",
            f"- machine: {machine['platform']}, {machine['cpu_count']} CPUs, "
            f"Python {machine['python']}, wfdb {machine['wfdb']}",
            f"- date: {report['date_utc']}; wall time {report['wall_seconds']} s "
            "(records read once, both detectors)",
            "",
        ]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / "detectors.json") as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    with atomic_path(args.out / "detectors.md") as tmp:
        tmp.write_text(md)
    print()
    print(table(results))
    print(f"\nclosest to the annotations: {best}; wall time {wall:.1f} s")
    print(f"wrote {args.out / 'detectors.json'} and {args.out / 'detectors.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
