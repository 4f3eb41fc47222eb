"""What a backtest is: strategy, sport, date range, decision points, sizing, limits and costs.

`config/backtests.yaml` holds named backtests (each one Dagster asset, `linelogic backtest run --config NAME`);
the CLI builds ad-hoc ones from flags. A bad value fails naming the key, like the ingest config.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linelogic_assets.config import REPO_ROOT, ConfigError
from linelogic_assets.sports import SPORT_KEYS

DEFAULT_BACKTESTS_PATH = REPO_ROOT / "config" / "backtests.yaml"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CUSTOM_OFFSET = re.compile(r"^T-(\d+)(m|h)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sizing(_Strict):
    """flat: `value` money per bet; percent: `value` % of the bankroll known at decision time; kelly: `value` ×
    the Kelly stake (¼ Kelly by default). Written `kelly:0.25`, `flat:100`, `percent:2`."""

    kind: Literal["flat", "percent", "kelly"] = "kelly"
    value: float = Field(0.25, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            kind, _, value = v.partition(":")
            if kind not in ("flat", "percent", "kelly"):
                raise ValueError(f"sizing must be flat:X, percent:X or kelly:X, got {v!r}")
            defaults = {"flat": "100", "percent": "1", "kelly": "0.25"}
            try:
                return {"kind": kind, "value": float(value or defaults[kind])}
            except ValueError:
                raise ValueError(f"sizing {v!r}: {value!r} is not a number") from None
        return v

    @model_validator(mode="after")
    def _bounds(self) -> Sizing:
        if self.kind == "kelly" and self.value > 1:
            raise ValueError(f"kelly fraction must be at most 1, got {self.value}")
        if self.kind == "percent" and self.value > 100:
            raise ValueError(f"percent must be at most 100, got {self.value}")
        return self

    def __str__(self) -> str:
        return f"{self.kind}:{self.value:g}"


class Limits(_Strict):
    """Caps as shares of the bankroll known at decision time; money amounts in the bankroll's unit."""

    max_bet_fraction: float = Field(0.05, gt=0, le=1)  # one bet (an arbitrage: all its legs)
    max_event_fraction: float = Field(0.10, gt=0, le=1)  # everything open on one game
    max_open_exposure_fraction: float = Field(0.50, gt=0, le=1)  # everything open at once
    min_stake: float = Field(1.0, ge=0)  # a smaller stake is not placed (never raised to the minimum)
    stake_rounding: float = Field(0.01, gt=0)  # stakes are rounded down to a multiple of this
    max_stake_per_book: dict[str, float] = {}  # a book's maximum accepted stake per bet


class Costs(_Strict):
    """Commission on net winnings: per book, else `exchange_commission` for exchanges, else none."""

    commission: dict[str, float] = {}
    exchange_commission: float = Field(0.02, ge=0, lt=1)

    @field_validator("commission")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if not 0 <= r < 1}
        if bad:
            raise ValueError(f"commission rates must be in [0, 1): {bad}")
        return v


class Statistics(_Strict):
    bootstrap_samples: int = Field(2000, ge=0, le=100_000)
    permutations: int = Field(1000, ge=0, le=100_000)
    confidence: float = Field(0.95, gt=0, lt=1)
    seed: int = 0


class BacktestSpec(_Strict):
    name: str
    sport: str
    start: date
    end: date
    strategy: str  # a built-in (flat, ev, arbitrage, favourite_best_price) or a dotted path module:attr
    params: dict[str, Any] = {}
    buckets: list[str] = ["T-60m"]  # configured buckets, or custom offsets before commence: T-90m, T-3h
    sizing: Sizing = Sizing()
    bankroll: float = Field(10_000.0, gt=0)
    limits: Limits = Limits()
    costs: Costs = Costs()
    statistics: Statistics = Statistics()
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError(f"backtest names are lower_snake_case (they name a Dagster asset), got {v!r}")
        return v

    @field_validator("sport")
    @classmethod
    def _sport(cls, v: str) -> str:
        if v not in SPORT_KEYS:
            raise ValueError(f"unknown sport {v!r}; one of {', '.join(SPORT_KEYS)}")
        return v

    @field_validator("buckets")
    @classmethod
    def _buckets(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one decision bucket")
        if len(set(v)) != len(v):
            raise ValueError(f"buckets repeat: {v}")
        return v

    @model_validator(mode="after")
    def _range(self) -> BacktestSpec:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


def decision_offsets(buckets: list[str], windows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Each decision point as (label, minutes relative to commence): a configured window by its name
    (OPEN stays "first seen"), or a custom `T-<n>m` / `T-<n>h` before commence."""
    named = dict(windows)
    out = []
    for b in buckets:
        if b in named:
            out.append((b, named[b]))
            continue
        m = CUSTOM_OFFSET.match(b)
        if not m or int(m.group(1)) == 0:
            raise ConfigError(f"bucket {b!r} is neither a configured window ({', '.join(named)}) nor an offset "
                              "before commence like T-90m or T-3h")
        out.append((b, -int(m.group(1)) * (60 if m.group(2) == "h" else 1)))
    return out


def _errors(err: ValidationError, where: str) -> ConfigError:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return ConfigError(f"{where}: {key}: {first['msg']}")


def parse_spec(raw: dict[str, Any], where: str = "backtest") -> BacktestSpec:
    try:
        return BacktestSpec.model_validate(raw)
    except ValidationError as err:
        raise _errors(err, where) from None


def load_backtests(path: str | Path | None = None) -> dict[str, BacktestSpec]:
    """The named backtests of `config/backtests.yaml`: `defaults` merged under each entry of `backtests`
    (mappings such as `limits` key by key)."""
    p = Path(path or DEFAULT_BACKTESTS_PATH)
    try:
        raw = yaml.safe_load(p.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"backtest config not found: {p}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML: {err}") from None
    if not isinstance(raw, dict) or set(raw) - {"defaults", "backtests"}:
        raise ConfigError(f"{p}: expected the keys `defaults` and `backtests`")
    defaults = raw.get("defaults") or {}
    entries = raw.get("backtests") or {}
    if not isinstance(defaults, dict) or not isinstance(entries, dict):
        raise ConfigError(f"{p}: `defaults` and `backtests` must be mappings")
    specs = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{p}: backtests.{name}: expected a mapping")
        merged = {**defaults, **entry, "name": name}
        for key, value in entry.items():  # a mapping (limits, costs, ...) overrides the defaults key by key
            if isinstance(value, dict) and isinstance(defaults.get(key), dict):
                merged[key] = {**defaults[key], **value}
        specs[name] = parse_spec(merged, f"{p}: backtests.{name}")
    return specs
