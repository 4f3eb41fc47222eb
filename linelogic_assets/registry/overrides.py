"""Manual mapping overrides from `config/mappings/overrides.yaml`, validated like the main config."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from linelogic_assets.config import ConfigError, format_errors
from linelogic_assets.sports import SPORT_KEYS

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "mappings" / "overrides.yaml"


class EventOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str
    provider_event_id: str
    sport: str
    home_team: str
    away_team: str
    start_time_utc: datetime

    @field_validator("start_time_utc")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("start_time_utc must carry a timezone (e.g. a trailing Z)")
        return v


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_aliases: dict[str, dict[str, str]] = {}
    events: list[EventOverride] = []

    @field_validator("team_aliases")
    @classmethod
    def _known_sports(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        unknown = set(v) - set(SPORT_KEYS)
        if unknown:
            raise ValueError(f"unknown sport(s) {sorted(unknown)}; known: {', '.join(SPORT_KEYS)}")
        return {k: dict(a or {}) for k, a in v.items()}

    def aliases(self, sport: str) -> dict[str, str]:
        return self.team_aliases.get(sport, {})

    def event(self, provider: str, provider_event_id: str) -> EventOverride | None:
        for e in self.events:
            if e.provider == provider and e.provider_event_id == provider_event_id:
                return e
        return None


def load_overrides(path: str | Path | None = None) -> Overrides:
    """LINELOGIC_OVERRIDES, else `path`, else the committed file; a bad entry fails naming its key."""
    p = Path(os.environ.get("LINELOGIC_OVERRIDES") or path or DEFAULT_PATH)
    raw = yaml.safe_load(p.read_text()) if p.exists() else {}
    try:
        return Overrides.model_validate(raw or {})
    except ValidationError as err:
        raise ConfigError(format_errors(err, p.name)) from None
