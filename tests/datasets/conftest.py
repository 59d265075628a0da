"""Fixtures for the dataset tests: the real PhysioNet records and a private cache.

The records are looked for in ``$ECGAUG_TEST_DATA``, else in ``shared/data``
beside the repository (``../shared/data`` from the repo root). Tests that need
them skip with the reason when they are absent. Every test session writes its
beat cache to a fresh temporary folder, so nothing stale from an earlier run or
from ``~/.cache/ecgaug`` is ever read, and full-database extractions are done
once per session.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ecgaug.datasets import load_mitbih

TEST_DATA = Path(
    os.environ.get("ECGAUG_TEST_DATA", Path(__file__).parents[2] / "../shared/data")
).resolve()


def _require(db: str, probe: str) -> Path:
    if not (TEST_DATA / db / probe).is_file():
        pytest.skip(
            f"real PhysioNet data not found: {TEST_DATA / db / probe} is missing. Put "
            f"the '{db}' records there, or set ECGAUG_TEST_DATA to a folder with "
            f"{db}/ in it."
        )
    return TEST_DATA


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """A fresh ECGAUG_CACHE for the whole session (and no stray ECGAUG_DATA)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECGAUG_CACHE", str(tmp_path_factory.mktemp("ecgaug_cache")))
        mp.delenv("ECGAUG_DATA", raising=False)
        yield


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The shared data folder, with the complete MIT-BIH database."""
    return _require("mitdb", "234.dat")


@pytest.fixture(scope="session")
def ptb_home() -> Path:
    """The shared data folder, with the staged PTB record."""
    return _require("ptbdb", "patient001/s0010_re.hea")


@pytest.fixture(scope="session")
def kachuee_all(data_home):
    """All 48 records, ``segmentation="kachuee"`` (extracted once per session)."""
    return load_mitbih(data_home=data_home)


@pytest.fixture(scope="session")
def annotation_all(data_home):
    """All 48 records, ``segmentation="annotation"`` (extracted once per session)."""
    return load_mitbih(data_home=data_home, segmentation="annotation")


@pytest.fixture
def mit_copy(data_home, tmp_path):
    """A writable data_home holding copies of a few MIT-BIH records.

    Returns a function ``copy(*records, manifests=True)`` that copies the
    records' files (and PhysioNet's SHA256 manifest) and returns data_home.
    """

    def copy(*records: str, manifests: bool = True) -> Path:
        db = tmp_path / "data" / "mitdb"
        db.mkdir(parents=True, exist_ok=True)
        names = [f"{r}.{ext}" for r in records for ext in ("hea", "dat", "atr")]
        if manifests:
            names += ["PHYSIONET_SHA256SUMS.txt", "SHA256SUMS"]
        for name in names:
            shutil.copyfile(data_home / "mitdb" / name, db / name)
        return tmp_path / "data"

    return copy
