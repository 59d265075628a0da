"""The noise-prediction network: DiffWave's residual stack with class cross-attention.

====================  =========================================================
Notation              Meaning
====================  =========================================================
``B``                 beats in a batch
``L``                 leads per beat (``n_leads``)
``T``                 time steps per lead (187 for a MIT-BIH beat)
``P``                 time steps per position (``patch_size``; 1 in DiffWave)
``S = ceil(T / P)``   positions the residual stack runs on
``C``                 residual channels (``residual_channels``)
``N``                 residual layers (``n_layers``)
``d_i``               dilation of layer ``i``: ``2 ** (i mod cycle)``
``cycle``             ``min(dilation_cycle, 1 + floor(log2(S - 1)))``
``t``                 diffusion step, a float in ``[0, n_diffusion_steps)``
``y``                 class index; ``n_classes`` is the null class of
                      classifier-free guidance
``K``, ``E``          tokens per class and their size
``H``, ``D``          attention heads and their size
====================  =========================================================

The beat ``x`` (B, L, T) is cut into ``S`` positions of ``P * L`` values and
projected to ``C`` channels, ``h``. Layer ``i`` maps ``h`` to ``(h + r) / sqrt 2``
and adds its skip output ``s`` to a running sum::

    u = h + W_i (mlp(emb(t)) + W_y mean_k tok(y)_k)     # (B, C, S)
    z = DilatedConv_{d_i}(u) [+ CrossAttn(u, tok(y))]    # (B, 2C, S)
    g = (1 + tanh z[:C]) * tanh z[C:]                    # (B, C, S)
    r, s = Conv1x1(g)                                    # (B, C, S) each

and ``eps = Conv1x1(relu(Conv1x1(sum_i s_i / sqrt N)))`` is reshaped back to
``(B, L, T)``. The class enters as the ecgaug paper describes: an embedding
added to the network (here to DiffWave's diffusion-step embedding, which
biases every layer) and a cross-attention from the residual stream to the
class's ``K`` learned tokens (in every ``attention_every``-th layer).

Written for CPU throughput, without changing the model (measured in
``benchmarks/diffusion_sampler.py``):

- activations are channels-last ``(B, C, 1, S)`` tensors and the convolutions
  2-D with a ``(1, k)`` kernel: oneDNN runs those without the layout reorders
  it inserts around ``Conv1d`` (1.7-3x faster float32 convolutions here);
- DiffWave's skip outputs are summed as they come (the reference stacks all 30,
  28 % of its inference time): the layers update one state ``[h, skip sum]``
  in place, with one add and one per-channel scale;
- DiffWave's gate ``sigmoid(a) tanh(b)`` is computed as ``(1 + tanh a) tanh b``,
  the same function with the factors of ``sigmoid(a) = (1 + tanh(a/2)) / 2``
  moved into the weights: one ``tanh`` over the contiguous convolution output;
- the dilation cycle is capped where the taps would read only padding:
  DiffWave's cycle of 10 reaches 512, but a 187-step beat has no sample 256
  steps away, so the cycle is 8 (1 ... 128) there, and 1 when ``S <= 2``;
- the cross-attention is folded: ``q . k_j = u . (W_q^T k_j)`` and
  ``W_o sum_j a_j v_j = sum_j a_j (W_o v_j)``, so a layer costs ``3 H K C``
  multiply-adds per position, whatever the head size, and the folded keys and
  values are computed once per class and sampling run (:meth:`DiffWave.context`);
- ``P > 1`` runs the stack on ``P`` times fewer positions (the ``"cpu"``
  preset's main saving; ``P = 1`` is DiffWave);
- sampling on a CPU runs the same function in a fused form with three fewer
  element-wise passes per layer (:mod:`.inference`); training runs
  :meth:`DiffWave.forward_layers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .inference import fused_forward

__all__ = [
    "ClassContext",
    "ClassCrossAttention",
    "DiffWave",
    "DiffWaveConfig",
    "DiffusionEmbedding",
    "ResidualBlock",
    "dilations_for",
]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)

Folded = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class ClassContext(NamedTuple):
    """What the network needs of the classes of a batch, once per distinct class.

    Attributes
    ----------
    index : torch.Tensor of shape (B,)
        Each beat's row in the per-class tensors.
    vector : torch.Tensor of shape (M, hidden)
        The class vector added to the diffusion-step embedding.
    folded : list of (tuple of torch.Tensor or None)
        Per layer, the folded attention tensors of the ``M`` classes
        (:meth:`ClassCrossAttention.fold`), or None.
    """

    index: torch.Tensor
    vector: torch.Tensor
    folded: list[Folded | None]


def dilations_for(n_layers: int, dilation_cycle: int, n_positions: int) -> list[int]:
    """Dilations ``2 ** (i mod cycle)``, the cycle capped so that ``d < S``.

    A kernel-3 tap at distance ``d >= S`` reads only zero padding, so
    DiffWave's cycle is shortened to ``1 + floor(log2(S - 1))`` layers on short
    signals: 8 on a 187-step beat, 1 when ``S <= 2``.
    """
    useful = 1 + int(math.log2(n_positions - 1)) if n_positions > 2 else 1
    cycle = max(1, min(dilation_cycle, useful))
    return [2 ** (i % cycle) for i in range(n_layers)]


@dataclass
class DiffWaveConfig:
    """Sizes of :class:`DiffWave` (see the module's notation table)."""

    n_timesteps: int
    n_classes: int
    n_leads: int = 1
    residual_channels: int = 64
    n_layers: int = 30
    dilation_cycle: int = 10
    patch_size: int = 1
    step_embed_dim: int = 128
    step_hidden_dim: int = 512
    class_embed_dim: int = 64
    n_class_tokens: int = 4
    n_heads: int = 2
    head_dim: int = 32
    attention_every: int = 1

    @property
    def n_positions(self) -> int:
        """``S = ceil(T / P)``."""
        return -(-self.n_timesteps // self.patch_size)


class DiffusionEmbedding(nn.Module):
    """DiffWave's diffusion-step embedding: sinusoids of ``t``, then a 2-layer MLP.

    ``t`` may be fractional (DiffWave's fast sampler evaluates the network
    between training steps): the sinusoids are computed, not looked up.
    """

    def __init__(self, dim: int = 128, hidden_dim: int = 512):
        super().__init__()
        half = dim // 2
        freqs = 10.0 ** (torch.arange(half) * 4.0 / max(half - 1, 1))  # (dim/2,)
        self.register_buffer("freqs", freqs, persistent=False)
        self.projection1 = nn.Linear(2 * half, hidden_dim)
        self.projection2 = nn.Linear(hidden_dim, hidden_dim)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angles = t.float()[:, None] * self.freqs  # (B, dim/2)
        e = torch.cat([angles.sin(), angles.cos()], dim=-1)  # (B, dim)
        e = F.silu(self.projection1(e))  # (B, hidden)
        return F.silu(self.projection2(e))  # (B, hidden)


class ClassCrossAttention(nn.Module):
    """Multi-head cross-attention from the residual stream to ``K`` class tokens.

    Computes ``W_o MHA(q = W_q u, k = W_k c, v = W_v c) + b_o`` in folded form
    (see the module docstring): :meth:`fold` turns each class's tokens into
    ``H K`` keys of size ``C`` and ``H K`` values of size ``C_out``;
    :meth:`forward` applies them to ``u`` and adds the result to ``z``.
    """

    def __init__(
        self,
        channels: int,
        out_channels: int,
        context_dim: int,
        n_heads: int,
        head_dim: int,
    ):
        super().__init__()
        self.n_heads, self.head_dim = n_heads, head_dim
        inner = n_heads * head_dim
        self.to_q = nn.Linear(channels, inner)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Linear(inner, out_channels)

    def fold(self, tokens: torch.Tensor) -> Folded:
        """Folded keys ``(M, H*K, C)``, key biases ``(M, H*K, 1)`` and values
        ``(M, C_out, H*K)`` of ``M`` token sets ``(M, K, E)``.

        The ``1/sqrt(D)`` scale is in the keys; ``b_o / H`` is in every value
        (each head's attention weights sum to one).
        """
        M, K, _ = tokens.shape
        H, D = self.n_heads, self.head_dim
        k = self.to_k(tokens).view(M, K, H, D).transpose(1, 2) * D**-0.5  # (M,H,K,D)
        v = self.to_v(tokens).view(M, K, H, D).transpose(1, 2)  # (M, H, K, D)
        w_q = self.to_q.weight.view(H, D, -1)  # (H, D, C)
        keys = torch.einsum("mhkd,hdc->mhkc", k, w_q).flatten(1, 2)  # (M, HK, C)
        key_bias = torch.einsum("mhkd,hd->mhk", k, self.to_q.bias.view(H, D))
        w_o = self.to_out.weight.view(-1, H, D)  # (C_out, H, D)
        values = torch.einsum("mhkd,ohd->mohk", v, w_o).flatten(2)  # (M, C_out, HK)
        values = values + self.to_out.bias[:, None] / H
        return keys, key_bias.flatten(1)[:, :, None], values

    def forward(self, z: torch.Tensor, u: torch.Tensor, folded: Folded) -> torch.Tensor:
        """``z + attention(u)``: ``u`` (B, C, 1, S) attends to its beat's tokens;
        ``z`` is (B, C_out, 1, S); both channels-last."""
        keys, key_bias, values = folded  # (B, HK, C), (B, HK, 1), (B, C_out, HK)
        B, _, _, S = u.shape
        scores = torch.baddbmm(key_bias, keys, u.squeeze(2))  # (B, HK, S)
        attn = scores.view(B, self.n_heads, -1, S).softmax(dim=2).view(B, -1, S)
        z_t = z.squeeze(2).transpose(1, 2)  # (B, S, C_out), contiguous
        z_t = torch.baddbmm(z_t, attn.transpose(1, 2), values.transpose(1, 2))
        return z_t.transpose(1, 2).unsqueeze(2)  # (B, C_out, 1, S)


class ResidualBlock(nn.Module):
    """One DiffWave layer: gated dilated convolution (+ class cross-attention), 1x1 out.

    Works on the state ``[h, skip sum]`` (B, 2C, 1, S), updated in place:
    ``[(h + r) / sqrt 2, skip + s]``. The gate ``(1 + tanh a) tanh b`` is
    DiffWave's ``sigmoid(a) tanh(b)`` with the factors of 2 of ``sigmoid(a) =
    (1 + tanh(a / 2)) / 2`` moved into the weights: one ``tanh`` over the
    contiguous convolution output instead of two functions on strided halves.
    """

    def __init__(
        self, channels: int, dilation: int, attention: ClassCrossAttention | None
    ):
        super().__init__()
        self.channels = channels
        self.dilated_conv = nn.Conv2d(
            channels, 2 * channels, (1, 3), padding=(0, dilation), dilation=dilation
        )
        self.cross_attention = attention
        self.output_projection = nn.Conv2d(channels, 2 * channels, 1)
        nn.init.kaiming_normal_(self.dilated_conv.weight)
        nn.init.kaiming_normal_(self.output_projection.weight)
        scale = torch.ones(1, 2 * channels, 1, 1)
        scale[:, :channels] = _INV_SQRT2
        self.register_buffer("scale", scale, persistent=False)

    def init_parameters_(self, generator: torch.Generator | None) -> None:
        """DiffWave's Kaiming-normal convolutions (see
        :func:`ecgaug._utils.init_parameters_`)."""
        nn.init.kaiming_normal_(self.dilated_conv.weight, generator=generator)
        nn.init.kaiming_normal_(self.output_projection.weight, generator=generator)

    def forward(
        self, state: torch.Tensor, bias: torch.Tensor, folded: Folded | None
    ) -> torch.Tensor:
        """``state`` (B, 2C, 1, S), ``bias`` (B, C, 1, 1) -> ``state``, updated."""
        C = self.channels
        u = state[:, :C] + bias  # (B, C, 1, S)
        z = self.dilated_conv(u)  # (B, 2C, 1, S)
        if self.cross_attention is not None:
            z = self.cross_attention(z, u, folded)  # (B, 2C, 1, S)
        z = torch.tanh(z)
        g = torch.addcmul(z[:, C:], z[:, :C], z[:, C:])  # (B, C, 1, S)
        out = self.output_projection(g)  # (B, 2C, 1, S): residual r, skip s
        return state.add_(out).mul_(self.scale)


class DiffWave(nn.Module):
    """Class-conditional DiffWave noise-prediction network ``eps(x_t, t, y)``.

    See the module docstring for the notation and the layer equations.

    Parameters
    ----------
    config : DiffWaveConfig
        The sizes.
    """

    def __init__(self, config: DiffWaveConfig):
        super().__init__()
        self.config = cfg = config
        C, N, P = cfg.residual_channels, cfg.n_layers, cfg.patch_size
        self.input_projection = nn.Conv2d(P * cfg.n_leads, C, 1)
        self.diffusion_embedding = DiffusionEmbedding(
            cfg.step_embed_dim, cfg.step_hidden_dim
        )
        # K tokens per class, plus the null class of classifier-free guidance.
        self.class_embedding = nn.Embedding(
            cfg.n_classes + 1, cfg.n_class_tokens * cfg.class_embed_dim
        )
        self.class_projection = nn.Linear(cfg.class_embed_dim, cfg.step_hidden_dim)
        # DiffWave's per-layer diffusion projections, as one (hidden -> N*C) layer.
        self.step_projection = nn.Linear(cfg.step_hidden_dim, N * C)
        self.layers = nn.ModuleList(
            ResidualBlock(
                C,
                d,
                ClassCrossAttention(
                    C, 2 * C, cfg.class_embed_dim, cfg.n_heads, cfg.head_dim
                )
                if i % cfg.attention_every == 0
                else None,
            )
            for i, d in enumerate(dilations_for(N, cfg.dilation_cycle, cfg.n_positions))
        )
        self.skip_projection = nn.Conv2d(C, C, 1)
        self.output_projection = nn.Conv2d(C, P * cfg.n_leads, 1)
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)
        self.to(memory_format=torch.channels_last)

    def init_parameters_(self, generator: torch.Generator | None) -> None:
        """The output starts at zero (see :func:`ecgaug._utils.init_parameters_`)."""
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)

    @property
    def null_class(self) -> int:
        """Index of the unconditional (null) class."""
        return self.config.n_classes

    def context(self, y: torch.Tensor) -> ClassContext:
        """Class context of indices ``y`` (B,), per distinct class; reuse it across
        sampling steps."""
        cfg = self.config
        classes, index = torch.unique(y, return_inverse=True)  # (M,), (B,)
        tokens = self.class_embedding(classes).view(
            len(classes), cfg.n_class_tokens, cfg.class_embed_dim
        )  # (M, K, E)
        attentions = [layer.cross_attention for layer in self.layers]
        folded = [None if a is None else a.fold(tokens) for a in attentions]
        return ClassContext(index, self.class_projection(tokens.mean(dim=1)), folded)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        y: torch.Tensor | None = None,
        *,
        context: ClassContext | None = None,
        bf16: bool = False,
    ) -> torch.Tensor:
        """Predict the noise in ``x`` (B, L, T) at diffusion steps ``t`` (B,) or (1,).

        Give the class indices ``y`` (B,), or their ``context`` (:meth:`context`).
        Without gradients, on a CPU in float32 and with one step for the whole
        batch (sampling), it runs the same function in the fused form of
        :func:`~ecgaug.generators._diffusion.inference.fused_forward`, in
        bfloat16 when ``bf16``.
        """
        context = self.context(y) if context is None else context
        if _can_fuse(x, t):
            dtype = torch.bfloat16 if bf16 else torch.float32
            return fused_forward(self, x, t, context, dtype)
        if bf16:
            raise ValueError(
                "bf16=True applies to CPU sampling only: float32 beats on a CPU, "
                "no gradients, one diffusion step for the whole batch."
            )
        return self.forward_layers(x, t, context)

    def forward_layers(
        self, x: torch.Tensor, t: torch.Tensor, context: ClassContext
    ) -> torch.Tensor:
        """:meth:`forward` layer by layer, as the module docstring writes it
        (what training differentiates)."""
        B, L, T = x.shape
        P, S = self.config.patch_size, self.config.n_positions
        index = context.index
        x = F.pad(x, (0, S * P - T)).view(B, L, S, P)  # (B, L, S, P)
        # channels-last (B, L*P, 1, S): the layout oneDNN's convolutions prefer
        x = x.permute(0, 2, 1, 3).reshape(B, S, 1, L * P).permute(0, 3, 2, 1)
        h = F.relu(self.input_projection(x))  # (B, C, 1, S)
        e = self.diffusion_embedding(t.reshape(-1)) + context.vector[index]
        biases = self.step_projection(e).view(B, len(self.layers), -1, 1, 1)
        C = self.config.residual_channels
        state = torch.empty(  # [h, skip sum], channels-last like the weights
            (B, 2 * C, 1, S),
            dtype=h.dtype,
            device=h.device,
            memory_format=torch.channels_last,
        )
        state[:, :C] = h
        state[:, C:] = 0.0
        for i, layer in enumerate(self.layers):
            folded = context.folded[i]
            if folded is not None:
                folded = tuple(f[index] for f in folded)  # per beat
            state = layer(state, biases[:, i], folded)  # (B, 2C, 1, S)
        skip = state[:, C:] * (1.0 / math.sqrt(len(self.layers)))  # (B, C, 1, S)
        out = self.output_projection(F.relu(self.skip_projection(skip)))
        out = out.reshape(B, L * P, S).view(B, L, P, S).transpose(2, 3)  # (B,L,S,P)
        out = out.reshape(B, L, S * P)
        return out[..., :T]  # (B, L, T)


def _can_fuse(x: torch.Tensor, t: torch.Tensor) -> bool:
    """Whether :func:`fused_forward` applies: inference on a CPU in float32 (no
    autocast), one diffusion step for the whole batch."""
    return (
        not torch.is_grad_enabled()
        and t.numel() == 1
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
    )
