"""Canonical teams per league, loaded from the YAML files beside this module."""

from __future__ import annotations

import re
import unicodedata
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


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing folded away: "L.A. Clippers" == "la clippers"."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", folded.replace(".", "")).split())


class TeamIndex:
    """Exact lookup of a league's teams by any known spelling; never a guess.

    Full names, BALLDONTLIE spellings, "location name", abbreviations, registry aliases and the
    manual aliases from `config/mappings/overrides.yaml` all resolve. Anything else returns None,
    and the caller decides (fuzzy matching against a known slate, or quarantine).
    """

    def __init__(self, league: str, extra_aliases: dict[str, str] | None = None) -> None:
        self.teams = teams_for(league)
        self.by_id = {t.id: t for t in self.teams}
        self.by_balldontlie_id = {t.balldontlie_id: t for t in self.teams if t.balldontlie_id is not None}
        self._by_name: dict[str, Team] = {}
        for t in self.teams:
            spellings = [t.full_name, f"{t.location} {t.name}", t.abbreviation, t.id, *t.aliases]
            if t.balldontlie_full_name:
                spellings.append(t.balldontlie_full_name)
            for s in spellings:
                self._by_name.setdefault(normalise_name(s), t)
        for alias, team_id in (extra_aliases or {}).items():
            if team_id not in self.by_id:
                raise KeyError(f"override alias {alias!r} names unknown team {team_id!r}")
            self._by_name[normalise_name(alias)] = self.by_id[team_id]

    def resolve(self, name: object) -> Team | None:
        return self._by_name.get(normalise_name(name)) if isinstance(name, str) and name else None

    def balldontlie(self, obj: object, flat_id: object = None) -> tuple[Team | None, str, str | None]:
        """(team, BALLDONTLIE's name for it, its BALLDONTLIE id) from a team object or a bare id.

        The id decides; the name is tried when the id is unknown (another league's numbering). An id
        that is not a whole number, or a name that is not text, is ignored: ("", None) when nothing is left.
        """
        if isinstance(obj, dict):
            tid = _team_id(obj.get("id"))
            names = (obj.get(k) for k in ("full_name", "display_name", "name"))
            name = next((n for n in names if isinstance(n, str) and n.strip()), None)
            team = self.by_balldontlie_id.get(tid) if tid is not None else None
            shown = name or ("" if tid is None else str(tid))
            return team or self.resolve(name), shown, None if tid is None else str(tid)
        tid = _team_id(flat_id)
        if tid is not None:
            team = self.by_balldontlie_id.get(tid)
            return team, team.full_name if team else f"balldontlie team {tid}", str(tid)
        return None, "", None

    def spellings(self, team: Team) -> list[str]:
        return [k for k, v in self._by_name.items() if v is team]


def _team_id(value: object) -> int | None:
    """A BALLDONTLIE team id: a whole number (never a bool, a float, text or an object)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
