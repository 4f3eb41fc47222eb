"""Event identity and matching: aliases, swapped home/away, commence rewrites, doubleheaders, unknown teams."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from linelogic_assets.registry.events import Sighting, canonical_event_id, match_events
from linelogic_assets.registry.overrides import EventOverride, Overrides
from linelogic_assets.registry.teams import TeamIndex, normalise_name
from linelogic_assets.sports import league_for

TOL = timedelta(minutes=90)


def _at(h: int, m: int = 0, s: int = 0, day: int = 18) -> datetime:
    return datetime(2025, 11, day, h, m, s, tzinfo=UTC)


def sight(provider: str, pid: str, home: str, away: str, start: datetime | None, observed: datetime, **kw) -> Sighting:
    return Sighting(provider, pid, home, away, start, observed, raw_ref=f"{provider}/{pid}/{observed:%H%M%S}", **kw)


def run(sport: str, day: date, sightings: list[Sighting], overrides: Overrides | None = None):
    index = TeamIndex(sport)
    return match_events(league_for(sport), day, sightings, index, overrides or Overrides(), TOL)


NBA_DAY = date(2025, 11, 17)  # 7:30 pm ET tip = 00:30 UTC on the 18th


def test_aliases_resolve_to_one_team() -> None:
    idx = TeamIndex("basketball_nba")
    lac = idx.by_id["nba-lac"]
    for spelling in ("Los Angeles Clippers", "LA Clippers", "L.A. Clippers", "la clippers", "LAC", "  LA  Clippers "):
        assert idx.resolve(spelling) is lac, spelling
    assert idx.resolve("Montreal Canadiens") is None  # another league
    assert TeamIndex("icehockey_nhl").resolve("Montreal Canadiens").id == TeamIndex("icehockey_nhl").resolve(
        "Montréal Canadiens").id
    assert normalise_name("Montréal  Canadiens") == "montreal canadiens"
    assert idx.resolve("Seattle SuperSonics").id == "nba-okc"  # a historical name is an alias, not a new team


def test_providers_with_different_spellings_match_one_event() -> None:
    bdl = sight("balldontlie", "101", "LA Clippers", "Boston Celtics", _at(0, 30), _at(12),
                home_hint=TeamIndex("basketball_nba").by_provider_id["balldontlie"][13])
    odds = sight("oddsapi", "abc", "Los Angeles Clippers", "Boston Celtics", _at(0, 30), _at(11))
    result = run("basketball_nba", NBA_DAY, [bdl, odds])
    assert len(result.events) == 1 and not result.quarantined
    ev = result.events[0]
    assert (ev.home.id, ev.away.id) == ("nba-lac", "nba-bos")
    assert {m.provider_event.provider for m in ev.members} == {"balldontlie", "oddsapi"}
    assert all(m.confidence == 1.0 and not m.swapped for m in ev.members)
    assert ev.canonical_event_id == canonical_event_id("nba", "nba-lac", "nba-bos", _at(0, 30), NBA_DAY)


def test_swapped_home_away_is_matched_and_flagged() -> None:
    bdl = sight("balldontlie", "101", "Boston Celtics", "Los Angeles Lakers", _at(0, 30), _at(12))
    odds = sight("oddsapi", "abc", "Los Angeles Lakers", "Boston Celtics", _at(0, 30), _at(11))
    result = run("basketball_nba", NBA_DAY, [odds, bdl])
    assert len(result.events) == 1
    ev = result.events[0]
    assert ev.home.id == "nba-bos"  # BALLDONTLIE (the schedule truth) fixes the orientation
    odds_match = next(m for m in ev.members if m.provider_event.provider == "oddsapi")
    assert odds_match.swapped and odds_match.confidence < 0.9 and "swapped" in odds_match.method


def test_commence_time_rewrite_does_not_create_a_second_event() -> None:
    pre = sight("oddsapi", "abc", "Boston Celtics", "Los Angeles Lakers", _at(0, 30), _at(0, 15))
    live = sight("oddsapi", "abc", "Boston Celtics", "Los Angeles Lakers", _at(0, 41, 10), _at(1, 0), status="live")
    scored = sight("oddsapi", "abc", "Boston Celtics", "Los Angeles Lakers", _at(0, 41, 10), _at(3, 0),
                   status="final", home_score=110, away_score=99)
    result = run("basketball_nba", NBA_DAY, [live, scored, pre])
    assert len(result.events) == 1
    ev = result.events[0]
    assert ev.start == _at(0, 30) and ev.actual_start == _at(0, 41, 10)
    assert ev.status == "final"
    # seen only after the rewrite (no scheduled sighting), the id still comes from a whole-minute start
    late_only = run("basketball_nba", NBA_DAY, [live]).events[0]
    assert late_only.start == _at(0, 41)


def test_mlb_doubleheader_stays_two_events() -> None:
    day = date(2025, 7, 4)
    g1 = sight("oddsapi", "g1", "New York Yankees", "Boston Red Sox", datetime(2025, 7, 4, 17, 5, tzinfo=UTC),
               datetime(2025, 7, 4, 12, tzinfo=UTC))
    g2 = sight("oddsapi", "g2", "New York Yankees", "Boston Red Sox", datetime(2025, 7, 4, 20, 40, tzinfo=UTC),
               datetime(2025, 7, 4, 12, tzinfo=UTC))
    b1 = sight("balldontlie", "1", "New York Yankees", "Boston Red Sox", datetime(2025, 7, 4, 17, 5, tzinfo=UTC),
               datetime(2025, 7, 4, 12, tzinfo=UTC))
    b2 = sight("balldontlie", "2", "New York Yankees", "Boston Red Sox", datetime(2025, 7, 4, 20, 40, tzinfo=UTC),
               datetime(2025, 7, 4, 12, tzinfo=UTC))
    # game 1 goes live and its start is rewritten: it must still join game 1, not game 2
    g1_live = sight("oddsapi", "g1", "New York Yankees", "Boston Red Sox",
                    datetime(2025, 7, 4, 17, 9, 41, tzinfo=UTC), datetime(2025, 7, 4, 18, tzinfo=UTC), status="live")
    result = run("baseball_mlb", day, [g2, b2, g1_live, b1, g1])
    assert len(result.events) == 2 and not result.quarantined
    ids = {ev.canonical_event_id for ev in result.events}
    assert len(ids) == 2
    for ev in result.events:
        members = {(m.provider_event.provider, m.provider_event.provider_event_id) for m in ev.members}
        assert members in ({("oddsapi", "g1"), ("balldontlie", "1")}, {("oddsapi", "g2"), ("balldontlie", "2")})


def test_unknown_team_is_quarantined_not_guessed() -> None:
    odds = sight("oddsapi", "x", "Springfield Isotopes", "Boston Celtics", _at(0, 30), _at(11))
    result = run("basketball_nba", NBA_DAY, [odds])
    assert result.events == []
    assert len(result.quarantined) == 1
    assert "Springfield Isotopes" in result.quarantined[0].reason


def test_fuzzy_name_matches_only_a_confirmed_event_at_low_confidence() -> None:
    bdl = sight("balldontlie", "101", "Philadelphia 76ers", "Boston Celtics", _at(0, 30), _at(12))
    odds = sight("oddsapi", "abc", "Philadelphia 76erz", "Boston Celtics", _at(0, 30), _at(11))
    result = run("basketball_nba", NBA_DAY, [bdl, odds])
    assert len(result.events) == 1 and not result.quarantined
    m = next(m for m in result.events[0].members if m.provider_event.provider == "oddsapi")
    assert m.method.startswith("fuzzy_names") and m.confidence < 0.9
    # the same misspelling with no confirming event is quarantined
    assert run("basketball_nba", NBA_DAY, [odds]).quarantined


def test_override_pins_a_provider_event() -> None:
    odds = sight("oddsapi", "weird", "Team A", "Team B", _at(0, 30), _at(11))
    pin = Overrides(events=[EventOverride(provider="oddsapi", provider_event_id="weird", sport="basketball_nba",
                                          home_team="nba-bos", away_team="nba-lal", start_time_utc=_at(0, 30))])
    result = run("basketball_nba", NBA_DAY, [odds], pin)
    assert [(e.home.id, e.away.id) for e in result.events] == [("nba-bos", "nba-lal")]
    assert result.events[0].members[0].method == "override"


@pytest.mark.parametrize("order", [0, 1])
def test_matching_is_deterministic_whatever_the_input_order(order: int) -> None:
    s = [sight("oddsapi", "a", "Boston Celtics", "Los Angeles Lakers", _at(0, 30), _at(11)),
         sight("balldontlie", "1", "Boston Celtics", "Los Angeles Lakers", _at(0, 30), _at(12)),
         sight("oddsapi", "b", "Miami Heat", "Orlando Magic", _at(0, 0), _at(11))]
    forward = [e.canonical_event_id for e in run("basketball_nba", NBA_DAY, s).events]
    backward = [e.canonical_event_id for e in run("basketball_nba", NBA_DAY, s[::-1] if order else s).events]
    assert forward == backward


def test_overrides_file_is_validated_naming_the_key(tmp_path, monkeypatch) -> None:
    from linelogic_assets.config import ConfigError
    from linelogic_assets.registry.overrides import load_overrides

    good = tmp_path / "good.yaml"
    good.write_text("team_aliases:\n  basketball_nba: {'Lakeshow': nba-lal}\nevents: []\n")
    aliases = load_overrides(good).aliases("basketball_nba")
    assert TeamIndex("basketball_nba", aliases).resolve("lakeshow").id == "nba-lal"
    bad = tmp_path / "bad.yaml"
    bad.write_text("events:\n  - provider: oddsapi\n    provider_event_id: x\n    sport: basketball_nba\n"
                   "    home_team: nba-bos\n    away_team: nba-lal\n    start_time_utc: '2025-11-18T00:30:00'\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: events.0.start_time_utc: .*timezone"):
        load_overrides(bad)
    monkeypatch.setenv("LINELOGIC_OVERRIDES", str(good))
    assert load_overrides(bad).aliases("basketball_nba") == {"Lakeshow": "nba-lal"}  # the env var wins
    with pytest.raises(KeyError, match="nba-xyz"):
        TeamIndex("basketball_nba", {"Somebody": "nba-xyz"})
