"""Mutated real Polymarket bodies never crash the normaliser, and nothing is silently lost.

Mutations: replace a value with a hostile one (NaN, huge numbers, wrong types, odd strings), delete
a key or item, write a number as a string, wrap a value in a list. Every input market must come
out as rows or as exactly one rejection with a one-line reason.
"""

from __future__ import annotations

import copy
import json
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linelogic_assets.providers.polymarket import normalise as N
from linelogic_assets.providers.polymarket.schemas import SCHEMAS
from linelogic_assets_tests.conftest import FIXTURES
from linelogic_assets_tests.fuzzing import HOSTILE, get_at, nodes
from linelogic_assets_tests.providers.polymarket.test_normalise import game_event

PM = FIXTURES / "polymarket"
LEGACY = json.loads((PM / "gamma_events_oldest_page_2021-22_nba_nfl_amm.json").read_text())
HISTORY = json.loads((PM / "clob_prices_history_interval_1h_mstr_2026_yes.json").read_text())
CURRENT = [game_event(), game_event("nba-bos-lal-2026-01-21", "Celtics vs. Lakers", "90002")]
BOOK = {"market": "0xabc", "asset_id": "555", "timestamp": "1770476912123", "hash": "h", "tick_size": "0.01",
        "bids": [{"price": "0.44", "size": "10"}, {"price": "0.47", "size": "3"}],
        "asks": [{"price": "0.52", "size": "2"}, {"price": "0.49", "size": "8"}]}
# the keys the normaliser reads: mutations land under them half the time
FOCUS = frozenset({
    "id", "ticker", "slug", "title", "seriesSlug", "series", "markets", "question", "outcomes", "outcomePrices",
    "clobTokenIds", "sportsMarketType", "line", "groupItemTitle", "volume", "volumeNum", "closed", "closedTime",
    "gameStartTime", "endDate", "endDateIso", "history", "t", "p", "asset_id", "timestamp", "bids", "asks",
    "price", "size",
})
SETTINGS = settings(max_examples=int(os.environ.get("PM_FUZZ_EXAMPLES", "150")), deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=12),
    st.sampled_from(["1e400", "-0", "0.5", "[]", '["a"]', '["Yes", "No"]', "1770476912", "nba", "Spread: 76ers (x)",
                     "2026-02-06 03:00:00+00", '["1.5e76", "2"]', "[NaN, 0.5]"]),
)


@st.composite
def mutated(draw, doc):
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(nodes(doc))
        if not paths:
            break
        focus = [p for p in paths if isinstance(p[-1], str) and p[-1] in FOCUS]
        path = draw(st.sampled_from(focus if focus and draw(st.booleans()) else paths))
        parent, key = get_at(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(["replace", "replace", "delete", "stringify", "wrap"]))
        if op == "replace":
            parent[key] = draw(VALUES)
        elif op == "delete":
            del parent[key]
        elif op == "stringify":
            parent[key] = str(parent[key])
        else:
            parent[key] = [parent[key]]
    return doc


def check_markets(doc, sport: str) -> None:
    frame, rejected = N.market_rows(doc, sport)
    assert list(frame.columns) == SCHEMAS["prediction_market"].names
    assert all(isinstance(r.reason, str) and r.reason and "\n" not in r.reason for r in rejected)
    if not isinstance(doc, list):
        assert [r.kind for r in rejected] == ["body"] and frame.empty
        return
    readable = [e for e in doc if isinstance(e, dict) and isinstance(e.get("markets"), list)]
    per_event = [r for r in rejected if r.kind == "event"]
    assert len(per_event) == len(doc) - len(readable)
    # every input market: rows, or exactly one rejection
    assert frame["provider_market_id"].nunique() + len(rejected) - len(per_event) == sum(
        len(e["markets"]) for e in readable)
    assert frame["token_id"].str.fullmatch(r"\d+").all() and frame["token_id"].is_unique
    assert frame["market"].isin(["h2h", "spreads", "totals"]).all()
    assert frame["selection"].dropna().isin(["home", "away", "over", "under"]).all()
    assert np.isfinite(frame["point"].dropna()).all() and np.isfinite(frame["volume"].dropna()).all()
    assert frame["outcome_price"].dropna().between(0, 1).all()
    assert frame.loc[frame["market"] == "h2h", "point"].isna().all()


@SETTINGS
@given(doc=mutated(LEGACY), sport=st.sampled_from(["basketball_nba", "americanfootball_nfl"]))
def test_mutated_legacy_events_never_crash_and_lose_nothing(doc, sport):
    check_markets(doc, sport)


@SETTINGS
@given(doc=mutated(CURRENT))
def test_mutated_current_game_events_never_crash_and_lose_nothing(doc):
    check_markets(doc, "basketball_nba")


@SETTINGS
@given(body=mutated(HISTORY))
def test_mutated_price_history_never_crashes(body):
    frame, rejected = N.history_rows("123", body)
    assert list(frame.columns) == SCHEMAS["prediction_price"].names
    assert frame["ts_utc"].is_unique and frame["ts_utc"].is_monotonic_increasing
    assert frame["price"].between(0, 1).all() and set(frame["source"]) <= {"history"}
    history = body.get("history") if isinstance(body, dict) else None
    if isinstance(history, list):
        assert len(frame) + sum(r.rows for r in rejected) <= len(history)
    else:
        assert [r.kind for r in rejected] == ["body"]


@SETTINGS
@given(body=mutated(BOOK))
def test_mutated_books_never_crash(body):
    frame, issues = N.book_rows(body)
    assert list(frame.columns) == SCHEMAS["prediction_price"].names
    assert frame["price"].between(0, 1).all() and set(frame["source"]) <= {"bid", "ask", "mid"}
    rows = {r.source: r.price for r in frame.itertuples()}
    if "mid" in rows:
        assert rows["bid"] < rows["ask"] and rows["mid"] == (rows["bid"] + rows["ask"]) / 2
    assert all(i.reason and "\n" not in i.reason for i in issues)
