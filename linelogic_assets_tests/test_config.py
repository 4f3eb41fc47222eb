from pathlib import Path

import pytest
import yaml

from linelogic_assets.config import DEFAULT_CONFIG_PATH, ConfigError, load_config


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
