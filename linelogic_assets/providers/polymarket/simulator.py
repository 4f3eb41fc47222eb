"""Polymarket in the provider simulator: Gamma (/sports, /events, /markets) and CLOB (/book, /price,
/midpoint, /prices-history) over the same simulated games as the sportsbooks.

Every game gets one event, created about a week before it starts, with three markets (moneyline,
spread, total). Spread and total lines are fixed at creation from the opening model. Prices come from
the true model (`path_of(...).true_xt(ts)` -> `dist(...)`, in play from the live score): the mid is the
true probability plus a little noise on a 1-cent tick, the book 1-3 cents wide; a market's two tokens
are exact complements. After the game the winner's token goes to 1 and the loser's to 0 (a postponed
game resolves 50-50). Ids, token ids and prices are pure functions of the seed, the game and the time.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from linelogic_assets.simulator import faults as F
from linelogic_assets.simulator.limits import SlidingWindow
from linelogic_assets.simulator.lines import GamePath, path_of, progress
from linelogic_assets.simulator.model import dist
from linelogic_assets.simulator.responses import SimResponse, iso_ms, iso_z, parse_iso
from linelogic_assets.simulator.rng import seed_of, unit
from linelogic_assets.simulator.schedule import DURATION_MIN, Game, games_between, season_schedule
from linelogic_assets.simulator.settings import MarketScenario, SimulatorSettings
from linelogic_assets.sports import BY_LEAGUE

from . import naming
from .settings import PolymarketLimits, PolymarketSettings

LEAGUE_NUM = {"nba": 1, "nfl": 2, "mlb": 3, "nhl": 4}
_NUM_LEAGUE = {v: k for k, v in LEAGUE_NUM.items()}
SPORT_KEY = {lg.league: lg.sport_key for lg in BY_LEAGUE.values()}
LEAGUE_TAG = {"nba": "745", "nfl": "450", "mlb": "100381", "nhl": "899"}
SPORTS_TAG, GAMES_TAG = "1", "100639"
MARKETS = ("moneyline", "spreads", "totals")
FIRST_GAME = datetime(2022, 1, 1, tzinfo=UTC)  # the simulated Polymarket lists games from here on
CREATE_LEAD_S = 7 * 86_400  # events are created about a week before the game
NOISE_SD = 0.006  # sd of the mid around the true probability
COARSE_FIDELITY = 720  # minutes: all a market closed past the fine retention still answers with
DEFAULT_LIMIT, MAX_LIMIT = 20, 500
NO_BOOK = {"error": "No orderbook exists for the requested token id"}
_INTERVAL_S = {"1h": 3600, "6h": 6 * 3600, "1d": 86_400, "1w": 7 * 86_400, "1m": 30 * 86_400, "max": None, "all": None}

# /sports rows in the real shape (ids, images and tags as Gamma reports them)
_SPORTS = (
    (1, "ncaab", "marchmadness.jpeg", "https://www.ncaa.com/march-madness-live/bracket", "home", "1,100149,100639", "39"),
    (8, "mlb", "Repetitive-markets/MLB.jpg", "https://www.mlb.com/", "away", "1,100639,100381", None),
    (10, "nfl", "nfl.png", "https://www.nfl.com/", "away", "1,450,100639", None),
    (34, "nba", "super+cool+basketball+in+red+and+blue+wow.png", "https://www.nba.com/", "away", "1,745,100639", None),
    (35, "nhl", "nhl.png", "https://www.nhl.com/", "away", "1,899,100639", None),
)
_IMG = "https://polymarket-upload.s3.us-east-2.amazonaws.com/"


class GammaError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# ---------------------------------------------------------------- ids


def event_id(g: Game) -> str:
    """Decodable numeric id: league digit, 2-digit season, 4-digit schedule index."""
    return f"{LEAGUE_NUM[g.league]}{g.season % 100:02d}{g.index:04d}"


def market_id(g: Game, mk: int) -> str:
    return f"{event_id(g)}{mk}"


def _game_of_event_id(raw: str, seed: int) -> Game | None:
    if len(raw) != 7 or not raw.isdigit() or int(raw[0]) not in _NUM_LEAGUE:
        return None
    league, season, index = _NUM_LEAGUE[int(raw[0])], 2000 + int(raw[1:3]), int(raw[3:])
    games = season_schedule(league, season, seed).games
    return games[index] if index < len(games) else None


def token_id(seed: int, g: Game, mk: int, outcome: int) -> str:
    """A 77-digit decimal token id: 68 hash digits, then the game, market and outcome (so it decodes)."""
    code = f"{event_id(g)}{mk}{outcome}"
    return _token_hash(seed, code) + code


@lru_cache(maxsize=65_536)
def _token_hash(seed: int, code: str) -> str:
    h = int.from_bytes(hashlib.blake2b(f"{seed}|pm-token|{code}".encode(), digest_size=32).digest(), "big")
    return str(10**67 + h % (9 * 10**67))


def decode_token(raw: str, seed: int) -> tuple[Game, int, int] | None:
    """(game, market index, outcome index) of a token id this world issued, else None."""
    if len(raw) != 77 or not raw.isdigit():
        return None
    code = raw[68:]
    g = _game_of_event_id(code[:7], seed)
    mk, outcome = int(code[7]), int(code[8])
    if g is None or mk > 2 or outcome > 1 or _token_hash(seed, code) != raw[:68]:
        return None
    return g, mk, outcome


def condition_id(seed: int, g: Game, mk: int) -> str:
    return "0x" + hashlib.blake2b(f"{seed}|pm-condition|{market_id(g, mk)}".encode(), digest_size=32).hexdigest()


# ---------------------------------------------------------------- the market model


@dataclass(frozen=True)
class GameMarkets:
    """One game's Polymarket side: times and the lines fixed at creation."""

    game: Game
    path: GamePath
    created_ts: int
    closed_ts: int
    favourite_home: bool  # spread favourite (outcome 0 of the spread market)
    spread: float  # the favourite's handicap, negative (e.g. -1.5)
    total: float

    @property
    def g(self) -> Game:
        return self.game


def market_times(seed: int, g: Game) -> tuple[int, int]:
    """(created, closed) unix seconds of a game's event: cheap, no price path needed (listing filters)."""
    gs = seed_of(seed, g.league, g.season, g.index, "polymarket")
    created = g.commence_ts - CREATE_LEAD_S - int(unit(gs, 1) * 6 * 3600)
    closed = g.end_ts + 15 * 60 + int(unit(gs, 2) * 75 * 60)  # resolution lands 15-90 min after the end
    return created, closed


@lru_cache(maxsize=8192)
def _game_markets(seed: int, league: str, season: int, index: int, market: MarketScenario) -> GameMarkets:
    g = season_schedule(league, season, seed).games[index]
    path = path_of(seed, g, market)
    created, closed = market_times(seed, g)
    x0, t0 = float(path.x[0]), float(path.t[0])  # the opening model: creation is before the odds open
    if _normal(league):
        fav_home = x0 >= 0
        spread = -(math.floor(abs(x0)) + 0.5)  # nearest .5 to the expected margin
    else:
        fav_home = dist(league, round(x0, 6), round(t0, 6)).p_home_win() >= 0.5
        spread = -1.5  # run line / puck line
    return GameMarkets(g, path, created, closed, fav_home, spread, math.floor(t0) + 0.5)


def _normal(league: str) -> bool:
    return league in ("nba", "nfl")


def markets_of(seed: int, g: Game, market) -> GameMarkets:
    return _game_markets(seed, g.league, g.season, g.index, market)


def true_p(gm: GameMarkets, mk: int, ts: int) -> float:
    """True probability of outcome 0 of market `mk` at `ts` (moneyline: the away team; spread: the
    favourite covers; total: over). From the game's end: the settled 1/0 (0.5 if postponed)."""
    g = gm.game
    if g.postponed_at is not None and ts >= int(g.postponed_at.timestamp()):
        return 0.5
    if ts >= g.end_ts:
        return _settled(gm, mk)
    if ts < g.commence_ts:
        x, t = gm.path.true_xt(ts)
        d = dist(g.league, round(x, 6), round(t, 6))
    else:
        x, t = float(gm.path.x[-1]), float(gm.path.t[-1])
        dur = DURATION_MIN[g.league] * 60
        frac = ((ts - g.commence_ts) * 120 // dur) / 120  # the live score, seen in 1/120 steps of the game
        h, a, _, _ = progress(gm.path.result, frac)
        d = dist(g.league, round(x, 6), round(t, 6), 1.0 - frac, h - a, h + a)
    if mk == 0:
        return 1.0 - d.p_home_win()
    if mk == 1:
        line = gm.spread  # favourite's handicap; home covers home_point <=> margin > -home_point
        return d.p_cover(line) if gm.favourite_home else 1.0 - d.p_cover(-line)
    return d.p_over(gm.total)


def _settled(gm: GameMarkets, mk: int) -> float:
    g = gm.game
    if g.postponed:
        return 0.5
    r = gm.path.result
    margin = r.home_score - r.away_score
    if mk == 0:
        return 1.0 if margin < 0 else 0.0
    if mk == 1:
        fav_margin = margin if gm.favourite_home else -margin
        return 1.0 if fav_margin + gm.spread > 0 else 0.0
    return 1.0 if r.home_score + r.away_score > gm.total else 0.0


def quote(gm: GameMarkets, mk: int, ts: int) -> tuple[int, int]:
    """(best bid, best ask) of outcome 0 in cents at `ts`: true probability + noise, 1-3 cents wide."""
    gs, k = gm.path.gseed, ts // 60  # re-quoted every minute
    u1, u2 = unit(gs, mk, k, 71), unit(gs, mk, k, 72)
    noise = NOISE_SD * math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
    width = 1 + int(unit(gs, mk, k, 73) * 3)
    centre = min(max(true_p(gm, mk, ts) + noise, 0.01), 0.99) * 100
    bid = int(round(centre - width / 2))
    bid = min(max(bid, 1), 99 - width)
    return bid, bid + width


def token_quote(gm: GameMarkets, mk: int, outcome: int, ts: int) -> tuple[int, int]:
    """(bid, ask) in cents of one token; outcome 1 is the complement (its bid = 1 - ask of outcome 0)."""
    bid, ask = quote(gm, mk, ts)
    return (bid, ask) if outcome == 0 else (100 - ask, 100 - bid)


def fmt_price(x: float) -> str:
    """0.48 -> "0.48", 0.475 -> "0.475", 0.5 -> "0.5", 1.0 -> "1"."""
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _mid(gm: GameMarkets, mk: int, outcome: int, ts: int) -> float:
    bid, ask = token_quote(gm, mk, outcome, ts)
    return round((bid + ask) / 200, 4)


def history_p(gm: GameMarkets, mk: int, outcome: int, ts: int) -> float:
    """A /prices-history point: the mid while trading, the settled value once the game is over."""
    g = gm.game
    if ts >= g.end_ts and not (g.postponed and ts < gm.closed_ts):
        p0 = _settled(gm, mk)
        return p0 if outcome == 0 else round(1.0 - p0, 4)
    return _mid(gm, mk, outcome, ts)


# ---------------------------------------------------------------- request plumbing


@dataclass
class _Req:
    q: dict[str, list[str]]

    def get(self, name: str) -> str | None:
        v = self.q.get(name)
        return v[-1] if v else None

    def all(self, name: str) -> list[str]:
        out: list[str] = []
        for v in self.q.get(name, ()):
            out += [p.strip() for p in v.split(",") if p.strip()]
        return out

    def flag(self, name: str) -> bool | None:
        raw = self.get(name)
        if raw is None or raw == "":
            return None
        if raw.lower() not in ("true", "false"):
            raise GammaError(400, f"invalid boolean for {name}: {raw}")
        return raw.lower() == "true"

    def int_(self, name: str, default: int | None = None, lo: int = 0) -> int | None:
        raw = self.get(name)
        if raw is None or raw == "":
            return default
        try:
            v = int(raw)
        except ValueError:
            raise GammaError(400, f"invalid integer for {name}: {raw}") from None
        if v < lo:
            raise GammaError(400, f"{name} must be >= {lo}")
        return v

    def time(self, name: str) -> int | None:
        raw = self.get(name)
        if not raw:
            return None
        try:
            return int(parse_iso(raw).timestamp())
        except ValueError:
            raise GammaError(400, f"invalid date for {name}: {raw}") from None


class PolymarketSim:
    """Answers `/polymarket/gamma/*` (api "gamma") and `/polymarket/clob/*` (api "clob") requests."""

    def __init__(
        self,
        settings: SimulatorSettings,
        monotonic: Callable[[], float],
        polymarket: PolymarketSettings | None = None,
    ) -> None:
        self.settings = settings
        self.seed = settings.seed
        self.market = settings.market
        self.poly = polymarket or PolymarketSettings()
        self.limits: PolymarketLimits = self.poly.limits
        self.window = SlidingWindow(self.limits.window_seconds, monotonic)
        self.throttled = 0  # requests over a published limit: the real API delays them, we serve and count
        self._series = {sid: SPORT_KEY_TO_LEAGUE[k] for k, sid in self.poly.series_ids.items() if k in SPORT_KEY_TO_LEAGUE}
        self._series_of = {lg: sid for sid, lg in self._series.items()}

    # ------------------------------------------------------------ entry point

    def route(self, path: str, params: dict[str, list[str]], headers: dict[str, str], now: datetime, seq: int,
              fault: str | None) -> SimResponse | None:
        """The simulator's entry (`providers.base.SimulatorPart`): /polymarket/gamma/* and /polymarket/clob/*."""
        for api in ("gamma", "clob"):
            prefix = f"/polymarket/{api}"
            if path.startswith(prefix + "/"):
                return self.handle(api, path[len(prefix):], params, now, seq, fault)
        return None

    def handle(
        self, api: str, path: str, params: dict[str, list[str]], now: datetime, seq: int, fault: str | None
    ) -> SimResponse:
        self._count(api, path)
        faults = self.settings.faults
        if fault == F.TIMEOUT:
            return SimResponse(504, timeout=True)
        if fault == F.RATE_LIMITED:  # only injected: over the limit the real API delays, no Retry-After
            return SimResponse.json(429, {"error": "Too Many Requests"})
        if fault == F.SERVER_ERROR:
            return SimResponse.json(F.server_error_status(faults, seq), {"error": "internal server error"})
        req, ts = _Req(params), int(now.timestamp())
        try:
            if api == "gamma":
                status, obj = self._gamma(path, req, ts)
            elif api == "clob":
                status, obj = self._clob(path, req, ts)
            else:
                status, obj = 404, {"error": "not found"}
        except GammaError as err:
            status, obj = err.status, {"error": err.message}
        resp = SimResponse.json(status, obj)
        if fault == F.TRUNCATED and status == 200:
            resp.body = F.truncate(resp.body)
        return resp

    def _count(self, api: str, path: str) -> None:
        lim = self.limits
        general = lim.gamma_general if api == "gamma" else lim.clob_general
        scoped = {
            ("gamma", "/events"): lim.gamma_events,
            ("gamma", "/markets"): lim.gamma_markets,
            ("gamma", "/tags"): lim.gamma_tags,
            ("clob", "/book"): lim.clob_book,
            ("clob", "/price"): lim.clob_price,
            ("clob", "/midpoint"): lim.clob_midpoint,
            ("clob", "/prices-history"): lim.clob_prices_history,
        }.get((api, path.rstrip("/")))
        over = not self.window.allow(api, general)
        if scoped is not None:
            over = not self.window.allow(f"{api}{path}", scoped) or over
        self.throttled += over

    # ------------------------------------------------------------ Gamma

    def _gamma(self, path: str, req: _Req, ts: int) -> tuple[int, object]:
        path = path.rstrip("/") or "/"
        if path == "/sports":
            return 200, self._sports()
        if path == "/events":
            games = self._select(req, ts)
            return 200, [self._event(self._gm(g), ts) for g in games]
        if path.startswith("/events/"):
            g = _game_of_event_id(path[len("/events/") :], self.seed)
            if g is None or market_times(self.seed, g)[0] > ts or g.commence_ts < FIRST_GAME.timestamp():
                return 404, {"type": "not found error", "error": "id not found"}
            return 200, self._event(self._gm(g), ts)
        if path == "/markets":
            return 200, self._markets(req, ts)
        return 404, {"error": "not found"}

    def _gm(self, g: Game) -> GameMarkets:
        return markets_of(self.seed, g, self.market)

    def _sports(self) -> list[dict[str, object]]:
        out = []
        for sid, sport, image, resolution, ordering, tags, series in _SPORTS:
            out.append(
                {
                    "id": sid,
                    "sport": sport,
                    "image": _IMG + image,
                    "resolution": resolution,
                    "ordering": ordering,
                    "tags": tags,
                    "series": series or self._series_of.get(sport, ""),
                    "createdAt": "2025-11-05T19:27:45.399303Z",
                }
            )
        return out

    def _leagues(self, req: _Req) -> list[str]:
        leagues = list(LEAGUE_NUM)
        series = req.all("series_id")
        if series:
            leagues = [lg for lg in leagues if self._series_of.get(lg) in series]
        tags = req.all("tag_id")
        for tag in tags:
            leagues = [lg for lg in leagues if tag in (SPORTS_TAG, GAMES_TAG, LEAGUE_TAG[lg])]
        return leagues

    def _candidates(self, req: _Req, ts: int) -> list[Game]:
        """Games whose events exist at `ts` and pass the filters (unsorted, unpaged)."""
        leagues = self._leagues(req)
        ids = req.all("id")
        slugs = req.all("slug")
        if ids or slugs:
            games = [g for i in ids if (g := _game_of_event_id(i, self.seed))]
            for s in slugs:
                games += self._games_of_slug(s)
            games = list({(g.league, g.season, g.index): g for g in games}.values())
            games = [g for g in games if g.league in leagues and g.commence_ts >= FIRST_GAME.timestamp()]
        else:
            lo, hi = int(FIRST_GAME.timestamp()), ts + CREATE_LEAD_S + 86_400
            smin, smax = req.time("start_date_min"), req.time("start_date_max")
            # startDate is the creation, about a week before the game: narrow the scan accordingly
            if smin is not None:
                lo = max(lo, smin)
            if smax is not None:
                hi = min(hi, smax + CREATE_LEAD_S + 86_400)
            games = [g for lg in leagues for g in games_between(lg, lo, hi, self.seed)] if lo <= hi else []
        active, closed = req.flag("active"), req.flag("closed")
        smin, smax = req.time("start_date_min"), req.time("start_date_max")
        emin, emax = req.time("end_date_min"), req.time("end_date_max")
        out = []
        for g in games:
            created, closed_ts = market_times(self.seed, g)
            if created > ts or active is False:  # every listed event is active
                continue
            if closed is not None and (ts >= closed_ts) != closed:
                continue
            if (smin is not None and created < smin) or (smax is not None and created > smax):
                continue
            if (emin is not None and g.commence_ts < emin) or (emax is not None and g.commence_ts > emax):
                continue
            out.append(g)
        return out

    def _games_of_slug(self, slug: str) -> list[Game]:
        parsed = naming.parse_slug(slug)
        if parsed is None:
            return []
        lo, _ = BY_LEAGUE[parsed.league].slate_bounds_utc(parsed.day)
        lo_ts = int(lo.timestamp())
        return [
            g
            for g in games_between(parsed.league, lo_ts - 86_400, lo_ts + 2 * 86_400, self.seed)
            if naming.event_slug(g.league, g.away, g.home, g.commence_time, g.game_number) == slug.lower()
        ]

    def _select(self, req: _Req, ts: int) -> list[Game]:
        games = self._candidates(req, ts)
        order = req.get("order")
        ascending = req.flag("ascending")
        keys: dict[str, Callable[[Game], object]] = {
            "startTime": lambda g: (g.commence_ts, event_id(g)),
            "gameStartTime": lambda g: (g.commence_ts, event_id(g)),
            "endDate": lambda g: (g.commence_ts, event_id(g)),
            "startDate": lambda g: (market_times(self.seed, g)[0], event_id(g)),
            "id": lambda g: int(event_id(g)),
        }
        if order is None:
            games.sort(key=keys["id"], reverse=ascending is False)
        elif order in keys:
            games.sort(key=keys[order], reverse=not ascending)
        else:
            raise GammaError(422, f"order field not allowed: {order}")
        offset = req.int_("offset", 0) or 0
        limit = min(req.int_("limit", DEFAULT_LIMIT) or 0, MAX_LIMIT)
        return games[offset : offset + limit]

    # ------------------------------------------------------------ Gamma bodies

    def _event(self, gm: GameMarkets, ts: int) -> dict[str, object]:
        g = gm.game
        closed = ts >= gm.closed_ts
        slug = naming.event_slug(g.league, g.away, g.home, g.commence_time, g.game_number)
        markets = [self._market(gm, mk, ts, slug) for mk in range(3)]
        league = g.league
        series_id = self._series_of.get(league, "")
        ev: dict[str, object] = {
            "id": event_id(g),
            "ticker": slug,
            "slug": slug,
            "title": naming.title(g.away, g.home),
            "description": _description(g),
            "resolutionSource": f"https://www.{league}.com/",
            "startDate": iso_z(gm.created_ts),
            "creationDate": iso_z(gm.created_ts),
            "endDate": iso_z(g.commence_ts),
            "startTime": iso_z(g.commence_ts),
            "image": f"{_IMG}{league}.png",
            "icon": f"{_IMG}{league}.png",
            "active": True,
            "closed": closed,
            "archived": False,
            "new": False,
            "featured": False,
            "restricted": True,
            "liquidity": sum(float(m["liquidity"]) for m in markets),
            "volume": round(sum(float(m["volume"]) for m in markets), 6),
            "openInterest": 0,
            "category": "Sports",
            "createdAt": _iso_millis(gm.created_ts),
            "updatedAt": _iso_millis(min(ts, gm.closed_ts)),
            "competitive": 0.9,
            "enableOrderBook": True,
            "negRisk": False,
            "commentCount": 0,
            "series": [
                {
                    "id": series_id,
                    "ticker": league,
                    "slug": league,
                    "title": league.upper(),
                    "seriesType": "single",
                    "recurrence": "daily" if league != "nfl" else "weekly",
                    "active": True,
                    "closed": False,
                }
            ],
            "tags": [
                {"id": SPORTS_TAG, "label": "Sports", "slug": "sports"},
                {"id": LEAGUE_TAG[league], "label": league.upper(), "slug": league},
                {"id": GAMES_TAG, "label": "Games", "slug": "games"},
            ],
            "seriesSlug": league,
            "markets": markets,
        }
        if closed:
            ev["closedTime"] = _iso_millis(gm.closed_ts)
        return ev

    def _market(self, gm: GameMarkets, mk: int, ts: int, slug: str, with_event: bool = False) -> dict[str, object]:
        g = gm.game
        closed = ts >= gm.closed_ts
        away, home = g.away, g.home
        fav, dog = (home, away) if gm.favourite_home else (away, home)
        line: float | None = None
        if mk == 0:
            question, group, outcomes, mslug = naming.title(away, home), "Winner", [away.name, home.name], slug
        elif mk == 1:
            line = gm.spread
            question, group = naming.spread_question(fav, line), naming.spread_group_title(line)
            outcomes = [fav.name, dog.name]
            mslug = f"{slug}-spread-{'home' if gm.favourite_home else 'away'}-{naming.fmt_line(-line).replace('.', 'pt')}"
        else:
            line = gm.total
            question, group = naming.total_question(away, home, line), naming.total_group_title(line)
            outcomes, mslug = ["Over", "Under"], f"{slug}-total-{naming.fmt_line(line).replace('.', 'pt')}"
        if closed:
            p0 = _settled(gm, mk)
            prices = [fmt_price(p0), fmt_price(1.0 - p0)]
        else:
            prices = [fmt_price(_mid(gm, mk, 0, ts)), fmt_price(_mid(gm, mk, 1, ts))]
        gs = gm.path.gseed
        full_volume = (20_000 + unit(gs, mk, 81) * 480_000) * (1.0 if mk == 0 else 0.25)
        share = min(max((ts - gm.created_ts) / (gm.closed_ts - gm.created_ts), 0.0), 1.0)
        volume = round(full_volume * share, 6)
        liquidity = 0.0 if closed else round(5_000 + unit(gs, mk, 82) * 45_000, 4)
        m: dict[str, object] = {
            "id": market_id(g, mk),
            "question": question,
            "conditionId": condition_id(self.seed, g, mk),
            "slug": mslug,
            "resolutionSource": f"https://www.{g.league}.com/",
            "endDate": iso_z(g.commence_ts),
            "startDate": iso_z(gm.created_ts),
            "category": "Sports",
            "liquidity": f"{liquidity:.4f}",
            "description": _description(g),
            "outcomes": json.dumps(outcomes),
            "outcomePrices": json.dumps(prices),
            "clobTokenIds": json.dumps([token_id(self.seed, g, mk, 0), token_id(self.seed, g, mk, 1)]),
            "volume": f"{volume:.6f}",
            "volumeNum": volume,
            "liquidityNum": liquidity,
            "active": True,
            "closed": closed,
            "archived": False,
            "restricted": True,
            "marketType": "normal",
            "groupItemTitle": group,
            "enableOrderBook": True,
            "acceptingOrders": not closed and ts < g.end_ts,
            "orderPriceMinTickSize": 0.01,
            "orderMinSize": 5,
            "negRisk": False,
            "feesEnabled": True,
            "sportsMarketType": MARKETS[mk],
            "gameStartTime": naming.game_start_time(g.commence_time),
            "createdAt": _iso_millis(gm.created_ts),
            "updatedAt": _iso_millis(min(ts, gm.closed_ts)),
            "umaResolutionStatuses": "[]",
        }
        if line is not None:
            m["line"] = line
        if closed:
            m["closedTime"] = naming.closed_time(datetime.fromtimestamp(gm.closed_ts, UTC))
            m["umaResolutionStatuses"] = '["resolved"]'
        elif ts >= gm.created_ts:
            bid, ask = token_quote(gm, mk, 0, ts)
            m.update(bestBid=bid / 100, bestAsk=ask / 100, spread=round((ask - bid) / 100, 2),
                     lastTradePrice=bid / 100)
        if with_event:
            m["events"] = [
                {"id": event_id(g), "ticker": slug, "slug": slug, "title": naming.title(away, home),
                 "startTime": iso_z(g.commence_ts), "seriesSlug": g.league}
            ]
        return m

    def _markets(self, req: _Req, ts: int) -> list[dict[str, object]]:
        """The events' markets flattened (same filters), plus `id` / `clob_token_ids` / `condition_ids`."""
        ids, tokens, conds = req.all("id"), req.all("clob_token_ids"), req.all("condition_ids")
        picked: list[tuple[Game, int]] | None = None
        if ids or tokens:
            picked = []
            for raw in ids:
                g = _game_of_event_id(raw[:-1], self.seed) if len(raw) == 8 and raw[-1] in "012" else None
                if g is not None:
                    picked.append((g, int(raw[-1])))
            for raw in tokens:
                if (hit := decode_token(raw, self.seed)) is not None:
                    picked.append((hit[0], hit[1]))
            picked = list(dict.fromkeys(picked))
            req = _Req({k: v for k, v in req.q.items() if k not in ("id", "clob_token_ids")})
            allowed = {(g.league, g.season, g.index) for g in self._candidates_for(picked, req, ts)}
            rows = [(g, mk) for g, mk in picked if (g.league, g.season, g.index) in allowed]
            rows.sort(key=lambda r: int(market_id(*r)))
        else:
            games = self._candidates(req, ts)
            order, ascending = req.get("order"), req.flag("ascending")
            if order in ("startTime", "gameStartTime", "endDate", "startDate"):
                key = (lambda g: market_times(self.seed, g)[0]) if order == "startDate" else (lambda g: g.commence_ts)
                games.sort(key=lambda g: (key(g), event_id(g)), reverse=not ascending)
            elif order in (None, "id"):
                games.sort(key=lambda g: int(event_id(g)), reverse=ascending is False)
            else:
                raise GammaError(422, f"order field not allowed: {order}")
            rows = [(g, mk) for g in games for mk in range(3)]
        if conds:
            rows = [(g, mk) for g, mk in rows if condition_id(self.seed, g, mk) in conds]
        offset = req.int_("offset", 0) or 0
        limit = min(req.int_("limit", DEFAULT_LIMIT) or 0, MAX_LIMIT)
        out = []
        for g, mk in rows[offset : offset + limit]:
            gm = self._gm(g)
            slug = naming.event_slug(g.league, g.away, g.home, g.commence_time, g.game_number)
            out.append(self._market(gm, mk, ts, slug, with_event=True))
        return out

    def _candidates_for(self, picked: list[tuple[Game, int]], req: _Req, ts: int) -> list[Game]:
        q = dict(req.q)
        q["id"] = [event_id(g) for g, _ in picked] or ["0"]
        return self._candidates(_Req(q), ts)

    # ------------------------------------------------------------ CLOB

    def _clob(self, path: str, req: _Req, ts: int) -> tuple[int, object]:
        path = path.rstrip("/")
        if path == "/prices-history":
            return self._history(req, ts)
        if path not in ("/book", "/price", "/midpoint"):
            return 404, {"error": "not found"}
        raw = req.get("token_id") or ""
        if not raw:
            return 400, {"error": "Invalid payload"}
        hit = decode_token(raw, self.seed)
        if hit is None:
            return 404, NO_BOOK
        g, mk, outcome = hit
        gm = self._gm(g)
        if not gm.created_ts <= ts < gm.closed_ts or g.commence_ts < FIRST_GAME.timestamp():
            return 404, NO_BOOK  # no book before creation; after close the book is gone (normal)
        bid, ask = token_quote(gm, mk, outcome, ts)
        if path == "/midpoint":
            return 200, {"mid": fmt_price((bid + ask) / 200)}
        if path == "/price":
            side = (req.get("side") or "").upper()
            if side not in ("BUY", "SELL"):
                return 400, {"error": "Invalid side"}
            return 200, {"price": fmt_price((bid if side == "BUY" else ask) / 100)}  # BUY: best bid
        return 200, self._book(gm, mk, outcome, raw, ts, bid, ask)

    def _book(self, gm: GameMarkets, mk: int, outcome: int, token: str, ts: int, bid: int, ask: int) -> dict:
        gs, k = gm.path.gseed, ts // 60
        # levels and sizes drawn for outcome 0; outcome 1's book is its mirror (same orders, other side)
        n_bid, n_ask = 3 + int(unit(gs, mk, k, 91) * 4), 3 + int(unit(gs, mk, k, 92) * 4)
        b0, a0 = quote(gm, mk, ts)
        bids0 = [(b0 - i, _size(gs, mk, k, 100 + i)) for i in range(n_bid) if b0 - i >= 1]
        asks0 = [(a0 + i, _size(gs, mk, k, 200 + i)) for i in range(n_ask) if a0 + i <= 99]
        if outcome == 0:
            bids, asks = bids0, asks0
        else:
            bids, asks = [(100 - p, s) for p, s in asks0], [(100 - p, s) for p, s in bids0]
        levels = {
            "bids": [{"price": fmt_price(p / 100), "size": s} for p, s in sorted(bids, reverse=True)],
            "asks": [{"price": fmt_price(p / 100), "size": s} for p, s in sorted(asks)],
        }
        g = gm.game
        body = {
            "market": condition_id(self.seed, g, mk),
            "asset_id": token,
            "timestamp": str(ts * 1000),
            "hash": hashlib.sha1(json.dumps([token, ts, levels], sort_keys=True).encode(), usedforsecurity=False).hexdigest(),
            **levels,
            "min_order_size": "5",
            "tick_size": "0.01",
            "neg_risk": False,
            "last_trade_price": fmt_price((bid if unit(gs, mk, k, 93) < 0.5 else ask) / 100),
        }
        return body

    def _history(self, req: _Req, ts: int) -> tuple[int, object]:
        raw = req.get("market") or ""
        if not raw:
            return 400, {"error": "market is required"}
        interval = req.get("interval")
        start, end = req.get("startTs"), req.get("endTs")
        if interval is not None and (start is not None or end is not None):
            return 400, {"error": "invalid filters: 'startTs' and 'interval' are mutually exclusive"}
        if interval is not None and interval not in _INTERVAL_S:
            return 400, {"error": f"invalid filters: invalid interval '{interval}'"}
        try:
            fidelity = int(req.get("fidelity") or 1)
            lo = int(start) if start is not None else None
            hi = int(end) if end is not None else None
        except ValueError:
            return 400, {"error": "invalid filters: startTs, endTs and fidelity are integers"}
        if fidelity < 1:
            return 400, {"error": "invalid filters: fidelity must be >= 1"}
        hit = decode_token(raw, self.seed) if raw.isdigit() else None
        if not raw.isdigit():
            return 400, {"error": "invalid market id"}
        if hit is None:
            return 404, {"error": "market not found"}
        g, mk, outcome = hit
        gm = self._gm(g)
        if gm.created_ts > ts or g.commence_ts < FIRST_GAME.timestamp():
            return 404, {"error": "market not found"}
        if interval is not None and _INTERVAL_S[interval] is not None:
            lo, hi = ts - _INTERVAL_S[interval], ts
        closed = ts >= gm.closed_ts
        if closed:
            age = ts - gm.closed_ts
            if age > self.poly.partial_retention_days * 86_400:
                return 200, {"history": []}
            if age > self.poly.retention_days * 86_400 and fidelity < COARSE_FIDELITY:
                return 200, {"history": []}
        first = gm.created_ts
        last = gm.closed_ts if closed else ts
        lo = first if lo is None else max(lo, first)
        hi = last if hi is None else min(hi, last)
        step = fidelity * 60
        pts = []
        t = -(-lo // step) * step  # points on the fidelity grid
        while t <= hi:
            pts.append({"t": t, "p": history_p(gm, mk, outcome, t)})
            t += step
        if closed and lo <= gm.closed_ts <= hi and (not pts or pts[-1]["t"] != gm.closed_ts):
            pts.append({"t": gm.closed_ts, "p": history_p(gm, mk, outcome, gm.closed_ts)})
        return 200, {"history": pts}


SPORT_KEY_TO_LEAGUE = {v: k for k, v in SPORT_KEY.items()}


def _size(gs: int, mk: int, k: int, i: int) -> str:
    return f"{20 + unit(gs, mk, k, i) * 4980:.2f}"


def _iso_millis(ts: int) -> str:
    return iso_ms(ts)


def _description(g: Game) -> str:
    day = naming.us_date(g.commence_time)
    return (
        f"In the upcoming {g.league.upper()} game, scheduled for {day:%B} {day.day}, {g.away.full_name} visit "
        f"{g.home.full_name}. If the game is postponed or not completed, the market will resolve 50-50."
    )
