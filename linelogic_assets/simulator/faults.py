"""Which fault (if any) request number `seq` suffers: a pure function of faults.seed and seq."""

from __future__ import annotations

from .rng import unit
from .settings import FaultSettings

TIMEOUT, RATE_LIMITED, SERVER_ERROR, TRUNCATED = "timeout", "429", "5xx", "truncated"


def pick_fault(f: FaultSettings, seq: int) -> str | None:
    u = unit(f.seed, seq, 1)
    for kind, rate in (
        (TIMEOUT, f.rate_timeout),
        (RATE_LIMITED, f.rate_429),
        (SERVER_ERROR, f.rate_5xx),
        (TRUNCATED, f.rate_truncated),
    ):
        if u < rate:
            return kind
        u -= rate
    return None


def server_error_status(f: FaultSettings, seq: int) -> int:
    return (500, 502, 503)[int(unit(f.seed, seq, 2) * 3)]


def duplicate_events(f: FaultSettings, seq: int) -> bool:
    return unit(f.seed, seq, 3) < f.duplicate_events_rate


def empty_bookmakers(f: FaultSettings, seq: int, i: int) -> bool:
    return unit(f.seed, seq, 4, i) < f.schema_drift.empty_bookmakers_rate


def truncate(body: bytes) -> bytes:
    """Cut a JSON body in the middle, so it no longer parses."""
    return body[: max(1, len(body) // 2)]
