"""The `linelogic` console script: the demo job, quota report and config errors."""

import json
from datetime import date
from pathlib import Path

import dagster as dg

from linelogic_assets.cli import main
from linelogic_assets.providers.balldontlie.client import game_slate_date
from linelogic_assets.sports import league_for


def test_balldontlie_game_slate_dates_follow_the_league_calendar() -> None:
    nfl, nba = league_for("nfl"), league_for("nba")
    # Monday Night Football, 8:15 pm ET, is 01:15 UTC on Tuesday: still Monday's slate
    assert game_slate_date({"date": "2025-11-11T01:15:00.000Z"}, nfl) == date(2025, 11, 10)
    assert game_slate_date({"date": "2025-01-05", "datetime": "2025-01-06T03:00:00.000Z"}, nba) == date(2025, 1, 5)
    assert game_slate_date({"date": "2021-02-28T00:00:00.000Z"}, nba) == date(2021, 2, 28)  # legacy midnight marker


def test_demo_materializes_bronze_and_silver_for_each_slate_date_with_games(lake_root: Path, capsys,
                                                                           monkeypatch) -> None:
    import linelogic_assets.cli as cli

    backtested = []
    step = cli._demo_backtests  # the demo's last step: the configured backtests of its sports, after gold
    monkeypatch.setattr(cli, "_demo_backtests", lambda *a: backtested.append(a[3]) or step(*a))
    code = main(["demo", "--start", "2025-11-09", "--days", "3", "--sport", "americanfootball_nfl"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert backtested == [["americanfootball_nfl"]]  # none is configured for NFL: no backtest run
    assert "2 slate dates with games" in out  # Sunday 11-09 and Monday night 11-10; none on Tuesday
    assert out.count(" ok: 33 assets") == 2 and " 0 error" in out
    dates = sorted(p.name for p in (lake_root / "bronze" / "provider=oddsapi" / "sport=americanfootball_nfl").iterdir())
    assert dates == ["date=2025-11-09", "date=2025-11-10"]
    instance = dg.DagsterInstance.get()
    runs = instance.get_runs()
    slates = ["2025-11-09|americanfootball_nfl", "2025-11-10|americanfootball_nfl"]
    # bronze over the two consecutive slates in one range run, then silver and gold in another
    assert sorted(r.job_name for r in runs) == ["bronze_job", "rebuild_job"]
    for ranged in runs:
        assert (ranged.tags["dagster/asset_partition_range_start"],
                ranged.tags["dagster/asset_partition_range_end"]) == (slates[0], slates[1])
    assert instance.get_materialized_partitions(dg.AssetKey("pregame_training_rows")) == set(slates)

    assert main(["quota", "--format", "json"]) == 0
    quota = json.loads(capsys.readouterr().out)
    assert quota["spent_this_month"] > 0 and quota["budget_left"] == quota["monthly_budget"] - quota["spent_this_month"]

    # the lake answers SQL: silver views, all formats, read-only unless --write
    assert main(["sql", "SELECT date, count(*) AS games FROM event GROUP BY 1 ORDER BY 1", "--format", "json"]) == 0
    games = json.loads(capsys.readouterr().out)
    assert [g["date"][:10] for g in games] == ["2025-11-09", "2025-11-10"] and all(g["games"] > 0 for g in games)
    assert main(["sql", "SELECT count(*) AS n FROM odds_snapshot WHERE canonical_event_id IS NULL",
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "0"]
    # every NFL game has its Polymarket markets matched, and a venue divergence at every as-of bucket
    assert main(["sql", "SELECT count(DISTINCT e.canonical_event_id) AS games, count(DISTINCT m.canonical_event_id) "
                 "AS matched FROM event e LEFT JOIN prediction_market m USING (canonical_event_id)",
                 "--format", "json"]) == 0
    [venue] = json.loads(capsys.readouterr().out)
    assert venue["games"] > 0 and venue["matched"] == venue["games"], venue
    assert main(["sql", "SELECT canonical_event_id, count(DISTINCT bucket) AS buckets FROM venue_divergence "
                 "WHERE market = 'h2h' AND fair_prob IS NOT NULL GROUP BY 1", "--format", "json"]) == 0
    cells = json.loads(capsys.readouterr().out)
    assert len(cells) == venue["games"] and {c["buckets"] for c in cells} == {5}, cells
    assert main(["sql", "SELECT count(*) AS n FROM injuries"]) == 0  # no rows yet: the view still exists
    capsys.readouterr()
    assert main(["sql", "COPY (SELECT 1) TO 'x.csv'"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "DROP VIEW event"]) == 2
    assert main(["sql", "SELECT * FROM no_such_table"]) == 1


def test_a_bad_config_exits_2_naming_the_key(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: sometimes\n")
    assert main(["--config", str(bad), "quota"]) == 2
    err = capsys.readouterr().err
    assert "mode:" in err and "sports" in err
