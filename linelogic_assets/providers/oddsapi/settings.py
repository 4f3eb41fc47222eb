"""The Odds API's sections of config/ingest.yaml, and its part of the simulator's settings."""

from __future__ import annotations

from pydantic import Field

from linelogic_assets.providers.settings import ProviderSettings, Strict, secret


class OddsApiConfig(Strict):
    oddsapi: ProviderSettings
    monthly_quota_budget: int = Field(20_000, ge=0)  # The Odds API credits we allow ourselves per month


class OddsApiSimulatorSettings(Strict):
    oddsapi_keys: list[str] = secret(["demo"])
    oddsapi_monthly_quota: int = Field(20_000_000, ge=0)  # credits per key before OUT_OF_USAGE_CREDITS
    oddsapi_rate_per_second: float = Field(30.0, gt=0)  # EXCEEDED_FREQ_LIMIT above this
    historical_interval_minutes: int = Field(5, ge=1)  # snapshot cadence (10 before 2022-09)
