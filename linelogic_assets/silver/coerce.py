"""Typed reads of provider values for the silver normalisers: the value as its column's type, or `BadValue`.

One rule per type, shared by every normaliser, so "what counts as an id, a count or a timestamp"
is written once. A normaliser catches `BadValue` and decides what the bad value costs: the whole
row (identity fields: ids, teams, times) or only that value (a stat), and quarantines it with
`quarantine_value` either way, naming the column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from linelogic_assets.timeutil import parse_ts, shown

if TYPE_CHECKING:
    from linelogic_assets.lake.quarantine import Quarantine
    from linelogic_assets.lake.raw import RawResponse

MAX_ID = 2**53  # ids survive a round trip through JSON numbers, pandas floats and int64 columns
MAX_COUNT = 9999  # no score or box-score count comes near it; anything above is not a real value
_DIGITS = re.compile(r"^\s*[+-]?\d{1,18}\s*$")


OnBad = Callable[["BadValue"], None]  # notes a value that was lost while its row was kept


class BadValue(ValueError):
    """A provider value silver cannot read as its column's type; the message is the quarantine reason."""

    def __init__(self, column: str, value: object, expected: str) -> None:
        super().__init__(f"{column}: {shown(value)} is not {expected}")
        self.column = column
        self.value = value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_int(value: object, column: str, *, lo: int = 0, hi: int = MAX_COUNT, optional: bool = True) -> int | None:
    """A whole number in [lo, hi]: an int, an integral float (3.0) or digits ("3"); None/"" when optional."""
    if value is None or value == "":
        if optional:
            return None
        raise BadValue(column, value, "present")
    n: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and _DIGITS.match(value):
        n = int(value)
    if n is None or not lo <= n <= hi:
        raise BadValue(column, value, f"a whole number in [{lo}, {hi}]")
    return n


def as_id(value: object, column: str) -> str:
    """A provider id as text: a non-empty string or a whole number (never a float, bool, list or object)."""
    if isinstance(value, str) and value.strip() and len(value) <= 200:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return str(value)
    raise BadValue(column, value, "an id (a non-empty string or a whole number)")


def as_int_id(value: object, column: str) -> int:
    """A numeric provider id (BALLDONTLIE): a whole number, or its digits."""
    n = as_int(value, column, lo=0, hi=MAX_ID, optional=False)
    if isinstance(value, float):  # 3.0 is a count, never an id
        raise BadValue(column, value, "an integer id")
    assert n is not None
    return n


def as_text(value: object, column: str) -> str | None:
    """A text column: strings as they are, numbers written out, None kept; objects and lists refused."""
    if value is None or isinstance(value, str):
        return value
    if _is_number(value) and math.isfinite(value):
        return str(value)
    raise BadValue(column, value, "text")


def as_name(value: object, column: str) -> str:
    """A required name (a team as the provider spells it): non-empty text."""
    if isinstance(value, str) and value.strip():
        return value
    raise BadValue(column, value, "a name (non-empty text)")


def as_bool(value: object, column: str, *, default: bool | None = None) -> bool | None:
    """true/false; None (absent) becomes `default`."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise BadValue(column, value, "true or false")


def as_ts(value: object, column: str, *, optional: bool = False) -> datetime | None:
    """An aware UTC timestamp (ISO 8601 or unix seconds, as `parse_ts` reads them); None/"" when optional."""
    if value is None or value == "":
        if optional:
            return None
        raise BadValue(column, value, "a timestamp")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BadValue(column, value, "an aware timestamp")
        return value
    try:
        return parse_ts(value)  # type: ignore[arg-type]  # any other type is refused by parse_ts
    except (ValueError, OverflowError, TypeError, OSError):
        raise BadValue(column, value, "a timestamp (ISO 8601 with a timezone, or unix seconds)") from None


def as_date(value: object, column: str) -> date:
    """A calendar date from 'YYYY-MM-DD' (anything after the tenth character is ignored)."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise BadValue(column, value, "a date (YYYY-MM-DD)")


def as_minutes(value: object, column: str = "min", *, hi: int = 120) -> float | None:
    """Minutes played: 34, '34', '34:12' (minutes:seconds) or '01'; None/'' when not given."""
    if value is None or value == "":
        return None
    text = str(value).strip() if isinstance(value, str) else None
    if text is not None and ":" in text:
        m, _, s = text.partition(":")
        if m.isdigit() and s.isdigit() and len(s) == 2 and int(s) < 60 and int(m) <= hi:
            return int(m) + int(s) / 60
        raise BadValue(column, value, "minutes (mm or mm:ss)")
    try:
        number = float(text) if text is not None else float(value) if _is_number(value) else math.nan
    except ValueError:
        number = math.nan
    if not 0 <= number <= hi:  # NaN fails too
        raise BadValue(column, value, f"minutes in [0, {hi}]")
    return number


def as_object(value: object, column: str, *, optional: bool = False) -> Mapping[str, Any] | None:
    """A JSON object; None when optional."""
    if value is None and optional:
        return None
    if isinstance(value, Mapping):
        return value
    raise BadValue(column, value, "an object")


def as_list(value: object, column: str, *, optional: bool = True) -> list:
    """A JSON list; None (absent) is the empty list when optional."""
    if value is None and optional:
        return []
    if isinstance(value, list):
        return value
    raise BadValue(column, value, "a list")


def or_none(on_bad: OnBad, read: Callable[..., Any], value: object, column: str, **kw: Any) -> Any:
    """`read(value, column, **kw)`, or None with the BadValue handed to `on_bad` (a value whose loss keeps its row)."""
    try:
        return read(value, column, **kw)
    except BadValue as err:
        on_bad(err)
        return None


def quarantine_value(quarantine: Quarantine, r: RawResponse, err: BadValue, *, row_kept: bool,
                     detail: Mapping[str, Any] | None = None) -> None:
    """Record a bad value of raw response `r`: kind `rows` (1 row withheld) when its row was dropped, `value`
    (0 rows withheld) when only the value was nulled and the row kept; so the rows in tables plus the rows
    of `rows` records add up to the rows read."""
    quarantine.response(r, str(err), kind="value" if row_kept else "rows", rows=0 if row_kept else 1,
                        column=err.column, detail=detail)
