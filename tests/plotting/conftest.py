"""Fixtures of the plotting tests: headless matplotlib, real beats, a toy sampler."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests._threads import on_one_thread  # noqa: E402
from tests.evaluation._toy import GaussianBeatSampler  # noqa: E402


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """One BLAS / OpenMP / torch thread for the package (``tests/_threads.py``)."""
    yield from on_one_thread(blas=True)


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    """Fail on plt.show(); close the figures a test made."""

    def show(*args, **kwargs):
        raise AssertionError("a plot function called plt.show()")

    monkeypatch.setattr(plt, "show", show)
    yield
    plt.close("all")


@pytest.fixture(scope="package")
def beats():
    """Real beats of the bundled sample (a Bunch) and 60 synthetic beats per class."""
    from ecgaug.datasets import load_sample

    sample = load_sample()
    sampler = GaussianBeatSampler(random_state=0).fit(sample.data, sample.target)
    X_synth, y_synth = sampler.sample(300, y=np.repeat(np.arange(5), 60))
    return sample, X_synth, y_synth
