"""Real ECG heartbeat data: PhysioNet loaders, beat segmentation, AAMI labels, a sample.

Shaped like :mod:`sklearn.datasets`: every loader returns a
:class:`~sklearn.utils.Bunch`, or ``(X, y)`` with ``return_X_y=True``; ``X`` is
float32 of shape ``(n_beats, n_leads * 187)`` in [0, 1], ``y`` int64.

Records are read from ``data_home`` (one folder per PhysioNet database,
``mitdb/``, ``ptbdb/``; see :func:`get_data_home`), downloaded with ``wfdb`` when
absent, and checked against their header checksums and PhysioNet's SHA256SUMS.
Extracted beats are cached apart from the records (see :func:`get_cache_dir`).
"""

from ._aami import AAMI_CLASSES
from ._home import clear_cache, get_cache_dir, get_data_home
from ._kaggle import load_kaggle_heartbeat
from ._mitbih import load_mitbih
from ._ptb import load_ptb
from ._relative import add_record_difference
from ._rr import RR_FEATURE_NAMES, log_rr_transformer, rr_features
from ._sample import load_sample

__all__ = [
    "AAMI_CLASSES",
    "RR_FEATURE_NAMES",
    "add_record_difference",
    "clear_cache",
    "get_cache_dir",
    "get_data_home",
    "load_kaggle_heartbeat",
    "load_mitbih",
    "load_ptb",
    "load_sample",
    "log_rr_transformer",
    "rr_features",
]
