"""The five heartbeat classes of ANSI/AAMI EC57 and the MIT-BIH symbols in each."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["AAMI_CLASSES", "AAMI_SYMBOLS", "aami_labels"]

#: Class names in label order: ``target == 0`` is ``"N"`` ... ``4`` is ``"Q"``.
AAMI_CLASSES: tuple[str, ...] = ("N", "S", "V", "F", "Q")

#: WFDB beat annotation symbols of each AAMI class (ANSI/AAMI EC57, as used by
#: de Chazal et al. 2004 and Kachuee et al. 2018).
AAMI_SYMBOLS: dict[str, tuple[str, ...]] = {
    "N": ("N", "L", "R", "e", "j"),  # normal, bundle branch blocks, escape beats
    "S": ("A", "a", "J", "S"),  # supraventricular ectopic
    "V": ("V", "E"),  # ventricular ectopic
    "F": ("F",),  # fusion of ventricular and normal
    "Q": ("/", "f", "Q"),  # paced, fusion of paced and normal, unclassifiable
}

_SYMBOL_TO_LABEL = {
    symbol: label
    for label, name in enumerate(AAMI_CLASSES)
    for symbol in AAMI_SYMBOLS[name]
}


def aami_labels(symbols: Sequence[str]) -> np.ndarray:
    """Map WFDB annotation symbols to AAMI labels 0..4, and -1 for non-beats.

    Parameters
    ----------
    symbols : sequence of str
        Annotation symbols, e.g. ``wfdb.rdann(...).symbol``.

    Returns
    -------
    labels : ndarray of int64, shape (len(symbols),)
        Index into :data:`AAMI_CLASSES`, or -1 where the symbol is not an AAMI
        beat (rhythm changes ``+``, noise ``~``, comments ``"``, ...).
    """
    return np.fromiter(
        (_SYMBOL_TO_LABEL.get(s, -1) for s in symbols),
        dtype=np.int64,
        count=len(symbols),
    )
