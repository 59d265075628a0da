"""Build ``ecgaug/datasets/data/mitbih_sample.npz``, the real beats shipped with ecgaug.

The sample is drawn from ``load_mitbih(segmentation="kachuee")`` (the beats of the
public Kaggle MIT-BIH CSVs) with a fixed seed: N 1500, S 250, V 350, F 150,
Q 250 beats, imbalanced like the database but with enough minority beats for a
demo. Values are kept exactly as the loader makes them (float32). ``is_test``
holds each beat's membership of the loader's own stratified 80/20 split
(``load_mitbih(split="test")``), so a demo can train on the sample's train part
and test on its test part. ``rr`` holds each beat's RR-interval features
(``load_mitbih(rr_features=True)``), computed from all the beats of its record:
the sample's beats are not consecutive, so they could not be computed from it.

Usage::

    python tools/make_sample.py --data-home ../shared/data

The output is written atomically; running it twice gives the same arrays.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ecgaug._utils import atomic_path
from ecgaug.datasets import AAMI_CLASSES, load_mitbih

SEED = 20180101
PER_CLASS = {"N": 1500, "S": 250, "V": 350, "F": 150, "Q": 250}
OUT = (
    Path(__file__).resolve().parents[1]
    / "ecgaug"
    / "datasets"
    / "data"
    / "mitbih_sample.npz"
)


def build(data_home: str | None) -> dict[str, np.ndarray]:
    """The sample's arrays, drawn from the full kachuee extraction."""
    full = load_mitbih(data_home=data_home, segmentation="kachuee", verbose=1)
    test = load_mitbih(data_home=data_home, segmentation="kachuee", split="test")
    # Membership of the loader's own test split, matched by (record, R peak).
    test_keys = set(zip(test.groups.tolist(), test.r_peak.tolist()))
    is_test_full = np.array(
        [key in test_keys for key in zip(full.groups.tolist(), full.r_peak.tolist())]
    )
    if is_test_full.sum() != len(test.target):
        raise RuntimeError("(record, r_peak) does not identify beats uniquely.")

    rng = np.random.default_rng(SEED)
    chosen = []
    for label, name in enumerate(AAMI_CLASSES):
        idx = np.flatnonzero(full.target == label)
        chosen.append(rng.choice(idx, size=PER_CLASS[name], replace=False))
    idx = np.sort(np.concatenate(chosen))  # database order: record, then time
    return {
        "data": full.data[idx],
        "target": full.target[idx],
        "groups": full.groups[idx],
        "r_peak": full.r_peak[idx],
        "symbol": full.symbol[idx],
        "is_test": is_test_full[idx],
        # RR features of each beat, from all the annotated beats of its record.
        "rr": full.rr[idx],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-home",
        default=None,
        help="folder holding mitdb/ (default: $ECGAUG_DATA or ~/ecgaug_data)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    arrays = build(args.data_home)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    counts = np.bincount(arrays["target"], minlength=len(AAMI_CLASSES))
    n_test = np.bincount(
        arrays["target"][arrays["is_test"]], minlength=len(AAMI_CLASSES)
    )
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    for name, n, t in zip(AAMI_CLASSES, counts, n_test):
        print(f"  {name}: {n} beats, {t} in the loader's test split")
    print(f"  records: {len(np.unique(arrays['groups']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
