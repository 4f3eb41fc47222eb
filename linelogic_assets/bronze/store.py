"""Append-only raw storage: one folder per run and endpoint, atomic files, a manifest per folder.

    <root>/bronze/provider=<p>/sport=<s>/date=<d>/run_id=<r>/endpoint=<e>/{response_NNNN.json, manifest.json}

Nothing here ever overwrites a response file; a second write to the same run and endpoint gets a
new run folder suffix. Every file is written to a temp name and renamed, so a crash never leaves a
partial file under its final name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from linelogic_assets.bronze.checkpoints import Checkpoint
from linelogic_assets.lake.atomic import MANIFEST, atomic_write, sha256
from linelogic_assets.lake.paths import partition_dir
from linelogic_assets.providers.errors import MalformedResponseError, ProviderError
from linelogic_assets.providers.http import ApiResponse
from linelogic_assets.redact import scrub

MANIFEST_VERSION = 1
Source = Literal["simulator", "live", "import"]


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z") if ts else None


@dataclass(frozen=True)
class HeldResponse:
    """A response already in bronze, as a manifest entry plus the folder it lives in."""

    folder: Path
    entry: dict[str, Any]

    @property
    def path(self) -> Path | None:
        return self.folder / self.entry["file"] if self.entry.get("file") else None

    def read_bytes(self) -> bytes:
        if self.path is None:
            raise FileNotFoundError(f"entry holds no file: {self.entry}")
        return self.path.read_bytes()


class BronzeWriter:
    """Collects the responses of one endpoint in one run; rewrites the manifest after each."""

    def __init__(self, folder: Path, header: dict[str, Any], root: Path) -> None:
        self.folder, self.root = folder, root
        self.manifest: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            **header,
            "status": "in_progress",
            "created_at": _iso(datetime.now(UTC)),
            "completed_at": None,
            "responses": [],
            "errors": [],
            "not_attempted": [],  # calls the run needed but never sent (the circuit breaker was open)
        }
        self._flush()

    @property
    def entries(self) -> list[dict[str, Any]]:
        return self.manifest["responses"]

    def raw_ref(self, file: str) -> str:
        return (self.folder / file).relative_to(self.root).as_posix()

    def _next_file(self, suffix: str = "json") -> str:
        return f"response_{len(self.entries) + 1:04d}.{suffix}"

    def _flush(self) -> None:
        atomic_write(self.folder / MANIFEST, json.dumps(self.manifest, indent=1, sort_keys=False).encode())

    def add_response(
        self,
        response: ApiResponse,
        *,
        snapshot_timestamp: datetime | None = None,
        requested_at: datetime | None = None,
        request_key: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self._add_bytes(
            response.content,
            {
                "request": {"method": response.method, "url": response.url, "params": response.params},
                "status": response.status,
                "headers": response.headers,
                "cost": response.cost,
                "attempts": response.attempts,
                "elapsed_ms": round(response.elapsed_ms, 2),
                "requested_at": _iso(requested_at),
                "received_at": _iso(response.received_at),
                "snapshot_timestamp": _iso(snapshot_timestamp),
                "request_key": request_key,
                "valid_json": True,
                **(extra or {}),
            },
        )

    def add_raw(self, content: bytes, *, valid_json: bool, extra: dict[str, Any]) -> dict[str, Any]:
        """Imported bytes, or a body that failed to parse (kept, never dropped)."""
        return self._add_bytes(content, {"valid_json": valid_json, **extra}, suffix="json" if valid_json else "invalid")

    def add_malformed(self, err: MalformedResponseError, *, request_key: str | None = None) -> dict[str, Any]:
        return self.add_raw(
            err.content,
            valid_json=False,
            extra={
                "request": {"method": "GET", "url": err.url, "params": None},
                "status": err.status,
                "request_key": request_key,
                "error": scrub(str(err)),
                "snapshot_timestamp": None,
            },
        )

    def add_reference(
        self, held: Checkpoint, *, request_key: str | None, reason: str, requested_at: datetime | None = None
    ) -> dict[str, Any]:
        """A snapshot we already hold (checkpoint hit): point at its file instead of paying again."""
        entry = {
            "file": None,
            "ref": held.raw_ref,
            "sha256": held.sha256,
            "bytes": held.bytes,
            "cost": 0,
            "snapshot_timestamp": _iso(held.timestamp),
            "request_key": request_key,
            "requested_at": _iso(requested_at),
            "valid_json": True,  # only parsed responses become checkpoints
            "reused": reason,
        }
        self.entries.append(entry)
        self._flush()
        return entry

    def add_error(self, err: ProviderError, *, request_key: str | None = None) -> None:
        self.manifest["errors"].append(
            {
                "error_type": type(err).__name__,
                "message": scrub(str(err)),
                "status": err.status,
                "code": err.code,
                "url": err.url,
                "request_key": request_key,
                "at": _iso(datetime.now(UTC)),
            }
        )
        self._flush()

    def add_not_attempted(self, err: ProviderError, *, request_key: str | None = None) -> None:
        """A call the run needed but never sent: recorded so a re-run knows it is still owed."""
        self.manifest["not_attempted"].append(
            {
                "reason": scrub(str(err)),
                "error_type": type(err).__name__,
                "request_key": request_key,
                "at": _iso(datetime.now(UTC)),
            }
        )
        self._flush()

    def _add_bytes(self, content: bytes, meta: dict[str, Any], suffix: str = "json") -> dict[str, Any]:
        file = self._next_file(suffix)
        atomic_write(self.folder / file, content)
        entry = {"file": file, "raw_ref": self.raw_ref(file), "sha256": sha256(content), "bytes": len(content), **meta}
        self.entries.append(entry)
        self._flush()
        return entry

    def note(self, **fields: Any) -> None:
        self.manifest.update(fields)
        self._flush()

    def close(self, status: str | None = None) -> dict[str, Any]:
        if status is None:
            status = "complete" if not (self.manifest["errors"] or self.manifest["not_attempted"]) else "partial"
        self.manifest["status"] = status
        self.manifest["completed_at"] = _iso(datetime.now(UTC))
        self.manifest["totals"] = {
            "responses": len(self.entries),
            "files": sum(1 for r in self.entries if r.get("file")),
            "reused": sum(1 for r in self.entries if r.get("reused")),
            "invalid": sum(1 for r in self.entries if not r.get("valid_json", True)),
            "bytes": sum(r.get("bytes") or 0 for r in self.entries if r.get("file")),
            "cost": sum(r.get("cost") or 0 for r in self.entries),
            "errors": len(self.manifest["errors"]),
            "not_attempted": len(self.manifest["not_attempted"]),
        }
        self._flush()
        return self.manifest


_RUN_RE = re.compile(r"^run_id=(.+)$")


class BronzeStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def open(
        self,
        *,
        provider: str,
        sport: str,
        day: date | str,
        run_id: str,
        endpoint: str,
        source: Source,
        extra: dict[str, Any] | None = None,
    ) -> BronzeWriter:
        base = partition_dir(self.root, provider, sport, day)
        run = run_id
        n = 1
        while (base / f"run_id={run}" / f"endpoint={endpoint}").exists():  # a retried step: never reuse
            n += 1
            run = f"{run_id}.{n}"
        folder = base / f"run_id={run}" / f"endpoint={endpoint}"
        folder.mkdir(parents=True)
        header = {
            "provider": provider,
            "sport": sport,
            "date": str(day),
            "run_id": run,
            "endpoint": endpoint,
            "source": source,
            **(extra or {}),
        }
        return BronzeWriter(folder, header, self.root)

    def manifests(self, provider: str, sport: str, day: date | str, endpoint: str | None = None) -> list[tuple[Path, dict]]:
        """Every manifest of a partition (optionally one endpoint), oldest first."""
        base = partition_dir(self.root, provider, sport, day)
        found: list[tuple[Path, dict]] = []
        if not base.exists():
            return found
        pattern = f"run_id=*/endpoint={endpoint}/{MANIFEST}" if endpoint else f"run_id=*/endpoint=*/{MANIFEST}"
        for path in base.glob(pattern):
            found.append((path.parent, json.loads(path.read_text())))
        found.sort(key=lambda item: (item[1].get("created_at") or "", item[1].get("run_id") or ""))
        return found

    def latest(self, provider: str, sport: str, day: date | str, endpoint: str) -> tuple[Path, dict] | None:
        done = [m for m in self.manifests(provider, sport, day, endpoint) if m[1].get("status") != "in_progress"]
        return done[-1] if done else None

    def responses(self, folder: Path, manifest: dict) -> Iterator[HeldResponse]:
        """Each response of a manifest; references are resolved to the file they point at."""
        for entry in manifest.get("responses", []):
            if entry.get("file"):
                yield HeldResponse(folder, entry)
            elif entry.get("ref"):
                target = self.root / entry["ref"]
                yield HeldResponse(target.parent, {**entry, "file": target.name})
