"""Download of absent records (simulated: PhysioNet is unreachable), SHA256 checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgaug.datasets import load_mitbih, load_ptb
from ecgaug.datasets._fetch import verify_sha256


def _fake_physionet(monkeypatch, source: Path, calls: list, corrupt: str | None = None):
    """Make wfdb's downloads copy files from ``source`` (a local PhysioNet mirror)."""

    def dl_database(db_dir, dl_dir, records="all", annotators="all", **kwargs):
        calls.append(("dl_database", db_dir, list(records), annotators))
        for record in records:
            for ext in ["hea", "dat", *(annotators or [])]:
                src = source / db_dir / f"{record}.{ext}"
                dst = Path(dl_dir) / f"{record}.{ext}"
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                if corrupt == dst.name:
                    data = bytearray(dst.read_bytes())
                    data[100] ^= 0xFF
                    dst.write_bytes(bytes(data))

    def dl_files(db, dl_dir, files, **kwargs):
        calls.append(("dl_files", db, list(files)))
        assert files == ["SHA256SUMS.txt"]
        # PhysioNet publishes it as SHA256SUMS.txt; here it is staged under
        # PHYSIONET_SHA256SUMS.txt.
        shutil.copyfile(
            source / db / "PHYSIONET_SHA256SUMS.txt", Path(dl_dir) / "SHA256SUMS.txt"
        )

    monkeypatch.setattr(wfdb, "dl_database", dl_database)
    monkeypatch.setattr(wfdb, "dl_files", dl_files)


def test_absent_records_are_downloaded_checked_and_used(
    data_home, tmp_path, monkeypatch
):
    calls = []
    _fake_physionet(monkeypatch, data_home, calls)
    home = tmp_path / "home"
    bunch = load_mitbih(data_home=home, records=[100, 122])
    assert calls[0] == ("dl_database", "mitdb", ["100", "122"], ["atr"])
    assert calls[1] == ("dl_files", "mitdb", ["SHA256SUMS.txt"])
    files = sorted(p.name for p in (home / "mitdb").iterdir())
    assert files == sorted(
        [
            "100.hea",
            "100.dat",
            "100.atr",
            "122.hea",
            "122.dat",
            "122.atr",
            "SHA256SUMS.txt",
        ]
    )
    assert verify_sha256(home / "mitdb", sorted((home / "mitdb").glob("1*"))) == 6
    reference = load_mitbih(data_home=data_home, records=[100, 122])
    assert np.array_equal(bunch.data, reference.data)
    # Present records are not downloaded again.
    load_mitbih(data_home=home, records=[100])
    assert len(calls) == 2


def test_corrupt_download_is_rejected_and_not_kept(data_home, tmp_path, monkeypatch):
    calls = []
    _fake_physionet(monkeypatch, data_home, calls, corrupt="100.dat")
    home = tmp_path / "home"
    with pytest.raises(ValueError, match=r"100\.dat of 'mitdb' does not match"):
        load_mitbih(data_home=home, records=[100])
    assert not list((home / "mitdb").iterdir())  # nothing half-downloaded stays


def test_network_failure_says_where_to_put_the_files(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'physionet.org'")

    monkeypatch.setattr(wfdb, "dl_database", offline)
    monkeypatch.setattr(wfdb, "dl_files", offline)
    home = tmp_path / "home"
    with pytest.raises(FileNotFoundError) as info:
        load_mitbih(data_home=home, records=[100, 101])
    message = str(info.value)
    assert "could not be downloaded from PhysioNet" in message
    assert "physionet.org" in message and str(home / "mitdb") in message
    assert not list((home / "mitdb").iterdir())


def test_no_download_when_not_allowed(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(wfdb, "dl_database", never)
    with pytest.raises(FileNotFoundError, match=r"100\.hea .*download_if_missing=True"):
        load_mitbih(data_home=tmp_path, records=[100], download_if_missing=False)
    with pytest.raises(FileNotFoundError, match="No PTB records found"):
        load_ptb(data_home=tmp_path, download_if_missing=False)


def test_verify_sha256_uses_every_manifest(mit_copy):
    home = mit_copy("100")
    db = home / "mitdb"
    files = [db / "100.hea", db / "100.dat", db / "100.atr"]
    assert verify_sha256(db, files) == 3
    (db / "SHA256SUMS").write_text(
        (db / "SHA256SUMS").read_text().replace("b2ea3c25", "00000000")
    )
    with pytest.raises(ValueError, match=r"100\.dat does not match .* in .*SHA256SUMS"):
        verify_sha256(db, files)
    (db / "SHA256SUMS").unlink()
    (db / "PHYSIONET_SHA256SUMS.txt").unlink()
    assert verify_sha256(db, files) == 0  # nothing to check against


def test_unwritable_data_home_says_so(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(wfdb, "dl_database", never)
    (tmp_path / "mitdb").write_text("a file where the database folder should be")
    with pytest.raises(FileNotFoundError, match="cannot be downloaded there"):
        load_mitbih(data_home=tmp_path, records=[100])
