"""The landing layout: <landing dir>/<source>/<table>/<batch>.csv|.parquet.

Read by ingest (what to load), by the sensor (what changed) and by `make run` (is
there anything at all); the layout is the contract with producers."""

from __future__ import annotations

import hashlib
from pathlib import Path

READABLE_SUFFIXES = (".csv", ".parquet")


def landed_files(landing_dir: Path, source: str, table: str) -> list[Path]:
    """A table's batches in batch order (file name), ignoring hidden and partial files."""
    folder = landing_dir / source / table
    if not folder.is_dir():
        return []
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in READABLE_SUFFIXES and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )


def landing_fingerprint(landing_dir: Path, tables: list[tuple[str, str]]) -> str:
    """Names, sizes and modification times of every landed file of the given
    (source, table) pairs: cheap, and it changes whenever a batch lands."""
    digest = hashlib.sha256()
    for source, table in tables:
        for path in landed_files(landing_dir, source, table):
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
