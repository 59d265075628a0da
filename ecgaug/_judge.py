"""Judge-filtered sampling: keep only the synthetic beats a classifier recognises.

A sampler with ``filter_threshold=t`` keeps a beat generated for class ``c``
only when a *judge* assigns it to ``c`` with probability at least ``t``, and
draws again for the rejected ones. The default judge (``judge="auto"``) is the
small network :class:`BeatJudge`, trained by :func:`fit_beat_judge` inside the
sampler's ``fit`` on the same real beats as the generator, never on anything
else, so that filtering is safe inside cross-validation. It reads the beats as
the generator writes them (scaled to ``[-1, 1]``), so that judging costs a
fraction of generating.

:func:`filtered_draw` is the drawing loop; :class:`FilterStats` counts the
candidates and acceptances per class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ecgaug._class_mix import epoch_batches
from ecgaug._utils import init_parameters_

__all__ = ["BeatJudge", "FilterStats", "filtered_draw", "fit_beat_judge"]

#: Training of the automatic judge: optimisation steps, batch size, learning
#: rate, hidden units (measured in ``benchmarks/class_mix.py``).
JUDGE_STEPS = 1000
JUDGE_BATCH = 256
JUDGE_LR = 2e-3
JUDGE_HIDDEN = 256
#: Most candidates drawn per missing beat in one round of :func:`filtered_draw`.
MAX_ROUND_FACTOR = 8


class BeatJudge(nn.Module):
    """A two-hidden-layer perceptron on whole beats: ``(B, F) -> (B, K)`` logits.

    ``F = n_leads * n_timesteps`` values scaled to ``[-1, 1]``, GELU between
    the layers; no dropout, so that training draws nothing but its batches.
    """

    def __init__(self, n_features: int, n_classes: int, hidden: int = JUDGE_HIDDEN):
        super().__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.hidden = hidden
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.reshape(len(x), -1).float())  # (B, K)


def fit_beat_judge(
    x: torch.Tensor,
    y: torch.Tensor,
    n_classes: int,
    generator: torch.Generator,
) -> BeatJudge:
    """Train a :class:`BeatJudge` on real beats, with balanced batches.

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_leads, n_timesteps)
        Real beats scaled to ``[-1, 1]``, on the device the judge will use.
    y : Tensor of shape (n_samples,)
        Their encoded classes.
    n_classes : int
        Number of classes.
    generator : torch.Generator
        A CPU generator; the judge's weights and batches come from seeds
        drawn from it.

    Returns
    -------
    BeatJudge
        In evaluation mode, on ``x``'s device.
    """
    device = x.device
    seeds = torch.randint(0, 2**31 - 1, (2,), generator=generator).tolist()
    init_gen = torch.Generator().manual_seed(seeds[0])
    rng = np.random.RandomState(seeds[1])
    judge = BeatJudge(x[0].numel(), n_classes)
    init_parameters_(judge, init_gen)
    judge.to(device).train()
    opt = torch.optim.AdamW(judge.parameters(), lr=JUDGE_LR, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, JUDGE_LR, total_steps=JUDGE_STEPS)
    codes = y.cpu().numpy()
    batch = min(JUDGE_BATCH, len(codes))
    idx = epoch_batches(codes, n_classes, 0.0, batch, JUDGE_STEPS, rng)
    idx = torch.from_numpy(idx).to(device)  # (steps, B)
    with torch.enable_grad():
        for step in range(JUDGE_STEPS):
            b = idx[step]
            loss = nn.functional.cross_entropy(judge(x[b]), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return judge.eval()


@dataclass
class FilterStats:
    """Candidates generated and accepted per encoded class."""

    n_classes: int
    generated: np.ndarray = field(init=False)
    accepted: np.ndarray = field(init=False)
    filled: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.generated = np.zeros(self.n_classes, dtype=np.int64)
        self.accepted = np.zeros(self.n_classes, dtype=np.int64)
        self.filled = np.zeros(self.n_classes, dtype=np.int64)

    def rates(self) -> np.ndarray:
        """Acceptance rate per class (NaN where nothing was generated)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.accepted / self.generated


def filtered_draw(
    codes: np.ndarray,
    draw: Callable[[np.ndarray], torch.Tensor],
    score: Callable[[torch.Tensor, np.ndarray], np.ndarray],
    threshold: float,
    max_tries: int,
    stats: FilterStats,
) -> torch.Tensor:
    """Beats for the encoded classes ``codes``, each accepted by the judge.

    Rounds of candidates are drawn for the beats still missing: a class with
    ``m`` beats missing and an acceptance rate ``r`` so far gets ``ceil(1.1 m /
    r)`` candidates (at most :data:`MAX_ROUND_FACTOR` ``m``), so that a batch
    is usually complete in one or two rounds with few candidates wasted. A
    class gets at most ``max_tries`` candidates per beat asked for (and never
    fewer than its missing beats in a round); a beat still missing then takes
    the rejected candidate of its class with the highest probability from the
    last round (counted in ``stats.filled``, so that the caller can warn).

    Parameters
    ----------
    codes : ndarray of shape (n,)
        Encoded classes of the beats wanted.
    draw : callable
        ``draw(codes) -> (len(codes), L, T)`` tensor of generated beats.
    score : callable
        ``score(beats, codes) -> (len(codes),)`` probabilities of the
        requested classes.
    threshold : float
        Least probability accepted.
    max_tries : int
        Most candidates per beat asked for, per class.
    stats : FilterStats
        Updated in place; its rates steer the rounds.

    Returns
    -------
    Tensor of shape (n, L, T)
    """
    n, n_classes = len(codes), stats.n_classes
    if n == 0:
        return torch.empty(0)
    out: torch.Tensor | None = None
    missing = np.arange(n)
    budget = np.bincount(codes, minlength=n_classes) * int(max_tries)
    while len(missing):
        m = np.bincount(codes[missing], minlength=n_classes)
        k = np.maximum(m, np.minimum(_round_size(m, stats), budget))
        budget -= k
        cand_codes = np.repeat(np.arange(n_classes), k)  # grouped by class
        x = draw(cand_codes)  # (sum k, L, T)
        p = np.asarray(score(x, cand_codes), dtype=np.float64)
        ok = p >= threshold
        np.add.at(stats.generated, cand_codes, 1)
        np.add.at(stats.accepted, cand_codes[ok], 1)
        if out is None:
            out = torch.empty((n, *x.shape[1:]), dtype=x.dtype, device=x.device)
        still = []
        for c in np.flatnonzero(m):
            want = missing[codes[missing] == c]
            ok_c = np.flatnonzero((cand_codes == c) & ok)
            j = min(len(want), len(ok_c))
            out[torch.from_numpy(want[:j]).to(out.device)] = x[ok_c[:j]]
            left = want[j:]
            if len(left) and budget[c] <= 0:
                # out of tries: the most class-like rejected candidates
                rest = np.flatnonzero((cand_codes == c) & ~ok)
                best = rest[np.argsort(-p[rest], kind="stable")][: len(left)]
                out[torch.from_numpy(left).to(out.device)] = x[best]
                stats.filled[c] += len(left)
                left = left[:0]
            still.append(left)
        missing = np.sort(np.concatenate(still))
    return out


def _round_size(missing: np.ndarray, stats: FilterStats) -> np.ndarray:
    """Candidates of each class in the next round, for ``missing`` beats."""
    rate = stats.rates()
    rate = np.where(np.isnan(rate), 1.0, rate)
    want = np.ceil(1.1 * missing / np.maximum(rate, 1e-9))
    return np.minimum(want, MAX_ROUND_FACTOR * missing).astype(np.int64)


def judge_probabilities(judge: BeatJudge, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities ``(B, K)`` of scaled beats ``x`` (B, L, T)."""
    return torch.softmax(judge(x).float(), dim=1)


def check_user_judge(judge, classes: np.ndarray) -> np.ndarray:
    """Columns of ``judge.predict_proba`` for the sampler's ``classes``.

    Raises a ``ValueError`` naming the fix when the judge is not fitted or
    does not know every class.
    """
    judge_classes = getattr(judge, "classes_", None)
    if judge_classes is None:
        raise ValueError(
            f"judge={type(judge).__name__} is not fitted (it has no classes_). "
            "Pass a fitted classifier; inside clone() or GridSearchCV wrap it in "
            "sklearn.frozen.FrozenEstimator so that it stays fitted, or use "
            "judge='auto'."
        )
    judge_classes = np.asarray(judge_classes)
    missing = [c for c in classes.tolist() if c not in judge_classes.tolist()]
    if missing:
        raise ValueError(
            f"The judge knows classes {judge_classes.tolist()} but not {missing}, "
            "which this sampler generates; fit the judge on the same labels."
        )
    return np.array([judge_classes.tolist().index(c) for c in classes.tolist()])
