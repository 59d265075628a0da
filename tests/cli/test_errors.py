"""Bad arguments and bad input: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import pytest

from ecgaug.cli import main


def _assert_one_line_error(run):
    assert run.rc == 2, run
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("ecgaug"), lines[0]
    assert "error" in lines[0]
    assert "Traceback" not in run.err + run.out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nosuch"],
        ["fit"],
        ["fit", "ttscgan"],
        ["fit", "nosuch", "--sample", "--out", "m.pt"],
        ["fit", "ttscgan", "--sample", "--out", "m.pt", "--epochs", "abc"],
        ["fit", "ttscgan", "--sample", "--out", "m.pt", "--param", "bogus=1"],
        ["fit", "ttscgan", "--sample", "--out", "m.pt", "--param", "no_equals"],
        ["fit", "ttscgan", "--sample", "--out", "m.pt", "--param", "n_epochs=-1"],
        ["fit", "ttscgan", "--sample", "--database", "ptb", "--out", "m.pt"],
        ["sample", "m.pt"],
        ["sample", "missing.pt", "-n", "5", "--out", "b.npz"],
        ["data"],
        ["data", "summary", "--sample", "--split", "DS1"],
        ["data", "summary", "--sample", "--records", "100"],
        ["data", "summary", "--database", "ptb", "--segmentation", "kachuee"],
        ["data", "summary", "--database", "ptb", "--split", "train"],
        ["data", "summary", "--csv", "nosuch.csv"],
        ["data", "extract", "--sample", "--out", "beats.txt"],
        ["data", "cache", "--sample"],
        ["evaluate", "missing.pt", "--sample"],
        ["demo", "--sampler", "nosuch"],
        ["bench", "--budget", "huge"],
    ],
)
def test_bad_arguments(ecgaug, argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _assert_one_line_error(ecgaug(*argv))


def test_bad_model_files(ecgaug, fitted_model, tmp_path):
    not_a_model = tmp_path / "notes.pt"
    not_a_model.write_text("hello")
    _assert_one_line_error(
        ecgaug("sample", not_a_model, "-n", 5, "--out", tmp_path / "b.npz")
    )
    for argv in (
        ["-n", 5, "--class", 9],  # a class the sampler never saw
        ["-n", 5, "--class", "S"],  # names are not labels here
        ["-n", -1],
        ["-n", 5, "--batch-size", 0],
    ):
        run = ecgaug("sample", fitted_model, *argv, "--out", tmp_path / "b.npz")
        _assert_one_line_error(run)
    run = ecgaug("sample", fitted_model, "-n", 5, "--out", tmp_path / "b.parquet")
    _assert_one_line_error(run)
    assert not (tmp_path / "b.npz").exists()  # nothing half-written


def test_evaluate_refuses_test_equal_train(ecgaug, fitted_model, tmp_path):
    run = ecgaug(
        "evaluate",
        fitted_model,
        "--sample",
        "--split",
        "test",
        "--test-split",
        "test",
        "--out",
        tmp_path,
    )
    _assert_one_line_error(run)


def test_missing_records_without_download(ecgaug, tmp_path):
    run = ecgaug(
        "data",
        "summary",
        "--data-home",
        tmp_path,
        "--records",
        "100",
        "--no-download",
        "-q",
    )
    _assert_one_line_error(run)


def test_help_of_every_command(capsys):
    for argv in (
        [],
        ["demo"],
        ["data"],
        ["data", "summary"],
        ["data", "extract"],
        ["data", "cache"],
        ["fit"],
        ["sample"],
        ["evaluate"],
        ["bench"],
        ["info"],
    ):
        assert main([*argv, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: ecgaug"), argv
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("ecgaug ")
