"""CGANSampler: its networks, its training and what the shared checks do not cover."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ecgaug.base import TrainingDivergedError
from ecgaug.generators import CGANSampler
from ecgaug.generators._cgan import ConvGenerator, PatchDiscriminator

# Small networks run fastest on one thread (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread_module")


TINY = {
    "latent_dim": 8,
    "label_embed_dim": 4,
    "g_width": 4,
    "d_width": 4,
    "batch_size": 64,
    "random_state": 0,
}


@pytest.mark.parametrize("n_timesteps", [187, 16, 3])
@pytest.mark.parametrize("n_leads", [1, 2])
def test_networks_shapes(n_timesteps, n_leads):
    torch.manual_seed(0)
    G = ConvGenerator(
        n_timesteps=n_timesteps,
        n_leads=n_leads,
        n_classes=5,
        latent_dim=16,
        label_embed_dim=4,
        width=8,
        n_up=3,
        kernel_size=5,
    ).eval()
    D = PatchDiscriminator(
        n_timesteps=n_timesteps, n_leads=n_leads, n_classes=5, width=8, n_layers=3,
        kernel_size=5,
    )  # fmt: skip
    y = torch.arange(6) % 5
    x = G(torch.randn(6, 16), y)
    assert x.shape == (6, n_leads, n_timesteps)
    assert x.abs().max() <= 1.0  # tanh output
    patches, logits = D(x, y)
    # one realness score per part of the beat, plus class logits
    assert patches.shape == (6, math.ceil(n_timesteps / 8))
    assert logits.shape == (6, 5)


def test_discriminator_scores_are_an_array_over_parts_of_the_beat():
    torch.manual_seed(0)
    D = PatchDiscriminator(
        n_timesteps=187, n_leads=1, n_classes=3, width=8, n_layers=2, kernel_size=5
    ).eval()
    x = torch.rand(4, 1, 187) * 2 - 1
    y = torch.tensor([0, 1, 2, 0])
    before, _ = D(x, y)
    assert before.shape == (4, 47)
    x2 = x.clone()
    x2[..., -10:] = -x2[..., -10:]  # change only the end of the beats
    after, _ = D(x2, y)
    changed = (after - before).abs().amax(dim=0) > 0
    # the patches that do not see the end are untouched: scores are local
    assert not changed[:35].any()
    assert changed[-1]
    # the projection term makes realness depend on the class asked for
    other, _ = D(x, (y + 1) % 3)
    assert not torch.allclose(other, before)


@pytest.mark.slow
def test_short_training_on_real_beats_learns_the_classes(bundled_sample):
    X, y = bundled_sample.data, bundled_sample.target
    sampler = CGANSampler(n_epochs=4, batch_size=64, random_state=0).fit(X, y)
    hist = sampler.history_
    assert [h["epoch"] for h in hist] == [1, 2, 3, 4]
    assert set(hist[0]) >= {"d_loss", "g_loss", "d_cls", "g_cls", "time"}
    # the auxiliary classifier learns the real classes, the generator follows
    assert hist[-1]["d_cls"] < 0.9 * hist[0]["d_cls"]
    assert hist[-1]["g_cls"] < 0.9 * hist[0]["g_cls"]
    Xs, ys = sampler.sample(200, y=np.repeat(np.arange(5), 40))
    assert np.isfinite(Xs).all()
    assert X.min() <= Xs.min() and Xs.max() <= X.max()
    # beats differ within a class (no collapse onto one beat)
    assert Xs[ys == 0].std(axis=0).mean() > 0.02


def test_random_state_seeds_the_weights(bundled_sample):
    X, y = bundled_sample.data[:600], bundled_sample.target[:600]
    a = CGANSampler(n_epochs=1, **TINY).fit(X, y)
    b = CGANSampler(n_epochs=1, **{**TINY, "random_state": 1}).fit(X, y)
    wa = a.generator_.project.weight
    assert torch.equal(
        wa, CGANSampler(n_epochs=1, **TINY).fit(X, y).generator_.project.weight
    )
    assert not torch.equal(wa, b.generator_.project.weight)


def test_save_keeps_generator_average_and_discriminator(bundled_sample, tmp_path):
    X, y = bundled_sample.data[:600], bundled_sample.target[:600]
    fitted = CGANSampler(n_epochs=1, **TINY).fit(X, y)
    fitted.save(tmp_path / "cgan.pt")
    loaded = CGANSampler.load(tmp_path / "cgan.pt", device="cpu")
    for name in ("generator_", "discriminator_", "ema_"):
        a, b = getattr(fitted, name).state_dict(), getattr(loaded, name).state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert not loaded.discriminator_.training
    assert loaded.config_ == fitted.config_


def test_divergence_raises_a_clear_error(bundled_sample):
    X, y = bundled_sample.data[:600], bundled_sample.target[:600]
    sampler = CGANSampler(n_epochs=3, **TINY, lr_g=1e30, lr_d=1e30)
    with pytest.raises(TrainingDivergedError, match="diverged at epoch"):
        sampler.fit(X, y)


def test_preset_and_overrides():
    sampler = CGANSampler(preset="paper", d_layers=2)
    sampler.device_ = torch.device("cpu")
    config = sampler._resolve_config()
    assert config["g_width"] == 64 and config["d_layers"] == 2
    assert set(config) == set(CGANSampler._presets["cpu"])
    with pytest.raises(ValueError, match="preset"):
        CGANSampler(preset="huge").fit(np.random.rand(20, 8), np.arange(20) % 2)
