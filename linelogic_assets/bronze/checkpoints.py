"""Checkpoints: which paid historical snapshots bronze already holds, so nothing is bought twice.

A historical response names its snapshot and the next one (`timestamp`, `next_timestamp`); any
request `date` in [timestamp, next_timestamp) returns the same snapshot. So a held snapshot answers
every such request, across re-runs and across partitions. One small file per snapshot keeps
concurrent runs from fighting over a shared index.

Buying is check-then-pay, so it holds a lock across processes (two Dagster instances may share one
lake): `buying` takes an exclusive flock on the key (endpoint, parameters fingerprint), and the buyer
re-reads the held snapshots from disk once it has it. The key leaves the request time out on purpose: a
snapshot's span is only known after the call, so two requests for "the same snapshot" can differ in time;
keyed on the parameters, every pair that could meet contends. The critical section is one call.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from linelogic_assets.filelock import exclusive_lock
from linelogic_assets.lake.atomic import BronzeImmutableError, atomic_write
from linelogic_assets.timeutil import parse_ts

_VOLATILE = {"date", "apikey"}  # the snapshot time is the file name; the key never enters a checkpoint


def params_fingerprint(endpoint: str, params: dict[str, str]) -> str:
    stable = sorted((k, v) for k, v in params.items() if k.lower() not in _VOLATILE)
    return hashlib.sha256(json.dumps([endpoint, stable]).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    timestamp: datetime
    next_timestamp: datetime | None
    raw_ref: str
    sha256: str
    bytes: int

    def covers(self, at: datetime) -> bool:
        return self.timestamp <= at and (self.next_timestamp is None or at < self.next_timestamp)


def _ts(value: str | int | None) -> datetime | None:
    return parse_ts(value) if value is not None else None


class CheckpointStore:
    def __init__(self, root: Path, provider: str, sport: str) -> None:
        self.dir = root / "checkpoints" / provider / sport
        self._cache: dict[str, dict[str, Checkpoint]] = {}  # key → {file name: checkpoint}, in name order

    def _folder(self, endpoint: str, fingerprint: str) -> Path:
        return self.dir / endpoint / fingerprint

    def held(self, endpoint: str, fingerprint: str, *, fresh: bool = False) -> list[Checkpoint]:
        """The snapshots held under a key; `fresh` lists the folder again (another process may have bought
        one) and reads only the files not read before (checkpoints are immutable), so a range run that buys
        a season's snapshots one by one does not re-read every earlier one each time."""
        key = f"{endpoint}/{fingerprint}"
        if fresh or key not in self._cache:
            known = self._cache.get(key, {})
            folder = self._folder(endpoint, fingerprint)
            names = sorted(e.name for e in os.scandir(folder)
                           if e.name.endswith(".json") and not e.name.startswith(".")) if folder.exists() else []
            items = {}
            for name in names:
                if name in known:
                    items[name] = known[name]
                    continue
                d = json.loads((folder / name).read_text())
                items[name] = Checkpoint(_ts(d["timestamp"]), _ts(d.get("next_timestamp")), d["raw_ref"], d["sha256"],
                                         d["bytes"])
            self._cache[key] = items
        return list(self._cache[key].values())

    def find(self, endpoint: str, fingerprint: str, at: datetime, *, fresh: bool = False) -> Checkpoint | None:
        for cp in self.held(endpoint, fingerprint, fresh=fresh):
            if cp.covers(at):
                return cp
        return None

    @contextmanager
    def buying(self, endpoint: str, fingerprint: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the key's lock across processes while checking and buying; `on_wait` is told when another
        holder makes us wait. The OS drops the lock with its holder, so a killed run never keeps it."""
        with exclusive_lock(self.dir / "locks" / endpoint / f"{fingerprint}.lock", on_wait):
            yield

    def save(self, endpoint: str, fingerprint: str, cp: Checkpoint) -> None:
        folder = self._folder(endpoint, fingerprint)
        folder.mkdir(parents=True, exist_ok=True)
        name = cp.timestamp.strftime("%Y%m%dT%H%M%SZ") + ".json"
        body = {
            "timestamp": cp.timestamp.isoformat(),
            "next_timestamp": cp.next_timestamp.isoformat() if cp.next_timestamp else None,
            "raw_ref": cp.raw_ref,
            "sha256": cp.sha256,
            "bytes": cp.bytes,
        }
        path = folder / name
        try:  # first holder wins; the same snapshot held twice is harmless
            atomic_write(path, json.dumps(body).encode())
        except BronzeImmutableError:
            pass
        known = self._cache.setdefault(f"{endpoint}/{fingerprint}", {})
        if name not in known:
            known[name] = cp
            self._cache[f"{endpoint}/{fingerprint}"] = dict(sorted(known.items()))
