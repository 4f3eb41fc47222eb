"""Atomic file writes: a reader sees the old bytes or the new ones, never a torn file."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"  # the one bronze file a run rewrites (its own manifest); raw files never change


class BronzeImmutableError(RuntimeError):
    """An attempt to write over raw data that is already held."""


def atomic_write(path: Path, data: bytes) -> None:
    if path.exists() and path.name != MANIFEST:
        raise BronzeImmutableError(f"refusing to overwrite raw file {path}")
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def replace_parquet(path: Path, arrow: pa.Table) -> Path:
    """Write a whole Parquet file next to `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(arrow, tmp, compression="zstd")
    os.replace(tmp, path)
    return path
