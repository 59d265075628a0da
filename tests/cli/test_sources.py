"""Where the commands take their beats from when none are named (issue 18)."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    monkeypatch.delenv("ECGAUG_DATA", raising=False)
    monkeypatch.setenv("ECGAUG_CACHE", str(tmp_path / "cache"))


def test_no_data_named_uses_the_bundled_sample(ecgaug, no_data_env):
    run = ecgaug("data", "summary")
    assert run.rc == 0, run
    assert "bundled MIT-BIH sample" in run.out, run
    # says so, and how to get the full database
    assert "--data-home" in run.err and "$ECGAUG_DATA" in run.err, run
    assert "ecgaug" in run.err and "100 MB" in run.err, run


def test_quiet_sample_default_says_nothing(ecgaug, no_data_env):
    run = ecgaug("data", "summary", "-q")
    assert run.rc == 0 and not run.err, run


def _assert_cli_advice(run):
    assert run.rc == 2, run
    assert "--data-home" in run.err and "$ECGAUG_DATA" in run.err, run
    assert "--sample" in run.err, run
    assert "download_if_missing" not in run.err, run  # Python advice stays in Python
    assert "or Put" not in run.err, run
    assert len(run.err.strip().splitlines()) == 1, run


def test_missing_records_give_command_line_advice(ecgaug, no_data_env, tmp_path):
    run = ecgaug(
        "data", "summary", "--data-home", tmp_path, "--records", "100", "--no-download"
    )
    _assert_cli_advice(run)
    assert "mitdb" in run.err, run


def test_ecgaug_data_selects_the_database(ecgaug, no_data_env, tmp_path, monkeypatch):
    monkeypatch.setenv("ECGAUG_DATA", str(tmp_path))
    run = ecgaug("data", "summary", "--records", "100", "--no-download")
    _assert_cli_advice(run)
    assert str(tmp_path / "mitdb") in run.err, run


def test_python_loader_keeps_python_advice(tmp_path):
    from ecgaug.datasets import load_mitbih

    with pytest.raises(FileNotFoundError) as info:
        load_mitbih(data_home=tmp_path, records=["100"], download_if_missing=False)
    text = str(info.value)
    assert "download_if_missing=True" in text and "or put the files" in text


def test_tables_print_a_tiny_negative_as_zero():
    from ecgaug.cli._common import format_table

    text = format_table([["mmd", -4e-6, -0.25]], ["metric", "reference", "value"])
    assert "-0.000" not in text and "0.000" in text and "-0.250" in text


def test_info_shows_the_threads_of_a_fit(ecgaug):
    run = ecgaug("info")
    assert run.rc == 0, run
    lines = dict(line.split(None, 1) for line in run.out.splitlines() if line)
    assert "OMP_WAIT_POLICY" in lines and lines["OMP_WAIT_POLICY"].strip() == "PASSIVE"
    assert "per fit now" in run.out and "ECGAUG_NUM_THREADS" in run.out
