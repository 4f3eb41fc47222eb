"""The simulator's market scenario: news flow and retail lag, with the default world left untouched."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import httpx
import numpy as np
import pydantic
import pytest

from linelogic_assets.providers.balldontlie.simulator import game_id
from linelogic_assets.simulator import SimClock, Simulator, SimulatorSettings
from linelogic_assets.simulator.books import BOOKS, BY_KEY
from linelogic_assets.simulator.lines import DEFAULT_MARKET, book_quote, game_path, track, tracks
from linelogic_assets.simulator.model import MODELS
from linelogic_assets.simulator.schedule import season_schedule
from linelogic_assets.simulator.settings import MarketScenario

ODDS = "https://api.the-odds-api.com"
BDL = "https://api.balldontlie.io"
LAGGING = MarketScenario(retail_extra_lag_minutes=45)
NEWSY = MarketScenario(news_per_game=6.0, news_scale=3.0)


def make(now: datetime, market: MarketScenario | None = None) -> Simulator:
    extra = {} if market is None else {"market": market}
    settings = SimulatorSettings(oddsapi_rate_per_second=1e9, balldontlie_rate_per_minute=None, **extra)
    return Simulator(settings, SimClock(now))


def odds_client(sim: Simulator) -> httpx.Client:
    return httpx.Client(transport=sim.transport(), base_url=ODDS, params={"apiKey": "demo"})


def bdl_client(sim: Simulator) -> httpx.Client:
    return httpx.Client(transport=sim.transport(), base_url=BDL, headers={"Authorization": "demo"})


# ====================================================================== the default world is today's world


def test_settings_are_strict_frozen_and_hashable() -> None:
    s = SimulatorSettings(market={"news_per_game": 2, "retail_extra_lag_minutes": 30})
    assert s.market == MarketScenario(news_per_game=2.0, retail_extra_lag_minutes=30)
    assert hash(s.market) == hash(MarketScenario(news_per_game=2.0, retail_extra_lag_minutes=30))
    assert SimulatorSettings().market == MarketScenario()
    with pytest.raises(pydantic.ValidationError):
        s.market.news_scale = 2.0  # frozen: a scenario in a cache key can never change under it
    for bad in ({"news_per_game": -1}, {"news_scale": -0.5}, {"retail_extra_lag_minutes": -5}, {"lag": 3}):
        with pytest.raises(pydantic.ValidationError):
            MarketScenario(**bad)


def test_default_paths_quotes_and_results_are_pinned() -> None:
    """Exact numbers of the world before scenarios existed (same draws in the same order)."""
    p = game_path(1, "nba", 2025, 100)
    assert float(p.x[-1]) == -0.4468911248608496 and float(p.t[-1]) == 230.50400658532698
    assert float(p.x[1000]) == -0.04422458270296814
    assert (p.result.home_score, p.result.away_score) == (113, 111)
    at = p.game.commence_ts - 61 * 60
    quotes = {k: book_quote(p, BY_KEY[k], at) for k in ("pinnacle", "draftkings", "bovada")}
    assert {k: (q.x, q.t, q.x_updated, q.t_updated) for k, q in quotes.items()} == {
        "pinnacle": (-0.5, 230.8, 1762135461, 1762136901),
        "draftkings": (-0.5, 231.0, 1762135098, 1762136298),
        "bovada": (-0.4, 231.1, 1762135859, 1762136759),
    }
    nfl, mlb = game_path(1, "nfl", 2025, 10), game_path(1, "mlb", 2025, 10)
    assert (float(nfl.x[-1]), nfl.result.home_score, nfl.result.away_score) == (3.601772322579363, 25, 16)
    assert (float(mlb.x[-1]), mlb.result.home_score, mlb.result.away_score) == (-0.22151690673862698, 2, 1)


def _world_digest(market: MarketScenario | None, together: bool = False) -> str:
    """Every path, result and every book's quote (open, T-61m, close, in play) of 25 games per league;
    `together`: the game's tracks built in one `tracks` call first."""
    h = hashlib.sha256()
    for lg in ("nba", "nfl", "mlb", "nhl"):
        for g in season_schedule(lg, 2024, 3).games[:25]:
            p = game_path(3, lg, 2024, g.index) if market is None else game_path(3, lg, 2024, g.index, market)
            h.update(p.x.tobytes())
            h.update(p.t.tobytes())
            h.update(repr(p.result).encode())
            if together:
                tracks(p, BOOKS)
            for b in BOOKS:
                for m in (24 * 60, 61, 1, -30):
                    h.update(repr(book_quote(p, b, g.commence_ts - m * 60)).encode())
    return h.hexdigest()


def test_default_scenario_is_byte_identical_to_the_world_without_one() -> None:
    pinned = "391cd1560257511932954552506d4d154eadcebd503aa5367c389d6a8bd90255"  # computed before scenarios
    explicit = MarketScenario(news_per_game=1.0, news_scale=1.0, retail_extra_lag_minutes=0)
    game_path.cache_clear()  # both digests computed from scratch, not one read back from the other's cache
    assert _world_digest(None) == pinned
    game_path.cache_clear()
    assert _world_digest(explicit) == pinned
    game_path.cache_clear()
    assert _world_digest(explicit, together=True) == pinned


def test_tracks_built_together_equal_tracks_built_one_by_one() -> None:
    """`tracks` stacks the books of a game into one computation; each track must be the single one."""
    for lg, market in (("nba", DEFAULT_MARKET), ("nfl", LAGGING), ("mlb", NEWSY), ("nhl", LAGGING)):
        for index in (0, 7, 150):
            alone, together = (game_path.__wrapped__(2, lg, 2024, index, market) for _ in range(2))
            batch = tracks(together, BOOKS[::-1], cache=False)  # any order; nothing left on the path
            assert together.tracks == {}
            tracks(together, BOOKS[:3])  # cached ones are reused, the rest computed and kept
            assert set(together.tracks) == {0, 1, 2}
            for book, tr in zip(BOOKS[::-1], batch, strict=True):
                one = track(alone, book)
                assert tr is not one
                for name, value in vars(one).items():
                    other = getattr(tr, name)
                    if isinstance(value, np.ndarray):
                        assert value.dtype == other.dtype and np.array_equal(value, other), (book.key, name)
                    else:
                        assert value == other, (book.key, name)


def test_default_http_answers_are_byte_identical() -> None:
    """The Odds API odds and scores and BALLDONTLIE games, byte for byte as before scenarios existed."""
    bodies = []
    for market in (None, MarketScenario()):
        sim = make(datetime(2025, 1, 5, 18, tzinfo=UTC), market)
        odds, bdl = odds_client(sim), bdl_client(sim)
        full = {"regions": "us,us2,eu,uk", "markets": "h2h,spreads,totals"}
        parts = [
            odds.get("/v4/sports/basketball_nba/odds", params=full).content,
            odds.get("/v4/sports/americanfootball_nfl/odds", params={**full, "regions": "us"}).content,
            odds.get("/v4/sports/basketball_nba/scores", params={"daysFrom": "3"}).content,
            bdl.get("/v1/games", params={"dates[]": "2025-01-04"}).content,
        ]
        bodies.append(hashlib.sha256(b"".join(parts)).hexdigest())
    assert bodies == ["7962562d80ed5dce8c51acb31a454f0e0f9aedbe8633855c717484e112bdefe8"] * 2


# ====================================================================== retail lag


def test_retail_extra_lag_delays_retail_feeds_only() -> None:
    delay = 45 * 60
    moved = 0
    for index in range(0, 1200, 40):
        base, lagged = game_path(1, "nba", 2025, index), game_path(1, "nba", 2025, index, LAGGING)
        g = base.game
        assert np.array_equal(base.x, lagged.x) and base.result == lagged.result  # same world, later books
        for minutes in (24 * 60, 6 * 60, 61, 16, 1):
            ts = g.commence_ts - minutes * 60
            for key in ("draftkings", "betmgm", "bovada"):
                now, earlier = book_quote(lagged, BY_KEY[key], ts), book_quote(base, BY_KEY[key], ts - delay)
                assert (now.x, now.t) == (earlier.x, earlier.t)
                assert (now.x_updated, now.t_updated) == (earlier.x_updated + delay, earlier.t_updated + delay)
                moved += (now.x, now.t) != (book_quote(base, BY_KEY[key], ts).x, book_quote(base, BY_KEY[key], ts).t)
            for key in ("pinnacle", "betfair_ex_uk", "lowvig"):  # sharp books and exchanges keep their lag
                assert book_quote(lagged, BY_KEY[key], ts) == book_quote(base, BY_KEY[key], ts)
        for minutes in (90, 120):  # in play too: the live score reaches the book 45 minutes later
            ts = g.commence_ts + minutes * 60
            for key in ("draftkings", "fanduel", "bovada"):  # live re-quote steps (1, 1, 3 min) divide 45
                now, earlier = book_quote(lagged, BY_KEY[key], ts), book_quote(base, BY_KEY[key], ts - delay)
                assert (now.x, now.t, now.frac_left, now.d0, now.c0) == (
                    earlier.x, earlier.t, earlier.frac_left, earlier.d0, earlier.c0)
                assert now.frac_left > book_quote(base, BY_KEY[key], ts).frac_left
            assert book_quote(lagged, BY_KEY["pinnacle"], ts) == book_quote(base, BY_KEY["pinnacle"], ts)
    assert moved > 100  # the lag is visible: most retail quotes differ from the no-lag ones at the same time


def test_retail_extra_lag_over_http() -> None:
    """Under the scenario a retail book's event odds are the default world's of 45 minutes earlier."""
    g = next(g for g in season_schedule("nba", 2025, 1).by_slate[date(2025, 12, 3)] if not g.postponed)
    at = g.commence_time - timedelta(minutes=20)
    path = f"/v4/sports/basketball_nba/events/{g.event_id}/odds"
    params = {"bookmakers": "draftkings,fanduel,pinnacle", "markets": "h2h,spreads,totals", "dateFormat": "unix"}
    lagged = odds_client(make(at, LAGGING)).get(path, params=params).json()["bookmakers"]
    earlier = odds_client(make(at - timedelta(minutes=45))).get(path, params=params).json()["bookmakers"]
    same_time = odds_client(make(at)).get(path, params=params).json()["bookmakers"]

    def markets(books: list[dict], key: str, shift: int = 0) -> list:
        book = next(b for b in books if b["key"] == key)
        return [(m["key"], m["last_update"] + shift, m["outcomes"]) for m in book["markets"]]

    for key in ("draftkings", "fanduel"):
        assert markets(lagged, key) == markets(earlier, key, 45 * 60)
    assert markets(lagged, "pinnacle") == markets(same_time, "pinnacle")


# ====================================================================== news


def _jumps(market: MarketScenario | None, league: str = "nba") -> tuple[list[int], list[float], np.ndarray]:
    """Per game: minutes whose move is far beyond the walk's step (news), their sizes, open-to-close moves."""
    m = MODELS[league]
    counts, sizes, moves = [], [], []
    for index in range(600):
        p = game_path(1, league, 2025, index) if market is None else game_path(1, league, 2025, index, market)
        step = np.diff(p.x)
        big = np.abs(step) > 6 * m.walk_x / np.sqrt(len(step))  # a walk step this large: ~2e-9 per minute
        counts.append(int(big.sum()))
        sizes += np.abs(step[big]).tolist()
        moves.append(p.x[-1] - p.x[0])
    return counts, sizes, np.array(moves)


def test_more_and_larger_news_shocks() -> None:
    base_counts, base_sizes, base_moves = _jumps(None)
    counts, sizes, moves = _jumps(NEWSY)
    # Poisson(1) shocks of sd 1 (a few fall under the cut) against Poisson(6) of sd 3
    assert 0.75 < np.mean(base_counts) < 1.1 and 5.4 < np.mean(counts) < 6.4
    assert 2.4 < np.median(sizes) / np.median(base_sizes) < 3.6
    # open-to-close variance: walk 1 + rate x shock^2 = 2 by default, 1 + 6 x 9 = 55 here
    assert 1.6 < base_moves.var() < 2.5 and 45 < moves.var() < 66


def test_news_scale_also_moves_the_total() -> None:
    quiet = MarketScenario(news_per_game=6.0, news_scale=0.0)
    loud = MarketScenario(news_per_game=6.0, news_scale=3.0)
    spread = {}
    for name, market in (("quiet", quiet), ("loud", loud)):
        spread[name] = np.var([game_path(1, "nba", 2025, i, market).t[-1] - game_path(1, "nba", 2025, i, market).t[0]
                               for i in range(400)])
    # walk_t 2: variance 4 from the walk; shocks of sd 3 x 1 add 6 x 9 = 54
    assert 3.0 < spread["quiet"] < 5.2 and 45 < spread["loud"] < 72


def test_drift_var_is_the_variance_still_to_come() -> None:
    """The remaining move of x and t from a third into the window to the close has `drift_var`'s variance."""
    rest_x, rest_t = [], []
    for g in season_schedule("nba", 2025, 1).games:
        p = game_path(1, "nba", 2025, g.index, NEWSY)
        ts = g.open_ts + (len(p.x) - 1) // 3 * 60
        x, t = p.true_xt(ts)
        rest_x.append(p.x[-1] - x)
        rest_t.append(p.t[-1] - t)
        assert p.drift_var(ts) == pytest.approx(((1.0 + 6 * 9) * 2 / 3, (4.0 + 6 * 9) * 2 / 3))
        assert p.drift_var(g.commence_ts) == (0.0, 0.0)
        assert p.drift_var(g.open_ts - 600) == pytest.approx((55.0, 58.0))  # before the open: all of it
    assert np.var(rest_x) == pytest.approx(55.0 * 2 / 3, rel=0.2)
    assert np.var(rest_t) == pytest.approx(58.0 * 2 / 3, rel=0.2)


# ====================================================================== providers agree under a scenario


def test_both_providers_and_the_truth_agree_under_a_scenario() -> None:
    scenario = MarketScenario(news_per_game=6.0, news_scale=3.0, retail_extra_lag_minutes=45)
    day = date(2025, 1, 4)
    sim = make(datetime(2025, 1, 6, 12, tzinfo=UTC), scenario)
    default = make(datetime(2025, 1, 6, 12, tzinfo=UTC))
    games = [g for g in sim.games("nba", day) if not g.postponed]
    scores = {r["id"]: r for r in odds_client(sim).get("/v4/sports/basketball_nba/scores",
                                                       params={"daysFrom": 3}).json()}
    bdl = {g["id"]: g for g in bdl_client(sim).get("/v1/games", params={"dates[]": str(day)}).json()["data"]}
    changed = 0
    for g in games:
        truth = sim.truth(g)
        assert truth.home_score == game_path(1, "nba", g.season, g.index, scenario).result.home_score
        row = scores[g.event_id]
        assert row["scores"] == [{"name": g.home_team, "score": str(truth.home_score)},
                                 {"name": g.away_team, "score": str(truth.away_score)}]
        b = bdl[game_id(g)]
        assert (b["home_team_score"], b["visitor_team_score"]) == (truth.home_score, truth.away_score)
        changed += (truth.home_score, truth.away_score) != (default.truth(g).home_score, default.truth(g).away_score)
    assert len(games) >= 5 and changed >= 1  # a different world, told the same way by both providers
    # its odds: the close the books converge on is the scenario's model, not the default one
    far = 0
    for g in games:
        sim.clock.set(g.commence_time - timedelta(minutes=1))
        ev = odds_client(sim).get(f"/v4/sports/basketball_nba/events/{g.event_id}/odds",
                                  params={"bookmakers": "pinnacle", "markets": "spreads"}).json()
        home = next(o for o in ev["bookmakers"][0]["markets"][0]["outcomes"] if o["name"] == g.home_team)
        assert abs(-home["point"] - sim.truth(g).x) <= 1.0
        far += abs(sim.truth(g).x - default.truth(g).x) > 2.0
    assert far >= 1
