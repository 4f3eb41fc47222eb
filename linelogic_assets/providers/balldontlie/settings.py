"""BALLDONTLIE's sections of config/ingest.yaml, and its part of the simulator's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from linelogic_assets.providers.settings import ProviderSettings, Strict, secret

# each league's API path; a league missing here has no BALLDONTLIE API
PATH_PREFIX = {"nba": "/v1", "nfl": "/nfl/v1", "mlb": "/mlb/v1"}


class BallDontLieConfig(Strict):
    balldontlie: ProviderSettings
    balldontlie_tier: Literal["FREE", "ALL-STAR", "GOAT"] = "GOAT"


class BallDontLieSimulatorSettings(Strict):
    balldontlie_keys: list[str] = secret(["demo"])
    balldontlie_tier: str = Field("GOAT", pattern="^(FREE|ALL-STAR|GOAT)$")
    # requests per minute per tier; None disables the simulator's BALLDONTLIE rate limit
    balldontlie_rate_per_minute: dict[str, int] | None = {"FREE": 5, "ALL-STAR": 60, "GOAT": 600}
