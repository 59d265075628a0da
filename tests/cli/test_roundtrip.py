"""``ecgaug fit`` -> ``sample`` -> ``evaluate`` gives what the Python API gives."""

from __future__ import annotations

import numpy as np

import ecgaug.generators
from ecgaug.base import BaseGenerativeSampler
from ecgaug.datasets import load_kaggle_heartbeat
from tests.cli.conftest import CLI_SAMPLER, tiny_params


def _python_sampler(small_csv):
    """The same sampler, trained with the Python API on the same beats."""
    X, y = load_kaggle_heartbeat(small_csv, return_X_y=True)
    cls = getattr(ecgaug.generators, CLI_SAMPLER)
    return cls(**{"random_state": 0, "device": "cpu", **tiny_params()}).fit(X, y)


def test_fit_sample_round_trip_equals_python_api(
    ecgaug, fitted_model, small_csv, tmp_path
):
    python = _python_sampler(small_csv)
    saved = BaseGenerativeSampler.load(fitted_model)
    assert type(saved).__name__ == CLI_SAMPLER
    np.testing.assert_array_equal(saved.classes_, python.classes_)

    # --class: -n beats of each class listed, seeded as sample(random_state=7)
    out = tmp_path / "beats.npz"
    run = ecgaug("sample", fitted_model, "-n 15 --class 1 3 --seed 7 -q --out", out)
    assert run.rc == 0, run
    X_py, y_py = python.sample(30, y=np.repeat([1, 3], 15), random_state=7)
    with np.load(out) as npz:
        np.testing.assert_array_equal(npz["data"], X_py)
        np.testing.assert_array_equal(npz["target"], y_py)
        assert npz["data"].dtype == np.float32
        np.testing.assert_array_equal(npz["classes"], python.classes_)

    # without --class or --seed: the training proportions and the fit's seed
    out = tmp_path / "beats.csv"
    run = ecgaug("sample", fitted_model, "-n 40 -q --out", out)
    assert run.rc == 0, run
    X_py, y_py = python.sample(40)
    csv = load_kaggle_heartbeat(out)
    np.testing.assert_array_equal(csv.data, X_py)  # float32 survives %.9g
    np.testing.assert_array_equal(csv.target, y_py)


def test_sample_batch_size_as_in_python(ecgaug, fitted_model, tmp_path):
    # The beats depend on the batch size (the noise is drawn batch by batch),
    # so --batch-size must reach sample() unchanged.
    out = tmp_path / "b7.npz"
    run = ecgaug("sample", fitted_model, "-n 20 --batch-size 7 -q --out", out)
    assert run.rc == 0, run
    X_py, _ = BaseGenerativeSampler.load(fitted_model).sample(20, batch_size=7)
    with np.load(out) as npz:
        np.testing.assert_array_equal(npz["data"], X_py)


def test_evaluate_writes_report_and_figures(ecgaug, fitted_model, small_csvs, tmp_path):
    out = tmp_path / "report"
    train_csv, test_csv = small_csvs
    run = ecgaug(
        "evaluate", fitted_model, "--csv", train_csv, "--test-csv", test_csv,
        "--out", out, "--metrics mmd adherence memorisation protocols",
        "--protocols TRTR TSTR --classifier-epochs 1 --embeddings pca -q",
    )  # fmt: skip
    assert run.rc == 0, run
    names = ("report.csv", "report.md", "beats.png", "embedding.png", "protocols.png")
    for name in names:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "beats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = (out / "report.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    metrics = {r["metric"] for r in rows}
    assert {"mmd_rbf", "label_adherence", "dcr_ratio", "TSTR_accuracy"} <= metrics
    pooled = {r["metric"]: float(r["value"]) for r in rows if r["label"] == "all"}
    assert 0.0 <= pooled["label_adherence"] <= 1.0
    assert 0.0 <= pooled["TRTR_accuracy"] <= 1.0
    # per-class rows are named after the classes; the terminal shows pooled rows
    assert {r["label"] for r in rows} >= {"all", "N", "S", "V", "F", "Q"}
    assert run.out.count("label_adherence") == 1
