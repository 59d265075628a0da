"""The deep residual 1-D convolutional network of Kachuee et al. (2018).

Notation used in the shape comments:

=====  ==============================================================
``B``  batch size
``C``  number of leads (input channels), ``n_leads``
``T``  time steps per lead, ``n_timesteps`` (187 for a Kachuee beat)
``F``  convolution filters, ``n_filters``
``L``  length after the residual blocks, ``ceil(T / 2**n_blocks)``
``D``  width of the dense layers, ``n_dense``
``K``  number of classes, ``n_classes``
``R``  tabular (e.g. RR-interval) features per beat, ``n_tabular``
``H``  width of the tabular branch, ``n_tabular_hidden``
=====  ==============================================================
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from numbers import Integral, Real

import torch
from torch import nn

__all__ = ["ResNet1D", "ResNet1DConfig", "ResidualBlock", "SeededDropout"]


@dataclass(frozen=True)
class ResNet1DConfig:
    """Architecture of a :class:`ResNet1D`; every field is a keyword of it.

    Parameters
    ----------
    n_classes : int, default=5
        Output classes ``K`` (5 AAMI classes for MIT-BIH, 2 for PTB).
    n_leads : int, default=1
        Input channels ``C``.
    n_timesteps : int, default=187
        Time steps per lead ``T``; fixes the width of the first dense layer.
    n_blocks : int, default=5
        Residual blocks: 5 in Kachuee et al. (2018), 1 in Núñez et al.
    n_filters : int, default=32
        Filters ``F`` of every convolution.
    kernel_size : int, default=5
        Width of every convolution; odd, so that "same" padding keeps ``T``.
    pool_size : int, default=5
        Width of the max-pooling closing each block (stride 2).
    n_dense : int, default=32
        Units ``D`` of the two dense layers before the head.
    dropout : float, default=0.0
        Dropout probability after each dense layer (0 in the paper).
    n_tabular : int, default=0
        Tabular features ``R`` that follow the waveform in each row of ``x``
        (e.g. the 8 RR-interval features of
        ``load_mitbih(rr_features="append")``). With ``R > 0`` a row is
        ``[lead 0 (T) ... lead C-1 (T), tabular (R)]`` and a small MLP
        branch (batch norm, ``Linear(R, H)``, ReLU, ``Linear(H, H)``, ReLU)
        is joined to the dense features before the head.
    n_tabular_hidden : int, default=16
        Width ``H`` of the tabular branch (unused when ``n_tabular=0``).
    """

    n_classes: int = 5
    n_leads: int = 1
    n_timesteps: int = 187
    n_blocks: int = 5
    n_filters: int = 32
    kernel_size: int = 5
    pool_size: int = 5
    n_dense: int = 32
    dropout: float = 0.0
    n_tabular: int = 0
    n_tabular_hidden: int = 16

    def __post_init__(self) -> None:
        for name in ("n_classes", "n_leads", "n_timesteps", "n_filters", "n_dense"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not _is_int(self.n_tabular) or self.n_tabular < 0:
            raise ValueError(
                f"n_tabular must be a non-negative integer, got {self.n_tabular!r}."
            )
        if not _is_int(self.n_tabular_hidden) or self.n_tabular_hidden < 1:
            raise ValueError(
                "n_tabular_hidden must be a positive integer, got "
                f"{self.n_tabular_hidden!r}."
            )
        if not _is_int(self.n_blocks) or self.n_blocks < 0:
            raise ValueError(
                f"n_blocks must be a non-negative integer, got {self.n_blocks!r}."
            )
        for name in ("kernel_size", "pool_size"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1 or value % 2 == 0:
                raise ValueError(
                    f"{name} must be a positive odd integer (so that padding keeps "
                    f"the length), got {value!r}."
                )
        dropout = self.dropout
        if isinstance(dropout, bool) or not isinstance(dropout, Real):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}.")

    @property
    def n_timesteps_out(self) -> int:
        """Length ``L`` after the residual blocks: each one halves it (ceil)."""
        return math.ceil(self.n_timesteps / 2**self.n_blocks)


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


class SeededDropout(nn.Dropout):
    """:class:`torch.nn.Dropout` that draws its masks from ``generator``.

    ``torch.nn.functional.dropout`` takes no generator: it draws from torch's
    global RNG, which two fits in two threads of one process share. While
    ``generator`` is set (``ResNetClassifier`` sets it for the length of a
    ``fit``), the mask comes from it instead; with ``generator=None`` this is
    plain ``nn.Dropout``. The expected output is the same either way.

    Parameters
    ----------
    p : float, default=0.5
        Probability of zeroing an element.
    inplace : bool, default=False
        Accepted for compatibility; the seeded path is never in place.

    Attributes
    ----------
    generator : torch.Generator or None
        Source of the masks, on the device of the inputs; None uses torch's
        global RNG.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__(p, inplace)
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero each element with probability ``p`` and rescale the rest."""
        gen = self.generator
        if gen is None or not self.training or self.p == 0.0:
            return super().forward(x)
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep, generator=gen)
        return x * mask / keep

    def __getstate__(self):
        state = self.__dict__.copy()
        state["generator"] = None  # a fit's generator is not part of the model
        return state


class ResidualBlock(nn.Module):
    """conv - ReLU - conv, skip connection, ReLU, max-pool (stride 2).

    Parameters
    ----------
    n_filters : int
        Input and output channels ``F``.
    kernel_size : int
        Odd convolution width; "same" padding.
    pool_size : int
        Odd max-pooling width; padding ``pool_size // 2`` so that the block
        maps a length ``T`` to ``ceil(T / 2)`` for every ``T >= 1``.
    """

    def __init__(self, n_filters: int, kernel_size: int, pool_size: int) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(n_filters, n_filters, kernel_size, padding=pad)
        self.conv2 = nn.Conv1d(n_filters, n_filters, kernel_size, padding=pad)
        self.pool = nn.MaxPool1d(pool_size, stride=2, padding=pool_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, F, T)`` to ``(B, F, ceil(T / 2))``."""
        h = torch.relu(self.conv1(x))  # (B, F, T)
        h = self.conv2(h)  # (B, F, T)
        h = torch.relu(h + x)  # (B, F, T)
        return self.pool(h)  # (B, F, ceil(T / 2))


class ResNet1D(nn.Module):
    """Deep residual 1-D CNN heartbeat classifier (Kachuee et al., 2018).

    ``stem`` convolution, ``n_blocks`` :class:`ResidualBlock` s, two dense
    layers with ReLU (``dense``), then a linear ``head`` producing logits. The
    default is Kachuee's 5-block network; ``n_blocks=1`` is the variant of the
    paper reproduced by ecgaug (Núñez et al., its Figure 1).

    Parameters
    ----------
    config : ResNet1DConfig, default=None
        The architecture; ``None`` means ``ResNet1DConfig()``.
    **overrides
        Fields of :class:`ResNet1DConfig` replacing those of ``config``, so
        that ``ResNet1D(n_blocks=1, n_classes=2)`` works (skorch passes the
        ``module__...`` parameters this way).

    Attributes
    ----------
    config : ResNet1DConfig
        The resolved architecture.
    stem : torch.nn.Conv1d
        First convolution, ``C`` to ``F`` channels.
    blocks : torch.nn.ModuleList
        The residual blocks, named ``blocks.0``, ``blocks.1``, ...
    dense : torch.nn.Sequential
        ``Linear(F * L, D)``, ReLU, dropout, ``Linear(D, D)``, ReLU, dropout.
    tabular : torch.nn.Sequential or None
        The tabular branch ``(B, R) -> (B, H)``, None when ``n_tabular=0``.
    head : torch.nn.Linear
        ``Linear(D, K)``; replace or re-initialise it to change the classes.

    See Also
    --------
    ecgaug.classifiers.ResNetClassifier : this network as a scikit-learn
        classifier.

    Notes
    -----
    Each max-pooling is padded by ``pool_size // 2``, so that a block maps any
    length ``T`` to ``ceil(T / 2)``; Kachuee's Keras network used unpadded
    pooling. For 187-sample beats and 5 blocks the flattened features are
    ``32 * 6 = 192`` wide instead of ``32 * 2 = 64``; everything else is as in
    the paper.

    References
    ----------
    .. [1] M. Kachuee, S. Fazeli and M. Sarrafzadeh, "ECG Heartbeat
       Classification: A Deep Transferable Representation", IEEE ICHI 2018,
       pp. 443-444.
    .. [2] J. F. Núñez, J. Arjona, A. Tormos, D. García and J. Béjar, "Applying
       Generative Models and Transfer Learning to Physiological Data
       Classification".

    Examples
    --------
    >>> import torch
    >>> from ecgaug.classifiers import ResNet1D
    >>> net = ResNet1D(n_blocks=1, n_classes=2)
    >>> x = torch.randn(8, 187)
    >>> net(x).shape
    torch.Size([8, 2])
    >>> net.embed(x).shape
    torch.Size([8, 32])
    """

    def __init__(self, config: ResNet1DConfig | None = None, **overrides) -> None:
        super().__init__()
        cfg = replace(config or ResNet1DConfig(), **overrides)
        self.config = cfg
        F, D = cfg.n_filters, cfg.n_dense
        self.stem = nn.Conv1d(
            cfg.n_leads, F, cfg.kernel_size, padding=cfg.kernel_size // 2
        )
        self.blocks = nn.ModuleList(
            ResidualBlock(F, cfg.kernel_size, cfg.pool_size)
            for _ in range(cfg.n_blocks)
        )
        self.dense = nn.Sequential(
            nn.Linear(F * cfg.n_timesteps_out, D),
            nn.ReLU(),
            SeededDropout(cfg.dropout),
            nn.Linear(D, D),
            nn.ReLU(),
            SeededDropout(cfg.dropout),
        )
        self.tabular = None
        if cfg.n_tabular:
            R, H = cfg.n_tabular, cfg.n_tabular_hidden
            self.tabular = nn.Sequential(
                nn.BatchNorm1d(R),
                nn.Linear(R, H),
                nn.ReLU(),
                nn.Linear(H, H),
                nn.ReLU(),
            )
            D = D + H
        self.head = nn.Linear(D, cfg.n_classes)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self.config).items())

    def _split_tabular(self, x: torch.Tensor):
        """``(B, C * T + R)`` into the waveform ``(B, C * T)`` and ``(B, R)``."""
        R = self.config.n_tabular
        if not R:
            return x, None
        C, T = self.config.n_leads, self.config.n_timesteps
        if x.ndim != 2 or x.shape[1] != C * T + R:
            raise ValueError(
                f"Input has shape {tuple(x.shape)} but this network expects "
                f"(batch, n_leads * n_timesteps + n_tabular) = (batch, {C} * {T} + "
                f"{R}): the waveform, then the {R} tabular features."
            )
        return x[:, : C * T], x[:, C * T :]

    def _as_bct(self, x: torch.Tensor) -> torch.Tensor:
        """Reshape ``(B, C * T)`` to ``(B, C, T)``; check ``(B, C, T)``."""
        C, T = self.config.n_leads, self.config.n_timesteps
        if x.ndim == 2:
            if x.shape[1] != C * T:
                raise ValueError(
                    f"Input has {x.shape[1]} values per beat but this network "
                    f"expects n_leads * n_timesteps = {C} * {T} = {C * T}."
                )
            return x.reshape(x.shape[0], C, T)  # (B, C, T)
        if x.ndim == 3:
            if tuple(x.shape[1:]) != (C, T):
                raise ValueError(
                    f"Input has shape {tuple(x.shape)} but this network expects "
                    f"(batch, n_leads, n_timesteps) = (batch, {C}, {T})."
                )
            return x
        raise ValueError(
            f"Input must be 2-D (batch, n_leads * n_timesteps) or 3-D "
            f"(batch, n_leads, n_timesteps), got {x.ndim}-D."
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features: the input of ``head``.

        Parameters
        ----------
        x : torch.Tensor of shape (B, C * T) or (B, C, T)
            A batch of beats; ``(B, C * T + R)`` with ``n_tabular=R > 0``.

        Returns
        -------
        torch.Tensor of shape (B, D), or (B, D + H) with ``n_tabular > 0``
            Non-negative (post-ReLU) features.
        """
        x, tab = self._split_tabular(x)  # (B, C * T) or (B, C, T); (B, R) or None
        h = self.stem(self._as_bct(x))  # (B, F, T)
        for block in self.blocks:
            h = block(h)  # (B, F, ceil(T / 2)) per block, finally (B, F, L)
        h = self.dense(h.flatten(1))  # (B, F * L) -> (B, D)
        if self.tabular is None:
            return h
        return torch.cat([h, self.tabular(tab)], dim=1)  # (B, D + H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits.

        Parameters
        ----------
        x : torch.Tensor of shape (B, C * T) or (B, C, T)
            A batch of beats; ``(B, C * T + R)`` with ``n_tabular=R > 0``.

        Returns
        -------
        torch.Tensor of shape (B, K)
            Unnormalised log-probabilities (use with ``CrossEntropyLoss``).
        """
        return self.head(self.embed(x))  # (B, K)
