"""Every raw response of a bronze partition, across all its runs, in one deterministic order.

Silver is a pure function of these: the same bronze gives the same rows, however often it is
rebuilt. A response held twice (a snapshot re-used from a checkpoint, or referenced by two runs) is
read once, under the run and file that first fetched it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.atomic import MANIFEST
from linelogic_assets.timeutil import parse_ts

_MIN = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RawResponse:
    provider: str
    endpoint: str
    run_id: str
    raw_ref: str  # path under the lake root of the file holding the bytes
    path: Path
    snapshot_time: datetime | None  # when the response was observed (historical: the envelope timestamp)
    ingested_at: datetime | None  # when it arrived in bronze
    valid_json: bool
    odds_format: str | None  # the oddsFormat that was requested, when known

    def read(self) -> bytes:
        return self.path.read_bytes()


def _ts(value: str | None) -> datetime | None:
    return parse_ts(value) if value else None


def _run_of(folder: Path) -> str:
    return folder.parent.name.removeprefix("run_id=")


class _ManifestCache:
    def __init__(self) -> None:
        self._by_folder: dict[Path, dict] = {}

    def entry(self, folder: Path, file: str) -> dict | None:
        if folder not in self._by_folder:
            path = folder / MANIFEST
            self._by_folder[folder] = json.loads(path.read_text()) if path.exists() else {}
        return next((e for e in self._by_folder[folder].get("responses", []) if e.get("file") == file), None)


def partition_responses(store: BronzeStore, provider: str, sport: str, day: date | str,
                        endpoints: tuple[str, ...]) -> list[RawResponse]:
    """The partition's responses of `endpoints`, unique by file, ordered by (snapshot time, raw_ref)."""
    seen: dict[str, RawResponse] = {}
    cache = _ManifestCache()
    for endpoint in endpoints:
        for folder, manifest in store.manifests(provider, sport, day, endpoint):
            for raw in _entries(store, folder, manifest, cache):
                entry, held_folder = raw
                raw_ref = (held_folder / entry["file"]).relative_to(store.root).as_posix()
                if raw_ref in seen:
                    continue
                params = (entry.get("request") or {}).get("params") or {}
                if isinstance(params, list):  # the manifest keeps params as [key, value] pairs
                    params = {k: v for k, v in params if isinstance(k, str)}
                seen[raw_ref] = RawResponse(
                    provider=provider,
                    endpoint=endpoint,
                    run_id=_run_of(held_folder),
                    raw_ref=raw_ref,
                    path=held_folder / entry["file"],
                    snapshot_time=_ts(entry.get("snapshot_timestamp")),
                    ingested_at=_ts(entry.get("received_at") or entry.get("imported_at")) or _ts(manifest.get("created_at")),
                    valid_json=bool(entry.get("valid_json", True)),
                    odds_format=params.get("oddsFormat"),
                )
    return sorted(seen.values(), key=lambda r: (r.snapshot_time or _MIN, r.raw_ref))


def _entries(store: BronzeStore, folder: Path, manifest: dict, cache: _ManifestCache) -> Iterator[tuple[dict, Path]]:
    for entry in manifest.get("responses", []):
        if entry.get("file"):
            yield entry, folder
        elif entry.get("ref"):  # a checkpoint hit: the original entry (its run, its arrival) is the truth
            target = store.root / entry["ref"]
            original = cache.entry(target.parent, target.name)
            yield (original or {**entry, "file": target.name}), target.parent
