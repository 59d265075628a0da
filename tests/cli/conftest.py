"""Fixtures of the command-line tests: running ``ecgaug`` in-process, a tiny model."""

from __future__ import annotations

import shlex

import numpy as np
import pytest

from ecgaug.cli import main
from tests._fast_params import FAST_PARAMS

#: The sampler of the round-trip tests, and its tiny settings when
#: ``tests/_fast_params.py`` has none for it.
CLI_SAMPLER = "CGANSampler"
_TINY = {"CGANSampler": {"n_epochs": 1, "batch_size": 64, "g_width": 8, "d_width": 8}}


def tiny_params() -> dict:
    """Settings that train ``CLI_SAMPLER`` in seconds."""
    return {**_TINY.get(CLI_SAMPLER, {}), **FAST_PARAMS.get(CLI_SAMPLER, {})}


def param_args(params: dict) -> list[str]:
    """``--param name=value`` for each entry."""
    return [arg for k, v in params.items() for arg in ("--param", f"{k}={v!r}")]


class Run:
    """The result of one in-process ``ecgaug`` call."""

    def __init__(self, rc: int, out: str, err: str):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self) -> str:
        return f"Run(rc={self.rc}, out={self.out[-500:]!r}, err={self.err[-500:]!r})"


@pytest.fixture
def ecgaug(capsys):
    """Call ``ecgaug ARGS...`` in this process; returns a :class:`Run`.

    A ``str`` argument is split like a shell would (``"-n 5 -q"``); paths and
    numbers are one argument each.
    """

    def run(*argv) -> Run:
        args = [
            part
            for a in argv
            for part in (shlex.split(a) if isinstance(a, str) else [str(a)])
        ]
        capsys.readouterr()
        rc = main(args)
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)

    return run


def _write_csv(path, X, y):
    table = np.hstack([X.astype(np.float64), y[:, None]])
    np.savetxt(path, table, delimiter=",", fmt="%.9g")
    return path


@pytest.fixture(scope="session")
def small_csvs(tmp_path_factory, bundled_sample):
    """Disjoint Kaggle-layout CSVs of the bundled sample: 60 and 30 beats per class."""
    rng = np.random.RandomState(0)
    train, test = [], []
    for c in range(5):
        idx = rng.choice(np.flatnonzero(bundled_sample.target == c), 90, replace=False)
        train.append(idx[:60])
        test.append(idx[60:])
    folder = tmp_path_factory.mktemp("data")
    X, y = bundled_sample.data, bundled_sample.target
    train, test = np.concatenate(train), np.concatenate(test)
    return (
        _write_csv(folder / "small_train.csv", X[train], y[train]),
        _write_csv(folder / "small_test.csv", X[test], y[test]),
    )


@pytest.fixture(scope="session")
def small_csv(small_csvs):
    """The training CSV of ``small_csvs`` (300 beats, all classes)."""
    return small_csvs[0]


@pytest.fixture(scope="session")
def fitted_model(tmp_path_factory, small_csv):
    """A sampler trained by ``ecgaug fit`` on ``small_csv`` with seed 0."""
    path = tmp_path_factory.mktemp("model") / "model.pt"
    rc = main(
        [
            "fit",
            CLI_SAMPLER.removesuffix("Sampler").lower(),
            "--csv",
            str(small_csv),
            "--seed",
            "0",
            "--device",
            "cpu",
            "--out",
            str(path),
            "--quiet",
            *param_args(tiny_params()),
        ]
    )
    assert rc == 0 and path.is_file()
    return path
