"""BALLDONTLIE (NBA /v1 and /nba/v1, NFL /nfl/v1, MLB /mlb/v1): auth, tiers, cursor pages, bodies."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from linelogic_assets.providers.balldontlie.simulated_people import (
    MLB_POSITION_NAMES,
    NFL_POSITION_NAMES,
    Player,
    all_players,
    box_score,
    injuries_on,
    rosters,
    team_bdl_id,
    unavailable,
)
from linelogic_assets.registry.teams import Team, teams_for
from linelogic_assets.simulator import faults as F
from linelogic_assets.simulator.limits import SlidingWindow
from linelogic_assets.simulator.lines import path_of, progress
from linelogic_assets.simulator.responses import SimResponse, iso_ms, iso_z
from linelogic_assets.simulator.schedule import DURATION_MIN, Game, season_schedule
from linelogic_assets.sports import BY_LEAGUE

# its game ids: base + (season - 2000) * 10_000 + index + 1, so an id decodes to its game.
GAME_BASE = {"nba": 15_000_000, "nfl": 7_000_000, "mlb": 5_000_000, "nhl": 9_000_000}


def game_id(g: Game) -> int:
    """The BALLDONTLIE id of a simulated game, from its place in the season's schedule."""
    return GAME_BASE[g.league] + (g.season - 2000) * 10_000 + g.index + 1


def game_by_bdl_id(league: str, bdl_id: int, seed: int) -> Game | None:
    rel = bdl_id - GAME_BASE[league] - 1
    if rel < 0:
        return None
    season, idx = 2000 + rel // 10_000, rel % 10_000
    if not 1990 <= season <= 2100:
        return None
    games = season_schedule(league, season, seed).games
    return games[idx] if idx < len(games) else None


AUTH_ERROR = "You either need an API key or your account tier does not have access to the endpoint"
_TIER_RANK = {"FREE": 0, "ALL-STAR": 1, "GOAT": 2}
_ENDPOINT_TIER = {
    "teams": 0,
    "players": 0,
    "games": 0,
    "players/active": 1,
    "stats": 1,
    "player_injuries": 1,
    "lineups": 2,
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORD = ("1st", "2nd", "3rd", "4th")


class BadRequest(Exception):
    pass


class NotFound(Exception):
    pass


def _list(q: dict[str, list[str]], name: str) -> list[str]:
    """Array params in bracket (`dates[]=`) or plain (`dates=`, also comma separated) form."""
    vals = q.get(name + "[]", []) + q.get(name, [])
    return [v.strip() for raw in vals for v in raw.split(",") if v.strip()]


def _ints(q: dict[str, list[str]], name: str) -> list[int]:
    try:
        return [int(v) for v in _list(q, name)]
    except ValueError:
        raise BadRequest(f"{name} must be integers") from None


def _date(value: str, name: str) -> date:
    if not _DATE.match(value):
        raise BadRequest(f"{name} must be a date in YYYY-MM-DD format")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a valid date") from None


def _one(q: dict[str, list[str]], name: str) -> str | None:
    v = q.get(name)
    return v[-1] if v else None


# path prefix → league; the bare /v1 is the NBA, as on the real API
PATH_PREFIXES = (("/nba/v1/", "nba"), ("/nfl/v1/", "nfl"), ("/mlb/v1/", "mlb"), ("/v1/", "nba"))


class BallDontLie:
    def __init__(self, settings, monotonic: Callable[[], float]) -> None:  # noqa: ANN001 - SimulatorSettings
        self.settings = settings
        self.seed = settings.seed
        self.market = settings.market  # the same world (paths, results) in every provider
        self.limiter = SlidingWindow(60.0, monotonic)

    # ------------------------------------------------------------ entry point

    def route(self, path: str, query: dict[str, list[str]], headers: dict[str, str], now: datetime, seq: int,
              fault: str | None) -> SimResponse | None:
        """The simulator's entry (`providers.base.SimulatorPart`): /v1 (NBA) and /<league>/v1, else None."""
        for prefix, league in PATH_PREFIXES:
            if path.startswith(prefix):
                return self.handle(league, path[len(prefix):], query, headers, now, seq, fault)
        return None

    def handle(
        self,
        league: str,
        rest: str,
        q: dict[str, list[str]],
        headers: dict[str, str],
        now: datetime,
        seq: int,
        fault: str | None,
    ) -> SimResponse:
        key = headers.get("authorization", "").strip()
        if not key or key not in self.settings.balldontlie_keys:
            return SimResponse.json(401, {"error": AUTH_ERROR})
        endpoint = rest.strip("/")
        parts = endpoint.split("/")
        base = "players/active" if endpoint == "players/active" else parts[0]
        if base not in _ENDPOINT_TIER or len(parts) > 2:
            return SimResponse.json(404, {"error": "Not found"})
        tier = self.settings.balldontlie_tier
        if _ENDPOINT_TIER[base] > _TIER_RANK[tier]:
            return SimResponse.json(401, {"error": AUTH_ERROR})
        if fault == F.TIMEOUT:
            return SimResponse(504, timeout=True)
        limits = self.settings.balldontlie_rate_per_minute
        if fault == F.RATE_LIMITED or (
            limits and tier in limits and not self.limiter.allow(key, limits[tier])
        ):
            return SimResponse.json(429, {"error": "You're rate limited"})
        if fault == F.SERVER_ERROR:
            return SimResponse.json(
                F.server_error_status(self.settings.faults, seq), {"error": "Internal Server Error"}
            )
        try:
            obj = self._route(league, base, parts, q, now)
        except BadRequest as e:
            return SimResponse.json(400, {"error": str(e)})
        except NotFound as e:
            return SimResponse.json(404, {"error": str(e)})
        resp = SimResponse.json(200, obj)
        if fault == F.TRUNCATED:
            resp.body = F.truncate(resp.body)
        return resp

    def _route(
        self, league: str, base: str, parts: list[str], q: dict[str, list[str]], now: datetime
    ) -> object:
        if len(parts) == 2 and base != "players/active":
            try:
                ident = int(parts[1])
            except ValueError:
                raise NotFound(f"{base} not found") from None
            if base == "teams":
                return {"data": self._team_by_id(league, ident)}
            if base == "players":
                p = next((p for p in all_players(league, self.seed) if p.id == ident), None)
                if p is None:
                    raise NotFound("Player not found")
                return {"data": self.player_json(league, p)}
            if base == "games":
                g = game_by_bdl_id(league, ident, self.seed)
                if g is None:
                    raise NotFound("Game not found")
                return {"data": self.game_json(g, now)}
            raise NotFound("Not found")
        if base == "teams":
            return {"data": self._teams(league, q)}
        if base in ("players", "players/active"):
            return self._page(self._players(league, q), q, lambda p: self.player_json(league, p))
        if base == "games":
            return self._page(self._games(league, q, now), q, lambda g: self.game_json(g, now))
        if base == "stats":
            return self._page(self._stats(league, q, now), q, lambda row: row)
        if base == "player_injuries":
            return self._page(self._injuries(league, q, now), q, lambda row: row)
        if base == "lineups":
            return self._page(self._lineups(league, q, now), q, lambda row: row)
        raise NotFound("Not found")

    def _page(
        self, items: list, q: dict[str, list[str]], render: Callable[[object], object]
    ) -> dict[str, object]:
        try:
            per_page = int(_one(q, "per_page") or 25)
            cursor = int(_one(q, "cursor") or 0)
        except ValueError:
            raise BadRequest("per_page and cursor must be integers") from None
        if per_page < 1 or cursor < 0:
            raise BadRequest("per_page must be positive and cursor non-negative")
        per_page = min(per_page, 100)
        chunk = items[cursor : cursor + per_page]
        meta: dict[str, object] = {"per_page": per_page}
        if cursor + per_page < len(items):
            meta["next_cursor"] = cursor + per_page
        return {"data": [render(x) for x in chunk], "meta": meta}

    # ------------------------------------------------------------ teams and players

    def team_json(self, team: Team) -> dict[str, object]:
        teams = teams_for(team.league)
        tid = team_bdl_id(team, teams)
        if team.league == "nba":
            return {
                "id": tid,
                "conference": team.conference,
                "division": team.division,
                "city": team.provider_locations.get("balldontlie") or team.location,
                "name": team.name,
                "full_name": team.provider_full_names.get("balldontlie") or team.full_name,
                "abbreviation": team.abbreviation,
            }
        if team.league == "nfl":
            return {
                "id": tid,
                "conference": team.conference,
                "division": team.division.upper(),
                "location": team.provider_locations.get("balldontlie") or team.location,
                "name": team.name,
                "full_name": team.provider_full_names.get("balldontlie") or team.full_name,
                "abbreviation": team.abbreviation,
            }
        full = team.provider_full_names.get("balldontlie") or team.full_name
        return {
            "id": tid,
            "slug": re.sub(r"[^a-z0-9]+", "-", full.lower()).strip("-"),
            "abbreviation": team.abbreviation,
            "display_name": full,
            "short_display_name": team.name,
            "name": team.name,
            "location": team.provider_locations.get("balldontlie") or team.location,
            "league": team.conference,
            "division": team.division,
        }

    def _teams(self, league: str, q: dict[str, list[str]]) -> list[dict[str, object]]:
        conf, div = _one(q, "conference"), _one(q, "division")
        rows = [self.team_json(t) for t in teams_for(league)]
        rows = [
            r
            for r in rows
            if (not conf or str(r.get("conference", r.get("league"))).lower() == conf.lower())
            and (not div or str(r["division"]).lower() == div.lower())
        ]
        return sorted(rows, key=lambda r: r["id"])

    def _team_by_id(self, league: str, tid: int) -> dict[str, object]:
        for t in teams_for(league):
            if team_bdl_id(t, teams_for(league)) == tid:
                return self.team_json(t)
        raise NotFound("Team not found")

    def player_json(self, league: str, p: Player, team_id_only: bool = False) -> dict[str, object]:
        ft, inch = divmod(p.height_in, 12)
        if league == "nba":
            row: dict[str, object] = {
                "id": p.id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "position": p.position,
                "height": f"{ft}-{inch}",
                "weight": str(p.weight),
                "jersey_number": str(p.jersey),
                "college": p.college,
                "country": p.country,
                "draft_year": p.draft_year,
                "draft_round": p.draft_round,
                "draft_number": p.draft_number,
            }
        elif league == "nfl":
            row = {
                "id": p.id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "position": NFL_POSITION_NAMES[p.position],
                "position_abbreviation": p.position,
                "height": f"{ft}' {inch}\"",
                "weight": f"{p.weight} lbs",
                "jersey_number": str(p.jersey),
                "college": p.college,
                "experience": f"{max(1, p.age - 21)}th Season",
                "age": p.age,
            }
        else:
            row = {
                "id": p.id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "full_name": f"{p.first_name} {p.last_name}",
                "debut_year": p.draft_year,
                "jersey": str(p.jersey),
                "college": p.college,
                "position": MLB_POSITION_NAMES[p.position],
                "active": True,
                "birth_place": p.country,
                "dob": None,
                "age": p.age,
                "height": f"{ft}' {inch}\"",
                "weight": f"{p.weight} lbs",
                "draft": None,
                "bats_throws": "Right/Right",
            }
        if team_id_only:
            row["team_id"] = team_bdl_id(p.team, teams_for(league))
        else:
            row["team"] = self.team_json(p.team)
        return row

    def _players(self, league: str, q: dict[str, list[str]]) -> list[Player]:
        team_ids, player_ids = set(_ints(q, "team_ids")), set(_ints(q, "player_ids"))
        search = (_one(q, "search") or "").lower()
        first, last = (_one(q, "first_name") or "").lower(), (_one(q, "last_name") or "").lower()
        out = []
        for p in all_players(league, self.seed):
            tid = team_bdl_id(p.team, teams_for(league))
            if team_ids and tid not in team_ids or player_ids and p.id not in player_ids:
                continue
            if search and search not in p.first_name.lower() and search not in p.last_name.lower():
                continue
            if first and first not in p.first_name.lower() or last and last not in p.last_name.lower():
                continue
            out.append(p)
        return sorted(out, key=lambda p: p.id)

    # ------------------------------------------------------------ games

    def _games(self, league: str, q: dict[str, list[str]], now: datetime) -> list[Game]:
        lg = BY_LEAGUE[league]
        dates = [_date(d, "dates") for d in _list(q, "dates")]
        seasons = _ints(q, "seasons") + ([int(s)] if (s := _one(q, "season")) and s.isdigit() else [])
        team_ids = set(_ints(q, "team_ids"))
        weeks = set(_ints(q, "weeks")) | ({int(w)} if (w := _one(q, "week")) and w.isdigit() else set())
        game_ids = set(_ints(q, "game_ids"))
        start = _date(s, "start_date") if (s := _one(q, "start_date")) else None
        end = _date(e, "end_date") if (e := _one(q, "end_date")) else None
        post = (_one(q, "postseason") or "").lower()
        if post == "true":
            return []  # the simulator has no postseason
        if game_ids and not (dates or seasons):
            found = [game_by_bdl_id(league, i, self.seed) for i in sorted(game_ids)]
            games = [g for g in found if g is not None]
        else:
            if dates:
                pool = {lg.season_of(d) for d in dates}
            elif seasons:
                pool = set(seasons)
            elif start or end:
                lo = start or date(2019, 1, 1)
                hi = end or now.date()
                pool = {lg.season_of(lo + timedelta(days=k)) for k in range(0, (hi - lo).days + 1, 28)}
                pool |= {lg.season_of(hi)}
            else:
                pool = set(range(2019, lg.season_of(now.date()) + 1))
            games = []
            for s in sorted(pool):
                sched = season_schedule(league, s, self.seed)
                if dates:
                    for d in dates:
                        games += sched.by_slate.get(d, ())
                else:
                    games += sched.games
            if seasons:
                games = [g for g in games if g.season in seasons]
        teams = teams_for(league)
        out = []
        for g in games:
            if (
                team_ids
                and team_bdl_id(g.home, teams) not in team_ids
                and team_bdl_id(g.away, teams) not in team_ids
            ):
                continue
            if start and g.slate_date < start or end and g.slate_date > end:
                continue
            if weeks and g.week not in weeks or game_ids and game_id(g) not in game_ids:
                continue
            out.append(g)
        return sorted(set(out), key=game_id)

    def _state(self, g: Game, now: datetime) -> tuple[str, int, int, int, int, float]:
        """(phase, home, away, period index (0-based), share of period) with phase
        scheduled | live | final | postponed."""
        ts = int(now.timestamp())
        if g.postponed_at is not None and ts >= g.postponed_at.timestamp():
            return "postponed", 0, 0, 0, 0.0
        if ts < g.commence_ts:
            return "scheduled", 0, 0, 0, 0.0
        res = path_of(self.seed, g, self.market).result
        if ts >= g.end_ts:
            return "final", res.home_score, res.away_score, len(res.home_by_period), 0.0
        h, a, c, frac = progress(res, (ts - g.commence_ts) / (DURATION_MIN[g.league] * 60))
        return "live", h, a, c, frac

    def game_json(self, g: Game, now: datetime) -> dict[str, object]:
        phase, h, a, c, frac = self._state(g, now)
        if g.league == "nba":
            return self._nba_game(g, phase, h, a, c, frac)
        if g.league == "nfl":
            return self._nfl_game(g, phase, h, a, c)
        return self._mlb_game(g, phase, h, a, c)

    def _nba_game(self, g: Game, phase: str, h: int, a: int, c: int, frac: float) -> dict[str, object]:
        res = path_of(self.seed, g, self.market).result if phase in ("live", "final") else None
        if phase == "scheduled":
            status, period, clock = iso_z(g.commence_ts), 0, ""
        elif phase == "postponed":
            status, period, clock = "Postponed", 0, ""
        elif phase == "final":
            status, period, clock = "Final", len(res.home_by_period), "Final"
        elif c == 2 and frac < 0.1:  # first moments of the 3rd period's slot = halftime
            status, period, clock = "Halftime", 2, "0:00"
            h, a = sum(res.home_by_period[:2]), sum(res.away_by_period[:2])
        else:
            status = f"{_ORD[c]} Qtr" if c < 4 else ("OT" if c == 4 else f"{c - 3}OT")
            secs = int((1 - frac) * (720 if c < 4 else 300))
            period, clock = c + 1, f"{secs // 60}:{secs % 60:02d}"
        return {
            "id": game_id(g),
            "date": g.slate_date.isoformat(),
            "season": g.season,
            "status": status,
            "period": period,
            "time": clock,
            "postseason": False,
            "home_team_score": h,
            "visitor_team_score": a,
            "datetime": iso_ms(g.commence_ts),
            "home_team": self.team_json(g.home),
            "visitor_team": self.team_json(g.away),
        }

    def _nfl_game(self, g: Game, phase: str, h: int, a: int, c: int) -> dict[str, object]:
        res = path_of(self.seed, g, self.market).result if phase in ("live", "final") else None
        if phase == "final":
            status = "Final/OT" if len(res.home_by_period) > 4 else "Final"
        elif phase == "live":
            status = f"{_ORD[c]} Quarter" if c < 4 else "Overtime"
        else:
            status = {"scheduled": "Scheduled", "postponed": "Postponed"}[phase]
        played = len(res.home_by_period) if phase == "final" else (c + 1 if phase == "live" else 0)

        def q(side: tuple[int, ...] | None, i: int) -> int | None:
            return side[i] if side is not None and i < played and i < len(side) else None

        hp = res.home_by_period if res else None
        ap = res.away_by_period if res else None
        row: dict[str, object] = {
            "id": game_id(g),
            "visitor_team": self.team_json(g.away),
            "home_team": self.team_json(g.home),
            "summary": (
                f"{g.home.name if h > a else g.away.name} defeat {g.away.name if h > a else g.home.name} "
                f"{max(h, a)}-{min(h, a)}"
            )
            if phase == "final"
            else None,
            "venue": f"{g.home.location} Stadium",
            "week": g.week,
            "date": iso_ms(g.commence_ts),
            "season": g.season,
            "postseason": False,
            "status": status,
            "home_team_score": h,
            "visitor_team_score": a,
        }
        for prefix, side in (("home_team", hp), ("visitor_team", ap)):
            for i in range(4):
                row[f"{prefix}_q{i + 1}"] = q(side, i)
            row[f"{prefix}_ot"] = q(side, 4)
        return row

    def _mlb_game(self, g: Game, phase: str, h: int, a: int, c: int) -> dict[str, object]:
        res = path_of(self.seed, g, self.market).result if phase in ("live", "final") else None
        status = {
            "scheduled": "STATUS_SCHEDULED",
            "live": "STATUS_IN_PROGRESS",
            "final": "STATUS_FINAL",
            "postponed": "STATUS_POSTPONED",
        }[phase]
        played = len(res.home_by_period) if phase == "final" else (c + 1 if phase == "live" else 0)

        def side(by: tuple[int, ...] | None, runs: int, salt: int) -> dict[str, object]:
            innings = list(by[:played]) if by else []
            if phase == "live" and innings:
                innings[-1] = max(0, runs - sum(innings[:-1]))
            return {
                "hits": runs + (g.index * salt) % 5 + (runs // 2),
                "runs": runs,
                "errors": (g.index + salt) % 3 // 2,
                "inning_scores": innings,
            }

        inning = played if phase != "scheduled" else 0
        return {
            "id": game_id(g),
            "home_team_name": g.home.full_name,
            "away_team_name": g.away.full_name,
            "home_team": self.team_json(g.home),
            "away_team": self.team_json(g.away),
            "season": g.season,
            "postseason": False,
            "season_type": "regular",
            "date": iso_ms(g.commence_ts),
            "home_team_data": side(res.home_by_period if res else None, h, 3),
            "away_team_data": side(res.away_by_period if res else None, a, 7),
            "venue": f"{g.home.location} Ballpark",
            "attendance": 20_000 + (g.index * 7919) % 25_000 if phase == "final" else 0,
            "conference_play": g.home.conference == g.away.conference,
            "period": inning,
            "clock": 0,
            "display_clock": "0:00",
            "scoring_summary": [],
            "status": status,
        }

    # ------------------------------------------------------------ stats, injuries, lineups

    def _stats(self, league: str, q: dict[str, list[str]], now: datetime) -> list[dict[str, object]]:
        if league != "nba":
            return []  # per-player lines are simulated for the NBA only
        player_ids = set(_ints(q, "player_ids"))
        gq = {k: v for k, v in q.items() if k not in ("player_ids", "player_ids[]", "cursor", "per_page")}
        if player_ids and not any(
            k.split("[")[0] in ("game_ids", "dates", "seasons", "start_date", "end_date") for k in gq
        ):
            gq["seasons"] = [str(BY_LEAGUE[league].season_of(now.date()))]
        if player_ids:
            tids = {
                team_bdl_id(p.team, teams_for(league))
                for p in all_players(league, self.seed)
                if p.id in player_ids
            }
            gq["team_ids"] = [str(t) for t in tids] or ["-1"]
        rows = []
        for g in self._games(league, gq, now):
            phase = self._state(g, now)[0]
            if phase != "final":
                continue
            game_flat = self._flat_game(g, now)
            res = path_of(self.seed, g, self.market).result
            for home in (True, False):
                for line in box_score(self.seed, g, home, res.home_score if home else res.away_score):
                    if player_ids and line.player.id not in player_ids:
                        continue
                    rows.append(self._stat_json(g, line, game_flat))
        return rows

    def _flat_game(self, g: Game, now: datetime) -> dict[str, object]:
        full = self.game_json(g, now)
        teams = teams_for(g.league)
        return {
            k: full[k]
            for k in (
                "id",
                "date",
                "season",
                "status",
                "period",
                "time",
                "postseason",
                "home_team_score",
                "visitor_team_score",
            )
        } | {"home_team_id": team_bdl_id(g.home, teams), "visitor_team_id": team_bdl_id(g.away, teams)}

    def _stat_json(self, g: Game, s, game_flat: dict[str, object]) -> dict[str, object]:  # noqa: ANN001 - StatLine
        def pct(m: int, a: int) -> float:
            return round(m / a, 3) if a else 0.0

        return {
            "id": game_id(g) * 100 + s.player.id % 100 + (0 if s.player.team is g.home else 50),
            "min": f"{s.minutes:02d}",
            "fgm": s.fgm,
            "fga": s.fga,
            "fg_pct": pct(s.fgm, s.fga),
            "fg3m": s.fg3m,
            "fg3a": s.fg3a,
            "fg3_pct": pct(s.fg3m, s.fg3a),
            "ftm": s.ftm,
            "fta": s.fta,
            "ft_pct": pct(s.ftm, s.fta),
            "oreb": s.oreb,
            "dreb": s.dreb,
            "reb": s.oreb + s.dreb,
            "ast": s.ast,
            "stl": s.stl,
            "blk": s.blk,
            "turnover": s.turnover,
            "pf": s.pf,
            "pts": s.pts,
            "plus_minus": (game_flat["home_team_score"] - game_flat["visitor_team_score"])
            * (1 if s.player.team is g.home else -1)
            * s.minutes
            // 48,
            "player": self.player_json("nba", s.player, team_id_only=True),
            "team": self.team_json(s.player.team),
            "game": game_flat,
        }

    def _injuries(self, league: str, q: dict[str, list[str]], now: datetime) -> list[dict[str, object]]:
        team_ids, player_ids = set(_ints(q, "team_ids")), set(_ints(q, "player_ids"))
        day = now.astimezone(BY_LEAGUE[league].tz).date()
        rows = []
        for tid in sorted(rosters(league, self.seed)):
            if team_ids and tid not in team_ids:
                continue
            for inj in injuries_on(league, tid, day, self.seed):
                if player_ids and inj.player.id not in player_ids:
                    continue
                if league == "nba":
                    rows.append(
                        {
                            "player": self.player_json(league, inj.player, team_id_only=True),
                            "return_date": inj.return_date,
                            "description": inj.description,
                            "status": inj.status,
                        }
                    )
                elif league == "nfl":
                    rows.append(
                        {
                            "player": self.player_json(league, inj.player),
                            "status": inj.status,
                            "comment": inj.description,
                            "date": iso_ms(
                                int(datetime.combine(inj.start, datetime.min.time(), tzinfo=UTC).timestamp())
                            ),
                        }
                    )
                else:
                    rows.append(
                        {
                            "player": self.player_json(league, inj.player),
                            "date": iso_ms(
                                int(datetime.combine(inj.start, datetime.min.time(), tzinfo=UTC).timestamp())
                            ),
                            "return_date": inj.end.isoformat() if inj.end else None,
                            "type": inj.body_part,
                            "detail": inj.body_part,
                            "side": None,
                            "status": inj.status,
                            "long_comment": inj.description,
                            "short_comment": inj.description,
                        }
                    )
        return rows

    def _lineups(self, league: str, q: dict[str, list[str]], now: datetime) -> list[dict[str, object]]:
        game_ids = _ints(q, "game_ids")
        if not game_ids:
            raise BadRequest("game_ids is required")
        if league != "nba":
            return []  # lineups are simulated for the NBA only
        rows = []
        teams = teams_for(league)
        for gid in game_ids:
            g = game_by_bdl_id(league, gid, self.seed)
            if g is None or g.season < 2025 or self._state(g, now)[0] not in ("live", "final"):
                continue  # lineups exist from the 2025 season, once the game has begun
            for team in (g.home, g.away):
                tid = team_bdl_id(team, teams)
                out = unavailable(league, tid, g.slate_date, self.seed)
                roster = [p for p in rosters(league, self.seed)[tid] if p.id not in out]
                for i, p in enumerate(roster):
                    rows.append(
                        {
                            "id": gid * 100 + (0 if team is g.home else 50) + i,
                            "game_id": gid,
                            "starter": i < 5,
                            "position": p.position,
                            "player": self.player_json(league, p, team_id_only=True),
                            "team": self.team_json(team),
                        }
                    )
        return rows
