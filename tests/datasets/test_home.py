"""data_home and cache folders."""

from __future__ import annotations

from pathlib import Path

from ecgaug.datasets import clear_cache, get_cache_dir, get_data_home


def test_defaults_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ECGAUG_DATA", raising=False)
    monkeypatch.delenv("ECGAUG_CACHE", raising=False)
    assert get_data_home() == Path.home() / "ecgaug_data"
    assert get_cache_dir() == Path.home() / ".cache" / "ecgaug"
    monkeypatch.setenv("ECGAUG_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("ECGAUG_CACHE", str(tmp_path / "c"))
    assert get_data_home() == tmp_path / "d"
    assert get_cache_dir() == tmp_path / "c"
    assert get_data_home(tmp_path / "x") == tmp_path / "x"
    assert not (tmp_path / "d").exists()  # nothing is created by asking


def test_clear_cache_removes_only_cache_files(tmp_path):
    (tmp_path / "mitdb").mkdir()
    (tmp_path / "mitdb" / "100-abc.npz").write_bytes(b"x")
    (tmp_path / "mitdb" / "notes.txt").write_text("keep me")
    (tmp_path / "README").write_text("keep me too")
    assert clear_cache(tmp_path) == 1
    assert (tmp_path / "mitdb" / "notes.txt").exists() and (
        tmp_path / "README"
    ).exists()
    assert clear_cache(tmp_path / "absent") == 0
