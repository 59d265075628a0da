"""load_kaggle_heartbeat on tiny CSVs in the public format."""

from __future__ import annotations

import numpy as np
import pytest

from ecgaug.datasets import load_kaggle_heartbeat


def _write(path, X, y):
    rows = np.column_stack([X.astype(np.float64), y.astype(np.float64)])
    np.savetxt(path, rows, delimiter=",", fmt="%.18e")  # as the public files
    return path


def test_mitbih_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((5, 187)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 4])
    bunch = load_kaggle_heartbeat(_write(tmp_path / "mitbih_train.csv", X, y))
    assert np.array_equal(bunch.data, X) and bunch.data.dtype == np.float32
    assert bunch.target.tolist() == [0, 1, 2, 3, 4] and bunch.target.dtype == np.int64
    assert list(bunch.target_names) == ["N", "S", "V", "F", "Q"]
    assert bunch.groups is None and bunch.r_peak is None and bunch.fs == 120.0
    X2, y2 = load_kaggle_heartbeat(tmp_path / "mitbih_train.csv", return_X_y=True)
    assert np.array_equal(X2, X)


def test_ptb_csvs_concatenate(tmp_path):
    X = np.linspace(0, 1, 2 * 187, dtype=np.float32).reshape(2, 187)
    normal = _write(tmp_path / "ptbdb_normal.csv", X, np.zeros(2))
    abnormal = _write(tmp_path / "ptbdb_abnormal.csv", X[::-1], np.ones(2))
    bunch = load_kaggle_heartbeat([normal, abnormal])
    assert bunch.target.tolist() == [0, 0, 1, 1]
    assert list(bunch.target_names) == ["healthy", "MI"]
    assert bunch.source.tolist() == [str(normal)] * 2 + [str(abnormal)] * 2


def test_wrong_column_count(tmp_path):
    path = _write(tmp_path / "mitbih_test.csv", np.zeros((3, 180)), np.zeros(3))
    with pytest.raises(ValueError, match="line 1 has 181 columns, expected 188"):
        load_kaggle_heartbeat(path)


def test_bad_labels_and_mixing(tmp_path):
    X = np.zeros((2, 187))
    bad = _write(tmp_path / "mitbih_a.csv", X, np.array([0, 7]))
    with pytest.raises(ValueError, match=r"whole numbers in 0\.\.4"):
        load_kaggle_heartbeat(bad)
    ptb = _write(tmp_path / "ptbdb_normal.csv", X, np.zeros(2))
    with pytest.raises(ValueError, match="Cannot mix MIT-BIH and PTB"):
        load_kaggle_heartbeat([bad, ptb])
    with pytest.raises(FileNotFoundError, match="ECG Heartbeat"):
        load_kaggle_heartbeat(tmp_path / "absent.csv")


def test_gzip_csv_is_read_as_the_plain_one(tmp_path):
    import gzip

    rng = np.random.default_rng(1)
    X = rng.random((4, 187)).astype(np.float32)
    (tmp_path / "plain").mkdir()
    plain = _write(tmp_path / "plain" / "mitbih_test.csv", X, np.arange(4))
    # Recognised by its content: a .gz name, or gzip data under a .csv name.
    for name in ("mitbih_test.csv.gz", "mitbih_test.csv"):
        packed = tmp_path / name
        packed.write_bytes(gzip.compress(plain.read_bytes()))
        bunch = load_kaggle_heartbeat(packed)
        assert np.array_equal(bunch.data, X)
        assert bunch.target.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["empty", "blank"])
def test_empty_csv_is_a_clear_error(tmp_path, content):
    path = tmp_path / "mitbih_train.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"mitbih_train\.csv is empty: .* no beats"):
        load_kaggle_heartbeat(path)


def test_binary_files_are_a_clear_error(tmp_path):
    import gzip
    import zipfile

    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("mitbih_train.csv", "0," * 187 + "0\n")
    with pytest.raises(ValueError, match=r"archive\.zip is a zip archive; extract"):
        load_kaggle_heartbeat(archive)
    binary = tmp_path / "mitbih_train.csv"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(ValueError, match=r"mitbih_train\.csv is not a text CSV"):
        load_kaggle_heartbeat(binary)
    broken = tmp_path / "mitbih_test.csv.gz"
    broken.write_bytes(gzip.compress(b"0," * 187 + b"0\n" * 50)[:-20])
    with pytest.raises(ValueError, match=r"mitbih_test\.csv\.gz is not a text CSV"):
        load_kaggle_heartbeat(broken)
