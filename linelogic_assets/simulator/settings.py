"""Settings of the provider simulator (the `simulator:` section of config/ingest.yaml)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClockSettings(_Strict):
    """Fixed time (`speed: 0`) or real time × speed from `start`."""

    start: datetime = datetime.fromisoformat("2025-11-18T12:00:00+00:00")
    speed: float = Field(0.0, ge=0.0)

    @field_validator("start")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("must be timezone-aware, e.g. 2025-11-18T12:00:00Z")
        return v


class SchemaDrift(_Strict):
    integer_points: bool = False  # whole-number points serialised as ints (3 instead of 3.0)
    drop_market_last_update: bool = False  # no market-level last_update on bulk /odds
    empty_bookmakers_rate: float = Field(0.0, ge=0.0, le=1.0)  # events with "bookmakers": []
    renamed_teams: bool = False  # alternate spellings ("LA Clippers") on The Odds API


class FaultSettings(_Strict):
    """Probabilities per request (deterministic given `seed` and the request sequence)."""

    seed: int = 1
    rate_429: float = Field(0.0, ge=0.0, le=1.0)
    rate_5xx: float = Field(0.0, ge=0.0, le=1.0)
    rate_timeout: float = Field(0.0, ge=0.0, le=1.0)
    rate_truncated: float = Field(0.0, ge=0.0, le=1.0)
    duplicate_events_rate: float = Field(0.0, ge=0.0, le=1.0)
    timeout_delay_seconds: float = Field(2.0, ge=0.0)  # HTTP server: how long a "timeout" stalls
    retry_after_seconds: int = Field(1, ge=0)  # Retry-After on injected 429s
    schema_drift: SchemaDrift = SchemaDrift()


class MarketScenario(_Strict):
    """How the simulated market moves and how far retail books trail it (defaults: today's world).

    News shocks move the true model itself (so the results drawn from its close move with them); the
    retail lag only changes what retail books show. Frozen, so a scenario is hashable and keys the
    per-game path cache. With the defaults every response, score and price is exactly what it is
    without a scenario.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # expected number of news shocks (injury reports, lineup news) per game over its pregame window
    news_per_game: float = Field(1.0, ge=0.0)
    # multiplies the league's shock sizes (on the margin and on the total)
    news_scale: float = Field(1.0, ge=0.0)
    # minutes added to the lag of every book of kind "retail": its whole feed (pregame and in play, and
    # its first quote) runs this much later, so after news it keeps the stale price while sharp books
    # and exchanges have moved: a market where +EV betting at retail really pays
    retail_extra_lag_minutes: int = Field(0, ge=0)


class SimulatorCore(_Strict):
    """What the simulated world shares: its seed, clock, faults and market; each provider's part adds its own
    fields (keys, quotas, tiers) from its package."""

    seed: int = 1
    clock: ClockSettings = ClockSettings()
    faults: FaultSettings = FaultSettings()
    market: MarketScenario = MarketScenario()  # news flow and retail lag (see MarketScenario)


def _provider_parts() -> tuple[type[BaseModel], ...]:
    from linelogic_assets.providers.registry import PROVIDERS

    return tuple(p.simulator_settings for p in PROVIDERS if p.simulator_settings is not None)


class SimulatorSettings(*_provider_parts(), SimulatorCore):
    """The `simulator:` section: the shared world's settings plus every provider part's."""
