"""Canonical teams per league, loaded from the YAML files beside this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from linelogic_assets.sports import league_for

_DIR = Path(__file__).parent / "teams"


@dataclass(frozen=True)
class Team:
    id: str  # canonical team id, e.g. "nba-lal"
    league: str  # nba | nfl | mlb | nhl
    full_name: str  # the name The Odds API uses, e.g. "Los Angeles Clippers"
    location: str  # city or region, e.g. "Los Angeles"
    name: str  # nickname, e.g. "Clippers"
    abbreviation: str
    conference: str  # NBA East/West, NFL AFC/NFC, MLB American/National, NHL Eastern/Western
    division: str
    balldontlie_id: int | None = None
    # how BALLDONTLIE spells it where that differs (e.g. "LA Clippers", city "LA")
    balldontlie_full_name: str | None = None
    balldontlie_location: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


@cache
def teams_for(league: str) -> tuple[Team, ...]:
    """All current teams of a league (`nba` or `basketball_nba`), in file order."""
    slug = league_for(league).league
    rows = yaml.safe_load((_DIR / f"{slug}.yaml").read_text())
    return tuple(Team(league=slug, **{**row, "aliases": tuple(row.get("aliases", ()))}) for row in rows)
