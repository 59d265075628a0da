"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from pathlib import Path

# Before SciPy and torch load. sklearn's check_array_api_input (of every
# estimator check run) needs SciPy's array API support switched on, else it
# skips with "SCIPY_ARRAY_API is not set"; with NumPy inputs nothing else changes.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# ecgaug's fits and sampling calls on one torch thread (ecgaug._threads): the
# same bits whatever the load of the machine (the thread count changes the last
# bits of sums, and ecgaug's default follows the load), and the fastest for the
# tests' tiny networks. tests/test_threads.py unsets it to test the default.
os.environ.setdefault("ECGAUG_NUM_THREADS", "1")
import matplotlib  # noqa: E402
import pytest  # noqa: E402

import ecgaug  # noqa: E402,F401  (before torch: OMP_WAIT_POLICY, see ecgaug._threads)
from tests._threads import on_one_thread  # noqa: E402

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]


def shared_data_home() -> Path:
    """The real PhysioNet data: ``$ECGAUG_TEST_DATA`` or ``../shared/data``."""
    return Path(os.environ.get("ECGAUG_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_home() -> Path:
    """Folder holding ``mitdb/`` (and ``ptbdb/``); skips when it is absent."""
    home = shared_data_home()
    if not (home / "mitdb" / "RECORDS").exists():
        pytest.skip(f"real PhysioNet data not found in {home} (set ECGAUG_TEST_DATA)")
    return home


@pytest.fixture(scope="session")
def bundled_sample():
    """The real MIT-BIH sample shipped with ecgaug (a Bunch)."""
    from ecgaug.datasets import load_sample

    return load_sample()


@pytest.fixture
def one_thread():
    """torch on one thread for one test (see ``tests/_threads.py``)."""
    yield from on_one_thread()


@pytest.fixture(scope="module")
def one_thread_module():
    """torch on one thread for a whole module, its module fixtures included."""
    yield from on_one_thread()


def pytest_collection_modifyitems(config, items):
    """The benchmark scripts' smoke runs (the ``runs`` fixture) are slow tests."""
    for item in items:
        if "runs" in getattr(item, "fixturenames", ()) and "benchmarks" in str(
            item.path
        ):
            item.add_marker(pytest.mark.slow)
