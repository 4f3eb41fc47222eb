"""Provider-neutral response plumbing: a minimal response record, JSON encoding and time formats."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl


@dataclass
class SimResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: bool = False  # injected: the transport raises ReadTimeout, the server stalls

    @classmethod
    def json(cls, status: int, obj: object, headers: dict[str, str] | None = None) -> SimResponse:
        return cls(status, dumps(obj), {"content-type": "application/json; charset=utf-8", **(headers or {})})


def dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def parse_query(raw: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in parse_qsl(raw, keep_blank_values=True):
        out.setdefault(k, []).append(v)
    return out


@lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")


def iso_z(ts: int) -> str:
    """Unix seconds -> '2024-05-02T23:45:00Z' (hot path: only the date part goes through datetime)."""
    day, rem = divmod(ts, 86_400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return f"{_day_prefix(day)}{h:02d}:{m:02d}:{s:02d}Z"


def iso_ms(ts: int) -> str:
    """Unix seconds -> '2025-01-05T23:00:00.000Z' (BALLDONTLIE style)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_iso(value: str) -> datetime:
    """ISO 8601 with Z or offset; a naive value is read as UTC."""
    v = value.strip()
    if v.endswith("Z") or v.endswith("z"):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
