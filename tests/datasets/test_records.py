"""Reading WFDB records: damaged, truncated and missing files give clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecgaug.datasets import load_mitbih
from ecgaug.datasets._records import (
    read_annotation,
    read_header,
    read_signal,
    record_files,
    signal_to_physical,
)


def _flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def test_read_signal_is_wfdbs_digital_signal(data_home):
    db = data_home / "mitdb"
    d_signal, rec = read_signal(db, "114", [1])
    ref = wfdb.rdrecord(str(db / "114"), channels=[1], physical=False)
    assert rec.sig_name == ["MLII"]
    assert np.array_equal(d_signal[:, 0], ref.d_signal[:, 0])
    physical = wfdb.rdrecord(str(db / "114"), channels=[1]).p_signal
    np.testing.assert_allclose(signal_to_physical(d_signal, rec), physical)


def test_record_files_lists_what_is_read(data_home):
    db = data_home / "mitdb"
    names = [p.name for p in record_files(db, "100", annotator="atr")]
    assert names == ["100.hea", "100.dat", "100.atr"]


def test_header_checksum_failure_names_the_file(mit_copy):
    home = mit_copy("100", manifests=False)
    # Byte 3000 holds samples of both channels (format 212): both sums change.
    _flip_byte(home / "mitdb" / "100.dat", 3000)
    with pytest.raises(ValueError, match=r"100\.dat fails the checksum in .*100\.hea"):
        read_signal(home / "mitdb", "100", [0])
    with pytest.raises(ValueError, match=r"100\.dat fails the checksum"):
        load_mitbih(data_home=home, records=[100], cache=False)


def test_sha256_failure_names_the_file_and_manifest(mit_copy):
    home = mit_copy("100")
    # Flipping a byte in the header's comment text changes no sample, so only
    # PhysioNet's SHA256 catches it.
    hea = home / "mitdb" / "100.hea"
    text = hea.read_bytes()
    hea.write_bytes(text.replace(b"# 69 M", b"# 96 M"))
    assert text != hea.read_bytes()
    with pytest.raises(ValueError, match=r"100\.hea does not match PhysioNet's SHA256"):
        load_mitbih(data_home=home, records=[100], cache=False)


def test_truncated_dat_is_a_clear_error(mit_copy):
    home = mit_copy("101", manifests=False)
    dat = home / "mitdb" / "101.dat"
    dat.write_bytes(dat.read_bytes()[:1_000_000])
    with pytest.raises(ValueError, match=r"101\.dat is truncated: .*650000 samples"):
        load_mitbih(data_home=home, records=[101], cache=False)


def test_missing_dat_is_file_not_found_with_the_fix(mit_copy):
    home = mit_copy("100", "101")
    (home / "mitdb" / "101.dat").unlink()
    with pytest.raises(FileNotFoundError, match=r"101\.dat .*download_if_missing=True"):
        load_mitbih(data_home=home, records=[100, 101], download_if_missing=False)


def test_missing_header_and_annotation(mit_copy, tmp_path):
    home = mit_copy("100")
    with pytest.raises(FileNotFoundError, match="WFDB header"):
        read_header(home / "mitdb", "999")
    (home / "mitdb" / "100.atr").unlink()
    with pytest.raises(FileNotFoundError, match=r"100\.atr not found"):
        read_annotation(home / "mitdb", "100")


def test_unparsable_header_is_value_error(mit_copy):
    home = mit_copy("100", manifests=False)
    (home / "mitdb" / "100.hea").write_text("this is not a header\n")
    with pytest.raises(ValueError, match=r"Cannot parse the WFDB header .*100\.hea"):
        read_header(home / "mitdb", "100")
