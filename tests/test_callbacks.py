"""Checkpoint: bad settings fail when made or when training begins."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from ecgaug.callbacks import Checkpoint
from ecgaug.generators import CGANSampler
from tests._fast_params import FAST_PARAMS


class _Recorder:
    """Stands in for a sampler: records the paths it is saved to."""

    def __init__(self):
        self.saved = []
        self.history_ = [{"epoch": 4}]

    def save(self, path):
        self.saved.append(str(path))


@pytest.mark.parametrize("every", [0, -1, 1.5, True, "2"])
def test_bad_every_fails_when_made(every):
    with pytest.raises(ValueError, match="every must be a positive integer"):
        Checkpoint("ckpt.pt", every=every)


@pytest.mark.parametrize("path", ["ckpt-{step}-{epoch}.pt", "ckpt-{epoch}-{}.pt"])
def test_unformattable_path_fails_when_made(path):
    with pytest.raises(ValueError, match="cannot be formatted.*double any other"):
        Checkpoint(path)


def test_paths_with_and_without_the_epoch(tmp_path):
    sampler = _Recorder()
    Checkpoint(tmp_path / "run{1}" / "ckpt.pt").on_train_end(sampler)
    Checkpoint(str(tmp_path / "c-{epoch:03d}-{{x}}.pt"), every=2).on_epoch_end(
        sampler, {"epoch": 2}
    )
    assert sampler.saved == [
        str(tmp_path / "run{1}" / "ckpt.pt"),  # no {epoch}: the path as it is
        str(tmp_path / "c-002-{x}.pt"),
    ]


def test_changed_settings_fail_before_the_first_epoch(tmp_path):
    cb = Checkpoint(tmp_path / "ckpt-{epoch}.pt")
    cb.every = 0
    X = np.random.default_rng(0).normal(size=(40, 32)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    sampler = clone(CGANSampler(**FAST_PARAMS["CGANSampler"])).set_params(
        callbacks=[cb]
    )
    with pytest.raises(ValueError, match="every must be a positive integer"):
        sampler.fit(X, y)
    assert not list(tmp_path.iterdir())
