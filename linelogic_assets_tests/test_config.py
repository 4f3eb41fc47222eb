from pathlib import Path

import pytest
import yaml

from linelogic_assets.config import DEFAULT_CONFIG_PATH, ConfigError, lake_path, load_config


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    mutate(raw)
    p = tmp_path / "ingest.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


def test_committed_config_loads_and_separates_demo_from_live(lake_root: Path) -> None:
    cfg = load_config()
    assert cfg.mode == "demo"
    assert cfg.resolved_data_root() == lake_root
    assert [w.name for w in cfg.snapshot_schedule.windows] == ["OPEN", "T-6h", "T-60m", "T-15m", "CLOSE"]


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda r: r.update(mode="production"), "mode"),
        (lambda r: r["sports"]["basketball_nba"].update(markets=["player_points"]), "sports.basketball_nba.markets"),
        (lambda r: r["sports"].update(curling={}), "sports"),
        (lambda r: r.update(regions=["mars"]), "regions"),
        (lambda r: r["sampling"].update(mode="sometimes"), "sampling.mode"),
        (lambda r: r["oddsapi"]["rate_limit"].update(requests_per_second=0), "oddsapi.rate_limit.requests_per_second"),
        (lambda r: r.update(monthly_quota_budget=-5), "monthly_quota_budget"),
        (lambda r: r.update(surprise=1), "surprise"),
        (lambda r: r["simulator"]["clock"].update(start="2025-11-18T12:00:00"), "simulator.clock.start"),
    ],
)
def test_bad_value_names_the_key(tmp_path: Path, mutate, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, mutate))
    assert f": {key}:" in str(err.value)


def test_live_mode_needs_a_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODDS_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ODDS_API_KEY"):
        load_config(_write(tmp_path, lambda r: r.update(mode="live")))
    monkeypatch.setenv("ODDS_API_KEY", "k" * 32)
    cfg = load_config(_write(tmp_path, lambda r: r.update(mode="live")))
    assert cfg.resolved_data_root().name == "live"


@pytest.mark.parametrize("url", ["file:///srv/lake", "local:///srv/lake"])
def test_data_root_takes_a_local_filesystem_url(url: str) -> None:
    assert lake_path(url) == Path("/srv/lake")
    assert lake_path("./data") == Path("data")


@pytest.mark.parametrize("url", ["s3://bucket/lake", "gs://bucket/lake", "memory://lake"])
def test_data_root_on_object_storage_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(ConfigError, match="POSIX filesystem.*mount the bucket"):
        lake_path(url)


def test_a_slate_runs_end_to_end_on_a_file_url_data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from linelogic_assets.cli import main

    monkeypatch.setenv("LINELOGIC_DATA_ROOT", (tmp_path / "lake").as_uri())  # file:///…/lake
    assert main(["demo", "--start", "2025-11-10", "--days", "1", "--sport", "americanfootball_nfl"]) == 0  # 1 game
    lake = tmp_path / "lake" / "demo"
    assert list((lake / "bronze").glob("provider=oddsapi/sport=americanfootball_nfl/date=2025-11-10/run_id=*/endpoint=*"))
    assert list((lake / "silver").rglob("*.parquet"))
    assert (lake / "gold" / "warehouse.duckdb").stat().st_size > 0
