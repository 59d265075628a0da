"""benchmarks/_common.py: paired differences and the committed-tree stamp."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import _common as C  # noqa: E402


def test_paired_difference_calls_a_win_only_outside_zero():
    # same seeds, a steady gain: the interval lies above zero
    win = C.paired_difference([0.91, 0.90, 0.93], [0.89, 0.885, 0.91])
    assert win["per_seed"] == pytest.approx([0.02, 0.015, 0.02])
    assert win["ci"][0] > 0 and win["verdict"] == "win"
    # the same mean gain with a spread larger than it: no difference shown
    noisy = C.paired_difference([0.95, 0.86, 0.93], [0.89, 0.885, 0.91])
    assert noisy["mean"] == pytest.approx(np.mean([0.06, -0.025, 0.02]))
    assert noisy["ci"][0] < 0 < noisy["ci"][1]
    assert noisy["verdict"] == "no difference shown"
    loss = C.paired_difference([0.80, 0.81, 0.79], [0.85, 0.85, 0.85])
    assert loss["verdict"] == "loss"
    # the t-interval of three differences: mean ± t(0.975, 2) sd / sqrt(3)
    d = np.array([0.02, 0.015, 0.02])
    half = 4.302652729911275 * d.std(ddof=1) / np.sqrt(3)
    assert win["ci"] == pytest.approx([d.mean() - half, d.mean() + half])


def test_paired_difference_with_one_seed_gives_no_interval():
    one = C.paired_difference([0.9], [0.8])
    assert one["ci"] is None and one["verdict"] == "one seed: no interval"
    assert "✓" not in C.fmt_diff(one)
    with pytest.raises(ValueError, match="one score per seed"):
        C.paired_difference([0.9, 0.8], [0.8])


def test_dirty_paths_watch_the_code_not_the_results():
    porcelain = "\n".join(
        [
            " M ecgaug/base.py",
            "?? benchmarks/run_standard.py",
            " M benchmarks/results/table1_protocols.md",
            "?? benchmarks/.cache/x.pt",
            " M README.md",
            "R  ecgaug/a.py -> ecgaug/b.py",
        ]
    )
    assert C.dirty_paths(porcelain) == [
        "benchmarks/run_standard.py",
        "ecgaug/b.py",
        "ecgaug/base.py",
    ]


def _git(committed, paths=(), commit="abc"):
    return {
        "commit": commit,
        "dirty": bool(paths),
        "dirty_paths": list(paths),
        "committed": committed,
    }


def test_merge_git_and_the_uncommitted_stamp():
    clean = C.merge_git(_git(True), _git(True))
    assert clean["committed"] is True and C.uncommitted_banner(clean) == []
    edited = C.merge_git(_git(True), _git(False, ["ecgaug/base.py"]))
    assert edited["committed"] is False
    banner = "\n".join(C.uncommitted_banner(edited))
    assert "**UNCOMMITTED**" in banner and "ecgaug/base.py" in banner
    rep = {
        "machine": {
            "platform": "p",
            "processor": "x",
            "cpu_count": 2,
            "python": "3",
            "torch": "t",
            "torch_threads": 1,
            "gpu": None,
        },
        "git": edited,
        "malloc": {"MALLOC_MMAP_THRESHOLD_": None},
        "budget": "quick",
        "command": "c",
        "jobs": 1,
        "seeds": [0],
        "date_utc": "d",
    }
    assert C.header_markdown(rep, "T")[0] == "# T (budget: quick) — UNCOMMITTED"


def test_standard_budget_refuses_an_uncommitted_tree(monkeypatch):
    monkeypatch.setattr(C, "git_info", lambda: _git(False, ["ecgaug/base.py"]))
    with pytest.raises(SystemExit, match="committed tree.*ecgaug/base.py"):
        C.check_tree("standard")
    # quick runs go on (stamped); standard only when asked to
    assert C.check_tree("quick")["committed"] is False
    assert C.check_tree("standard", allow_uncommitted=True)["committed"] is False
    monkeypatch.setattr(C, "git_info", lambda: _git(True))
    assert C.check_tree("standard")["committed"] is True


@pytest.fixture
def no_accelerator_left():
    from ecgaug import _accel

    token = _accel._ACTIVE.set(None)
    yield
    _accel._ACTIVE.reset(token)


def test_accelerate_option_trains_the_generators_through_accelerate(
    tmp_path, no_accelerator_left
):
    pytest.importorskip("accelerate")
    from ecgaug._accel import active_accelerator
    from ecgaug.datasets import load_sample
    from ecgaug.generators import CGANSampler

    parser = C.make_parser("A benchmark.", {"smoke": [0]})
    argv = ["--budget", "smoke", "--accelerate", "no", "--out", str(tmp_path)]
    args = C.finish_args(parser.parse_args(argv))
    accelerator = active_accelerator()
    assert accelerator is not None and args.is_main_process
    assert args.jobs == 1 and args.device == str(accelerator.device)
    X, y = load_sample(split="train", return_X_y=True)
    params = {"n_epochs": 1, "random_state": 0, "device": "cpu"}
    through = CGANSampler(**params).fit(X[:300], y[:300]).sample(5, y=0)[0]
    with_none = C.finish_args(parser.parse_args(argv[:2] + argv[4:]))
    assert with_none.is_main_process  # no --accelerate: nothing changes
    from ecgaug import _accel

    _accel._ACTIVE.set(None)
    plain = CGANSampler(**params).fit(X[:300], y[:300]).sample(5, y=0)[0]
    np.testing.assert_array_equal(through, plain)  # one process = plain fit


def test_paired_by_seed_pairs_only_the_seeds_both_have():
    a = {0: 0.91, 1: 0.90, 2: 0.93, 5: 0.5}
    b = {2: 0.91, 1: 0.885, 0: 0.89}
    diff = C.paired_by_seed(a, b)
    assert diff["seeds"] == [0, 1, 2]
    assert diff["per_seed"] == pytest.approx([0.02, 0.015, 0.02])
    assert C.paired_by_seed({0: 0.9}, {1: 0.8}) is None


def test_paired_scores_pair_runs_by_arm_and_seed_and_tabulate():
    runs = [
        {"arm": arm, "seed": seed, "f1": base + 0.1 * seed}
        for arm, base in (("a", 0.6), ("b", 0.5))
        for seed in (0, 1, 2)
    ]
    by_arm = C.runs_by_arm(runs)
    assert sorted(by_arm) == ["a", "b"] and sorted(by_arm["a"]) == [0, 1, 2]
    diffs = C.paired_scores(by_arm["a"], by_arm["b"], {"F1": lambda r: r["f1"]})
    assert diffs["F1"]["mean"] == pytest.approx(0.1)
    assert diffs["F1"]["seeds"] == [0, 1, 2]
    table = C.diff_table("pair", {"a - b": diffs}, ["F1"])
    assert table[0] == "| pair | F1 |" and table[2].startswith("| a - b | +0.100")


def test_run_standard_forwards_resume_to_the_steps_that_keep_jobs():
    import run_standard

    plan = run_standard.main(["--dry-run", "--resume", "--job-store", "js"])["plan"]
    commands = {step: cmd for step, cmd in plan if cmd is not None}
    for step, cmd in commands.items():
        assert ("--resume" in cmd) == (step in run_standard.RESUMABLE), step
        assert ("--job-store" in cmd) == (step in run_standard.RESUMABLE), step
    assert set(run_standard.RESUMABLE) <= set(commands)


def test_the_job_store_is_in_the_cache_unless_named(tmp_path):
    args = argparse.Namespace(resume=True, cache_dir=tmp_path / "c", job_store=None)
    assert C.job_store(args, "table1") == tmp_path / "c" / "jobs" / "table1"
    args.job_store = tmp_path / "kept"
    assert C.job_store(args, "table1") == tmp_path / "kept" / "table1"
    args.resume = False
    assert C.job_store(args, "table1") is None
