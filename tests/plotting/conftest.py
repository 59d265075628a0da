"""Fixtures of the plotting tests: headless matplotlib, real beats, a toy sampler."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from tests.evaluation._toy import GaussianBeatSampler  # noqa: E402


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """One BLAS / OpenMP / torch thread (see tests/evaluation/conftest.py)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(n)


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
