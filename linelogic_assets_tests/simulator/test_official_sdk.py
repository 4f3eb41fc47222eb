"""The official `balldontlie` SDK (PyPI) reads the simulator over loopback, as it would the real API."""

from __future__ import annotations

from datetime import date

import pytest
from balldontlie import BalldontlieAPI
from balldontlie.exceptions import AuthenticationError

from linelogic_assets.simulator import Simulator
from linelogic_assets.simulator.settings import SimulatorSettings


@pytest.fixture(scope="module")
def server():
    sim = Simulator(SimulatorSettings())
    srv = sim.serve()
    yield sim, srv
    srv.close()


def test_sdk_reads_teams_games_and_stats(server) -> None:
    sim, srv = server
    api = BalldontlieAPI(api_key="demo", base_url=srv.url)
    teams = api.nba.teams.list().data
    assert len(teams) == 30 and {t.abbreviation for t in teams} >= {"BOS", "LAL", "LAC"}
    lal = api.nba.teams.get(14).data
    assert lal.full_name == "Los Angeles Lakers"

    day = date(2025, 11, 12)
    games = api.nba.games.list(dates=[day.isoformat()], per_page=100).data
    truth = sim.games("nba", day)
    assert len(games) == len(truth) > 0
    assert all(g.status == "Final" and g.home_team_score > 0 for g in games)

    stats = api.nba.stats.list(game_ids=[games[0].id], per_page=100)
    rows = stats.data
    home = [r for r in rows if r.team.id == games[0].home_team.id]
    assert sum(r.pts for r in home) == games[0].home_team_score


def test_sdk_sees_the_real_401(server) -> None:
    _, srv = server
    with pytest.raises(AuthenticationError):
        BalldontlieAPI(api_key="not-a-key", base_url=srv.url).nba.teams.list()
