"""AAMI EC57 classes from WFDB symbols."""

from __future__ import annotations

from ecgaug.datasets import AAMI_CLASSES
from ecgaug.datasets._aami import AAMI_SYMBOLS, aami_labels


def test_classes_and_symbols():
    assert AAMI_CLASSES == ("N", "S", "V", "F", "Q")
    symbols = [s for name in AAMI_CLASSES for s in AAMI_SYMBOLS[name]]
    assert len(symbols) == len(set(symbols)) == 15


def test_labels_of_beats_and_non_beats():
    labels = aami_labels(
        ["N", "L", "A", "J", "V", "E", "F", "/", "f", "Q", "+", "~", "!"]
    )
    assert labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 4, 4, 4, -1, -1, -1]
    assert aami_labels([]).dtype.kind == "i"
