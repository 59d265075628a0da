"""The networks of TTS-CGAN (Li, Ngu and Metsis 2022): transformer G and D."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .layers import LabelConditionedLatent
from .transformer import TransformerEncoder

__all__ = ["TTSDiscriminator", "TTSGenerator"]


class TTSGenerator(nn.Module):
    """Transformer generator: ``(z, y) -> (B, n_leads, T)``.

    ``[z, embed(y)]`` is mapped by one linear layer to ``N = ceil(T / P)``
    tokens of size ``E``, which pass through ``depth`` pre-norm transformer
    blocks; each token is then projected to ``P`` time steps of every lead
    (TTS-CGAN's 1x1 convolution when ``P = 1``). There is no output
    non-linearity, as in the reference; the sampler clips to the data range.
    """

    def __init__(
        self,
        *,
        n_timesteps: int,
        n_leads: int,
        n_classes: int,
        latent_dim: int,
        label_embed_dim: int,
        embed_dim: int,
        depth: int,
        n_heads: int,
        patch_size: int,
        dropout: float,
        attn_dropout: float,
    ):
        super().__init__()
        self.n_timesteps, self.n_leads, self.patch_size = (
            n_timesteps,
            n_leads,
            patch_size,
        )
        self.n_tokens = math.ceil(n_timesteps / patch_size)
        self.embed_dim = embed_dim
        self.latent = LabelConditionedLatent(n_classes, label_embed_dim)
        self.to_tokens = nn.Linear(
            latent_dim + label_embed_dim, self.n_tokens * embed_dim
        )
        self.blocks = TransformerEncoder(
            depth,
            dim=embed_dim,
            n_heads=n_heads,
            dropout=dropout,
            attn_dropout=attn_dropout,
            scale=embed_dim**-0.5,  # the reference scales by sqrt(E), not sqrt(E/H)
        )
        self.to_signal = nn.Linear(embed_dim, patch_size * n_leads)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        B, N, P, C = len(z), self.n_tokens, self.patch_size, self.n_leads
        h = self.to_tokens(self.latent(z, y)).view(B, N, self.embed_dim)  # (B, N, E)
        h = self.blocks(h)  # (B, N, E)
        x = self.to_signal(h).view(B, N, P, C)  # (B, N, P, C)
        x = x.permute(0, 3, 1, 2).reshape(B, C, N * P)  # (B, C, N*P)
        return x[..., : self.n_timesteps]  # (B, C, T)


class TTSDiscriminator(nn.Module):
    """Transformer discriminator: ``(B, C, T) -> (realness (B, 1), logits (B, K))``.

    The beat (zero-padded to a multiple of ``P``) is cut into ``N`` patches of
    ``P`` steps, each linearly embedded to size ``E``; a learned class token is
    prepended and learned positions are added; ``depth`` transformer blocks
    follow. As in the reference, both heads read the mean over all ``N + 1``
    tokens through their own LayerNorm and linear layer: one realness score
    (a WGAN critic value) and the class logits of the auxiliary classifier.
    """

    def __init__(
        self,
        *,
        n_timesteps: int,
        n_leads: int,
        n_classes: int,
        embed_dim: int,
        depth: int,
        n_heads: int,
        patch_size: int,
        dropout: float,
        attn_dropout: float,
        projection: bool = False,
    ):
        super().__init__()
        self.patch_size = patch_size
        self.n_patches = math.ceil(n_timesteps / patch_size)
        self.pad = self.n_patches * patch_size - n_timesteps
        self.patch_embed = nn.Linear(patch_size * n_leads, embed_dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, embed_dim))
        self.positions = nn.Parameter(torch.randn(self.n_patches + 1, embed_dim))
        self.blocks = TransformerEncoder(
            depth,
            dim=embed_dim,
            n_heads=n_heads,
            dropout=dropout,
            attn_dropout=attn_dropout,
            scale=embed_dim**-0.5,
        )
        self.adv_norm = nn.LayerNorm(embed_dim)
        self.adv_head = nn.Linear(embed_dim, 1)
        self.projection = nn.Embedding(n_classes, embed_dim) if projection else None
        self.cls_head = nn.Sequential(
            nn.LayerNorm(embed_dim), nn.Linear(embed_dim, n_classes)
        )

    def init_parameters_(self, generator: torch.Generator | None) -> None:
        """Standard normal class token and positions (see
        :func:`ecgaug._utils.init_parameters_`)."""
        nn.init.normal_(self.cls_token, generator=generator)
        nn.init.normal_(self.positions, generator=generator)

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        double_backward: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        B, C, _ = x.shape  # (B, C, T)
        x = F.pad(x, (0, self.pad))  # (B, C, N*P)
        patches = x.view(B, C, self.n_patches, self.patch_size).permute(0, 2, 3, 1)
        h = self.patch_embed(patches.reshape(B, self.n_patches, -1))  # (B, N, E)
        h = torch.cat([self.cls_token.expand(B, -1, -1).to(h.dtype), h], dim=1)
        h = self.blocks(h + self.positions, double_backward)  # (B, N+1, E)
        pooled = h.mean(dim=1)  # (B, E)
        feats = self.adv_norm(pooled)  # (B, E)
        realness = self.adv_head(feats)  # (B, 1)
        if self.projection is not None and y is not None:
            realness = realness + (self.projection(y) * feats).sum(1, keepdim=True)
        return realness, self.cls_head(pooled)  # (B, 1), (B, K)
