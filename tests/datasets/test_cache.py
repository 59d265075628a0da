"""The beat cache: used when valid; corrupt, truncated or stale files are rebuilt."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from ecgaug.datasets import clear_cache, get_cache_dir, load_mitbih
from ecgaug.datasets._cache import cache_path, load_cached, save_cached


def _cache_files(record):
    return sorted((get_cache_dir() / "mitdb").glob(f"{record}-*.npz"))


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ECGAUG_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_roundtrip_and_checksum(tmp_path):
    path = cache_path(tmp_path, "mitdb", "100", {"segmentation": "kachuee"})
    arrays = {
        "data": np.arange(6, dtype=np.float32).reshape(2, 3),
        "symbol": np.array(["N", "V"]),
    }
    save_cached(path, arrays, source="src")
    loaded = load_cached(path, source="src")
    assert loaded.keys() == arrays.keys()
    assert all(np.array_equal(loaded[k], arrays[k]) for k in arrays)
    assert cache_path(tmp_path, "mitdb", "100", {"segmentation": "annotation"}) != path


def test_truncated_cache_is_rebuilt_with_a_warning(mit_copy, fresh_cache):
    home = mit_copy("100")
    first = load_mitbih(data_home=home, records=[100])
    (path,) = _cache_files("100")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match=r"Ignoring the beat cache .* cannot be read"):
        again = load_mitbih(data_home=home, records=[100])
    assert np.array_equal(again.data, first.data)
    assert load_cached(path, _source_of(path)) is not None  # rewritten whole


def _source_of(path):
    with np.load(path) as npz:
        return str(npz["__source__"])


def test_tampered_cache_fails_its_checksum(mit_copy, fresh_cache):
    home = mit_copy("100")
    first = load_mitbih(data_home=home, records=[100])
    (path,) = _cache_files("100")
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["data"][0, :10] = 0.5  # a valid npz whose beats are not the extracted ones
    np.savez_compressed(path, **arrays)
    with pytest.warns(UserWarning, match="checksum does not match"):
        again = load_mitbih(data_home=home, records=[100])
    assert np.array_equal(again.data, first.data)


def test_stale_cache_is_rebuilt(mit_copy, fresh_cache):
    home = mit_copy("100")
    load_mitbih(data_home=home, records=[100])
    atr = home / "mitdb" / "100.atr"
    stat = atr.stat()
    os.utime(atr, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.warns(UserWarning, match="record files changed"):
        load_mitbih(data_home=home, records=[100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mitbih(data_home=home, records=[100])  # now valid again


def test_cache_false_writes_nothing_and_clear_cache(mit_copy, fresh_cache):
    home = mit_copy("100", "101")
    load_mitbih(data_home=home, records=[100], cache=False)
    assert not fresh_cache.exists()
    load_mitbih(data_home=home, records=[100, 101])
    load_mitbih(data_home=home, records=[100], segmentation="annotation")
    assert len(list((fresh_cache / "mitdb").glob("*.npz"))) == 3
    assert clear_cache() == 3
    assert not (fresh_cache / "mitdb").exists()
    assert clear_cache() == 0


def test_clear_cache_removes_what_a_killed_write_left(mit_copy, fresh_cache):
    # A process killed inside atomic_path (here: os._exit before the rename)
    # leaves its temporary file beside the cache files; clear_cache removes it.
    home = mit_copy("100")
    load_mitbih(data_home=home, records=[100])
    (path,) = _cache_files("100")
    killed = (
        "import os, sys\n"
        "from ecgaug._utils import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'half a cache file')\n"
        "    os._exit(9)\n"
    )
    run = subprocess.run([sys.executable, "-c", killed, str(path)], check=False)
    assert run.returncode == 9
    (leftover,) = (fresh_cache / "mitdb").glob(".*.tmp")
    assert leftover.name.startswith(f".{path.name}.")
    assert clear_cache() == 2
    assert not (fresh_cache / "mitdb").exists()


def test_unwritable_cache_only_warns(mit_copy, tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("ECGAUG_CACHE", str(blocker))
    home = mit_copy("100")
    with pytest.warns(UserWarning, match="Could not write the beat cache"):
        bunch = load_mitbih(data_home=home, records=[100])
    assert len(bunch.target) == 2272
