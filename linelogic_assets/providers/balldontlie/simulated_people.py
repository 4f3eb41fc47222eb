"""Seeded rosters, injuries, box-score lines and lineups for BALLDONTLIE."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

from linelogic_assets.registry.teams import Team, teams_for
from linelogic_assets.simulator.rng import rng_for
from linelogic_assets.simulator.schedule import Game, season_bounds

_FIRST = (
    "James Marcus Tyler Andre Jalen Devin Malik Jordan Isaiah Caleb Darius Trey Xavier Cole Evan Brandon Miles "
    "Jaylen Keegan Luka Nikola Tomas Mateo Ryan Kevin Derrick Aaron Bryce Cameron Dylan Gavin Zach Owen Chase "
    "Dante Elijah Khalil Reggie Terrence Victor Jamal Nolan Grant Shane Quentin Rashad Corey Donovan Austin Kyle"
).split()
_LAST = (
    "Walker Brooks Hayes Carter Mitchell Reed Coleman Jenkins Bryant Porter Fields Simmons Graham Warren Powell "
    "Holland Pierce Dalton Sutton Vasquez Okafor Mensah Novak Petrovic Lindqvist Moreau Castillo Thornton Barker "
    "Whitfield Ellison Nash Briggs Harmon Sloan Maddox Rowe Gentry Pruitt Lacy Sykes Crane Doyle Fenner Ashby "
    "Calloway Redd Haskins Oduya Kamara Tate Boyd Lowry Frazier Keaton Pryor Vance Wilder Yates Abbott Mercer"
).split()
_COLLEGES = (
    "Duke",
    "Kentucky",
    "Kansas",
    "UCLA",
    "Gonzaga",
    "Villanova",
    "Michigan",
    "Arizona",
    "Texas",
    "Alabama",
    "Ohio State",
    "LSU",
    "Georgia",
    "Stanford",
    "Baylor",
    "None",
)
_COUNTRIES = ("USA",) * 7 + ("Canada", "France", "Serbia", "Australia", "Nigeria", "Spain", "Germany")
_ROSTER = {
    "nba": ("G", "G", "G", "F", "F", "F", "C", "G", "F", "C", "G-F", "F-C", "G", "F", "C"),
    "nfl": ("QB",) * 3
    + ("RB",) * 4
    + ("WR",) * 6
    + ("TE",) * 3
    + ("OT", "OT", "OT", "G", "G", "G", "C", "C", "G")
    + ("DE",) * 5
    + ("DT",) * 4
    + ("LB",) * 7
    + ("CB",) * 6
    + ("S",) * 4
    + ("K", "P", "LS"),
    "mlb": ("SP",) * 5
    + ("RP",) * 8
    + ("C", "C", "1B", "2B", "3B", "SS", "LF", "CF", "RF", "DH", "IF", "OF", "UT"),
}
NFL_POSITION_NAMES = {
    "QB": "Quarterback",
    "RB": "Running Back",
    "WR": "Wide Receiver",
    "TE": "Tight End",
    "OT": "Offensive Tackle",
    "G": "Guard",
    "C": "Center",
    "DE": "Defensive End",
    "DT": "Defensive Tackle",
    "LB": "Linebacker",
    "CB": "Cornerback",
    "S": "Safety",
    "K": "Place Kicker",
    "P": "Punter",
    "LS": "Long Snapper",
}
MLB_POSITION_NAMES = {
    "SP": "Starting Pitcher",
    "RP": "Relief Pitcher",
    "C": "Catcher",
    "1B": "First Base",
    "2B": "Second Base",
    "3B": "Third Base",
    "SS": "Shortstop",
    "LF": "Left Field",
    "CF": "Center Field",
    "RF": "Right Field",
    "DH": "Designated Hitter",
    "IF": "Infielder",
    "OF": "Outfielder",
    "UT": "Utility",
}
_PLAYER_BASE = {"nba": 3_000_000, "nfl": 400_000, "mlb": 600_000}


@dataclass(frozen=True)
class Player:
    id: int
    first_name: str
    last_name: str
    position: str
    height_in: int
    weight: int
    jersey: int
    college: str
    country: str
    draft_year: int | None
    draft_round: int | None
    draft_number: int | None
    age: int
    team: Team
    skill: float  # share weight of team production


def team_bdl_id(team: Team, teams: tuple[Team, ...]) -> int:
    bdl_id = team.provider_ids.get("balldontlie")
    return bdl_id if bdl_id is not None else teams.index(team) + 1


@cache
def rosters(league: str, seed: int) -> dict[int, tuple[Player, ...]]:
    """BALLDONTLIE team id -> roster (one roster for all seasons)."""
    teams = teams_for(league)
    out: dict[int, tuple[Player, ...]] = {}
    for team in teams:
        tid = team_bdl_id(team, teams)
        rng = rng_for(seed, league, team.id, "roster")
        players = []
        used_jerseys: set[int] = set()
        for j, pos in enumerate(_ROSTER[league]):
            jersey = rng.randint(0, 99)
            while jersey in used_jerseys:
                jersey = (jersey + 1) % 100
            used_jerseys.add(jersey)
            base_h = {"G": 75, "F": 79, "C": 83, "G-F": 77, "F-C": 81}.get(pos, 74)
            drafted = rng.random() < 0.8
            dy = rng.randint(2008, 2024)
            players.append(
                Player(
                    id=_PLAYER_BASE[league] + tid * 100 + j,
                    first_name=rng.choice(_FIRST),
                    last_name=rng.choice(_LAST),
                    position=pos,
                    height_in=base_h + rng.randint(-2, 2),
                    weight=rng.randint(175, 260) if league != "nfl" else rng.randint(185, 330),
                    jersey=jersey,
                    college=rng.choice(_COLLEGES),
                    country=rng.choice(_COUNTRIES),
                    draft_year=dy if drafted else None,
                    draft_round=rng.randint(1, 2) if drafted else None,
                    draft_number=rng.randint(1, 60) if drafted else None,
                    age=rng.randint(21, 36),
                    team=team,
                    skill=rng.lognormvariate(0, 0.5) * (1.6 if j < 5 else 1.0),
                )
            )
        out[tid] = tuple(players)
    return out


def all_players(league: str, seed: int) -> list[Player]:
    return [p for roster in rosters(league, seed).values() for p in roster]


# ---------------------------------------------------------------- injuries

_INJURIES = (
    "Ankle",
    "Knee",
    "Hamstring",
    "Back",
    "Groin",
    "Calf",
    "Shoulder",
    "Wrist",
    "Foot",
    "Concussion",
    "Illness",
)


@dataclass(frozen=True)
class Injury:
    player: Player
    start: date
    end: date | None  # None: out for the season
    status: str  # Out | Questionable | Day-To-Day | Out For Season
    body_part: str

    @property
    def return_date(self) -> str | None:
        return None if self.end is None else f"{self.end:%b} {self.end.day}"

    @property
    def description(self) -> str:
        if self.end is None:
            return f"{self.body_part} - Out for the season"
        return f"{self.body_part} - Expected back around {self.return_date}"


@cache
def _season_injuries(league: str, season: int, tid: int, seed: int) -> tuple[Injury, ...]:
    from linelogic_assets.sports import BY_LEAGUE

    start, end = season_bounds(BY_LEAGUE[league], season)
    roster = rosters(league, seed)[tid]
    rng = rng_for(seed, league, season, tid, "injuries")
    span = (end - start).days + 40
    out = []
    for _ in range(max(6, len(roster) * 2 // 3)):
        p = rng.choice(roster)
        s = start - timedelta(days=20) + timedelta(days=rng.randint(0, span))
        roll = rng.random()
        if roll < 0.04:
            out.append(Injury(p, s, None, "Out For Season", rng.choice(_INJURIES)))
            continue
        status, days = (
            ("Day-To-Day", rng.randint(1, 4))
            if roll < 0.45
            else ("Questionable", rng.randint(2, 6))
            if roll < 0.65
            else ("Out", rng.randint(5, 30))
        )
        out.append(Injury(p, s, s + timedelta(days=days), status, rng.choice(_INJURIES)))
    return tuple(out)


def injuries_on(league: str, tid: int, day: date, seed: int) -> list[Injury]:
    from linelogic_assets.sports import BY_LEAGUE

    season = BY_LEAGUE[league].season_of(day)
    seen: dict[int, Injury] = {}
    for inj in _season_injuries(league, season, tid, seed):
        if inj.start <= day and (inj.end is None or day < inj.end):
            seen.setdefault(inj.player.id, inj)
    return sorted(seen.values(), key=lambda i: i.player.id)


def unavailable(league: str, tid: int, day: date, seed: int) -> set[int]:
    return {i.player.id for i in injuries_on(league, tid, day, seed) if i.status.startswith("Out")}


# ---------------------------------------------------------------- NBA box-score lines


@dataclass(frozen=True)
class StatLine:
    player: Player
    minutes: int
    fgm: int
    fga: int
    fg3m: int
    fg3a: int
    ftm: int
    fta: int
    oreb: int
    dreb: int
    ast: int
    stl: int
    blk: int
    turnover: int
    pf: int
    pts: int
    starter: bool


def _shoot(rng: random.Random, pts: int) -> tuple[int, int, int, int, int, int]:
    """Split points into made shots: 2*(fgm-fg3m) + 3*fg3m + ftm == pts."""
    ftm = min(pts, rng.randint(0, max(0, pts // 4)))
    fg3m = rng.randint(0, max(0, (pts - ftm) // 3) // 2 + (1 if pts - ftm >= 3 else 0))
    fg3m = min(fg3m, (pts - ftm) // 3)
    rest = pts - ftm - 3 * fg3m
    if rest % 2:
        ftm += 1
        rest -= 1
    fgm = rest // 2 + fg3m
    fg3a = fg3m + rng.randint(0, 4)
    fga = fgm + rng.randint(1, 9) if pts else rng.randint(0, 3)
    fga = max(fga, fg3a, fgm)
    fta = ftm + rng.randint(0, 2)
    return fgm, fga, fg3m, fg3a, ftm, fta


@lru_cache(maxsize=4096)
def box_score(seed: int, game: Game, home: bool, points: int) -> tuple[StatLine, ...]:
    """Lines for one team summing to `points`; players listed as Out sit."""
    teams = teams_for(game.league)
    team = game.home if home else game.away
    tid = team_bdl_id(team, teams)
    out_ids = unavailable(game.league, tid, game.slate_date, seed)
    roster = [p for p in rosters(game.league, seed)[tid] if p.id not in out_ids]
    rng = rng_for(seed, game.league, game.season, game.index, tid, "box")
    played = roster[: min(len(roster), rng.randint(9, 12))]
    weights = [p.skill * rng.uniform(0.5, 1.5) for p in played]
    minutes = _split_int(240, [w**0.5 for w in weights])
    shares = [w * m for w, m in zip(weights, minutes, strict=True)]
    pts = _split_int(points, shares)
    lines = []
    for i, (p, mins, pt) in enumerate(zip(played, minutes, pts, strict=True)):
        fgm, fga, fg3m, fg3a, ftm, fta = _shoot(rng, pt)
        oreb, dreb = rng.randint(0, 3), rng.randint(0, 3 + mins // 8)
        lines.append(
            StatLine(
                p,
                mins,
                fgm,
                fga,
                fg3m,
                fg3a,
                ftm,
                fta,
                oreb,
                dreb,
                rng.randint(0, 2 + mins // 6),
                rng.randint(0, 2),
                rng.randint(0, 2),
                rng.randint(0, 4),
                rng.randint(0, 5),
                pt,
                i < 5,
            )
        )
    return tuple(lines)


def _split_int(total: int, weights: list[float]) -> list[int]:
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out
