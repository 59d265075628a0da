"""The GAN samplers' shared step: the per-epoch spread check for mode collapse."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from ecgaug.generators import CGANSampler, TTSCGANSampler
from ecgaug.generators._gan import (
    COLLAPSE_RATIO,
    NOISE_RATIO,
    spread_failures,
    spread_ratio,
)
from tests._fast_params import FAST_PARAMS

GANS = [CGANSampler, TTSCGANSampler]


def _beats(n=32, t=20, seed=0):
    return torch.randn(n, 1, t, generator=torch.Generator().manual_seed(seed))


def test_spread_ratio():
    real = _beats()
    assert spread_ratio(real, real) == pytest.approx(1.0)
    assert spread_ratio(0.5 * real, real) == pytest.approx(0.5)
    one_beat = real[:1].expand(32, 1, 20)
    assert spread_ratio(one_beat, real) == 0.0
    assert np.isnan(spread_ratio(real, one_beat))


def _fit(cls, bundled_sample, **params):
    X, y = bundled_sample.data[:400], bundled_sample.target[:400]
    return cls(**{**FAST_PARAMS[cls.__name__], "random_state": 0, **params}).fit(X, y)


@pytest.mark.parametrize("cls", GANS, ids=lambda c: c.__name__)
def test_history_has_the_spread_of_every_class(cls, bundled_sample, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a 2-epoch GAN
        sampler = _fit(cls, bundled_sample)
    classes = {c.item() for c in sampler.classes_}
    for row in sampler.history_:
        spread = row["spread_by_class"]
        assert set(spread) == classes
        assert all(np.isfinite(v) and v >= 0 for v in spread.values())
    sampler.save(tmp_path / "gan.pt")
    loaded = cls.load(tmp_path / "gan.pt")
    assert (
        loaded.history_[-1]["spread_by_class"]
        == sampler.history_[-1]["spread_by_class"]
    )


@pytest.mark.parametrize("cls", GANS, ids=lambda c: c.__name__)
def test_the_spread_check_does_not_change_the_fit(cls, bundled_sample, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        checked = _fit(cls, bundled_sample)
        monkeypatch.setattr(cls, "_epoch_diagnostics", lambda self, x, y: {})
        unchecked = _fit(cls, bundled_sample)
    X_a, _ = checked.sample(20, y=1, random_state=3)
    X_b, _ = unchecked.sample(20, y=1, random_state=3)
    np.testing.assert_array_equal(X_a, X_b)


@pytest.mark.parametrize("cls", GANS, ids=lambda c: c.__name__)
def test_fit_warns_when_a_class_collapses(cls, bundled_sample, monkeypatch):
    real_generate = cls._generate

    def collapse_class_1(self, y, generator):
        out = real_generate(self, y, generator)
        return torch.where((y == 1)[:, None, None], out[:1], out)  # one beat

    monkeypatch.setattr(cls, "_generate", collapse_class_1)
    with pytest.warns(ConvergenceWarning, match=r"failed: .*\b1 \(0\.00\) vary less"):
        sampler = _fit(cls, bundled_sample)
    assert sampler.history_[-1]["spread_by_class"][1] == 0.0


@pytest.mark.parametrize("cls", GANS, ids=lambda c: c.__name__)
def test_fit_warns_when_a_class_is_noise(cls, bundled_sample, monkeypatch):
    def noise(self, y, generator):  # beats in [0, 1] vary far less than N(0, 1)
        return torch.randn(len(y), 1, self.n_timesteps_, generator=generator)

    monkeypatch.setattr(cls, "_generate", noise)
    with pytest.warns(ConvergenceWarning, match=r"failed: .*more than 2.0 times"):
        sampler = _fit(cls, bundled_sample)
    assert min(sampler.history_[-1]["spread_by_class"].values()) > NOISE_RATIO


@pytest.mark.parametrize("cls", GANS, ids=lambda c: c.__name__)
def test_no_warning_for_beats_as_varied_as_real_ones(cls, bundled_sample, monkeypatch):
    beats = torch.as_tensor(bundled_sample.data[:400])[:, None, :]
    labels = torch.as_tensor(bundled_sample.target[:400])

    def real_beats(self, y, generator):  # a copier: as varied as the data
        pools = [beats[labels == int(self.classes_[c])] for c in y.tolist()]
        rows = [p[torch.randint(len(p), (1,), generator=generator)] for p in pools]
        return torch.cat(rows).to(self.device_)

    monkeypatch.setattr(cls, "_generate", real_beats)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        sampler = _fit(cls, bundled_sample)
    ratios = sampler.history_[-1]["spread_by_class"].values()
    assert COLLAPSE_RATIO <= min(ratios) and max(ratios) <= NOISE_RATIO


def test_spread_failures_reads_both_bounds():
    spread = {0: 1.0, 1: COLLAPSE_RATIO - 0.01, 2: NOISE_RATIO + 0.01, 3: NOISE_RATIO}
    assert spread_failures(spread) == {1: spread[1], 2: spread[2]}
    assert spread_failures({0: float("nan")}) == {}
