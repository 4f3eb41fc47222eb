"""Typed ingestion config (`config/ingest.yaml`); secrets come only from the environment."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from linelogic_assets.providers.registry import PROVIDERS
from linelogic_assets.providers.settings import Strict as _Strict
from linelogic_assets.simulator.settings import ClockSettings, SimulatorSettings
from linelogic_assets.sports import SPORT_KEYS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "ingest.yaml"
FEATURED_MARKETS = {"h2h", "spreads", "totals", "outrights", "h2h_lay"}
REGIONS = {"us", "us2", "uk", "eu", "au", "us_ex", "us_dfs", "fr", "se"}


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the offending key."""


class SnapshotWindow(_Strict):
    name: str
    # minutes relative to commence (negative = before); 0 means CLOSE, the last snapshot before commence
    offset_minutes: int = Field(le=0)
    # how old (never newer) a shared snapshot may be for this window; None = the schedule's share tolerance
    max_staleness_minutes: int | None = Field(None, ge=0, le=720)
    # OPEN is "first seen": any earlier snapshot of the slate already is the opening line, so live
    # collection takes it when a game first appears and a backfill buys the offset time only if none is held
    first_seen: bool = False


class SnapshotSchedule(_Strict):
    windows: list[SnapshotWindow] = [
        SnapshotWindow(name="OPEN", offset_minutes=-1440, max_staleness_minutes=120, first_seen=True),
        SnapshotWindow(name="T-6h", offset_minutes=-360, max_staleness_minutes=30),
        SnapshotWindow(name="T-60m", offset_minutes=-60),
        SnapshotWindow(name="T-15m", offset_minutes=-15),
        SnapshotWindow(name="CLOSE", offset_minutes=0),
    ]
    # one historical /odds call serves every game whose target lies within this many minutes after it
    share_tolerance_minutes: int = Field(5, ge=0, le=60)

    def offsets(self) -> list[tuple[str, int]]:
        """Each window as (name, minutes relative to commence): what the as-of buckets are built from."""
        return [(w.name, w.offset_minutes) for w in self.windows]

    def close_window(self) -> tuple[str, int]:
        """The latest window (CLOSE): the closing line CLV is measured against."""
        return max(self.offsets(), key=lambda w: w[1])

    @field_validator("windows")
    @classmethod
    def _unique(cls, v: list[SnapshotWindow]) -> list[SnapshotWindow]:
        names = [w.name for w in v]
        if len(set(names)) != len(names):
            raise ValueError(f"window names must be unique, got {names}")
        return v

    @property
    def first_seen(self) -> frozenset[str]:
        return frozenset(w.name for w in self.windows if w.first_seen)

    def staleness(self) -> dict[str, timedelta]:
        return {
            w.name: timedelta(minutes=self.share_tolerance_minutes if w.max_staleness_minutes is None
                              else w.max_staleness_minutes)
            for w in self.windows
        }


class AdaptiveIntervals(_Strict):
    far: int = 30  # > 24 h before commence
    medium: int = 15  # 3–24 h
    near: int = 5  # 1–3 h
    imminent: int = 1  # < 1 h


class Sampling(_Strict):
    """Snapshots between the windows: every fixed interval, adaptive by time to commence, or off."""

    mode: Literal["fixed", "adaptive", "off"] = "fixed"
    fixed_interval_minutes: int = Field(30, ge=1)
    adaptive_intervals: AdaptiveIntervals = AdaptiveIntervals()
    # only slates whose next game starts within this many hours are sampled; further ones get their windows
    # (every snapshot of a slate costs markets × regions credits)
    horizon_hours: int = Field(24, ge=1, le=24 * 14)

    def interval(self, to_commence: timedelta) -> timedelta | None:
        """How often a slate is sampled when its next game starts in `to_commence` (None: never)."""
        if self.mode == "off" or to_commence > timedelta(hours=self.horizon_hours):
            return None
        if self.mode == "fixed":
            return timedelta(minutes=self.fixed_interval_minutes)
        a, hours = self.adaptive_intervals, to_commence / timedelta(hours=1)
        return timedelta(minutes=a.far if hours > 24 else a.medium if hours > 3 else a.near if hours > 1 else a.imminent)


class SportSettings(_Strict):
    enabled: bool = True
    bookmakers: list[str] = []  # allowlist; empty = whole regions
    markets: list[str] = ["h2h", "spreads", "totals"]

    @field_validator("markets")
    @classmethod
    def _featured(cls, v: list[str]) -> list[str]:
        bad = sorted(set(v) - FEATURED_MARKETS)
        if bad:
            raise ValueError(f"not a featured market of the bulk/historical odds endpoints: {bad}")
        return v


class DemoWindow(_Strict):
    start: str = "2025-11-10"
    days: int = Field(7, ge=1, le=120)
    sports: list[str] = ["basketball_nba", "americanfootball_nfl"]
    # after the backfill, `make run` starts the simulator's shared clock here, running `speed` × real time,
    # so the sensors fire pregame windows unattended within minutes
    clock: ClockSettings = ClockSettings(start=datetime.fromisoformat("2025-11-18T22:45:00+00:00"), speed=10)


class Matching(_Strict):
    """How provider events are matched to canonical events."""

    # scheduled starts of one game may differ this much between providers; keep it well under the
    # ~3 h between the two games of an MLB doubleheader, which must stay two events
    start_tolerance_minutes: int = Field(90, ge=0, le=150)
    overrides_path: str = "mappings/overrides.yaml"  # relative to this config file


class PregameSensor(_Strict):
    """The pregame snapshot sensor (one per sport)."""

    # a window is requested this long before its target, so the snapshot lands at or before the target
    # (never after it: gold's as-of rule would not use it); a run that starts late buys the history instead
    lead_seconds: int = Field(120, ge=0, le=1800)
    # wall time between two ticks of the sensor as the daemon runs it: its 15 s interval on the daemon's 5 s
    # loop lands 15.1-19.9 s apart (bench/sensors.py). × the clock's speed and the safety factor (the run's
    # start) it lengthens the lead where ticks would outrun it, e.g. the demo's 10× clock (`window_lead`)
    expected_tick_gap_seconds: float = Field(20.0, gt=0, le=600)
    tick_gap_safety: float = Field(1.5, ge=1, le=10)
    schedule_refresh_minutes: int = Field(10, ge=1)  # provider time between reads of the free /events listing
    max_runs_per_tick: int = Field(20, ge=1)  # paging: what does not fit is requested on the next tick


class ResultsSensor(_Strict):
    """The results sensor: scores and results of started games until every one is final or called off."""

    poll_interval_minutes: int = Field(30, ge=1)
    first_poll_after_minutes: int = Field(120, ge=0)  # after commence: no result exists before the game ends
    give_up_after_hours: int = Field(48, ge=1)  # a game still not final then is left to the checks


class Alerts(_Strict):
    """Run-failure and check-failure alerts to a Discord-compatible webhook (off while the variable is unset)."""

    webhook_url_env: str = "LINELOGIC_ALERT_WEBHOOK_URL"
    username: str = "LineLogic"
    timeout_seconds: float = Field(10.0, gt=0)
    include_warnings: bool = False  # alert on failed WARN checks too, not only ERROR ones


class Automation(_Strict):
    pregame: PregameSensor = PregameSensor()
    results: ResultsSensor = ResultsSensor()
    alerts: Alerts = Alerts()


DevigMethod = Literal["multiplicative", "additive", "power", "shin", "odds_ratio"]


class GoldSettings(_Strict):
    """How gold turns quotes into fair prices, consensus, CLV and opportunities."""

    fair_method: DevigMethod = "shin"  # the devig method behind `fair_prob` columns and queries
    markets: list[str] = ["h2h", "spreads", "totals"]  # priced main markets gold carries
    # a book's quote is an outlier (dropped from the trimmed consensus) when its fair probability is
    # further than this many MADs from the books' median, with the MAD floored at `trim_floor`
    trim_mads: float = Field(3.0, gt=0)
    trim_floor: float = Field(0.01, gt=0)
    # a quote older than this at an as-of time is stale: not used for consensus, CLV or opportunities
    max_quote_age_minutes: int = Field(120, ge=1)
    min_ev: float = Field(0.02, ge=0)  # +EV opportunities: price × fair probability − 1 at least this
    min_arb_margin: float = Field(0.0, ge=0)  # arbitrage: 1 / Σ(1/best price) − 1 above this
    form_games: int = Field(10, ge=1, le=82)  # team form: rolling window of the last N finished games


class IngestCore(_Strict):
    """The platform's own settings; each provider's sections join them (`IngestConfig`)."""

    mode: Literal["demo", "live"] = "demo"
    data_root: str = "./data"
    sports: dict[str, SportSettings]
    regions: list[str] = ["us", "eu"]
    odds_format: Literal["decimal", "american"] = "decimal"
    date_format: Literal["iso", "unix"] = "iso"
    snapshot_schedule: SnapshotSchedule = SnapshotSchedule()
    sampling: Sampling = Sampling()
    demo: DemoWindow = DemoWindow()
    simulator: SimulatorSettings = SimulatorSettings()
    matching: Matching = Matching()
    gold: GoldSettings = GoldSettings()
    automation: Automation = Automation()
    config_dir: str = "."  # set by load_config: where relative paths in this file start

    @field_validator("sports")
    @classmethod
    def _known_sports(cls, v: dict[str, SportSettings]) -> dict[str, SportSettings]:
        unknown = sorted(set(v) - set(SPORT_KEYS))
        if unknown:
            raise ValueError(f"unknown sport keys {unknown}; known: {list(SPORT_KEYS)}")
        return v

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        bad = sorted(set(v) - REGIONS)
        if bad:
            raise ValueError(f"unknown regions {bad}; known: {sorted(REGIONS)}")
        return v

    @model_validator(mode="after")
    def _demo_sports_enabled(self) -> IngestCore:
        missing = [s for s in self.demo.sports if s not in self.sports]
        if missing:
            raise ValueError(f"demo.sports {missing} are not configured under sports")
        return self

    @model_validator(mode="after")
    def _lead_within_staleness(self) -> IngestCore:
        lead = timedelta(seconds=self.automation.pregame.lead_seconds)
        tight = {n: s for n, s in self.snapshot_schedule.staleness().items() if s < lead}
        if tight:
            raise ValueError(
                f"automation.pregame.lead_seconds ({lead.seconds}) exceeds the staleness of windows {sorted(tight)}: "
                "a snapshot taken that early could not serve them"
            )
        return self

    @property
    def enabled_sports(self) -> list[str]:
        return [k for k, s in self.sports.items() if s.enabled]

    def redacted_dump(self) -> dict:
        """The config as JSON-ready data with every key value masked (for run manifests)."""
        data = json.loads(self.model_dump_json())
        for name, field in type(self.simulator).model_fields.items():
            if (field.json_schema_extra or {}).get("secret"):
                data["simulator"][name] = ["***"] * len(data["simulator"][name])
        return data

    def overrides_file(self) -> Path:
        return Path(self.config_dir) / self.matching.overrides_path

    def resolved_data_root(self) -> Path:
        """The lake root: LINELOGIC_DATA_ROOT wins; live and demo never share one."""
        root = lake_path(os.environ.get("LINELOGIC_DATA_ROOT") or self.data_root)
        if not root.is_absolute():
            root = REPO_ROOT / root
        return root / self.mode


LOCAL_PROTOCOLS = {"", "file", "local"}


def lake_path(raw: str) -> Path:
    """`data_root` as a path or an fsspec/UPath URL. A URL on the local filesystem (`file:///srv/lake`,
    `local://…`) is that directory. Object storage (`s3://`, `gs://`, `az://`) is refused with the reason:
    bronze is written by atomic rename and gold is one DuckDB file, neither of which a bucket offers, so a
    bucket is mounted (s3fs, gcsfuse, blobfuse) or a shared volume is used, and data_root is that path."""
    if "://" not in raw:
        return Path(raw)
    from upath import UPath

    url = UPath(raw)
    if url.protocol in LOCAL_PROTOCOLS:
        return Path(url.path)
    raise ConfigError(
        f"data_root {raw!r}: the lake needs a POSIX filesystem (atomic renames for bronze, one DuckDB file for "
        f"gold), which {url.protocol}:// is not; mount the bucket and give its mount path, or use a shared volume"
    )


def _provider_sections() -> tuple[type[BaseModel], ...]:
    return tuple(p.config for p in PROVIDERS if p.config is not None)


class IngestConfig(*_provider_sections(), IngestCore):
    """config/ingest.yaml: the platform's settings plus each provider's sections (`Provider.config`)."""


def format_errors(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<root>"
        lines.append(f"{source}: {key}: {e['msg']}")
    return "\n".join(lines)


def parse_config(raw: dict, source: str = "<config>") -> IngestConfig:
    try:
        return IngestConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source)) from None


def load_config(path: str | Path | None = None) -> IngestConfig:
    """Load and validate the config; LINELOGIC_CONFIG overrides the default path."""
    p = Path(path or os.environ.get("LINELOGIC_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        raw = yaml.safe_load(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping at the top level")
    cfg = parse_config({**raw, "config_dir": str(p.resolve().parent)}, str(p))
    if cfg.mode == "live":
        for provider in (q for q in PROVIDERS if q.live_needs_key):
            missing = [v for v in provider.secret_env if not os.environ.get(v)]
            if missing:
                raise ConfigError(f"{p}: mode: live needs {missing[0]} in the environment (see .env.example)")
    return cfg
