"""Provider timestamps (ISO 8601 with Z, or unix seconds) to aware UTC datetimes and back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

# a day inside the calendar's edges: any datetime parse_ts returns can be shown in any timezone
# (offsets are under 24 h) without OverflowError
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


class TimestampError(ValueError):
    """A value that is not a timestamp we can use; the message is one line naming the value."""


def shown(value: object) -> str:
    """A value as it may appear in a one-line reason: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}…({len(text)} chars)"


def parse_ts(value: str | int | float) -> datetime:
    """Parse an ISO 8601 string or unix seconds into an aware UTC datetime; naive input is refused.

    Raises TimestampError (a ValueError) for anything else, whatever its type or size.
    """
    try:
        parsed = _parse(value)
    except TimestampError:
        raise
    except (ValueError, OverflowError, OSError, TypeError):  # out-of-range numbers, digits past int's limit
        raise TimestampError(f"not a usable timestamp: {shown(value)}") from None
    if not _EARLIEST <= parsed <= _LATEST:
        raise TimestampError(f"timestamp {shown(value)} is out of range")
    return parsed


def _parse(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TimestampError(f"not a timestamp: {shown(value)} ({type(value).__name__})")
    if isinstance(value, float) and not math.isfinite(value):
        raise TimestampError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimestampError(f"not an ISO 8601 timestamp: {shown(value)}") from None
    if parsed.tzinfo is None:
        raise TimestampError(f"timestamp {shown(value)} has no timezone: add Z or an offset, e.g. {text[:32]}Z")
    return parsed.astimezone(UTC)


def iso_z(ts: datetime) -> str:
    """`2025-11-10T23:00:00Z`: the form The Odds API uses and accepts."""
    if ts.tzinfo is None:
        raise ValueError("naive datetime")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def require_aware(at: datetime, what: str = "at") -> datetime:
    """`at` in UTC; a naive datetime is refused (a timezone is required, never assumed)."""
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValueError(f"{what}={at.isoformat()} has no timezone: a timezone is required (e.g. ...Z or +00:00)")
    return at.astimezone(UTC)


def micros(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (the unit of the lake's timestamps)."""
    return (at - _EPOCH) // timedelta(microseconds=1)
