"""Pre-norm transformer encoder blocks for sequences of beat patches.

The block of TTS-GAN / TTS-CGAN (Li et al. 2022): ``x + Dropout(MHA(LN(x)))``
then ``x + Dropout(FFN(LN(x)))`` with a GELU feed-forward network of width
``mlp_ratio * dim``. Attention runs through
:func:`torch.nn.functional.scaled_dot_product_attention`, which on CPU and GPU
never materialises the ``(B, heads, N, N)`` attention map; the map is only
built when attention dropout is asked for or when a gradient penalty needs a
second derivative, which the fused kernels do not provide.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ecgaug._utils import active_generator

__all__ = ["Dropout", "SelfAttention", "TransformerBlock", "TransformerEncoder"]


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout with masks drawn from 16-bit random integers.

    The masks are Bernoulli with the drop rate ``p`` rounded to a multiple of
    2**-16 (exact for 0.5), scaled so that the expectation is unchanged; on CPU
    they are drawn ~3x faster than by :func:`torch.nn.functional.dropout`
    (``bernoulli_``), which matters at TTS-CGAN's rate of 0.5 on every block.

    The masks come from :func:`ecgaug._utils.active_generator` (the fitting
    estimator's own generator), or torch's global generator outside a fit.
    ``torch.nn.functional.dropout`` takes no generator, so it is not used.
    """
    if not training or p == 0.0:
        return x
    n_drop = round(p * 65536)
    if n_drop >= 65536:
        return x * 0.0
    n = x.numel()
    bits = torch.randint(
        -(2**31),
        2**31,
        ((n + 1) // 2,),
        dtype=torch.int32,
        device=x.device,
        generator=active_generator(),
    )
    r = bits.view(torch.int16)[:n].view(x.shape)  # uniform on [-2**15, 2**15)
    keep = r >= n_drop - 32768
    return x * keep.to(x.dtype).mul_(65536 / (65536 - n_drop))


class Dropout(nn.Module):
    """:class:`torch.nn.Dropout` drawn with :func:`dropout`."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class SelfAttention(nn.Module):
    """Multi-head self-attention with one fused query/key/value projection.

    Parameters
    ----------
    dim : int
        Token size; a multiple of ``n_heads``.
    n_heads : int
        Number of heads.
    attn_dropout : float, default=0.0
        Dropout on the attention probabilities (training only).
    scale : float or None, default=None
        Logit scale; ``None`` is ``1 / sqrt(dim // n_heads)``.
    """

    def __init__(
        self,
        dim: int,
        n_heads: int,
        attn_dropout: float = 0.0,
        scale: float | None = None,
    ):
        super().__init__()
        if dim % n_heads:
            raise ValueError(
                f"embedding size {dim} is not a multiple of n_heads={n_heads}"
            )
        self.n_heads = n_heads
        self.attn_dropout = attn_dropout
        self.scale = scale if scale is not None else (dim // n_heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, double_backward: bool = False) -> torch.Tensor:
        B, N, D = x.shape  # (B, N, D)
        H = self.n_heads
        qkv = self.qkv(x).view(B, N, 3, H, D // H).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (B, H, N, D/H)
        p = self.attn_dropout if self.training else 0.0
        if p > 0 or double_backward:
            att = (q @ k.transpose(-2, -1)) * self.scale  # (B, H, N, N)
            att = dropout(att.softmax(dim=-1), p, training=True)
            out = att @ v  # (B, H, N, D/H)
        else:
            out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        out = out.transpose(1, 2).reshape(B, N, D)  # (B, N, D)
        return self.proj(out)


class TransformerBlock(nn.Module):
    """Pre-norm encoder block: attention then feed-forward, each residual.

    Parameters
    ----------
    dim, n_heads, attn_dropout, scale
        As in :class:`SelfAttention`.
    dropout : float
        Dropout on both residual branches and inside the feed-forward network.
    mlp_ratio : int, default=4
        Width of the feed-forward network relative to ``dim``.
    """

    def __init__(
        self,
        dim: int,
        n_heads: int,
        dropout: float,
        attn_dropout: float = 0.0,
        mlp_ratio: int = 4,
        scale: float | None = None,
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, n_heads, attn_dropout, scale)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_ratio * dim),
            nn.GELU(),
            Dropout(dropout),
            nn.Linear(mlp_ratio * dim, dim),
        )
        self.drop = Dropout(dropout)

    def forward(self, x: torch.Tensor, double_backward: bool = False) -> torch.Tensor:
        # x (B, N, D)
        x = x + self.drop(self.attn(self.norm1(x), double_backward))
        return x + self.drop(self.mlp(self.norm2(x)))


class TransformerEncoder(nn.Module):
    """``depth`` :class:`TransformerBlock` in sequence (same arguments)."""

    def __init__(self, depth: int, **block_kwargs):
        super().__init__()
        self.blocks = nn.ModuleList(
            TransformerBlock(**block_kwargs) for _ in range(depth)
        )

    def forward(self, x: torch.Tensor, double_backward: bool = False) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, double_backward)  # (B, N, D)
        return x
