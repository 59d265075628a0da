"""Every sampler generates context windows (340 samples), and two-lead ones."""

from __future__ import annotations

import numpy as np
import pytest

from ecgaug.datasets._segmentation import CONTEXT_SAMPLES
from ecgaug.generators import CGANSampler, DiffusionSampler, TTSCGANSampler
from tests._fast_params import FAST_PARAMS

pytestmark = pytest.mark.usefixtures("one_thread_module")


@pytest.mark.parametrize("cls", [CGANSampler, TTSCGANSampler, DiffusionSampler])
@pytest.mark.parametrize("n_leads", [1, 2])
def test_context_windows(cls, n_leads):
    rng = np.random.default_rng(0)
    X = rng.random((40, n_leads * CONTEXT_SAMPLES)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    params = {**FAST_PARAMS[cls.__name__], "n_leads": n_leads, "random_state": 0}
    sampler = cls(**params).fit(X, y)
    X_new, y_new = sampler.sample(3, y=1)
    assert X_new.shape == (3, n_leads * CONTEXT_SAMPLES)
    assert X_new.dtype == np.float32 and np.isfinite(X_new).all()
    assert (y_new == 1).all()
