"""``ecgaug._utils``' seeding helpers: networks initialised and trained from an
estimator's own generator, never from torch's global one."""

from __future__ import annotations

import threading

import pytest
import torch
from torch import nn

from ecgaug._utils import active_generator, init_parameters_, rng_scope
from ecgaug.generators._diffusion.network import DiffWave, DiffWaveConfig
from ecgaug.generators._nn.layers import SNConv1d
from ecgaug.generators._nn.transformer import dropout
from ecgaug.generators._nn.tts import TTSDiscriminator


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _build(make, seed_global):
    torch.manual_seed(seed_global)  # must not matter
    return init_parameters_(make(), torch.Generator().manual_seed(7))


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Sequential(
            nn.Linear(4, 3), nn.Conv1d(3, 2, 3), nn.Embedding(5, 2), nn.LayerNorm(2)
        ),
        lambda: SNConv1d(2, 3, 5),
        lambda: TTSDiscriminator(
            n_timesteps=20,
            n_leads=1,
            n_classes=3,
            embed_dim=8,
            depth=1,
            n_heads=2,
            patch_size=4,
            dropout=0.5,
            attn_dropout=0.0,
        ),
        lambda: DiffWave(
            DiffWaveConfig(
                n_timesteps=30,
                n_classes=3,
                n_leads=1,
                residual_channels=4,
                n_layers=2,
                step_embed_dim=8,
                step_hidden_dim=8,
                class_embed_dim=4,
                n_class_tokens=1,
                n_heads=1,
                head_dim=4,
                attention_every=1,
            )
        ),
    ],
    ids=["torch layers", "SNConv1d", "TTSDiscriminator", "DiffWave"],
)
def test_init_depends_on_the_generator_only(make):
    a, b = _state(_build(make, 0)), _state(_build(make, 1))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)
    other = _state(init_parameters_(make(), torch.Generator().manual_seed(8)))
    assert any(not torch.equal(a[k], other[k]) for k in a if a[k].is_floating_point())


def test_init_keeps_custom_initialisations():
    net = _build(
        lambda: DiffWave(
            DiffWaveConfig(
                n_timesteps=30,
                n_classes=3,
                residual_channels=4,
                n_layers=2,
                step_embed_dim=8,
                step_hidden_dim=8,
                class_embed_dim=4,
            )
        ),
        0,
    )
    assert not net.output_projection.weight.any()  # DiffWave starts at zero


def test_init_refuses_modules_it_cannot_seed():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(3))

    with pytest.raises(TypeError, match="Custom has parameters but no init"):
        init_parameters_(nn.Sequential(nn.Linear(2, 2), Custom()), torch.Generator())


def test_rng_scope_is_per_thread_and_drives_dropout():
    x = torch.ones(1000)
    with rng_scope(torch.Generator().manual_seed(3)):
        a = dropout(x, 0.5, training=True)
        seen = []
        t = threading.Thread(target=lambda: seen.append(active_generator()))
        t.start()
        t.join()
        assert seen == [None]  # another thread does not see this scope
    with rng_scope(torch.Generator().manual_seed(3)):
        torch.manual_seed(99)
        b = dropout(x, 0.5, training=True)
    assert torch.equal(a, b) and 300 < int((a == 0).sum()) < 700
    assert active_generator() is None
