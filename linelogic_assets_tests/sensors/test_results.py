"""The results sensor's lifecycle: scheduled → live → final (or called off), polled until final."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import yaml

from linelogic_assets.config import DEFAULT_CONFIG_PATH, parse_config
from linelogic_assets.sensors.results import ResultsState, evaluate, lifecycle
from linelogic_assets.sports import league_for

NBA = league_for("basketball_nba")
CFG = parse_config(yaml.safe_load(DEFAULT_CONFIG_PATH.read_text()))  # poll every 30 min from commence + 120
C1 = datetime(2025, 11, 25, 0, tzinfo=UTC)
C2 = C1 + timedelta(hours=2, minutes=30)


def events(**status: str) -> pd.DataFrame:
    starts = {"a": C1, "b": C2, "off": C1}
    return pd.DataFrame([{"canonical_event_id": k, "commence_time_utc": pd.Timestamp(starts[k]),
                          "slate_date": date(2025, 11, 24), "status": v} for k, v in status.items()])


def test_polls_start_after_the_game_repeat_each_interval_and_stop_when_all_are_final() -> None:
    state, log = ResultsState(), []
    timeline = [  # (time, silver's status of a, b, off)
        (C1 - timedelta(hours=1), "scheduled", "scheduled"),
        (C1 + timedelta(minutes=30), "scheduled", "scheduled"),  # a is live by the clock, silver not yet told
        (C1 + timedelta(minutes=120), "live", "scheduled"),  # first poll
        (C1 + timedelta(minutes=130), "live", "scheduled"),  # within the interval: no poll
        (C1 + timedelta(minutes=150), "final", "live"),  # a final; b not yet due → no poll for the slate
        (C2 + timedelta(minutes=120), "final", "live"),
        (C2 + timedelta(minutes=150), "final", "live"),
        (C2 + timedelta(minutes=180), "final", "final"),  # every game final: no more polls
        (C2 + timedelta(minutes=240), "final", "final"),
    ]
    for now, a, b in timeline:
        tick = evaluate(state, events(a=a, b=b, off="postponed"), now, CFG)
        log.append((now, [r.pending for r in tick.requests], tick.transitions))
    polls = [(now, pending) for now, pending, _ in log if pending]
    assert polls == [(C1 + timedelta(minutes=120), [("a",)]), (C2 + timedelta(minutes=120), [("b",)]),
                     (C2 + timedelta(minutes=150), [("b",)])]
    moves = [m for _, _, ms in log for m in ms]
    assert ("a", "scheduled", "live") in moves and ("a", "live", "final") in moves
    assert ("off", "scheduled", "postponed") in moves  # called off: never polled
    assert ("b", "live", "final") in moves
    assert state.status == {"a": "final", "b": "final", "off": "postponed"} and state.polled == {}


def test_a_game_never_final_is_given_up_after_the_horizon() -> None:
    state = ResultsState()
    late = C1 + timedelta(hours=CFG.automation.results.give_up_after_hours, minutes=1)
    assert evaluate(state, events(a="live"), late, CFG).requests == []


def test_lifecycle_moves_forward_only() -> None:
    assert lifecycle("scheduled", C1, C1 - timedelta(minutes=1)) == "scheduled"
    assert lifecycle("scheduled", C1, C1) == "live"
    assert lifecycle("final", C1, C1 - timedelta(days=1)) == "final"
    assert ResultsState.loads(ResultsState({"a": "live"}, {"2025-11-24": C1.isoformat()}).dumps()).status == {"a": "live"}
