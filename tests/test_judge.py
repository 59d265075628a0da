"""Judge-filtered drawing and the automatic judge, on their own."""

from __future__ import annotations

import numpy as np
import torch

from ecgaug._judge import BeatJudge, FilterStats, filtered_draw, fit_beat_judge


def _fake_generator(seed=0):
    """Beats whose first value is uniform in [0, 1): the 'judge' reads it."""
    gen = torch.Generator().manual_seed(seed)
    return lambda codes: torch.rand(len(codes), 1, 4, generator=gen)


def test_filtered_draw_meets_counts_with_accepted_beats_only():
    codes = np.repeat([0, 1], 50)
    stats = FilterStats(2)
    # class 0 accepts beats with x[0] < 0.5 (half), class 1 with x[0] < 0.2
    cut = np.array([0.5, 0.2])

    def score(x, c):
        return (x[:, 0, 0].numpy() < cut[c]).astype(float)

    out = filtered_draw(codes, _fake_generator(), score, 0.5, 50, stats)
    assert out.shape == (100, 1, 4)
    assert (out[:50, 0, 0] < 0.5).all() and (out[50:, 0, 0] < 0.2).all()
    np.testing.assert_allclose(stats.rates(), [0.5, 0.2], atol=0.1)
    assert stats.filled.sum() == 0
    # the same draws give the same beats
    again = filtered_draw(codes, _fake_generator(), score, 0.5, 50, FilterStats(2))
    torch.testing.assert_close(again, out)


def test_filtered_draw_falls_back_to_the_best_rejected_when_out_of_tries():
    codes = np.repeat([0, 1], 5)
    stats = FilterStats(2)

    def score(x, c):
        p = x[:, 0, 0].numpy() * 0.5  # never reaches 0.9
        return np.where(c == 0, 1.0, p)

    out = filtered_draw(codes, _fake_generator(), score, 0.9, 3, stats)
    assert out.shape == (10, 1, 4)
    assert stats.filled.tolist() == [0, 5]
    assert stats.accepted[1] == 0 and stats.generated[1] <= 5 * 3


def test_auto_judge_learns_separable_classes(monkeypatch):
    import ecgaug._judge

    monkeypatch.setattr(ecgaug._judge, "JUDGE_STEPS", 150)
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(3).repeat_interleave(40)
    x = torch.randn(120, 1, 30, generator=gen) * 0.3
    x[:, 0, :10] += (y == 1)[:, None].float()
    x[:, 0, 10:20] += (y == 2)[:, None].float()
    judge = fit_beat_judge(x, y, 3, torch.Generator().manual_seed(1))
    assert isinstance(judge, BeatJudge) and not judge.training
    with torch.no_grad():
        acc = (judge(x).argmax(1) == y).float().mean()
    assert acc > 0.9
    same = fit_beat_judge(x, y, 3, torch.Generator().manual_seed(1))
    for a, b in zip(judge.parameters(), same.parameters()):
        torch.testing.assert_close(a, b)
