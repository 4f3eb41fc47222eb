"""The simulator's Polymarket part: Gamma shapes and names, CLOB books/prices/history, retention,
determinism, faults, and prices that track the true model; also the client end to end against it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.polymarket import naming
from linelogic_assets.providers.polymarket.client import PolymarketClient, top_of_book
from linelogic_assets.providers.polymarket.settings import PolymarketSettings
from linelogic_assets.providers.polymarket.simulator import PolymarketSim, event_id, markets_of, token_id
from linelogic_assets.simulator.lines import path_of
from linelogic_assets.simulator.model import dist
from linelogic_assets.simulator.responses import parse_query
from linelogic_assets.simulator.schedule import season_schedule
from linelogic_assets.simulator.settings import FaultSettings, SimulatorSettings

NOW = datetime(2025, 11, 18, 12, 0, tzinfo=UTC)
SETTINGS = SimulatorSettings()


def _sim(settings: SimulatorSettings = SETTINGS) -> PolymarketSim:
    return PolymarketSim(settings, lambda: 0.0)


def _get(sim: PolymarketSim, api: str, path: str, now: datetime = NOW, fault=None, **params):
    q = {k: (v if isinstance(v, list) else [str(v)]) for k, v in params.items()}
    return sim.handle(api, path, q, now, 0, fault)


def _json(sim, api, path, now=NOW, **params):
    r = _get(sim, api, path, now, **params)
    assert r.status == 200, r.body
    return json.loads(r.body)


def _nba(index: int):
    return season_schedule("nba", 2025, SETTINGS.seed).games[index]


def _late_game():
    """An NBA game starting after 8 pm ET: its UTC date is the next day, its ticker keeps the US date."""
    return next(g for g in season_schedule("nba", 2025, SETTINGS.seed).games
                if g.commence_time.date() != naming.us_date(g.commence_time) and not g.postponed)


def _event_of(sim, g, now):
    evs = _json(sim, "gamma", "/events", now, id=event_id(g))
    assert len(evs) == 1
    return evs[0]


def _tokens(market: dict) -> list[str]:
    return json.loads(market["clobTokenIds"])


# ---------------------------------------------------------------- Gamma


def test_event_ticker_title_questions_and_times_in_the_real_formats() -> None:
    g = _late_game()
    sim = _sim()
    ev = _event_of(sim, g, g.commence_time - timedelta(days=1))
    us_day = g.commence_time.astimezone(naming.US_TZ).date()
    assert us_day != g.commence_time.date()  # the case that trips a UTC-dated ticker
    slug = f"nba-{g.away.abbreviation.lower()}-{g.home.abbreviation.lower()}-{us_day.isoformat()}"
    assert ev["ticker"] == ev["slug"] == slug
    assert ev["title"] == f"{g.away.name} vs. {g.home.name}"
    ml, sp, tot = ev["markets"]
    assert (ml["question"], ml["groupItemTitle"], ml["sportsMarketType"]) == (ev["title"], "Winner", "moneyline")
    assert json.loads(ml["outcomes"]) == [g.away.name, g.home.name]
    assert re.fullmatch(r"Spread: .+ \(-\d+\.5\)", sp["question"]) and sp["sportsMarketType"] == "spreads"
    assert sp["groupItemTitle"] == f"Spread {sp['line']:g}"
    assert tot["question"] == f"{ev['title']}: O/U {tot['line']:g}" and tot["groupItemTitle"] == f"O/U {tot['line']:g}"
    assert json.loads(tot["outcomes"]) == ["Over", "Under"] and tot["sportsMarketType"] == "totals"
    start = g.commence_time.strftime("%Y-%m-%d %H:%M:%S+00")
    assert all(m["gameStartTime"] == start for m in ev["markets"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00", start)
    created = datetime.fromisoformat(ev["startDate"].replace("Z", "+00:00"))
    assert timedelta(days=7) <= g.commence_time - created <= timedelta(days=7, hours=6)
    assert naming.parse_slug(slug).day == us_day


def test_spread_question_parses_back_to_the_line_and_favourite() -> None:
    sim = _sim()
    for i in range(0, 300, 7):
        g = _nba(i)
        ev = _event_of(sim, g, g.commence_time - timedelta(hours=3))
        sp = ev["markets"][1]
        team, line = naming.parse_spread_question(sp["question"])
        assert line == sp["line"] < 0 and team == json.loads(sp["outcomes"])[0]
        assert naming.parse_group_title(sp["groupItemTitle"]) == ("spreads", line)
        x0 = float(path_of(SETTINGS.seed, g).x[0])  # the opening margin, home minus away
        assert abs(abs(line) - abs(x0)) <= 0.5
        assert team == (g.home.name if x0 >= 0 else g.away.name)
        assert naming.parse_total_question(ev["markets"][2]["question"])[2] == ev["markets"][2]["line"]


def test_outcomes_prices_and_token_ids_are_json_encoded_strings() -> None:
    sim = _sim()
    evs = _json(sim, "gamma", "/events", series_id="10345", tag_id="100639", active="true", closed="false",
                order="startTime", ascending="true", limit=5)
    assert len(evs) == 5
    assert [e["startTime"] for e in evs] == sorted(e["startTime"] for e in evs)
    for ev in evs:
        for m in ev["markets"]:
            for key in ("outcomes", "outcomePrices", "clobTokenIds"):
                assert isinstance(m[key], str) and len(json.loads(m[key])) == 2
            assert all(re.fullmatch(r"[1-9]\d{76}", t) for t in _tokens(m))
            assert re.fullmatch(r"0x[0-9a-f]{64}", m["conditionId"])
            assert isinstance(m["volume"], str) and isinstance(m["liquidity"], str) and m["enableOrderBook"] is True
            p0, p1 = map(float, json.loads(m["outcomePrices"]))
            assert p0 + p1 == pytest.approx(1.0)


def test_paging_filters_and_past_the_end() -> None:
    sim = _sim()
    q = dict(series_id="10345", closed="false", order="startTime", ascending="true")
    first = _json(sim, "gamma", "/events", limit=4, offset=0, **q)
    second = _json(sim, "gamma", "/events", limit=4, offset=4, **q)
    both = _json(sim, "gamma", "/events", limit=8, offset=0, **q)
    assert [e["id"] for e in first + second] == [e["id"] for e in both]
    assert _json(sim, "gamma", "/events", limit=4, offset=100_000, **q) == []
    assert all(not e["closed"] for e in both) and all(e["seriesSlug"] == "nba" for e in both)
    assert _json(sim, "gamma", "/events", active="false") == []
    closed = _json(sim, "gamma", "/events", series_id="3", closed="true", limit=3)
    assert closed and all(e["closed"] and e["ticker"].startswith("mlb-") for e in closed)
    assert all(m["closedTime"] and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00", m["closedTime"])
               for e in closed for m in e["markets"])
    markets = _json(sim, "gamma", "/markets", clob_token_ids=_tokens(both[0]["markets"][2])[1])
    assert [m["id"] for m in markets] == [both[0]["markets"][2]["id"]]


def test_sports_lists_the_game_series() -> None:
    rows = {r["sport"]: r for r in _json(_sim(), "gamma", "/sports")}
    assert rows["nba"]["series"] == "10345" and rows["nba"]["tags"] == "1,745,100639"
    assert {rows[s]["series"] for s in ("nfl", "mlb", "nhl")} == {"10187", "3", "10346"}


# ---------------------------------------------------------------- CLOB


def _open_market(sim, g, now):
    return _event_of(sim, g, now)["markets"]


@pytest.mark.parametrize("index", [3, 40, 90])
def test_book_sorted_uncrossed_on_tick_and_complementary(index: int) -> None:
    sim = _sim()
    g = _nba(index)
    now = g.commence_time - timedelta(hours=5)
    for m in _open_market(sim, g, now):
        books = []
        for tok in _tokens(m):
            book = _json(sim, "clob", "/book", now, token_id=tok)
            bids = [float(lv["price"]) for lv in book["bids"]]
            asks = [float(lv["price"]) for lv in book["asks"]]
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
            assert 3 <= len(bids) <= 6 and 3 <= len(asks) <= 6 or min(bids + asks) <= 0.03 or max(bids + asks) >= 0.97
            assert bids[0] < asks[0] and 0.01 <= bids[0] and asks[0] <= 0.99
            assert all(abs(p * 100 - round(p * 100)) < 1e-9 for p in bids + asks) and book["tick_size"] == "0.01"
            assert all(isinstance(lv["price"], str) and isinstance(lv["size"], str) for lv in book["bids"] + book["asks"])
            assert book["asset_id"] == tok and book["market"] == m["conditionId"] and book["timestamp"] == str(int(now.timestamp()) * 1000)
            mid = float(_json(sim, "clob", "/midpoint", now, token_id=tok)["mid"])
            assert bids[0] <= mid <= asks[0] and mid == pytest.approx((bids[0] + asks[0]) / 2)
            assert float(_json(sim, "clob", "/price", now, token_id=tok, side="BUY")["price"]) == bids[0]
            assert float(_json(sim, "clob", "/price", now, token_id=tok, side="SELL")["price"]) == asks[0]
            assert 0.01 <= asks[0] - bids[0] <= 0.03 + 1e-9
            books.append((bids[0], asks[0]))
        (bid_yes, ask_yes), (bid_no, ask_no) = books
        assert ask_yes == pytest.approx(1 - bid_no) and bid_yes == pytest.approx(1 - ask_no)


def test_book_404_after_close_and_before_creation_and_unknown_token() -> None:
    sim = _sim()
    g = _nba(10)
    gm = markets_of(SETTINGS.seed, g, SETTINGS.market)
    tok = token_id(SETTINGS.seed, g, 0, 0)
    closed_at = datetime.fromtimestamp(gm.closed_ts, UTC)
    assert _get(sim, "clob", "/book", closed_at - timedelta(seconds=1), token_id=tok).status == 200
    for when in (closed_at, datetime.fromtimestamp(gm.created_ts - 1, UTC)):
        r = _get(sim, "clob", "/book", when, token_id=tok)
        assert r.status == 404 and json.loads(r.body) == {"error": "No orderbook exists for the requested token id"}
    bad = tok[:-12] + ("0" if tok[-12] != "0" else "1") + tok[-11:]  # hash digits no longer match
    assert _get(sim, "clob", "/book", closed_at - timedelta(hours=1), token_id=bad).status == 404
    assert _get(sim, "clob", "/prices-history", closed_at, market=bad, interval="max").status == 404


def test_history_resolves_winner_to_one_and_interval_excludes_range() -> None:
    sim = _sim()
    g = next(g for g in season_schedule("nba", 2025, SETTINGS.seed).games[:50] if not g.postponed)
    gm = markets_of(SETTINGS.seed, g, SETTINGS.market)
    now = datetime.fromtimestamp(gm.closed_ts + 3600, UTC)
    res = path_of(SETTINGS.seed, g).result
    away_won = res.away_score > res.home_score
    hist = _json(sim, "clob", "/prices-history", now, market=token_id(SETTINGS.seed, g, 0, 0),
                 interval="max", fidelity=5)["history"]
    assert hist[0]["t"] >= gm.created_ts and hist[-1]["t"] == gm.closed_ts
    assert all(b["t"] - a["t"] <= 300 for a, b in zip(hist, hist[1:], strict=False))
    assert hist[-1]["p"] == (1.0 if away_won else 0.0)
    assert all(isinstance(p["t"], int) and isinstance(p["p"], float) for p in hist)
    r = _get(sim, "clob", "/prices-history", now, market=token_id(SETTINGS.seed, g, 0, 0), interval="max",
             startTs=gm.created_ts)
    assert r.status == 400 and "error" in json.loads(r.body)
    window = _json(sim, "clob", "/prices-history", now, market=token_id(SETTINGS.seed, g, 0, 1),
                   startTs=g.commence_ts - 3600, endTs=g.commence_ts, fidelity=10)["history"]
    assert [p["t"] for p in window] == list(range(g.commence_ts - 3600, g.commence_ts + 1, 600))


def test_history_retention_cut_offs() -> None:
    sim = _sim()
    g = _nba(20)
    gm = markets_of(SETTINGS.seed, g, SETTINGS.market)
    tok = token_id(SETTINGS.seed, g, 2, 0)

    def hist(days: float, fidelity: int):
        now = datetime.fromtimestamp(gm.closed_ts, UTC) + timedelta(days=days)
        return _json(sim, "clob", "/prices-history", now, market=tok, interval="max", fidelity=fidelity)["history"]

    assert hist(24, 5) and hist(24, 720)
    assert hist(26, 5) == [] and hist(26, 720)  # past the fine retention only 12 h points answer
    assert hist(30, 720) and hist(32, 720) == [] and hist(32, 1440) == []


def test_same_settings_and_time_give_the_same_bytes() -> None:
    g = _nba(5)
    now = g.commence_time - timedelta(hours=2)
    tok = token_id(SETTINGS.seed, g, 1, 1)
    calls = [("gamma", "/events", {"series_id": ["10345"], "limit": ["50"]}),
             ("gamma", "/markets", {"limit": ["30"], "closed": ["false"]}),
             ("clob", "/book", {"token_id": [tok]}),
             ("clob", "/prices-history", {"market": [tok], "interval": ["1d"]})]
    a = [_sim().handle(api, p, q, now, 0, None).body for api, p, q in calls]
    b = [_sim().handle(api, p, q, now, 9, None).body for api, p, q in calls]
    assert a == b
    other_seed = PolymarketSim(SimulatorSettings(seed=2), lambda: 0.0)
    assert other_seed.handle("gamma", "/events", calls[0][2], now, 0, None).body != a[0]


def test_mids_track_the_true_probability() -> None:
    sim = _sim()
    errors = []
    for league, season in (("nba", 2025), ("mlb", 2025), ("nhl", 2025), ("nfl", 2025)):
        for g in season_schedule(league, season, SETTINGS.seed).games[:60]:
            if g.postponed:
                continue
            for hours in (30, 6):
                ts = g.commence_ts - hours * 3600
                tok = token_id(SETTINGS.seed, g, 0, 1)  # the home team's moneyline token
                mid = float(_json(sim, "clob", "/midpoint", datetime.fromtimestamp(ts, UTC), token_id=tok)["mid"])
                x, t = path_of(SETTINGS.seed, g).true_xt(ts)
                errors.append(abs(mid - dist(g.league, round(x, 6), round(t, 6)).p_home_win()))
    assert len(errors) > 400
    assert sum(errors) / len(errors) < 0.01 and max(errors) < 0.04


def test_postponed_game_resolves_fifty_fifty() -> None:
    g = next(g for g in season_schedule("nba", 2025, SETTINGS.seed).games if g.postponed)
    gm = markets_of(SETTINGS.seed, g, SETTINGS.market)
    sim = _sim()
    ev = _event_of(sim, g, datetime.fromtimestamp(gm.closed_ts + 60, UTC))
    assert ev["closed"] and all(json.loads(m["outcomePrices"]) == ["0.5", "0.5"] for m in ev["markets"])
    # once postponed, the market trades near even money until it resolves
    after = datetime.fromtimestamp(g.commence_ts + 3600, UTC)
    mids = [float(_json(sim, "clob", "/midpoint", after, token_id=token_id(SETTINGS.seed, g, mk, 0))["mid"])
            for mk in range(3)]
    assert all(abs(m - 0.5) <= 0.03 for m in mids)


def test_injected_faults() -> None:
    sim = _sim()
    assert _get(sim, "gamma", "/sports", fault="5xx").status in (500, 502, 503)
    r429 = _get(sim, "gamma", "/sports", fault="429")
    assert r429.status == 429 and "retry-after" not in {k.lower() for k in r429.headers}
    assert _get(sim, "clob", "/book", fault="timeout").timeout
    truncated = _get(sim, "gamma", "/sports", fault="truncated")
    with pytest.raises(ValueError):
        json.loads(truncated.body)


def test_requests_over_the_published_limit_are_served_and_counted() -> None:
    t = [0.0]
    sim = PolymarketSim(SETTINGS, lambda: t[0], PolymarketSettings.model_validate({"limits": {"gamma_events": 2}}))
    statuses = [_get(sim, "gamma", "/events", limit=1).status for _ in range(4)]
    assert statuses == [200] * 4 and sim.throttled == 2
    t[0] = 11.0
    _get(sim, "gamma", "/events", limit=1)
    assert sim.throttled == 2


# ---------------------------------------------------------------- the client against the simulator


def _router(sim: PolymarketSim, api: str, now: datetime, fault_at: set[int] | None = None):
    seq = [0]

    def handle(request: httpx.Request) -> httpx.Response:
        seq[0] += 1
        fault = "5xx" if fault_at and seq[0] in fault_at else None
        resp = sim.handle(api, request.url.path, parse_query(request.url.query.decode()), now, seq[0], fault)
        return httpx.Response(resp.status, headers=resp.headers, content=resp.body, request=request)

    return httpx.MockTransport(handle)


def test_client_pages_and_prices_against_the_simulator() -> None:
    sim = PolymarketSim(SimulatorSettings(faults=FaultSettings()), lambda: 0.0)
    now = NOW
    client = PolymarketClient(PolymarketSettings(), gamma_transport=_router(sim, "gamma", now, {2}),
                              clob_transport=_router(sim, "clob", now), sleep=lambda s: None)
    pages = list(client.events(series_id="10345", tag_id=100639, active=True, closed=False, order="startTime",
                               ascending=True, limit=7))
    events = [ev for p in pages for ev in p.json()]
    assert len(pages) >= 2 and len(events) == len({ev["id"] for ev in events}) and len(pages[-1].json()) < 7
    tok = _tokens(events[0]["markets"][0])[0]
    bid, ask = top_of_book(client.book(tok).json())
    assert client.best_bid(tok) == bid < ask == client.best_ask(tok)
    hist = client.prices_history(tok, interval="1d", fidelity=60).json()["history"]
    assert len(hist) == 25
    g = _nba(0)
    closed_now = datetime.fromtimestamp(markets_of(SETTINGS.seed, g, SETTINGS.market).closed_ts + 1, UTC)
    late = PolymarketClient(PolymarketSettings(), clob_transport=_router(sim, "clob", closed_now))
    with pytest.raises(e.NotFoundError):
        late.book(token_id(SETTINGS.seed, g, 0, 0))
