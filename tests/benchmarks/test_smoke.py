"""Every script of ``benchmarks/`` runs end to end with ``--budget smoke``.

The benchmarks are not tests (they take minutes to hours); these smoke runs
(seconds each, on the bundled sample) only make sure that the scripts cannot
rot: each one is run as a user runs it, in a subprocess, with its results
written under ``tmp_path``, and the JSON it writes must hold the keys that
``benchmarks/README.md`` and the other scripts rely on.

The scripts run concurrently (as many as there are CPUs), started once for
the module. A new script in ``benchmarks/`` needs an entry in ``SCRIPTS``:
``test_every_script_has_an_entry`` fails until it has one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"
MALLOC = {
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "68719476736",
}
HEADER = ("benchmark", "budget", "command", "git", "machine", "wall_time_s")
GENERATORS = ("CGANSampler", "TTSCGANSampler", "DiffusionSampler")


def _mine(name: str) -> dict:
    """A script on ``benchmarks/_common.py``: ``--out`` is a folder."""
    return {
        "args": lambda out: [
            "--budget",
            "smoke",
            "--out",
            str(out),
            "--cache-dir",
            str(out / "cache"),
        ],
        "json": f"{name}.json",
        "keys": (*HEADER, "seeds", "malloc", "results"),
    }


SCRIPTS: dict[str, dict] = {
    name: _mine(name)
    for name in (
        "table1_protocols",
        "table2_finetune",
        "table3_finetune_ptb",
        "table4_cross_task",
        "oversampling",
        "speed",
    )
}
SCRIPTS["speed"]["keys"] = (*HEADER, "seeds", "malloc", "generators", "rss")
# Scripts of the other issues built on _common.py.
SCRIPTS["gan_samplers"] = _mine("gan_samplers")
SCRIPTS["gan_samplers"]["keys"] = (*HEADER, "seeds", "malloc", "samplers")
SCRIPTS["diffusion_sampler"] = _mine("diffusion_sampler")
SCRIPTS["diffusion_sampler"]["keys"] = (*HEADER, "seeds", "malloc")
SCRIPTS["threads"] = _mine("threads")
SCRIPTS["threads"]["keys"] = (*HEADER, "seeds", "malloc", "results", "goals")
SCRIPTS["malloc_tuning"] = _mine("malloc_tuning")
SCRIPTS["malloc_tuning"]["keys"] = (*HEADER, "seeds", "malloc", "results")
SCRIPTS["class_mix"] = _mine("class_mix")
SCRIPTS["class_mix"]["keys"] = (*HEADER, "seeds", "malloc", "results", "summary")
SCRIPTS["interpatient"] = _mine("interpatient")
SCRIPTS["interpatient"]["keys"] = (*HEADER, "seeds", "malloc", "results", "goals")
SCRIPTS["filter_throughput"] = _mine("filter_throughput")
SCRIPTS["filter_throughput"]["keys"] = (*HEADER, "seeds", "malloc", "results", "goals")
SCRIPTS["demo_search"] = _mine("demo_search")
SCRIPTS["demo_search"]["keys"] = (*HEADER, "seeds", "malloc", "fits", "results")
# Scripts with their own conventions (``--out`` is the path of the results
# without suffix).
SCRIPTS["classifier_trtr"] = {
    "args": lambda out: ["--budget", "smoke", "--out", str(out / "classifier_trtr")],
    "json": "classifier_trtr.json",
    "keys": (*HEADER, "results", "data"),
}
SCRIPTS["quality_report"] = {
    "args": lambda out: ["--budget", "smoke", "--out", str(out / "quality_report")],
    "json": "quality_report.json",
    "keys": (*HEADER[:-1], "samplers", "wall_time_s", "copier"),
}
# The standard sequence: only its in-process step (fitting every generator
# into the shared cache); each script it starts has its own entry here.
SCRIPTS["run_standard"] = _mine("run_standard")
SCRIPTS["run_standard"]["args"] = lambda out: [
    *_mine("run_standard")["args"](out),
    "--only",
    "generators",
]
SCRIPTS["run_standard"]["keys"] = (*HEADER, "seeds", "steps", "generators")


def _run(name: str, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **MALLOC, "ECGAUG_CACHE": str(out / "ecgaug-cache")}
    if name == "table3_finetune_ptb":
        # one script goes through the malloc re-execution of a plain run
        for key in MALLOC:
            env.pop(key, None)
    cmd = [sys.executable, str(BENCH / f"{name}.py"), *SCRIPTS[name]["args"](out)]
    return subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def _scripts_on_disk() -> list[str]:
    return sorted(
        p.stem for p in BENCH.glob("*.py") if not p.name.startswith(("_", "test_"))
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, Future]]:
    """Start every known script once, concurrently; tests wait for their own."""
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1))
    started = {}
    for name in _scripts_on_disk():
        if name in SCRIPTS:
            out = tmp_path_factory.mktemp(name)
            started[name] = (out, pool.submit(_run, name, out))
    yield started
    pool.shutdown(wait=True)


#: Scripts without a smoke budget, each with the reason.
NO_SMOKE = {
    "detectors": "benchmarks/detectors.py reads all 48 MIT-BIH records (about a "
    "minute) and has no --budget smoke; give it one and move it to SCRIPTS",
}


#: Scripts that train nothing (no budget), each with where it is tested.
NOT_RUNS = {
    "interpatient_paired": "pairs two results files of interpatient.py; "
    "tests/benchmarks/test_interpatient_paired.py",
    "oversampling_combine": "combines two results files of oversampling.py; "
    "tests/benchmarks/test_oversampling_combine.py",
}


def test_every_script_has_an_entry():
    missing = sorted(
        set(_scripts_on_disk()) - set(SCRIPTS) - set(NO_SMOKE) - set(NOT_RUNS)
    )
    assert not missing, (
        f"benchmarks/{missing} have no smoke entry in tests/benchmarks/"
        "test_smoke.py::SCRIPTS; add one (and a --budget smoke to the script)."
    )


@pytest.mark.parametrize("name", sorted(NO_SMOKE))
def test_scripts_without_a_smoke_budget(name, request, tmp_path):
    # strict xfail: once the script takes --budget smoke, this passes and
    # fails the suite, so that the script gets its entry in SCRIPTS.
    request.applymarker(pytest.mark.xfail(reason=NO_SMOKE[name], strict=True))
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / f"{name}.py"),
            "--budget",
            "smoke",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-500:]


def _result(runs, name: str) -> dict:
    if name not in runs:
        pytest.fail(f"benchmarks/{name}.py is not on disk")
    out, future = runs[name]
    proc = future.result()
    assert proc.returncode == 0, (
        f"benchmarks/{name}.py --budget smoke failed:\n{proc.stderr[-4000:]}"
    )
    path = out / SCRIPTS[name]["json"]
    assert path.is_file(), f"{name} did not write {path.name}: {proc.stdout[-2000:]}"
    assert path.with_suffix(".md").stat().st_size > 0
    report = json.loads(path.read_text())
    missing = [k for k in SCRIPTS[name]["keys"] if k not in report]
    assert not missing, f"{name}.json lacks {missing}"
    assert report["budget"] == "smoke"
    return report


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_and_writes_its_results(runs, name):
    _result(runs, name)


def _available_generators() -> list[str]:
    import ecgaug.generators as gen

    return [g for g in GENERATORS if g in gen.__all__]


def test_table1_has_every_protocol_per_generator(runs):
    rep = _result(runs, "table1_protocols")
    mit = rep["results"]["MIT"]
    assert sorted(mit["generators"]) == sorted(_available_generators())
    for g in mit["generators"].values():
        assert set(g["paired"]) >= {"TRSTR-TRTR accuracy", "TRSTR-TRTR recall_macro"}
        for protocol in ("TRTR", "TSTR", "TRTS", "TSTS", "TRSTR", "TSTR-balanced"):
            stats = g["protocols"][protocol]
            assert 0.0 <= stats["accuracy"]["mean"] <= 1.0
            assert set(stats["recall"]) == {"N", "S", "V", "F", "Q"}
    # same classifier, same beats, same seed: identical on a CPU
    assert mit["trtr_identical_across_generators"] is True
    assert "skipped" in rep["results"]["PTB"]
    malloc = rep["malloc"]
    assert all(malloc.values()), malloc


def test_malloc_tuning_re_executes_a_plain_run(runs):
    rep = _result(runs, "table3_finetune_ptb")
    assert rep["malloc"] == MALLOC
    assert "skipped" in rep["results"]  # PTB is never loaded under smoke


def _check_curves(curves: dict, names: set[str]) -> None:
    fractions = {"0.2", "0.4", "0.6", "0.8", "1.0"}
    assert set(curves["real"]) == fractions
    assert set(curves["synthetic"]) == set(_available_generators())
    for syn in curves["synthetic"].values():
        assert fractions <= set(syn)
        assert set(syn["1.0"]["recall"]) == names
    sizes = [curves["real"][f]["n_train"] for f in sorted(fractions)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_table2_has_real_and_pretrained_curves(runs):
    rep = _result(runs, "table2_finetune")
    curves = rep["results"]["curves"]
    _check_curves(curves, {"N", "S", "V", "F", "Q"})
    gens = set(_available_generators())
    arms = {"real", "real_steps", "real_time"}
    assert {(g["generator"], g["arm"]) for g in rep["goals"].values()} == {
        (g, a) for g in gens for a in arms
    }
    # matched steps: the real-only arm trains as many steps as pretraining
    # plus fine-tuning; the paper's real-only arm fewer
    for name in gens:
        syn = curves["synthetic"][name]
        for frac, real in curves["real_steps"].items():
            steps = syn[frac]["steps"]["mean"]
            assert real["steps"]["mean"] >= steps
            assert real["steps"]["mean"] - steps < len(rep["seeds"]) * 5
            assert curves["real"][frac]["steps"]["mean"] < steps
        assert set(curves["real_time"][name]) == set(curves["real"])
        # paired over the seeds: an interval with two seeds or more
        pair = curves["paired"][name]["real_steps"]["1.0"]["accuracy"]
        assert pair["n"] == len(rep["seeds"]) >= 2 and len(pair["ci"]) == 2


def test_table4_runs_the_stand_in_task(runs):
    rep = _result(runs, "table4_cross_task")
    stand_in = [r for r in rep["results"].values() if r.get("stand_in")]
    assert len(stand_in) == 1
    _check_curves(stand_in[0]["curves"], {"normal", "abnormal"})


def test_oversampling_has_every_method_in_both_settings(runs):
    rep = _result(runs, "oversampling")
    methods = {
        "none",
        "class_weight",
        "RandomOverSampler",
        "SMOTE",
        "ADASYN",
        "BorderlineSMOTE",
        *_available_generators(),
    }
    for setting in ("intra-patient", "inter-patient"):
        res = rep["results"][setting]
        assert set(res["methods"]) == methods
        ran = {m for m, v in res["methods"].items() if "f1_macro" in v}
        # only ADASYN may fail (no class boundary to sample on tiny data)
        assert methods - ran <= {"ADASYN"}
        for m in ran:
            assert set(res["methods"][m]["recall"]) == {"N", "S", "V", "F", "Q"}
    inter = rep["results"]["inter-patient"]
    assert len(inter["seeds"]) >= 2
    assert all("selected_epoch" in r for r in inter["runs"] if "error" not in r)
    # intra-patient: paired differences to no resampling and the best balancer
    intra = rep["results"]["intra-patient"]
    assert len(intra["seeds"]) >= 2
    for name in _available_generators():
        v = intra["verdicts"][name]
        d = v["vs_none"]["f1_macro"]
        assert len(d["per_seed"]) == len(intra["seeds"]) and len(d["ci"]) == 2
        assert v["best_balancer"] in {
            "class_weight",
            "RandomOverSampler",
            "SMOTE",
            "ADASYN",
            "BorderlineSMOTE",
        }
        assert v["win"] == (
            d["verdict"] == "win" and v["vs_none"]["recall_macro"]["verdict"] == "win"
        )


def test_quality_report_searches_every_beat_the_generators_saw(runs):
    rep = _result(runs, "quality_report")
    # X_train of the report: the generators' whole training set ...
    for name, res in rep["samplers"].items():
        fitted_on = sum(res["shared_fit"]["n_fit"].values())
        assert rep["data"]["n_train"] == fitted_on, name
    # ... so that a copier of it scores 0 (issue 14: a 1,000-per-class
    # subsample let a copier score 0.82)
    assert rep["copier"]["dcr_ratio"] == pytest.approx(0.0, abs=1e-5)
    assert rep["copier"]["near_copy_rate"] == 1.0
    # the reference of the memorisation rows is measured on real test beats
    rows = next(iter(rep["samplers"].values()))["rows"]
    ref = [
        r["reference"]
        for r in rows
        if r["metric"] == "dcr_ratio" and r["label"] == "all"
    ]
    assert len(ref) == 1 and ref[0] != 1.0 and 0.3 < ref[0] < 3.0


def test_run_standard_fits_every_generator_of_the_tables_once(runs):
    rep = _result(runs, "run_standard")
    fits = rep["generators"]["fits"]
    names = set(_available_generators())
    assert {f["name"] for f in fits} >= names
    assert {f["data"] for f in fits} == {"intra-patient train", "DS1 training records"}
    keys = [(f["data"], f["name"], f["seed"]) for f in fits]
    assert len(keys) == len(set(keys))  # once each
    assert [s["step"] for s in rep["steps"]] == ["generators"]


def test_speed_measures_every_generator(runs):
    rep = _result(runs, "speed")
    timed = {g["generator"] for g in rep["generators"]}
    assert timed == set(_available_generators())
    for g in rep["generators"]:
        assert g["train_step_s"] > 0 and g["sample_beats_per_s"] > 0
    for rows in rep["rss"].values():
        assert {r["mode"] for r in rows} == {"iter_sample", "sample"}
        assert all(r["peak_rss_mib"] >= r["rss_before_mib"] > 0 for r in rows)
