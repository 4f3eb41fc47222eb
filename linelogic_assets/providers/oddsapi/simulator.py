"""The Odds API v4: routing, validation, billing and response bodies (provider_apis.md §1)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from linelogic_assets.registry.teams import Team
from linelogic_assets.simulator import faults as F
from linelogic_assets.simulator.books import BOOKS, BY_KEY, REGIONS, Book
from linelogic_assets.simulator.limits import Quota, SlidingWindow
from linelogic_assets.simulator.lines import GamePath, book_outcomes, book_quote, path_of, progress, track
from linelogic_assets.simulator.responses import SimResponse, iso_z, parse_iso
from linelogic_assets.simulator.schedule import Game, games_between, listed_games, season_bounds
from linelogic_assets.simulator.settings import SimulatorSettings
from linelogic_assets.simulator.snapshots import SnapshotGrid
from linelogic_assets.sports import LEAGUES

DOCS = "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html#"
FEATURED = ("h2h", "spreads", "totals", "outrights", "h2h_lay")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_MARKET_KEY = re.compile(r"^[a-z0-9_]+$")
_PRICED = ("h2h", "spreads", "totals")  # markets the simulator has prices for (+ h2h_lay on exchanges)
_LEAGUE_OF_SPORT = {k: lg.league for k, lg in LEAGUES.items()}
_DAY = 86_400


class OddsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict[str, str]:
    return {"message": message, "error_code": code, "details_url": DOCS + code.lower().replace("_", "-")}


def renamed(team: Team) -> str:
    """A shorter spelling the provider sometimes uses ("LA Clippers"), else the canonical one."""
    for alt in (*team.provider_full_names.values(), *team.aliases):
        if alt and alt != team.full_name and alt.endswith(" " + team.name) and len(alt) < len(team.full_name):
            return alt
    return team.full_name


@dataclass
class _Req:
    """Parsed, validated parameters of one request."""

    q: dict[str, list[str]]
    now: datetime
    seq: int

    def get(self, name: str) -> str | None:
        v = self.q.get(name)
        return v[-1] if v else None


class OddsApi:
    def __init__(self, settings: SimulatorSettings, monotonic: Callable[[], float]) -> None:
        self.settings = settings
        self.seed = settings.seed
        self.market = settings.market  # the same world (paths, results) in every provider
        self.quota = Quota(settings.oddsapi_monthly_quota)
        self.limiter = SlidingWindow(1.0, monotonic)
        self.grid = SnapshotGrid(settings.historical_interval_minutes, settings.seed)

    # ------------------------------------------------------------ entry point

    def route(self, path: str, query: dict[str, list[str]], headers: dict[str, str], now: datetime, seq: int,
              fault: str | None) -> SimResponse | None:
        """The simulator's entry (`providers.base.SimulatorPart`): every path under /v4, else None."""
        if path.startswith("/v4/") or path == "/v4":
            return self.handle(path, query, now, seq, fault)
        return None

    def handle(
        self, path: str, query: dict[str, list[str]], now: datetime, seq: int, fault: str | None
    ) -> SimResponse:
        req = _Req(query, now, seq)
        key = req.get("apiKey") or req.get("api_key")
        if not key:
            return self._error(
                OddsError(
                    401, "MISSING_KEY", "API key is missing. Get an API key at https://the-odds-api.com"
                )
            )
        if key not in self.settings.oddsapi_keys:
            return self._error(
                OddsError(
                    401, "INVALID_KEY", "API key is not valid. Get an API key at https://the-odds-api.com"
                )
            )
        month = now.strftime("%Y-%m")
        faults = self.settings.faults
        if fault == F.TIMEOUT:
            return SimResponse(504, timeout=True)
        if fault == F.RATE_LIMITED or not self.limiter.allow(key, self.settings.oddsapi_rate_per_second):
            headers = {**self.quota.headers(key, month, 0), "Retry-After": str(faults.retry_after_seconds)}
            return self._error(
                OddsError(
                    429, "EXCEEDED_FREQ_LIMIT", "Frequency limit exceeded. Slow down the rate of requests."
                ),
                headers,
            )
        if fault == F.SERVER_ERROR:
            status = F.server_error_status(faults, seq)
            return SimResponse.json(
                status, {"message": "Internal server error"}, self.quota.headers(key, month, 0)
            )
        try:
            obj, cost = self._route(path, req)
        except OddsError as e:
            return self._error(e, self.quota.headers(key, month, 0))
        if not self.quota.try_charge(key, month, 0 if fault == F.TRUNCATED else cost):
            return self._error(
                OddsError(
                    401,
                    "OUT_OF_USAGE_CREDITS",
                    "Usage quota has been reached. See usage plans at https://the-odds-api.com",
                ),
                self.quota.headers(key, month, 0),
            )
        if fault == F.TRUNCATED:
            resp = SimResponse.json(200, obj, self.quota.headers(key, month, 0))
            resp.body = F.truncate(resp.body)
            return resp
        return SimResponse.json(200, obj, self.quota.headers(key, month, cost))

    def _error(self, e: OddsError, headers: dict[str, str] | None = None) -> SimResponse:
        return SimResponse.json(e.status, error_body(e.code, e.message), headers)

    # ------------------------------------------------------------ routing

    def _route(self, path: str, req: _Req) -> tuple[object, int]:
        parts = [p for p in path.split("/") if p][1:]  # drop "v4"
        historical = bool(parts) and parts[0] == "historical"
        if historical:
            parts = parts[1:]
        if parts == ["sports"] and not historical:
            return self._sports(req), 0
        if len(parts) < 3 or parts[0] != "sports":
            raise OddsError(404, "NOT_FOUND", "Resource not found")
        sport = parts[1]
        if sport not in LEAGUES and sport != "upcoming":
            raise OddsError(404, "UNKNOWN_SPORT", "Unknown sport. Get a list of sports from /v4/sports")
        rest = parts[2:]
        if historical:
            ts, envelope = self._snapshot(req)
        else:
            ts, envelope = int(req.now.timestamp()), None
        if rest == ["odds"]:
            obj, cost = self._odds(sport, req, ts)
        elif rest == ["events"]:
            obj = self._events(sport, req, ts)
            cost = (1 if obj else 0) if historical else 0
        elif rest == ["scores"] and not historical:
            return self._scores(sport, req, ts)
        elif len(rest) == 3 and rest[0] == "events" and rest[2] == "odds":
            obj, cost = self._event_odds(sport, rest[1], req, ts)
        else:
            raise OddsError(404, "NOT_FOUND", "Resource not found")
        if envelope is None:
            return obj, cost
        return {**envelope, "data": obj}, cost * (10 if rest[-1] == "odds" else 1)

    # ------------------------------------------------------------ parameters

    def _unix(self, req: _Req) -> bool:
        fmt = req.get("dateFormat") or "iso"
        if fmt not in ("iso", "unix"):
            raise OddsError(422, "INVALID_DATE_FORMAT", "Invalid dateFormat. Valid values are iso, unix")
        return fmt == "unix"

    def _time(self, ts: int | None, unix: bool) -> str | int | None:
        if ts is None:
            return None
        return ts if unix else iso_z(ts)

    def _books(self, req: _Req, day_ts: int) -> tuple[list[Book], int]:
        """Requested books and the number of billed regions."""
        bookmakers = req.get("bookmakers")
        if bookmakers:
            keys = [k.strip() for k in bookmakers.split(",") if k.strip()]
            books = [BY_KEY[k] for k in dict.fromkeys(keys) if k in BY_KEY]
            regions = max(1, math.ceil(len(keys) / 10))
        else:
            raw = req.get("regions")
            if not raw:
                raise OddsError(
                    422, "MISSING_REGION", "Missing regions. Specify at least one region, e.g. regions=us"
                )
            regs = list(dict.fromkeys(r.strip() for r in raw.split(",") if r.strip()))
            bad = [r for r in regs if r not in REGIONS]
            if bad or not regs:
                raise OddsError(
                    422,
                    "INVALID_REGION",
                    f"Invalid regions: {','.join(bad)}. Valid regions are {','.join(REGIONS)}",
                )
            books = [b for b in BOOKS if b.region in regs]
            regions = len(regs)
        day = datetime.fromtimestamp(day_ts, UTC).date()
        return [b for b in books if b.active_on(day)], regions

    def _markets(self, req: _Req, featured_only: bool) -> list[str]:
        raw = req.get("markets") or "h2h"
        mks = list(dict.fromkeys(m.strip() for m in raw.split(",") if m.strip()))
        bad = [m for m in mks if (m not in FEATURED if featured_only else not _MARKET_KEY.match(m))]
        if bad or not mks:
            raise OddsError(
                422, "INVALID_MARKET", f"Markets not supported by this endpoint: {', '.join(bad)}"
            )
        return mks

    def _american(self, req: _Req) -> bool:
        fmt = req.get("oddsFormat") or "decimal"
        if fmt not in ("decimal", "american"):
            raise OddsError(
                422, "INVALID_ODDS_FORMAT", "Invalid oddsFormat. Valid values are decimal, american"
            )
        return fmt == "american"

    def _event_ids(self, req: _Req) -> set[str] | None:
        raw = req.get("eventIds")
        if raw is None:
            return None
        ids = [i.strip() for i in raw.split(",") if i.strip()]
        if any(not _HEX32.match(i) for i in ids):
            raise OddsError(
                422, "INVALID_EVENT_ID", "Invalid eventIds. Event ids are 32 character hex strings"
            )
        return set(ids)

    def _commence(self, req: _Req) -> tuple[int | None, int | None]:
        out: list[int | None] = []
        for name, code in (
            ("commenceTimeFrom", "INVALID_COMMENCE_TIME_FROM"),
            ("commenceTimeTo", "INVALID_COMMENCE_TIME_TO"),
        ):
            raw = req.get(name)
            if raw is None:
                out.append(None)
                continue
            try:
                out.append(int(parse_iso(raw).timestamp()))
            except ValueError:
                raise OddsError(
                    422, code, f"Invalid {name}. Use ISO 8601 format, e.g. 2024-05-03T00:30:00Z"
                ) from None
        return out[0], out[1]

    def _snapshot(self, req: _Req) -> tuple[int, dict[str, object]]:
        raw = req.get("date")
        if not raw:
            raise OddsError(
                422, "MISSING_HISTORICAL_TIMESTAMP", "Missing date. Specify a date in ISO 8601 format"
            )
        try:
            ts = int(parse_iso(raw).timestamp())
        except ValueError:
            raise OddsError(
                422,
                "INVALID_HISTORICAL_TIMESTAMP",
                "Invalid date. Use ISO 8601 format, e.g. 2021-10-18T12:00:00Z",
            ) from None
        now = int(req.now.timestamp())
        if ts > now:
            raise OddsError(422, "INVALID_HISTORICAL_TIMESTAMP", "Invalid date. The date must be in the past")
        snap, prev, nxt = self.grid.at_or_before(ts)
        unix = self._unix(req)
        return snap, {
            "timestamp": self._time(snap, unix),
            "previous_timestamp": self._time(prev, unix),
            "next_timestamp": self._time(nxt if nxt <= now else None, unix),
        }

    # ------------------------------------------------------------ event selection

    def _listed(self, sport: str, ts: int, req: _Req, use_commence: bool = True) -> list[Game]:
        ids = self._event_ids(req)
        lo, hi = self._commence(req) if use_commence else (None, None)
        if sport == "upcoming":  # live games plus the next 8, across sports; commence filters ignored
            games = sorted(
                (g for s in LEAGUES for g in listed_games(_LEAGUE_OF_SPORT[s], ts, self.seed)),
                key=lambda g: (g.commence_ts, g.event_id),
            )
            live = [g for g in games if g.commence_ts <= ts]
            games = live + [g for g in games if g.commence_ts > ts][:8]
            lo = hi = None
        else:
            games = listed_games(_LEAGUE_OF_SPORT[sport], ts, self.seed)
        return [
            g
            for g in games
            if (ids is None or g.event_id in ids)
            and (lo is None or g.commence_ts >= lo)
            and (hi is None or g.commence_ts <= hi)
        ]

    def _header(self, g: Game, unix: bool) -> dict[str, object]:
        drift = self.settings.faults.schema_drift.renamed_teams
        lg = LEAGUES[_sport_key(g)]
        return {
            "id": g.event_id,
            "sport_key": lg.sport_key,
            "sport_title": lg.title,
            "commence_time": self._time(g.commence_ts, unix),
            "home_team": renamed(g.home) if drift else g.home.full_name,
            "away_team": renamed(g.away) if drift else g.away.full_name,
        }

    def _dupes(self, rows: list, seq: int) -> list:
        if rows and F.duplicate_events(self.settings.faults, seq):
            i = seq % len(rows)
            rows = rows[: i + 1] + [rows[i]] + rows[i + 1 :]
        return rows

    # ------------------------------------------------------------ endpoints

    def _sports(self, req: _Req) -> list[dict[str, object]]:
        show_all = (req.get("all") or "false").lower()
        if show_all not in ("true", "false"):
            raise OddsError(
                422, "INVALID_ALL_SPORTS_PARAM", "Invalid all parameter. Valid values are true, false"
            )
        today = req.now.date()
        out = []
        for lg in sorted(LEAGUES.values(), key=lambda x: x.sport_key):
            # in season from a week before opening day to ~2 months after the regular season (playoffs)
            active = any(
                season_bounds(lg, s)[0] - timedelta(days=7)
                <= today
                <= season_bounds(lg, s)[1] + timedelta(days=60)
                for s in (today.year - 1, today.year)
            )
            if active or show_all == "true":
                out.append(
                    {
                        "key": lg.sport_key,
                        "group": lg.group,
                        "title": lg.title,
                        "description": lg.description,
                        "active": active,
                        "has_outrights": False,
                    }
                )
        return out

    def _events(self, sport: str, req: _Req, ts: int) -> list[dict[str, object]]:
        unix = self._unix(req)
        return self._dupes([self._header(g, unix) for g in self._listed(sport, ts, req)], req.seq)

    def _odds(self, sport: str, req: _Req, ts: int) -> tuple[list[dict[str, object]], int]:
        unix = self._unix(req)
        markets = self._markets(req, featured_only=True)
        american_odds = self._american(req)
        books, regions = self._books(req, ts)
        games = self._listed(sport, ts, req)
        drift = self.settings.faults.schema_drift
        rows = []
        for i, g in enumerate(games):
            ev = self._header(g, unix)
            if F.empty_bookmakers(self.settings.faults, req.seq, i):
                ev["bookmakers"] = []
            else:
                ev["bookmakers"] = self._bookmakers(
                    path_of(self.seed, g, self.market),
                    books,
                    markets,
                    ts,
                    american_odds,
                    unix,
                    bulk=True,
                    drop_market_update=drift.drop_market_last_update,
                )
            rows.append(ev)
        cost = len(markets) * regions if rows else 0
        return self._dupes(rows, req.seq), cost

    def _event_odds(self, sport: str, event_id: str, req: _Req, ts: int) -> tuple[dict[str, object], int]:
        if not _HEX32.match(event_id):
            raise OddsError(
                422, "INVALID_EVENT_ID", "Invalid event id. Event ids are 32 character hex strings"
            )
        unix = self._unix(req)
        markets = self._markets(req, featured_only=False)
        american_odds = self._american(req)
        books, regions = self._books(req, ts)
        leagues = [_LEAGUE_OF_SPORT[s] for s in LEAGUES] if sport == "upcoming" else [_LEAGUE_OF_SPORT[sport]]
        game = next(
            (g for lg in leagues for g in listed_games(lg, ts, self.seed) if g.event_id == event_id), None
        )
        if game is None:
            raise OddsError(
                404,
                "EVENT_NOT_FOUND",
                "Event not found. The event may have expired or the event id is invalid.",
            )
        ev = self._header(game, unix)
        ev["bookmakers"] = self._bookmakers(
            path_of(self.seed, game, self.market),
            books,
            markets,
            ts,
            american_odds,
            unix,
            bulk=False,
            drop_market_update=False,
        )
        returned = {m["key"] for b in ev["bookmakers"] for m in b["markets"]} & set(markets)
        return ev, len(returned) * regions

    def _scores(self, sport: str, req: _Req, ts: int) -> tuple[list[dict[str, object]], int]:
        unix = self._unix(req)
        raw = req.get("daysFrom")
        days = None
        if raw is not None:
            if not raw.isdigit() or not 1 <= int(raw) <= 3:
                raise OddsError(
                    422, "INVALID_SCORES_DAYS_FROM", "Invalid daysFrom. Valid values are 1, 2 or 3"
                )
            days = int(raw)
        ids = self._event_ids(req)
        leagues = [_LEAGUE_OF_SPORT[s] for s in LEAGUES] if sport == "upcoming" else [_LEAGUE_OF_SPORT[sport]]
        rows = []
        for lg in leagues:
            games = listed_games(lg, ts, self.seed)
            if days is not None:
                done = [
                    g
                    for g in games_between(lg, ts - days * _DAY, ts, self.seed)
                    if g.end_ts <= ts and not g.postponed
                ]
                games = done + games
            for g in sorted(games, key=lambda g: (g.commence_ts, g.event_id)):
                if ids is not None and g.event_id not in ids:
                    continue
                rows.append(self._score_row(g, ts, unix))
        return self._dupes(rows, req.seq), (2 if days else 1)

    def _score_row(self, g: Game, ts: int, unix: bool) -> dict[str, object]:
        row = self._header(g, unix)
        completed = ts >= g.end_ts
        scores = last = None
        if ts >= g.commence_ts:
            res = path_of(self.seed, g, self.market).result
            if completed:
                h, a = res.home_score, res.away_score
                last = min(ts, g.end_ts + 60 + g.commence_ts % 900)
            else:
                h, a, _, _ = progress(res, (ts - g.commence_ts) / (g.end_ts - g.commence_ts))
                last = ts - ts % 30
            scores = [
                {"name": row["home_team"], "score": str(h)},
                {"name": row["away_team"], "score": str(a)},
            ]
        return {
            "id": row["id"],
            "sport_key": row["sport_key"],
            "sport_title": row["sport_title"],
            "commence_time": row["commence_time"],
            "completed": completed,
            "home_team": row["home_team"],
            "away_team": row["away_team"],
            "scores": scores,
            "last_update": self._time(last, unix),
        }

    # ------------------------------------------------------------ prices

    def _bookmakers(
        self,
        path: GamePath,
        books: list[Book],
        markets: list[str],
        ts: int,
        american_odds: bool,
        unix: bool,
        bulk: bool,
        drop_market_update: bool,
    ) -> list[dict[str, object]]:
        g = path.game
        league = g.league
        drift = self.settings.faults.schema_drift
        names = {
            "home": renamed(g.home) if drift.renamed_teams else g.home.full_name,
            "away": renamed(g.away) if drift.renamed_teams else g.away.full_name,
            "Over": "Over",
            "Under": "Under",
        }
        int_points = drift.integer_points
        home, away = names["home"], names["away"]
        fmt_time = self._time
        with_update = not (bulk and drop_market_update)
        out = []
        for book in books:
            tr = track(path, book)
            if not tr.listed:
                continue
            q = book_quote(path, book, ts, tr)
            if q is None:
                continue
            keys: list[str] = []
            for mk in markets:
                if mk in tr.markets:
                    keys.append(mk)
                    if mk == "h2h" and book.is_exchange:
                        keys.append("h2h_lay")
            if not keys:
                continue
            priced = book_outcomes(
                league,
                tuple(keys),
                q.x,
                q.t,
                q.frac_left,
                q.d0,
                q.c0,
                book.margin,
                american_odds,
                int_points,
                home,
                away,
            )
            x_time = fmt_time(q.x_updated, unix)
            t_time = x_time if q.t_updated == q.x_updated else fmt_time(q.t_updated, unix)
            has_totals = "totals" in keys
            has_x = len(keys) > has_totals
            if with_update:
                mks = [
                    {"key": k, "last_update": t_time if k == "totals" else x_time, "outcomes": o}
                    for k, o in priced
                ]
            else:
                mks = [{"key": k, "outcomes": o} for k, o in priced]
            if bulk:
                latest = max(q.x_updated if has_x else 0, q.t_updated if has_totals else 0)
                out.append(
                    {
                        "key": book.key,
                        "title": book.title,
                        "last_update": fmt_time(latest, unix),
                        "markets": mks,
                    }
                )
            else:
                out.append({"key": book.key, "title": book.title, "markets": mks})
        return out


_SPORT_OF_LEAGUE = {lg.league: k for k, lg in LEAGUES.items()}


def _sport_key(g: Game) -> str:
    return _SPORT_OF_LEAGUE[g.league]
