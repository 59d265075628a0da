"""Train/test splits of MIT-BIH beats: intra-patient 80/20 and de Chazal's DS1/DS2."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

__all__ = ["DS1", "DS2", "PACED", "SPLITS", "SPLIT_RANDOM_STATE", "split_mask"]

#: ``random_state`` of the stratified 80/20 split (``split="train" | "test"``).
SPLIT_RANDOM_STATE = 42
#: Fraction of beats in ``split="test"``.
TEST_SIZE = 0.2

#: Inter-patient split of de Chazal, O'Dwyer and Reilly (2004): training records.
DS1 = tuple(
    """101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220
    223 230""".split()
)
#: Inter-patient split of de Chazal et al. (2004): test records.
DS2 = tuple(
    """100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232
    233 234""".split()
)
#: Records with paced beats, left out of DS1 and DS2 as AAMI EC57 recommends.
PACED = ("102", "104", "107", "217")

SPLITS = ("all", "train", "test", "DS1", "DS2")


def split_mask(split: str, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the beats in ``split``.

    ``"train"``/``"test"``: ``train_test_split(test_size=0.2, stratify=y,
    random_state=SPLIT_RANDOM_STATE)`` over the beats given; a class with a single
    beat cannot be stratified and goes to ``"train"``. ``"DS1"``/``"DS2"``: the
    beats whose record (``groups``) is in that list.
    """
    y = np.asarray(y)
    if split == "all":
        return np.ones(len(y), dtype=bool)
    if split in ("DS1", "DS2"):
        return np.isin(np.asarray(groups).astype(str), DS1 if split == "DS1" else DS2)
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}; use one of {SPLITS}.")
    classes, counts = np.unique(y, return_counts=True)
    rare = np.isin(y, classes[counts < 2])
    is_test = np.zeros(len(y), dtype=bool)
    idx = np.flatnonzero(~rare)
    if len(idx) >= 2:
        _, test_idx = train_test_split(
            idx, test_size=TEST_SIZE, stratify=y[idx], random_state=SPLIT_RANDOM_STATE
        )
        is_test[test_idx] = True
    return is_test if split == "test" else ~is_test
