"""Canonical teams per league, loaded from the YAML files beside this module."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # per provider (by registry name), from the YAML keys `<provider>_id`, `<provider>_full_name` and
    # `<provider>_location`: its id for the team, and how it spells the team where that differs
    # (e.g. "LA Clippers", city "LA"); not hashed, so a Team stays usable as a key
    provider_ids: Mapping[str, int] = field(default_factory=dict, hash=False)
    provider_full_names: Mapping[str, str] = field(default_factory=dict, hash=False)
    provider_locations: Mapping[str, str] = field(default_factory=dict, hash=False)


@cache
def teams_for(league: str) -> tuple[Team, ...]:
    """All current teams of a league (`nba` or `basketball_nba`), in file order."""
    slug = league_for(league).league
    rows = yaml.safe_load((_DIR / f"{slug}.yaml").read_text())
    return tuple(_team(slug, row) for row in rows)


_OWN = {f.name for f in fields(Team)}
_PER_PROVIDER = (("_full_name", "provider_full_names"), ("_location", "provider_locations"), ("_id", "provider_ids"))


def _team(league: str, row: dict) -> Team:
    """A Team from its YAML row; a key `<provider>_id|_full_name|_location` goes to that provider's map."""
    own: dict = {"aliases": tuple(row.get("aliases", ()))}
    maps: dict[str, dict] = {m: {} for _, m in _PER_PROVIDER}
    for key, value in row.items():
        suffix = next((s for s, _ in _PER_PROVIDER if key not in _OWN and key.endswith(s)), None)
        if suffix is None:
            own.setdefault(key, value)
        elif value is not None:
            maps[dict(_PER_PROVIDER)[suffix]][key.removesuffix(suffix)] = value
    return Team(league=league, **own, **maps)


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing folded away: "L.A. Clippers" == "la clippers"."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", folded.replace(".", "")).split())


class TeamIndex:
    """Exact lookup of a league's teams by any known spelling; never a guess.

    Full names, providers' own spellings, "location name", abbreviations, registry aliases and the
    manual aliases from `config/mappings/overrides.yaml` all resolve. Anything else returns None,
    and the caller decides (fuzzy matching against a known slate, or quarantine).
    """

    def __init__(self, league: str, extra_aliases: dict[str, str] | None = None) -> None:
        self.teams = teams_for(league)
        # what the index is built from (the registry's teams are code): equal keys resolve alike
        self.key = (league, tuple(sorted((extra_aliases or {}).items())))
        self.by_id = {t.id: t for t in self.teams}
        self.by_provider_id: dict[str, dict[int, Team]] = {}  # provider → its team id → team
        for t in self.teams:
            for provider, pid in t.provider_ids.items():
                self.by_provider_id.setdefault(provider, {})[pid] = t
        self._by_name: dict[str, Team] = {}
        for t in self.teams:
            spellings = [t.full_name, f"{t.location} {t.name}", t.abbreviation, t.id, *t.aliases]
            spellings += [s for s in t.provider_full_names.values() if s]
            for s in spellings:
                self._by_name.setdefault(normalise_name(s), t)
        for alias, team_id in (extra_aliases or {}).items():
            if team_id not in self.by_id:
                raise KeyError(f"override alias {alias!r} names unknown team {team_id!r}")
            self._by_name[normalise_name(alias)] = self.by_id[team_id]

    def resolve(self, name: object) -> Team | None:
        return self._by_name.get(normalise_name(name)) if isinstance(name, str) and name else None

    def spellings(self, team: Team) -> list[str]:
        return [k for k, v in self._by_name.items() if v is team]

