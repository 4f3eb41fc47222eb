"""Provider timestamps: every input either parses to an aware UTC datetime or raises a ValueError."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linelogic_assets.sports import LEAGUES, league_for
from linelogic_assets.timeutil import parse_ts

EXTREMES = [
    1e20, -1e20, float("inf"), float("-inf"), float("nan"), 10**40, -(10**40), 1e15,
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    "9" * 30, "9" * 5000, "²", "", "   ", "yesterday", "2024-03-21T14:10:14",  # naive
    None, True, [1], {"a": 1}, b"2024-03-21T14:10:14Z", object(),
]


@pytest.mark.parametrize("value", EXTREMES, ids=lambda v: repr(v)[:24])
def test_parse_ts_raises_only_value_error(value) -> None:
    with pytest.raises(ValueError):
        parse_ts(value)


def test_parse_ts_reads_provider_forms() -> None:
    want = datetime(2024, 3, 21, 14, 10, 14, tzinfo=UTC)
    assert parse_ts("2024-03-21T14:10:14Z") == want
    assert parse_ts("2024-03-21T10:10:14-04:00") == want
    assert parse_ts(int(want.timestamp())) == want == parse_ts(str(int(want.timestamp())))
    assert parse_ts(want.timestamp()) == want


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.none(),
                 st.booleans(), st.lists(st.integers(), max_size=2)))
def test_parse_ts_never_raises_anything_but_value_error(value) -> None:
    try:
        ts = parse_ts(value)
    except ValueError:
        return
    assert ts.tzinfo is not None and ts.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("sport", list(LEAGUES))
def test_slate_date_and_bounds_raise_value_error_at_the_calendar_edges(sport: str) -> None:
    league = league_for(sport)
    with pytest.raises(ValueError):
        league.slate_date(datetime.min.replace(tzinfo=UTC))  # the day before year 1 in New York
    with pytest.raises(ValueError):
        league.slate_bounds_utc(date.max)  # its end is the day after 9999-12-31
    assert league.slate_date(datetime.max.replace(tzinfo=UTC)) == date.max  # west of UTC: no overflow
    assert league.slate_bounds_utc(date.min)[0].year == 1


def test_what_parse_ts_returns_converts_to_any_timezone() -> None:
    # a datetime at the very edge of the calendar overflows when a timezone is applied: refused at parse
    for edge in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T23:59:59+00:00"):
        with pytest.raises(ValueError, match="out of range"):
            parse_ts(edge)
    assert parse_ts("0001-01-02T00:00:00Z").astimezone(league_for("nba").tz).year == 1
