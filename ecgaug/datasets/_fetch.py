"""Making sure record files are present and are PhysioNet's: SHA256 manifests, download.

PhysioNet publishes a ``SHA256SUMS.txt`` for every database. A copy of it in the
database folder (also accepted under the names ``PHYSIONET_SHA256SUMS.txt`` and
``SHA256SUMS``) is used to check every record file the loaders read, whenever
beats are extracted anew. Downloads go to a temporary folder, are checked against
PhysioNet's manifest, and only then moved into place.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import wfdb

from ._records import record_files

__all__ = ["MANIFEST_NAMES", "ensure_records", "verify_sha256"]

#: File names of SHA256 manifests looked for in a database folder, in this order.
MANIFEST_NAMES = ("SHA256SUMS.txt", "PHYSIONET_SHA256SUMS.txt", "SHA256SUMS")

_PHYSIONET_MANIFEST = "SHA256SUMS.txt"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def _parse_manifest_cached(path: str, size: int, mtime_ns: int) -> dict[str, str]:
    entries = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.strip().split(maxsplit=1)
            if len(parts) != 2 or len(parts[0]) != 64:
                continue
            name = parts[1].lstrip("*")
            if name.startswith("./"):
                name = name[2:]
            entries[name] = parts[0].lower()
    return entries


def _parse_manifest(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from a ``sha256sum``-style file."""
    stat = path.stat()
    return _parse_manifest_cached(str(path), stat.st_size, stat.st_mtime_ns)


def verify_sha256(db_dir: Path, files: Iterable[Path]) -> int:
    """Check ``files`` against every SHA256 manifest found in ``db_dir``.

    A file that no manifest lists is not checked (the header checksum still is).

    Returns
    -------
    n_checked : int
        How many files were listed in a manifest and matched it.

    Raises
    ------
    ValueError
        When a file's SHA256 differs from the one a manifest lists, naming the
        file and the manifest.
    """
    db_dir = Path(db_dir)
    manifests = [
        (db_dir / n, _parse_manifest(db_dir / n))
        for n in MANIFEST_NAMES
        if (db_dir / n).is_file()
    ]
    n_checked = 0
    for path in files:
        rel = Path(path).relative_to(db_dir).as_posix()
        listed = [(m, entries[rel]) for m, entries in manifests if rel in entries]
        if not listed:
            continue
        digest = _sha256(Path(path))
        for manifest, expected in listed:
            if digest != expected:
                raise ValueError(
                    f"{path} does not match PhysioNet's SHA256 listed in {manifest} "
                    f"(expected {expected}, got {digest}): the file is corrupt or not "
                    "the published one. Delete it and call the loader with "
                    "download_if_missing=True, or replace it with PhysioNet's file."
                )
        n_checked += 1
    return n_checked


def _missing(db_dir: Path, records: Iterable[str], annotator: str | None) -> dict:
    missing = {}
    for record in records:
        absent = [
            p
            for p in record_files(db_dir, record, annotator=annotator)
            if not p.is_file()
        ]
        if absent:
            missing[record] = absent
    return missing


def _where_to_put(db: str, db_dir: Path, *, sentence: bool = True) -> str:
    return (
        f"{'Put' if sentence else 'put'} the files of PhysioNet's '{db}' database "
        f"(https://physionet.org/content/{db}/) into {db_dir}, keeping PhysioNet's "
        "folder layout"
    )


def ensure_records(
    db: str,
    db_dir: Path,
    records: list[str],
    *,
    annotator: str | None,
    download_if_missing: bool,
) -> list[str]:
    """Make sure every file of ``records`` is in ``db_dir``, downloading if allowed.

    Returns the records that were downloaded (they have been SHA256-checked
    against PhysioNet's manifest already).
    """
    db_dir = Path(db_dir)
    missing = _missing(db_dir, records, annotator)
    if not missing:
        return []
    first_record, first_files = next(iter(missing.items()))
    more = f" and files of {len(missing) - 1} more records" if len(missing) > 1 else ""
    if not download_if_missing:
        raise FileNotFoundError(
            f"{first_files[0]} (record {first_record} of PhysioNet's '{db}'){more} not "
            f"found. Call the loader with download_if_missing=True to download them, "
            f"or {_where_to_put(db, db_dir, sentence=False)}."
        )
    _download(db, db_dir, sorted(missing), annotator)
    still = _missing(db_dir, records, annotator)
    if still:
        record, files = next(iter(still.items()))
        raise FileNotFoundError(
            f"{files[0]} (record {record}) is still missing after downloading from "
            f"PhysioNet. {_where_to_put(db, db_dir)}."
        )
    return sorted(missing)


def _download(db: str, db_dir: Path, records: list[str], annotator: str | None) -> None:
    """Download ``records`` and PhysioNet's manifest, check, then move into place."""
    try:
        db_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=db_dir, prefix=".download-"))
    except OSError as exc:
        raise FileNotFoundError(
            f"{len(records)} record(s) of '{db}' are not in {db_dir}, and they cannot "
            f"be downloaded there ({type(exc).__name__}: {exc}). Pass a writable "
            f"data_home, or {_where_to_put(db, db_dir)[0].lower()}"
            f"{_where_to_put(db, db_dir)[1:]}."
        ) from exc
    try:
        try:
            wfdb.dl_database(
                db,
                dl_dir=str(tmp),
                records=records,
                annotators=[annotator] if annotator else None,
            )
            wfdb.dl_files(db, dl_dir=str(tmp), files=[_PHYSIONET_MANIFEST])
        except Exception as exc:  # requests/urllib/HTTP errors, all alike to the user
            raise FileNotFoundError(
                f"{len(records)} record(s) of '{db}' ({', '.join(records[:5])}"
                f"{', ...' if len(records) > 5 else ''}) are not in {db_dir} and could "
                f"not be downloaded from PhysioNet ({type(exc).__name__}: {exc}). "
                f"{_where_to_put(db, db_dir)}, or retry when online."
            ) from exc
        manifest_path = tmp / _PHYSIONET_MANIFEST
        if not manifest_path.is_file():
            raise FileNotFoundError(
                f"PhysioNet's {_PHYSIONET_MANIFEST} for '{db}' could not be "
                "downloaded, so the downloaded records cannot be checked. "
                f"{_where_to_put(db, db_dir)}."
            )
        manifest = _parse_manifest(manifest_path)
        downloaded = sorted(
            p for p in tmp.rglob("*") if p.is_file() and p != manifest_path
        )
        for path in downloaded:
            rel = path.relative_to(tmp).as_posix()
            if rel not in manifest:
                raise ValueError(
                    f"Downloaded file {rel} of '{db}' is not listed in PhysioNet's "
                    f"{_PHYSIONET_MANIFEST}, so it cannot be checked; nothing was kept."
                )
            digest = _sha256(path)
            if digest != manifest[rel]:
                raise ValueError(
                    f"Downloaded file {rel} of '{db}' does not match PhysioNet's "
                    f"SHA256 (expected {manifest[rel]}, got {digest}); nothing was "
                    "kept. Retry the download."
                )
        for path in [*downloaded, manifest_path]:
            target = db_dir / path.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
