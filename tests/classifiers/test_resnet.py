"""ResNet1D: shapes, configuration, replaceable head, input checks."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ecgaug.classifiers import ResNet1D, ResNet1DConfig

# Small networks run fastest on one thread (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("one_thread_module")


def test_kachuee_default_architecture():
    net = ResNet1D()
    cfg = net.config
    assert (cfg.n_blocks, cfg.n_filters, cfg.kernel_size, cfg.n_dense) == (5, 32, 5, 32)
    assert len(net.blocks) == 5
    assert net.stem.out_channels == 32 and net.stem.kernel_size == (5,)
    # 187 -> 94 -> 47 -> 24 -> 12 -> 6 after the five 2-strided max-poolings
    assert cfg.n_timesteps_out == 6
    assert net.dense[0].in_features == 32 * 6
    assert isinstance(net.head, nn.Linear)
    assert (net.head.in_features, net.head.out_features) == (32, 5)


def test_paper_one_block_network():
    net = ResNet1D(n_blocks=1, n_classes=2)
    assert len(net.blocks) == 1
    assert net.dense[0].in_features == 32 * 94
    assert net(torch.randn(3, 187)).shape == (3, 2)


def test_config_object_and_overrides():
    cfg = ResNet1DConfig(n_blocks=1, n_filters=8)
    net = ResNet1D(cfg, n_classes=3)
    assert net.config == ResNet1DConfig(n_blocks=1, n_filters=8, n_classes=3)
    assert cfg.n_classes == 5  # the given config is not mutated
    assert "n_blocks=1" in repr(net)


@pytest.mark.parametrize("n_timesteps", [1, 2, 7, 187])
def test_any_length_goes_through_five_blocks(n_timesteps):
    net = ResNet1D(n_timesteps=n_timesteps, n_filters=4, n_dense=8)
    assert net.config.n_timesteps_out == math.ceil(n_timesteps / 32)
    assert net(torch.randn(2, n_timesteps)).shape == (2, 5)


def test_2d_and_3d_inputs_agree_lead_major():
    torch.manual_seed(0)
    net = ResNet1D(n_leads=2, n_blocks=1, n_filters=4).eval()
    x = torch.randn(4, 2, 187)  # (B, C, T)
    flat = torch.cat([x[:, 0], x[:, 1]], dim=1)  # (B, C * T): lead 0 then lead 1
    torch.testing.assert_close(net(x), net(flat), rtol=0, atol=0)


def test_embed_is_the_head_input():
    torch.manual_seed(0)
    net = ResNet1D(n_blocks=2, n_filters=8, n_dense=16).eval()
    x = torch.randn(5, 187)
    features = net.embed(x)
    assert features.shape == (5, 16)
    assert (features >= 0).all()  # post-ReLU
    torch.testing.assert_close(net.head(features), net(x))


def test_head_is_replaceable():
    net = ResNet1D(n_blocks=1, n_filters=4)
    net.head = nn.Linear(net.config.n_dense, 2)
    assert net(torch.randn(3, 187)).shape == (3, 2)


def test_every_parameter_gets_a_gradient():
    net = ResNet1D(n_blocks=2, n_filters=4, n_dense=8)
    net(torch.randn(6, 187)).logsumexp(dim=1).sum().backward()
    for name, param in net.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_dropout_only_in_training():
    torch.manual_seed(0)
    net = ResNet1D(n_blocks=1, n_filters=4, dropout=0.5)
    x = torch.randn(8, 187)
    net.eval()
    torch.testing.assert_close(net(x), net(x), rtol=0, atol=0)
    net.train()
    assert not torch.equal(net(x), net(x))


@pytest.mark.parametrize(
    "shape, match",
    [
        ((2, 180), "187"),
        ((2, 2, 187), r"\(batch, 1, 187\)"),
        ((2, 1, 180), r"\(batch, 1, 187\)"),
        ((2, 1, 1, 187), "4-D"),
    ],
)
def test_bad_input_shapes(shape, match):
    net = ResNet1D(n_blocks=1, n_filters=4)
    with pytest.raises(ValueError, match=match):
        net(torch.randn(*shape))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kernel_size": 4}, "odd"),
        ({"pool_size": 0}, "odd"),
        ({"n_blocks": -1}, "n_blocks"),
        ({"n_classes": 0}, "n_classes"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ResNet1D(**kwargs)


def test_unknown_config_field():
    with pytest.raises(TypeError, match="n_layers"):
        ResNet1D(n_layers=3)


def test_seeded_dropout_draws_from_its_generator():
    import pickle

    from ecgaug.classifiers._resnet import SeededDropout

    drop = SeededDropout(0.5).train()
    x = torch.ones(1000)
    masks = []
    for _ in range(2):
        drop.generator = torch.Generator().manual_seed(0)
        state = torch.get_rng_state()
        masks.append(drop(x))
        assert torch.equal(torch.get_rng_state(), state)  # global RNG untouched
    assert torch.equal(masks[0], masks[1])
    assert set(masks[0].unique().tolist()) == {0.0, 2.0}  # kept ones scaled by 2
    assert 400 < int(masks[0].count_nonzero()) < 600
    assert torch.equal(drop.eval()(x), x)
    assert pickle.loads(pickle.dumps(drop)).generator is None
    net = ResNet1D(n_blocks=1, dropout=0.3)
    assert [m.p for m in net.modules() if isinstance(m, SeededDropout)] == [0.3, 0.3]
