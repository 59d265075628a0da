"""Where ecgaug looks for PhysioNet records and where it keeps extracted beats."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["clear_cache", "get_cache_dir", "get_data_home"]

DATA_HOME_ENV = "ECGAUG_DATA"
CACHE_DIR_ENV = "ECGAUG_CACHE"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds the PhysioNet databases.

    The folder has one subfolder per PhysioNet database, named as PhysioNet names
    it: ``mitdb/`` for the MIT-BIH Arrhythmia Database, ``ptbdb/`` for the PTB
    Diagnostic ECG Database. Records a loader downloads go there too. The folder
    is only read from, except by downloads, so it may be read-only when the
    records are already in place.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default the environment variable ``ECGAUG_DATA``,
        or ``~/ecgaug_data`` when that is unset.

    Returns
    -------
    data_home : pathlib.Path
        The absolute path (it is not created here).

    Examples
    --------
    >>> from ecgaug.datasets import get_data_home
    >>> get_data_home("/srv/physionet")
    PosixPath('/srv/physionet')
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~") / "ecgaug_data"
    return Path(data_home).expanduser().absolute()


def get_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder where extracted beats are cached.

    The cache is kept apart from ``data_home`` so that the records may lie on a
    read-only disk. Every cache file can be rebuilt from the records, so the
    folder may be deleted at any time (see :func:`clear_cache`).

    Parameters
    ----------
    cache_dir : str or path-like, default=None
        The folder to use. By default the environment variable ``ECGAUG_CACHE``,
        or ``~/.cache/ecgaug`` when that is unset.

    Returns
    -------
    cache_dir : pathlib.Path
        The absolute path (it is not created here).

    Examples
    --------
    >>> from ecgaug.datasets import get_cache_dir
    >>> get_cache_dir("/tmp/ecgaug-cache")
    PosixPath('/tmp/ecgaug-cache')
    """
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_DIR_ENV) or Path("~") / ".cache" / "ecgaug"
    return Path(cache_dir).expanduser().absolute()


def clear_cache(cache_dir: str | os.PathLike | None = None) -> int:
    """Delete the beats cached by the loaders; the records are left alone.

    Parameters
    ----------
    cache_dir : str or path-like, default=None
        The cache folder, as in :func:`get_cache_dir`.

    Returns
    -------
    n_removed : int
        How many cache files were removed, counting the temporary files that
        an interrupted cache write left behind. Do not clear the cache while
        a loader is filling it: that loader's new files are then lost (with
        a warning), not its beats.

    Examples
    --------
    >>> from ecgaug.datasets import clear_cache
    >>> n_removed = clear_cache()  # doctest: +SKIP
    """
    cache_dir = get_cache_dir(cache_dir)
    if not cache_dir.is_dir():
        return 0
    n_removed = 0
    for sub in sorted(cache_dir.iterdir()):
        # Only the folders the loaders create are touched: ``<database>/*.npz``,
        # and the ``.<name>.npz.<random>.tmp`` files that a write killed before
        # its atomic rename leaves beside them (see ecgaug._utils.atomic_path).
        if sub.is_dir() and not sub.is_symlink():
            files = [*sub.glob("*.npz"), *sub.glob(".*.npz.*.tmp")]
            for path in files:
                path.unlink()
            n_removed += len(files)
            if not any(sub.iterdir()):
                shutil.rmtree(sub)
    return n_removed
