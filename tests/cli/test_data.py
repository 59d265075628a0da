"""``ecgaug data summary|extract|cache`` on the bundled sample and the real records."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ecgaug.datasets import load_kaggle_heartbeat, load_mitbih, load_sample


def _class_counts(out: str) -> dict[str, int]:
    """``{"N": 1197, ...}`` from the ``label class beats %`` table."""
    rows = re.findall(r"^\s*(\d)\s+(\w+)\s+(\d+)\s+[\d.]+$", out, flags=re.M)
    return {name: int(count) for _, name, count in rows}


@pytest.mark.parametrize("split", ["all", "train", "test"])
def test_summary_of_the_sample(ecgaug, split):
    run = ecgaug("data", "summary", "--sample", "--split", split)
    assert run.rc == 0, run
    sample = load_sample(split=split)
    expected = {
        name: int(np.sum(sample.target == k))
        for k, name in enumerate(sample.target_names)
    }
    assert _class_counts(run.out) == expected
    assert f"{len(sample.target):,}" in run.out
    assert "120 Hz" in run.out and "records        48" in run.out


def test_extract_npz_and_csv_round_trip(ecgaug, tmp_path):
    sample = load_sample(split="test")
    run = ecgaug(
        "data",
        "extract",
        "--sample",
        "--split",
        "test",
        "--out",
        tmp_path / "test.npz",
        "-q",
    )
    assert run.rc == 0, run
    with np.load(tmp_path / "test.npz") as npz:
        np.testing.assert_array_equal(npz["data"], sample.data)
        np.testing.assert_array_equal(npz["target"], sample.target)
        np.testing.assert_array_equal(npz["groups"], sample.groups)
        np.testing.assert_array_equal(npz["target_names"], sample.target_names)
        assert float(npz["fs"]) == 120.0
    run = ecgaug(
        "data",
        "extract",
        "--sample",
        "--split",
        "test",
        "--out",
        tmp_path / "test.csv",
        "-q",
    )
    assert run.rc == 0, run
    back = load_kaggle_heartbeat(tmp_path / "test.csv")
    np.testing.assert_array_equal(back.data, sample.data)
    np.testing.assert_array_equal(back.target, sample.target)


def test_cache_and_summary_of_real_records(ecgaug, data_home, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ECGAUG_CACHE", str(cache))
    run = ecgaug(
        "data",
        "cache",
        "--data-home",
        data_home,
        "--records",
        "100",
        "--no-download",
        "-q",
    )
    assert run.rc == 0, run
    assert [p.name.split("-")[0] for p in cache.glob("mitdb/*.npz")] == ["100"]

    run = ecgaug(
        "data",
        "summary",
        "--data-home",
        data_home,
        "--records",
        "100",
        "201",
        "--per-record",
        "--no-download",
        "-q",
    )
    assert run.rc == 0, run
    mit = load_mitbih(data_home=data_home, records=["100", "201"], cache=False)
    expected = {
        name: int(np.sum(mit.target == k)) for k, name in enumerate(mit.target_names)
    }
    assert _class_counts(run.out) == expected
    row = re.search(r"^201((?:\s+\d+){5})$", run.out, flags=re.M)
    counts = np.bincount(mit.target[mit.groups == "201"], minlength=5)
    assert [int(v) for v in row.group(1).split()] == counts.tolist()

    run = ecgaug("data", "cache", "--clear")
    assert run.rc == 0 and "Removed 2 cached file(s)" in run.out, run
    assert not list(cache.glob("*/*.npz"))


def test_summary_of_a_broken_record_fails(ecgaug, data_home, tmp_path, monkeypatch):
    # An emptied .atr (no PhysioNet manifest beside it) used to give "beats 0"
    # and exit status 0.
    monkeypatch.setenv("ECGAUG_CACHE", str(tmp_path / "cache"))
    mitdb = tmp_path / "data" / "mitdb"
    mitdb.mkdir(parents=True)
    for ext in ("hea", "dat"):
        (mitdb / f"100.{ext}").write_bytes(
            (data_home / "mitdb" / f"100.{ext}").read_bytes()
        )
    (mitdb / "100.atr").write_bytes(b"")
    run = ecgaug(
        "data", "summary", "--data-home", tmp_path / "data", "--records", "100",
        "--no-download", "-q",
    )  # fmt: skip
    assert run.rc != 0, run
    assert "100.atr is empty" in run.err, run


def test_summary_of_no_beats_fails(ecgaug, monkeypatch):
    # Whatever the source, a summary that counts no beats is an error.
    from ecgaug.cli import _data

    empty = load_sample(split="test")
    empty.data, empty.target = empty.data[:0], empty.target[:0]
    empty.groups = empty.groups[:0]
    monkeypatch.setattr(_data, "load_data", lambda args, quiet: (empty, "empty set"))
    run = ecgaug("data", "summary", "--sample")
    assert run.rc != 0, run
    assert "beats          0" in run.out
    assert "empty set holds no beats" in run.err, run
