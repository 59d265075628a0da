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


# Annotation files checked against the signal: without PhysioNet's manifests a
# cut or emptied .atr used to load without error and silently lose beats.


def _write_annotations(db, record, ann, keep):
    """Rewrite ``record.atr`` with the annotations ``keep`` (a mask) of ``ann``."""
    wfdb.wrann(
        record,
        "atr",
        np.asarray(ann.sample)[keep],
        np.asarray(ann.symbol)[keep].tolist(),
        subtype=np.asarray(ann.subtype)[keep],
        chan=np.asarray(ann.chan)[keep],
        num=np.asarray(ann.num)[keep],
        aux_note=np.asarray(ann.aux_note, dtype=object)[keep].tolist(),
        fs=360,
        write_dir=str(db),
    )


def test_every_real_annotation_file_covers_its_record(data_home):
    # The tolerance of the coverage check holds for all 48 MIT-BIH records.
    db = data_home / "mitdb"
    records = sorted(p.stem for p in db.glob("*.atr"))
    assert len(records) == 48
    for record in records:
        ann = read_annotation(db, record)
        assert len(ann.sample) > 1000, record


@pytest.mark.parametrize("keep_bytes", ["half", "all_but_eof"])
def test_truncated_annotation_file_is_a_clear_error(mit_copy, keep_bytes):
    home = mit_copy("100", manifests=False)
    atr = home / "mitdb" / "100.atr"
    data = atr.read_bytes()
    # An even cut near the middle: wfdb reads the first half without complaint.
    cut = 2 * (len(data) // 4) if keep_bytes == "half" else len(data) - 2
    atr.write_bytes(data[:cut])
    with pytest.raises(ValueError, match=r"100\.atr is truncated: .*download_if_miss"):
        read_annotation(home / "mitdb", "100")
    with pytest.raises(ValueError, match=r"100\.atr is truncated"):
        load_mitbih(data_home=home, records=[100], cache=False)


def test_empty_annotation_file_is_a_clear_error(mit_copy):
    home = mit_copy("100", manifests=False)
    (home / "mitdb" / "100.atr").write_bytes(b"")
    with pytest.raises(ValueError, match=r"100\.atr is empty: every beat .*lost"):
        load_mitbih(data_home=home, records=[100], cache=False)
    # Only the end-of-file marker: a whole file without a single annotation.
    (home / "mitdb" / "100.atr").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match=r"100\.atr holds no annotations"):
        load_mitbih(data_home=home, records=[100], cache=False)


def test_annotations_ending_early_are_a_clear_error(mit_copy):
    # A whole, well-formed file that holds only the first half of the beats.
    home = mit_copy("100", manifests=False)
    db = home / "mitdb"
    ann = wfdb.rdann(str(db / "100"), "atr")
    _write_annotations(db, "100", ann, np.asarray(ann.sample) < 325_000)
    with pytest.raises(ValueError, match=r"100\.atr ends 9\d\d\.\d s before the end"):
        load_mitbih(data_home=home, records=[100], cache=False)
    # Cutting only the last few seconds stays within the tolerance.
    _write_annotations(db, "100", ann, np.asarray(ann.sample) < 647_000)
    assert len(load_mitbih(data_home=home, records=[100], cache=False).target) > 2200


def test_annotations_past_the_signal_are_a_clear_error(mit_copy):
    home = mit_copy("100", manifests=False)
    db = home / "mitdb"
    ann = wfdb.rdann(str(db / "100"), "atr")
    ann.sample = np.asarray(ann.sample) + 10_000
    _write_annotations(db, "100", ann, np.ones(len(ann.sample), dtype=bool))
    with pytest.raises(ValueError, match=r"100\.atr .*outside the record's 650000"):
        read_annotation(db, "100")


def test_record_without_beats_is_a_clear_error(mit_copy):
    # Only the rhythm annotations ('+') survive: the file is whole but beatless.
    home = mit_copy("100", manifests=False)
    db = home / "mitdb"
    ann = wfdb.rdann(str(db / "100"), "atr")
    rhythm = np.asarray(ann.symbol) == "+"
    # A rhythm annotation near the end, so the coverage check passes.
    ann.sample = np.append(ann.sample, 649_000)
    ann.symbol = [*ann.symbol, "+"]
    ann.subtype = np.append(ann.subtype, 0)
    ann.chan = np.append(ann.chan, 0)
    ann.num = np.append(ann.num, 0)
    ann.aux_note = [*ann.aux_note, "(N"]
    _write_annotations(db, "100", ann, np.append(rhythm, True))
    with pytest.raises(ValueError, match=r"Record 100 has no beat annotations in .*"):
        load_mitbih(data_home=home, records=[100], cache=False)
