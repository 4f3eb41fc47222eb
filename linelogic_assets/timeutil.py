"""Provider timestamps (ISO 8601 with Z, or unix seconds) to aware UTC datetimes and back."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_ts(value: str | int | float) -> datetime:
    """Parse an ISO 8601 string or unix seconds into an aware UTC datetime; naive input is refused."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no timezone: add Z or an offset, e.g. {text}Z")
    return parsed.astimezone(UTC)


def iso_z(ts: datetime) -> str:
    """`2025-11-10T23:00:00Z`: the form The Odds API uses and accepts."""
    if ts.tzinfo is None:
        raise ValueError("naive datetime")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
