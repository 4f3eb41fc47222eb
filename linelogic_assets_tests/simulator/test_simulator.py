"""Tests of the provider simulator: real-fixture contract shapes, semantics, faults, server, model fidelity."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from linelogic_assets.providers.balldontlie.simulator import game_id
from linelogic_assets.simulator import SimClock, Simulator, SimulatorSettings
from linelogic_assets.simulator.books import BY_KEY
from linelogic_assets.simulator.settings import FaultSettings, SchemaDrift
from linelogic_assets_tests.conftest import FIXTURES

ODDS = "https://api.the-odds-api.com"
BDL = "https://api.balldontlie.io"
SHARP = ("pinnacle", "lowvig", "betonlineag")
RETAIL = ("draftkings", "fanduel", "betmgm", "betrivers", "bovada", "mybookieag", "betus")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make(now: datetime, **settings: object) -> Simulator:
    s = SimulatorSettings(**{"oddsapi_rate_per_second": 1e9, "balldontlie_rate_per_minute": None, **settings})
    return Simulator(s, SimClock(now))


def odds_client(sim: Simulator) -> httpx.Client:
    return httpx.Client(transport=sim.transport(), base_url=ODDS)


def bdl_client(sim: Simulator, key: str = "demo") -> httpx.Client:
    return httpx.Client(transport=sim.transport(), base_url=BDL, headers={"Authorization": key})


def get_odds(sim: Simulator, path: str, **params: object) -> httpx.Response:
    return odds_client(sim).get(path, params={"apiKey": "demo", **params})


# ====================================================================== contract shapes vs real fixtures


def describe(value: object, acc: dict | None = None) -> dict:
    """Merge the JSON shape of `value` into `acc`: types seen, object fields, list item shape."""
    acc = acc or {"types": set(), "fields": {}, "items": None}
    if value is None:
        acc["types"].add("null")
    elif isinstance(value, bool):
        acc["types"].add("bool")
    elif isinstance(value, int | float):
        acc["types"].add("number")  # int vs float both count as a JSON number
    elif isinstance(value, str):
        acc["types"].add("string")
    elif isinstance(value, list):
        acc["types"].add("array")
        for item in value:
            acc["items"] = describe(item, acc["items"])
    else:
        acc["types"].add("object")
        for k, v in value.items():
            acc["fields"][k] = describe(v, acc["fields"].get(k))
    return acc


# Keys a legacy fixture has that the current API (and so the simulator) no longer returns, and keys the
# current API returns that the legacy capture predates. Each with its reason; nothing is skipped silently.
FIXTURE_ONLY = {
    "player.height_feet": "legacy v1 player field; the current API returns height as '6-2'",
    "player.height_inches": "legacy v1 player field; the current API returns height as '6-2'",
    "player.weight_pounds": "legacy v1 player field; the current API returns weight as a string",
}
SIM_ONLY = {
    "datetime": "NBA game start time, added to /v1/games after the 2021 capture",
    "plus_minus": "present in the current /v1/stats docs, absent from the 2023 capture",
    "player.height": "current player shape (replaces height_feet/height_inches)",
    "player.weight": "current player shape (replaces weight_pounds)",
    "player.jersey_number": "current player shape",
    "player.college": "current player shape",
    "player.country": "current player shape",
    "player.draft_year": "current player shape",
    "player.draft_round": "current player shape",
    "player.draft_number": "current player shape",
}
# Value-format note (same JSON type, so no allowance needed): legacy `date` in games/stats is a datetime
# string ("2023-11-06T00:00:00.000Z"); the current API and the simulator send "2023-11-06".


def compare(fix: dict, sim: dict, path: str = "", errors: list[str] | None = None) -> list[str]:
    errors = [] if errors is None else errors
    ft, st = fix["types"], sim["types"]
    if "null" not in ft:  # null in the fixture is compatible with anything; otherwise types must agree
        if not st <= ft:
            errors.append(f"{path or '<root>'}: simulator types {sorted(st)} vs fixture {sorted(ft)}")
    if "object" in ft and "object" in st:
        for k in fix["fields"].keys() - sim["fields"].keys():
            if _dotted(path, k) not in FIXTURE_ONLY:
                errors.append(f"{_dotted(path, k)}: missing in simulator")
        for k in sim["fields"].keys() - fix["fields"].keys():
            if _dotted(path, k) not in SIM_ONLY:
                errors.append(f"{_dotted(path, k)}: not in fixture")
        for k in fix["fields"].keys() & sim["fields"].keys():
            compare(fix["fields"][k], sim["fields"][k], _dotted(path, k), errors)
    if "array" in ft and "array" in st and fix["items"] is not None:
        if sim["items"] is None:
            errors.append(f"{path}[]: simulator list is empty, nothing compared")
        else:
            compare(fix["items"], sim["items"], path, errors)
    return errors


def _dotted(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def assert_same_shape(fixture: object, simulated: object) -> None:
    errors = compare(describe(fixture), describe(simulated))
    assert not errors, "\n".join(errors)


def test_fixture_nfl_odds_american_three_markets() -> None:
    fx = load("the_odds_api/nfl_odds_2025-12-30_week18.json")
    sim = make(at(2025, 12, 30, 11, 10))
    r = get_odds(
        sim,
        "/v4/sports/americanfootball_nfl/odds",
        regions="us",
        markets="h2h,spreads,totals",
        oddsFormat="american",
    )
    assert r.status_code == 200 and len(r.json()) >= 5
    prices = [
        o["price"] for e in r.json() for b in e["bookmakers"] for m in b["markets"] for o in m["outcomes"]
    ]
    assert all(isinstance(p, int) for p in prices)
    assert_same_shape(fx, r.json())


def test_fixture_nfl_scores_without_days_from() -> None:
    fx = load("the_odds_api/nfl_scores_2023-12_week13_all_upcoming_null_scores.json")
    sim = make(at(2023, 12, 7, 12))
    r = get_odds(sim, "/v4/sports/americanfootball_nfl/scores")
    assert r.status_code == 200 and r.json()
    assert all(row["scores"] is None and row["last_update"] is None for row in r.json())
    assert_same_shape(fx, r.json())


def test_fixture_nhl_odds_h2h_decimal() -> None:
    fx = load("the_odds_api/nhl_odds_2024-03-21_h2h.json")
    sim = make(at(2024, 3, 21, 14, 10))
    r = get_odds(sim, "/v4/sports/icehockey_nhl/odds", regions="us", markets="h2h")
    assert r.status_code == 200 and r.json()
    assert_same_shape(fx, r.json())


def test_fixture_nhl_scores_days_from() -> None:
    fx = load("the_odds_api/nhl_scores_2024-03-21_daysFrom_completed_and_upcoming.json")
    sim = make(at(2024, 3, 21, 14, 10))
    rows = get_odds(sim, "/v4/sports/icehockey_nhl/scores", daysFrom=3).json()
    assert any(r["completed"] for r in rows) and any(r["scores"] is None for r in rows)
    assert all(isinstance(s["score"], str) for r in rows if r["scores"] for s in r["scores"])
    assert_same_shape(fx, rows)


def test_fixture_nhl_events_and_event_odds() -> None:
    sim = make(at(2024, 3, 21, 14, 10))
    events = get_odds(sim, "/v4/sports/icehockey_nhl/events").json()
    assert_same_shape(load("the_odds_api/nhl_events_2024-03-21.json"), events)
    r = get_odds(sim, f"/v4/sports/icehockey_nhl/events/{events[0]['id']}/odds", regions="us", markets="h2h")
    assert isinstance(r.json(), dict) and all("last_update" not in b for b in r.json()["bookmakers"])
    assert_same_shape(load("the_odds_api/nhl_event_odds_single_event_2024-03-21.json"), r.json())


def test_fixture_historical_nfl_events_and_event_odds() -> None:
    sim = make(at(2023, 10, 11, 0, 0))
    ev = get_odds(
        sim, "/v4/historical/sports/americanfootball_nfl/events", date="2023-10-10T12:10:39Z"
    ).json()
    assert_same_shape(load("the_odds_api/historical_events_nfl_2023-10-10_DOCS_EXAMPLE.json"), ev)
    event_id = ev["data"][0]["id"]
    r = get_odds(
        sim,
        f"/v4/historical/sports/americanfootball_nfl/events/{event_id}/odds",
        date="2023-10-10T12:10:39Z",
        regions="us",
        markets="spreads",
    )
    assert isinstance(r.json()["data"], dict)
    assert_same_shape(load("the_odds_api/historical_event_odds_nfl_2023-10-10_DOCS_EXAMPLE.json"), r.json())


def test_fixture_sports_list_all() -> None:
    fx = load("the_odds_api/sports_list_2024-03.json")
    sim = make(at(2024, 3, 21))
    rows = get_odds(sim, "/v4/sports", all="true").json()
    assert {r["key"] for r in rows} >= {
        "basketball_nba",
        "americanfootball_nfl",
        "baseball_mlb",
        "icehockey_nhl",
    }
    assert_same_shape(fx, rows)
    assert get_odds(sim, "/v4/sports").headers["x-requests-last"] == "0"


def test_fixture_bdl_v1_stats_rows() -> None:
    fx = load("balldontlie/v1_stats_rows_game1037684_grouped_home_visitor.json")
    rows = fx["home"] + fx["visitor"]  # the repo regrouped real /v1/stats rows; compare row by row
    sim = make(at(2023, 11, 7, 12))
    game = bdl_client(sim).get("/v1/games", params={"dates[]": "2023-11-06"}).json()["data"][0]
    data = bdl_client(sim).get("/v1/stats", params={"game_ids[]": game["id"], "per_page": 100}).json()["data"]
    assert data
    assert_same_shape(rows, data)


def test_fixture_bdl_legacy_teams() -> None:
    fx = load("balldontlie/v0_teams_list_of_responses_2020.json")
    sim = make(at(2020, 10, 1))
    r = bdl_client(sim).get("/v1/teams").json()
    assert set(r) == {"data"} and len(r["data"]) == 30
    assert_same_shape(fx[0]["data"], r["data"])  # the file wraps one /teams response in a list
    assert {"id": 13, "city": "LA", "full_name": "LA Clippers"}.items() <= r["data"][12].items()


def test_fixture_bdl_legacy_games_upcoming() -> None:
    fx = load("balldontlie/v0_games_team2_upcoming_2021-02_status_tipoff_text.json")
    sim = make(at(2021, 2, 27, 12))
    r = (
        bdl_client(sim)
        .get("/v1/games", params={"team_ids[]": 2, "start_date": "2021-02-28", "end_date": "2021-03-10"})
        .json()
    )
    assert r["data"] and all(g["period"] == 0 and g["home_team_score"] == 0 for g in r["data"])
    assert_same_shape(fx["data"], r["data"])  # legacy page meta (current_page, ...) is not compared


# ====================================================================== determinism and ground truth


def test_same_seed_same_clock_identical_bytes() -> None:
    paths = [
        (
            "/v4/sports/basketball_nba/odds",
            {"apiKey": "demo", "regions": "us,eu,uk", "markets": "h2h,spreads,totals"},
        ),
        ("/v4/sports/basketball_nba/scores", {"apiKey": "demo", "daysFrom": "2"}),
    ]
    bodies = []
    for _ in range(2):
        sim = make(at(2025, 1, 5, 18), seed=42)
        bodies.append(
            [odds_client(sim).get(p, params=q).content for p, q in paths]
            + [bdl_client(sim).get("/v1/games", params={"dates[]": "2025-01-04"}).content]
        )
    assert bodies[0] == bodies[1]
    other = make(at(2025, 1, 5, 18), seed=43)
    assert odds_client(other).get(paths[0][0], params=paths[0][1]).content != bodies[0][0]


def test_season_calendars() -> None:
    sim = make(at(2025, 1, 5))
    from linelogic_assets.simulator.schedule import season_schedule

    counts = {lg: len(season_schedule(lg, 2024, 1).games) for lg in ("nba", "nfl", "mlb", "nhl")}
    assert counts == {"nba": 1230, "nfl": 272, "mlb": 2430, "nhl": 1312}
    mlb = season_schedule("mlb", 2024, 1).games
    doubleheaders = [g for g in mlb if g.game_number == 2]
    assert doubleheaders
    g2 = doubleheaders[0]
    g1 = next(g for g in mlb if g.game_number == 1 and g.slate_date == g2.slate_date and g.home == g2.home)
    assert g1.away == g2.away and g1.commence_time < g2.commence_time
    nba_day = sim.games("nba", date(2025, 1, 4))
    assert 0 < len(nba_day) <= 15 and all(g.commence_time.tzinfo is not None for g in nba_day)


def test_ground_truth_matches_both_providers() -> None:
    sim = make(at(2025, 1, 6, 12))
    games = [g for g in sim.games("nba", date(2025, 1, 4)) if not g.postponed]
    scores = {r["id"]: r for r in get_odds(sim, "/v4/sports/basketball_nba/scores", daysFrom=3).json()}
    bdl = {
        g["id"]: g for g in bdl_client(sim).get("/v1/games", params={"dates[]": "2025-01-04"}).json()["data"]
    }
    for g in games:
        truth = sim.truth(g)
        row = scores[g.event_id]
        assert row["completed"] and row["scores"][0] == {"name": g.home_team, "score": str(truth.home_score)}
        b = bdl[game_id(g)]
        assert (b["status"], b["home_team_score"], b["visitor_team_score"]) == (
            "Final",
            truth.home_score,
            truth.away_score,
        )
        assert truth.home_score != truth.away_score  # no ties in the NBA
        stats = (
            bdl_client(sim)
            .get("/v1/stats", params={"game_ids[]": game_id(g), "per_page": 100})
            .json()["data"]
        )
        home_id = b["home_team"]["id"]
        assert sum(s["pts"] for s in stats if s["team"]["id"] == home_id) == truth.home_score
        assert sum(s["pts"] for s in stats if s["team"]["id"] != home_id) == truth.away_score


def test_nba_status_moves_with_the_clock() -> None:
    sim = make(at(2025, 1, 1))
    g = next(g for g in sim.games("nba", date(2025, 1, 4)) if not g.postponed)
    client = bdl_client(sim)

    def status() -> dict:
        return client.get(f"/v1/games/{game_id(g)}").json()["data"]

    sim.clock.set(g.commence_time - timedelta(hours=1))
    before = status()
    assert before["status"] == g.commence_time.strftime("%Y-%m-%dT%H:%M:%SZ") and before["period"] == 0
    assert before["datetime"].endswith(".000Z") and before["date"] == "2025-01-04"
    sim.clock.set(g.commence_time + timedelta(minutes=60))
    live = status()
    assert live["status"] in ("2nd Qtr", "3rd Qtr", "Halftime") and 0 < live["home_team_score"] < 200
    live_odds = get_odds(sim, "/v4/sports/basketball_nba/odds", regions="eu", eventIds=g.event_id).json()
    assert [e["id"] for e in live_odds] == [g.event_id]  # in play: still listed, with live prices
    sim.clock.set(g.end_time + timedelta(minutes=1))
    final = status()
    assert final["status"] == "Final" and final["time"] == "Final" and final["period"] >= 4
    assert get_odds(sim, "/v4/sports/basketball_nba/odds", regions="eu", eventIds=g.event_id).json() == []


def test_clock_speed_and_awareness() -> None:
    ticks = iter([0.0, 10.0])
    clock = SimClock(at(2025, 1, 1), speed=60.0, monotonic=lambda: next(ticks))
    assert clock.now() == at(2025, 1, 1, 0, 10)
    with pytest.raises(ValueError):
        SimClock(datetime(2025, 1, 1))  # noqa: DTZ001 - naive on purpose


# ====================================================================== The Odds API semantics


def test_historical_snapshots_at_or_before_off_grid() -> None:
    sim = make(at(2025, 1, 5, 18))
    asked = at(2024, 12, 20, 22, 41, 0)
    env = get_odds(
        sim, "/v4/historical/sports/basketball_nba/odds", date=asked.isoformat(), regions="us"
    ).json()
    ts = datetime.fromisoformat(env["timestamp"].replace("Z", "+00:00"))
    prev = datetime.fromisoformat(env["previous_timestamp"].replace("Z", "+00:00"))
    nxt = datetime.fromisoformat(env["next_timestamp"].replace("Z", "+00:00"))
    assert prev < ts <= asked < nxt and ts.second != 0  # jittered: not on the round grid
    assert timedelta(minutes=4) < nxt - ts < timedelta(minutes=6)
    again = get_odds(
        sim, "/v4/historical/sports/basketball_nba/odds", date=env["next_timestamp"], regions="us"
    ).json()
    assert again["timestamp"] == env["next_timestamp"] and again["previous_timestamp"] == env["timestamp"]
    old = get_odds(sim, "/v4/historical/sports/basketball_nba/events", date="2021-01-10T12:00:00Z").json()
    gap = datetime.fromisoformat(old["next_timestamp"][:-1]) - datetime.fromisoformat(old["timestamp"][:-1])
    assert timedelta(minutes=9) < gap < timedelta(minutes=11)  # 10-minute snapshots before 2022-09-18
    unix = get_odds(
        sim,
        "/v4/historical/sports/basketball_nba/odds",
        date=asked.isoformat(),
        regions="us",
        dateFormat="unix",
    ).json()
    assert isinstance(unix["timestamp"], int) and isinstance(unix["data"][0]["commence_time"], int)


def test_historical_next_timestamp_null_at_now_and_future_rejected() -> None:
    now = at(2025, 1, 5, 18)
    sim = make(now)
    env = get_odds(sim, "/v4/historical/sports/basketball_nba/events", date=now.isoformat()).json()
    assert env["next_timestamp"] is None
    for params, code in (
        ({"date": (now + timedelta(hours=1)).isoformat()}, "INVALID_HISTORICAL_TIMESTAMP"),
        ({"date": "yesterday"}, "INVALID_HISTORICAL_TIMESTAMP"),
        ({}, "MISSING_HISTORICAL_TIMESTAMP"),
    ):
        r = get_odds(sim, "/v4/historical/sports/basketball_nba/odds", regions="us", **params)
        assert r.status_code == 422 and r.json()["error_code"] == code


def test_cost_headers() -> None:
    sim = make(at(2025, 1, 5, 18))
    nba = "/v4/sports/basketball_nba"
    hist = "/v4/historical/sports/basketball_nba"

    def cost(path: str, **params: object) -> int:
        r = get_odds(sim, path, **params)
        assert r.status_code == 200, r.text
        assert {"x-requests-remaining", "x-requests-used", "x-requests-last"} <= set(r.headers)
        return int(r.headers["x-requests-last"])

    assert cost(f"{nba}/odds", regions="us,eu", markets="h2h,totals") == 4
    assert cost(f"{nba}/odds", bookmakers=",".join(list(BY_KEY)[:11]), markets="h2h") == 2
    assert cost(f"{nba}/events") == 0 and cost("/v4/sports") == 0
    assert cost(f"{nba}/scores") == 1 and cost(f"{nba}/scores", daysFrom=1) == 2
    assert cost(f"{hist}/odds", regions="us", markets="h2h,spreads,totals", date="2025-01-05T12:00:00Z") == 30
    assert cost(f"{hist}/events", date="2025-01-05T12:00:00Z") == 1
    event = get_odds(sim, f"{nba}/events").json()[0]["id"]
    # event odds bill markets actually returned: player_points has no data here
    assert cost(f"{nba}/events/{event}/odds", regions="us", markets="h2h,player_points") == 1
    assert (
        cost(f"{hist}/events/{event}/odds", regions="us", markets="h2h,spreads", date="2025-01-05T17:00:00Z")
        == 20
    )
    assert cost("/v4/sports/baseball_mlb/odds", regions="us") == 0  # empty response (off-season) is free
    assert cost(f"{hist}/events", date="2024-07-05T12:00:00Z") == 0
    used = int(get_odds(sim, f"{nba}/events").headers["x-requests-used"])
    assert used == 4 + 2 + 1 + 2 + 30 + 1 + 1 + 20


def test_quota_exhaustion_and_monthly_reset() -> None:
    sim = make(at(2025, 1, 31, 18), oddsapi_monthly_quota=5)
    nba = "/v4/sports/basketball_nba/odds"
    assert get_odds(sim, nba, regions="us,eu", markets="h2h,spreads").status_code == 200  # 4 credits
    r = get_odds(sim, nba, regions="us,eu", markets="h2h,spreads")
    assert r.status_code == 401 and r.json()["error_code"] == "OUT_OF_USAGE_CREDITS"
    assert r.json()["details_url"].endswith("#out-of-usage-credits")
    assert r.headers["x-requests-remaining"] == "1" and r.headers["x-requests-last"] == "0"
    assert get_odds(sim, "/v4/sports/basketball_nba/events").status_code == 200  # free calls still work
    sim.clock.set(at(2025, 2, 1, 18))
    assert get_odds(sim, nba, regions="us,eu", markets="h2h,spreads").status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/v4/sports/basketball_nba/odds", {"apiKey": "nope", "regions": "us"}, 401, "INVALID_KEY"),
        ("/v4/sports/basketball_nba/odds", {"regions": "us"}, 401, "MISSING_KEY"),
        (
            "/v4/sports/basketball_nba/odds",
            {"apiKey": "demo", "regions": "us", "markets": "player_points"},
            422,
            "INVALID_MARKET",
        ),
        ("/v4/sports/basketball_nba/odds", {"apiKey": "demo"}, 422, "MISSING_REGION"),
        ("/v4/sports/basketball_nba/odds", {"apiKey": "demo", "regions": "mars"}, 422, "INVALID_REGION"),
        (
            "/v4/sports/basketball_nba/odds",
            {"apiKey": "demo", "regions": "us", "oddsFormat": "hk"},
            422,
            "INVALID_ODDS_FORMAT",
        ),
        (
            "/v4/sports/basketball_nba/odds",
            {"apiKey": "demo", "regions": "us", "dateFormat": "x"},
            422,
            "INVALID_DATE_FORMAT",
        ),
        (
            "/v4/sports/basketball_nba/odds",
            {"apiKey": "demo", "regions": "us", "eventIds": "xyz"},
            422,
            "INVALID_EVENT_ID",
        ),
        (
            "/v4/sports/basketball_nba/odds",
            {"apiKey": "demo", "regions": "us", "commenceTimeFrom": "soon"},
            422,
            "INVALID_COMMENCE_TIME_FROM",
        ),
        (
            "/v4/sports/basketball_nba/scores",
            {"apiKey": "demo", "daysFrom": "9"},
            422,
            "INVALID_SCORES_DAYS_FROM",
        ),
        ("/v4/sports/curling_world/odds", {"apiKey": "demo", "regions": "us"}, 404, "UNKNOWN_SPORT"),
        (
            "/v4/sports/basketball_nba/events/" + "0" * 32 + "/odds",
            {"apiKey": "demo", "regions": "us"},
            404,
            "EVENT_NOT_FOUND",
        ),
    ],
)
def test_odds_api_errors(path: str, params: dict, status: int, code: str) -> None:
    r = odds_client(make(at(2025, 1, 5, 18))).get(path, params=params)
    assert r.status_code == status
    body = r.json()
    assert body["error_code"] == code and body["message"]
    assert body[
        "details_url"
    ] == "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html#" + code.lower().replace("_", "-")
    if code == "INVALID_KEY":
        assert body["message"] == "API key is not valid. Get an API key at https://the-odds-api.com"
    if code not in ("INVALID_KEY", "MISSING_KEY"):
        assert "x-requests-remaining" in r.headers


def test_odds_filters_and_formats() -> None:
    sim = make(at(2025, 1, 5, 18))
    events = get_odds(sim, "/v4/sports/basketball_nba/events").json()
    assert all(len(e["id"]) == 32 and int(e["id"], 16) >= 0 for e in events)
    lo, hi = events[2]["commence_time"], events[4]["commence_time"]
    window = get_odds(sim, "/v4/sports/basketball_nba/events", commenceTimeFrom=lo, commenceTimeTo=hi).json()
    assert window and all(lo <= e["commence_time"] <= hi for e in window)  # inclusive
    one = get_odds(sim, "/v4/sports/basketball_nba/odds", regions="uk", eventIds=events[0]["id"]).json()
    assert [e["id"] for e in one] == [events[0]["id"]]
    keys = {m["key"] for b in one[0]["bookmakers"] for m in b["markets"]}
    assert keys == {"h2h", "h2h_lay"}  # uk exchanges add lay prices
    full = get_odds(sim, "/v4/sports/basketball_nba/odds", regions="us", markets="h2h,spreads,totals").json()
    for e in full:
        for b in e["bookmakers"]:
            assert b["key"] != "pinnacle"  # pinnacle is eu
            for m in b["markets"]:
                for o in m["outcomes"]:
                    assert isinstance(o["price"], float) and round(o["price"], 2) == o["price"]
                    assert ("point" in o) == (m["key"] != "h2h")
                    if m["key"] == "spreads":
                        assert (o["point"] * 2) == int(o["point"] * 2)
    # books do not all cover every market of every event
    assert any(len(b["markets"]) < 3 for e in full for b in e["bookmakers"])


def test_odds_api_rate_limit_with_fake_monotonic() -> None:
    now = [100.0]
    settings = SimulatorSettings(oddsapi_rate_per_second=2)
    sim = Simulator(settings, SimClock(at(2025, 1, 5, 18), monotonic=lambda: now[0]))
    codes = [get_odds(sim, "/v4/sports").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = get_odds(sim, "/v4/sports")
    assert r.json()["error_code"] == "EXCEEDED_FREQ_LIMIT" and "Retry-After" in r.headers
    now[0] += 1.01
    assert get_odds(sim, "/v4/sports").status_code == 200


# ====================================================================== faults


def faulty(**kw: object) -> Simulator:
    drift = kw.pop("schema_drift", SchemaDrift())
    return make(at(2025, 1, 5, 18), faults=FaultSettings(schema_drift=drift, **kw))


def test_fault_429_both_providers_and_no_charge() -> None:
    sim = faulty(rate_429=1.0, retry_after_seconds=3)
    r = get_odds(sim, "/v4/sports/basketball_nba/odds", regions="us")
    assert (
        r.status_code == 429
        and r.json()["error_code"] == "EXCEEDED_FREQ_LIMIT"
        and r.headers["Retry-After"] == "3"
    )
    assert r.headers["x-requests-used"] == "0"
    b = bdl_client(sim).get("/v1/teams")
    assert b.status_code == 429 and b.json() == {"error": "You're rate limited"}


def test_fault_5xx_timeout_truncated() -> None:
    r = get_odds(faulty(rate_5xx=1.0), "/v4/sports/basketball_nba/odds", regions="us")
    assert r.status_code in (500, 502, 503) and r.headers["x-requests-used"] == "0"
    with pytest.raises(httpx.ReadTimeout):
        get_odds(faulty(rate_timeout=1.0), "/v4/sports/basketball_nba/odds", regions="us")
    t = faulty(rate_truncated=1.0)
    r = get_odds(t, "/v4/sports/basketball_nba/odds", regions="us")
    assert r.status_code == 200 and r.headers["x-requests-used"] == "0"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(bdl_client(t).get("/v1/teams").content)


def test_fault_rates_are_deterministic_per_sequence() -> None:
    def run() -> list[int]:
        sim = faulty(rate_5xx=0.3, seed=9)
        return [get_odds(sim, "/v4/sports").status_code for _ in range(40)]

    first = run()
    assert first == run() and 0 < first.count(200) < 40


def test_schema_drift_and_duplicates() -> None:
    base = get_odds(
        make(at(2025, 1, 5, 18)), "/v4/sports/basketball_nba/odds", regions="us", markets="h2h,spreads,totals"
    ).json()
    drift = SchemaDrift(integer_points=True, drop_market_last_update=True, renamed_teams=True)
    rows = get_odds(
        faulty(schema_drift=drift),
        "/v4/sports/basketball_nba/odds",
        regions="us",
        markets="h2h,spreads,totals",
    ).json()
    markets = [m for e in rows for b in e["bookmakers"] for m in b["markets"]]
    assert all("last_update" not in m for m in markets)
    assert all("last_update" in b for e in rows for b in e["bookmakers"])
    points = [o["point"] for m in markets for o in m["outcomes"] if "point" in o]
    assert any(isinstance(p, int) for p in points) and all(p == int(p) for p in points if isinstance(p, int))
    base_points = [
        o["point"]
        for e in base
        for b in e["bookmakers"]
        for m in b["markets"]
        for o in m["outcomes"]
        if "point" in o
    ]
    assert all(isinstance(p, float) for p in base_points)
    names = {e["home_team"] for e in rows} | {e["away_team"] for e in rows}
    assert names - {e["home_team"] for e in base} - {e["away_team"] for e in base}  # some teams renamed
    empty = get_odds(
        faulty(schema_drift=SchemaDrift(empty_bookmakers_rate=1.0)),
        "/v4/sports/basketball_nba/odds",
        regions="us",
    ).json()
    assert empty and all(e["bookmakers"] == [] for e in empty)
    dup = get_odds(faulty(duplicate_events_rate=1.0), "/v4/sports/basketball_nba/events").json()
    ids = [e["id"] for e in dup]
    assert len(ids) == len(set(ids)) + 1


def test_renamed_teams_use_aliases() -> None:
    from linelogic_assets.providers.oddsapi.simulator import renamed
    from linelogic_assets.registry.teams import teams_for

    clippers = next(t for t in teams_for("nba") if t.abbreviation == "LAC")
    assert renamed(clippers) == "LA Clippers"


# ====================================================================== BALLDONTLIE


def test_bdl_auth_tiers_and_errors() -> None:
    sim = make(at(2025, 1, 5, 18))
    assert bdl_client(sim, key="").get("/v1/teams").status_code == 401
    r = bdl_client(sim, key="wrong").get("/v1/teams")
    assert r.json() == {
        "error": "You either need an API key or your account tier does not have access to the endpoint"
    }
    assert bdl_client(sim, key="Bearer demo").get("/v1/teams").status_code == 401  # raw key, no Bearer
    free = make(at(2025, 1, 5, 18), balldontlie_tier="FREE")
    assert bdl_client(free).get("/v1/games").status_code == 200
    assert bdl_client(free).get("/v1/stats").status_code == 401
    allstar = make(at(2025, 1, 5, 18), balldontlie_tier="ALL-STAR")
    assert bdl_client(allstar).get("/v1/player_injuries").status_code == 200
    assert bdl_client(allstar).get("/v1/lineups", params={"game_ids[]": 1}).status_code == 401
    client = bdl_client(sim)
    assert client.get("/v1/teams/99").status_code == 404 and "error" in client.get("/v1/teams/99").json()
    assert client.get("/v1/games", params={"dates[]": "2025-13-01"}).status_code == 400
    assert client.get("/v1/teams/14").json()["data"]["full_name"] == "Los Angeles Lakers"


def test_bdl_rate_limit_per_minute() -> None:
    now = [0.0]
    settings = SimulatorSettings(balldontlie_tier="FREE")  # 5 requests/minute
    sim = Simulator(settings, SimClock(at(2025, 1, 5), monotonic=lambda: now[0]))
    codes = [bdl_client(sim).get("/v1/teams").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    now[0] += 61
    assert bdl_client(sim).get("/v1/teams").status_code == 200


def test_bdl_cursor_pagination_and_bracketed_params() -> None:
    sim = make(at(2025, 6, 1))
    client = bdl_client(sim)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"seasons[]": 2024, "per_page": 100} | ({"cursor": cursor} if cursor is not None else {})
        body = client.get("/v1/games", params=params).json()
        assert body["meta"]["per_page"] == 100
        seen += [g["id"] for g in body["data"]]
        pages += 1
        cursor = body["meta"].get("next_cursor")
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 1230 and pages == 13
    assert (
        client.get("/v1/games", params={"per_page": 500, "seasons[]": 2024}).json()["meta"]["per_page"] == 100
    )
    default = client.get("/v1/games", params={"seasons[]": 2024}).json()
    assert len(default["data"]) == 25 and default["meta"]["next_cursor"]
    two_days = [("dates[]", "2025-01-04"), ("dates[]", "2025-01-05")]
    bracketed = client.get("/v1/games", params=two_days).json()
    plain = client.get("/v1/games", params=[("dates", d) for _, d in two_days]).json()
    assert bracketed == plain and {g["date"] for g in plain["data"]} == {"2025-01-04", "2025-01-05"}
    nba_alias = client.get("/nba/v1/games", params=two_days).json()
    assert nba_alias == bracketed
    lal = client.get("/v1/players", params={"team_ids[]": 14, "per_page": 100}).json()["data"]
    assert 13 <= len(lal) <= 17 and all(p["team"]["id"] == 14 for p in lal)
    assert lal[0]["height"].count("-") == 1 and isinstance(lal[0]["weight"], str)


def test_bdl_injuries_and_lineups() -> None:
    sim = make(at(2025, 12, 1, 18))
    client = bdl_client(sim)
    injuries = client.get("/v1/player_injuries", params={"per_page": 100}).json()["data"]
    assert 10 < len(injuries) < 150
    assert {i["status"] for i in injuries} <= {"Out", "Questionable", "Day-To-Day", "Out For Season"}
    assert all(set(i) == {"player", "return_date", "description", "status"} for i in injuries)
    g = next(g for g in sim.games("nba", date(2025, 11, 29)) if not g.postponed)
    rows = client.get("/v1/lineups", params={"game_ids[]": game_id(g), "per_page": 100}).json()["data"]
    assert sum(r["starter"] for r in rows) == 10 and len(rows) > 20
    assert (
        set(rows[0]) == {"id", "game_id", "starter", "position", "player", "team"}
        and "team_id" in rows[0]["player"]
    )
    future = next(g for g in sim.games("nba", date(2025, 12, 5)) if not g.postponed)
    assert client.get("/v1/lineups", params={"game_ids": game_id(future)}).json()["data"] == []
    old = sim.games("nba", date(2024, 11, 29))[0]
    assert client.get("/v1/lineups", params={"game_ids": game_id(old)}).json()["data"] == []
    assert client.get("/v1/lineups").status_code == 400


def test_bdl_nfl_and_mlb_shapes() -> None:
    sim = make(at(2024, 10, 1, 12))
    client = bdl_client(sim)
    nfl_team = client.get("/nfl/v1/teams").json()["data"][0]
    assert set(nfl_team) == {"id", "conference", "division", "location", "name", "full_name", "abbreviation"}
    assert nfl_team["conference"] in ("AFC", "NFC") and nfl_team["division"] in (
        "NORTH",
        "SOUTH",
        "EAST",
        "WEST",
    )
    games = client.get("/nfl/v1/games", params={"seasons[]": 2024, "weeks[]": 2}).json()["data"]
    assert len(games) == 16 and all(g["week"] == 2 and g["status"].startswith("Final") for g in games)
    assert {"home_team_q1", "visitor_team_ot", "summary", "venue"} <= set(games[0])
    mlb_team = client.get("/mlb/v1/teams").json()["data"][0]
    assert set(mlb_team) == {
        "id",
        "slug",
        "abbreviation",
        "display_name",
        "short_display_name",
        "name",
        "location",
        "league",
        "division",
    }
    mlb = client.get("/mlb/v1/games", params={"dates[]": "2024-09-20"}).json()["data"]
    assert mlb and all(g["status"] == "STATUS_FINAL" for g in mlb)
    g = mlb[0]
    assert (
        g["home_team_data"]["runs"] == sum(g["home_team_data"]["inning_scores"])
        and g["home_team_data"]["runs"] != g["away_team_data"]["runs"]
    )
    upcoming = client.get("/mlb/v1/games", params={"dates[]": "2024-09-28"}).json()["data"]
    assert upcoming and all(
        x["status"] in ("STATUS_FINAL", "STATUS_SCHEDULED", "STATUS_POSTPONED") for x in upcoming
    )


def test_postponed_games_disappear_and_never_finish() -> None:
    from linelogic_assets.simulator.schedule import season_schedule

    g = next(g for g in season_schedule("nba", 2024, 1).games if g.postponed)
    sim = make(g.postponed_at - timedelta(minutes=5))
    ids = [e["id"] for e in get_odds(sim, "/v4/sports/basketball_nba/events").json()]
    assert g.event_id in ids
    sim.clock.set(g.end_time + timedelta(days=1))
    assert bdl_client(sim).get(f"/v1/games/{game_id(g)}").json()["data"]["status"] == "Postponed"
    sim.clock.set(g.postponed_at + timedelta(minutes=5))
    assert g.event_id not in [e["id"] for e in get_odds(sim, "/v4/sports/basketball_nba/events").json()]


# ====================================================================== HTTP server


def test_http_server_serves_both_providers() -> None:
    sim = make(at(2025, 1, 5, 18))
    with sim.serve(port=0) as server:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=server.url, timeout=5) as client:
            r = client.get("/v4/sports/basketball_nba/odds", params={"apiKey": "demo", "regions": "us"})
            assert r.status_code == 200 and r.json() and r.headers["x-requests-last"] == "1"
            b = client.get("/v1/teams", headers={"Authorization": "demo"})
            assert b.status_code == 200 and len(b.json()["data"]) == 30
            assert client.get("/mlb/v1/teams", headers={"Authorization": "demo"}).status_code == 200
    assert sim.requests_served == 3


def test_http_server_timeout_stalls() -> None:
    sim = make(at(2025, 1, 5, 18), faults=FaultSettings(rate_timeout=1.0, timeout_delay_seconds=0.3))
    with sim.serve() as server, pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/v4/sports", params={"apiKey": "demo"}, timeout=0.1)


# ====================================================================== model fidelity


def _decimal_h2h(book: dict, home: str) -> tuple[float, float] | None:
    m = next((m for m in book["markets"] if m["key"] == "h2h"), None)
    if m is None:
        return None
    prices = {o["name"]: o["price"] for o in m["outcomes"]}
    away = next(n for n in prices if n != home)
    return prices[home], prices[away]


def test_sharp_close_tracks_truth_and_overrounds() -> None:
    sim = make(at(2025, 1, 20))
    errors: list[float] = []
    overround: dict[str, list[float]] = {"sharp": [], "retail": []}
    for day in range(7):
        for g in sim.games("nba", date(2025, 1, 6) + timedelta(days=day)):
            if g.postponed:
                continue
            sim.clock.set(g.commence_time - timedelta(minutes=1))
            ev = get_odds(sim, "/v4/sports/basketball_nba/odds", regions="us,eu", eventIds=g.event_id).json()[
                0
            ]
            truth = sim.truth(g)
            for b in ev["bookmakers"]:
                pair = _decimal_h2h(b, g.home_team)
                if pair is None:
                    continue
                inv = [1 / p for p in pair]
                if b["key"] in SHARP:
                    overround["sharp"].append(sum(inv) - 1)
                elif b["key"] in RETAIL:
                    overround["retail"].append(sum(inv) - 1)
                if b["key"] == "pinnacle":
                    errors.append(abs(inv[0] / sum(inv) - truth.p_home_win))
    assert len(errors) > 30
    assert statistics.mean(errors) < 0.03
    assert 0.018 < statistics.mean(overround["sharp"]) < 0.032
    assert 0.038 < statistics.mean(overround["retail"]) < 0.053


def test_lines_move_between_open_and_close() -> None:
    sim = make(at(2025, 1, 20))
    g = next(g for g in sim.games("nba", date(2025, 1, 10)) if not g.postponed)
    opening = sim.truth(g, g.commence_time - timedelta(hours=47))
    closing = sim.truth(g)
    assert (opening.x, opening.t) != (closing.x, closing.t)
    updates = set()
    for minutes in range(-47 * 60, 0, 90):
        sim.clock.set(g.commence_time + timedelta(minutes=minutes))
        ev = get_odds(sim, "/v4/sports/basketball_nba/odds", regions="eu", eventIds=g.event_id).json()
        updates |= {b["last_update"] for e in ev for b in e["bookmakers"] if b["key"] == "pinnacle"}
    assert len(updates) > 5
