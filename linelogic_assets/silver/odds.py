"""The canonical half of `odds_snapshot`: its columns, the key of a record and of a line, and the record hash.

Every odds provider's normaliser builds rows of these columns and hashes them with `record_hash`, so
equal records hash equal whichever response, run or partition they came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.raw import RawResponse

DEDUPE_KEY = ["canonical_event_id", "snapshot_time_utc", "bookmaker", "market", "selection", "participant", "price", "point"]
# one line of one book at one snapshot: it has one price, or its quotes conflict
ODDS_KEY = [k for k in DEDUPE_KEY if k != "price"]


@dataclass
class EventKey:
    """What odds rows need to know of their canonical event."""

    canonical_event_id: str
    commence_time_utc: datetime
    swapped: bool  # the provider's home is the canonical away


@dataclass
class OddsPartition:
    """One sport × slate date to normalise: its responses, its window and its canonical events."""

    sport: str
    window: tuple[datetime, datetime]
    responses: list[RawResponse]
    events: dict[str, EventKey]
    quarantine: Quarantine


ODDS_COLUMNS = ("provider", "sport", "canonical_event_id", "provider_event_id", "commence_time_utc",
                "snapshot_time_utc", "is_live", "bookmaker", "market", "selection", "price", "point",
                "ingest_run_id", "ingested_at_utc", "record_hash", "raw_ref", "participant", "price_american",
                "bookmaker_last_update_utc")
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fast, well-spread, deterministic 64-bit mix."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _string_hash(arr: pa.Array) -> np.ndarray:
    """Content hash per row of a string column: hash each distinct value once (blake2b), then gather."""
    enc = pc.dictionary_encode(arr).combine_chunks() if isinstance(arr, pa.ChunkedArray) else pc.dictionary_encode(arr)
    values = [hashlib.blake2b(v.encode(), digest_size=8).digest() if v is not None else b"\0" * 8
              for v in enc.dictionary.to_pylist()]
    table = np.frombuffer(b"".join(values) or b"\0" * 8, dtype="<u8")
    idx = pc.fill_null(enc.indices, -1).to_numpy()
    return np.where(idx >= 0, table[np.maximum(idx, 0)], np.uint64(0x9E3779B97F4A7C15))


def _number_hash(arr: pa.Array) -> np.ndarray:
    x = pc.fill_null(pc.cast(arr, pa.float64()), np.nan).to_numpy(zero_copy_only=False).copy()
    x[x == 0] = 0.0  # -0.0 == 0.0
    x[np.isnan(x)] = np.nan  # one NaN bit pattern for every null
    return x.view("<u8")


def _column_hash(arr: pa.Array, known: np.ndarray | None) -> np.ndarray:
    if known is not None:
        return known
    if pa.types.is_string(arr.type):
        return _string_hash(arr)
    if pa.types.is_timestamp(arr.type):
        return pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy().view("<u8")
    return _number_hash(arr)


def _record_and_line_hashes(cols: dict[str, pa.Array], known: dict[str, np.ndarray] | None = None
                            ) -> tuple[np.ndarray, np.ndarray]:
    """64-bit content hashes of DEDUPE_KEY (the record) and of ODDS_KEY (its line: all but the price).

    Both chains share every step before the price, so the line costs only the steps after it.
    `known` holds per-row hashes of string columns already computed upstream (the same values: a
    column's hash is blake2b of each value, wherever it is computed).
    """
    h = np.full(len(cols["canonical_event_id"]), np.uint64(0x243F6A8885A308D3))
    line = None
    for name in DEDUPE_KEY:
        part = _column_hash(cols[name], (known or {}).get(name))
        if name == "price":
            line = h
        elif line is not None:
            line = _mix(line ^ part)
        h = _mix(h ^ part)
    return h, line


def record_hash(cols: dict[str, pa.Array], known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """64-bit content hash of the dedupe key: equal records hash equal in any partition."""
    return _record_and_line_hashes(cols, known)[0]


def _duplicated(keys: np.ndarray, keep: str | bool = "first") -> np.ndarray:
    """True for every repeat of a key seen earlier (keep=False: for every copy of a repeated key); a hash table, no sort."""
    return pd.Series(keys, copy=False).duplicated(keep=keep).to_numpy()


def _hex(h: np.ndarray) -> pa.Array:
    """uint64 → 16 hex digits, built as one Arrow buffer (no Python string per row)."""
    data = h.astype(">u8").tobytes().hex().encode()
    offsets = np.arange(0, 16 * (len(h) + 1), 16, dtype=np.int32)
    return pa.StringArray.from_buffers(len(h), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))

