"""Shared fixtures: a private lake and Dagster home per test, the real recorded fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linelogic_assets_tests.deployment import _deployment_bring_up, deployment  # noqa: F401 - the session's deployment

REPO = Path(__file__).resolve().parent.parent
# the real recorded responses, vendored from ../shared/fixtures/real so a clone anywhere runs every test
# (test_fixture_copy.py keeps the copy identical to the shared folder wherever that is beside the repo)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures" / "real"


# providers LineLogic ingests today; the recorded Polymarket responses wait for their provider package
INGESTED_FIXTURE_DIRS = ("the_odds_api", "balldontlie")


def fixture_files() -> list[Path]:
    return sorted(p for d in INGESTED_FIXTURE_DIRS for p in (FIXTURES / d).rglob("*.json"))


# endpoint of each real fixture, by file-name prefix
FIXTURE_ENDPOINTS = {
    "nhl_events": ("oddsapi", "events", "icehockey_nhl"),
    "nhl_scores": ("oddsapi", "scores", "icehockey_nhl"),
    "nhl_event_odds": ("oddsapi", "event_odds", "icehockey_nhl"),
    "nhl_odds": ("oddsapi", "odds", "icehockey_nhl"),
    "historical_event_odds": ("oddsapi", "historical_event_odds", "americanfootball_nfl"),
    "historical_events": ("oddsapi", "historical_events", "americanfootball_nfl"),
    "sports_list": ("oddsapi", "sports", "basketball_nba"),
    "nfl_odds": ("oddsapi", "odds", "americanfootball_nfl"),
    "nfl_scores": ("oddsapi", "scores", "americanfootball_nfl"),
    "v1_stats": ("balldontlie", "stats", "basketball_nba"),
    "v0_teams": ("balldontlie", "teams", "basketball_nba"),
    "v0_games": ("balldontlie", "games", "basketball_nba"),
}


def endpoint_of(path: Path) -> tuple[str, str, str]:
    for prefix, spec in FIXTURE_ENDPOINTS.items():
        if path.name.startswith(prefix):
            return spec
    raise KeyError(f"no endpoint known for fixture {path.name}; add it to FIXTURE_ENDPOINTS")


@pytest.fixture
def lake_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LINELOGIC_DATA_ROOT for this test only (the resources key their config cache on it)."""
    root = tmp_path / "lake"
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(root))
    monkeypatch.delenv("ODDS_API_KEY", raising=False)
    monkeypatch.delenv("BALLDONTLIE_API_KEY", raising=False)
    return root / "demo"


@pytest.fixture(autouse=True)
def _dagster_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("DAGSTER_HOME_KEEP"):
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))


NBA_DEMO_DAYS = ["2025-11-11", "2025-11-12"]


@pytest.fixture(scope="session")
def _nba_demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two NBA slates (NBA_DEMO_DAYS) run end to end by `linelogic demo --no-backtests`, once per session:
    (LINELOGIC_DATA_ROOT, DAGSTER_HOME). Modules take a copy (`nba_demo_copy`), never this one."""
    tmp = tmp_path_factory.mktemp("nba_demo_template")
    mp = pytest.MonkeyPatch()
    run_demo(mp, tmp / "lake", tmp / "home", NBA_DEMO_DAYS[0], 2, "basketball_nba")
    mp.undo()
    return tmp / "lake", tmp / "home"


def run_demo(mp: pytest.MonkeyPatch, lake: Path, home: Path, start: str, days: int, sport: str) -> None:
    """`linelogic demo --no-backtests` of one sport into a fresh lake and Dagster home (left set in `mp`)."""
    import contextlib
    import io

    from linelogic_assets.cli import main

    mp.setenv("LINELOGIC_DATA_ROOT", str(lake))
    mp.setenv("DAGSTER_HOME", str(home))
    home.mkdir(parents=True)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(["demo", "--start", start, "--days", str(days), "--sport", sport, "--no-backtests"])
    assert code == 0, out.getvalue()


def nba_demo_copy(template: tuple[Path, Path], dest: Path) -> tuple[Path, Path]:
    """A private copy of the session's two-slate NBA demo (lake and Dagster home) under `dest`."""
    import shutil

    lake, home = dest / "lake", dest / "home"
    shutil.copytree(template[0], lake)
    shutil.copytree(template[1], home)
    return lake, home
