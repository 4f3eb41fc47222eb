"""The Simulator: one deterministic world, answered by each provider's part of it (`Provider.simulator`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import httpx

from linelogic_assets.sports import league_for

from .clock import SimClock
from .faults import pick_fault
from .lines import path_of
from .model import dist
from .responses import SimResponse, parse_query
from .schedule import Game, season_schedule
from .settings import SimulatorSettings

if TYPE_CHECKING:
    from .server import SimulatorServer


@dataclass(frozen=True)
class Truth:
    """The hidden model for one game at one instant (for tests and evaluation only)."""

    x: float  # expected home margin (NBA/NFL) or log rate ratio (MLB/NHL)
    t: float  # expected total
    p_home_win: float
    home_score: int | None  # final score (None if postponed)
    away_score: int | None


class Simulator:
    def __init__(self, settings: SimulatorSettings | None = None, clock: SimClock | None = None) -> None:
        self.settings = settings or SimulatorSettings()
        self.clock = clock or SimClock(self.settings.clock.start, self.settings.clock.speed)
        self.requests_served = 0
        self._lock = threading.Lock()
        from linelogic_assets.providers.registry import (
            PROVIDERS,  # providers build on the simulator's modules
        )

        self._parts = [p.simulator(self.settings, self.clock.monotonic) for p in PROVIDERS]

    # ------------------------------------------------------------ HTTP

    def respond(self, method: str, path: str, query: str, headers: dict[str, str]) -> SimResponse:
        """Provider-agnostic core shared by the in-process transport and the HTTP server."""
        with self._lock:
            seq = self.requests_served
            self.requests_served += 1
        now = self.clock.now()
        fault = pick_fault(self.settings.faults, seq)
        params = parse_query(query)
        if method.upper() not in ("GET", "HEAD"):
            return SimResponse.json(405, {"message": "Method not allowed"})
        for part in self._parts:
            answer = part.route(path, params, headers, now, seq, fault)
            if answer is not None:
                return answer
        return SimResponse.json(404, {"message": "Not found"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer an httpx request; an injected timeout raises httpx.ReadTimeout."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        resp = self.respond(request.method, request.url.path, request.url.query.decode(), headers)
        if resp.timeout:
            raise httpx.ReadTimeout("simulated read timeout", request=request)
        return httpx.Response(resp.status, headers=resp.headers, content=resp.body, request=request)

    def transport(self) -> httpx.BaseTransport:
        return httpx.MockTransport(self.handle)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
        from .server import SimulatorServer

        return SimulatorServer(self, host, port)

    # ------------------------------------------------------------ ground truth

    def games(self, league: str, day: date) -> list[Game]:
        """The games of a slate date (league-local), postponed ones included."""
        lg = league_for(league)
        season = season_schedule(lg.league, lg.season_of(day), self.settings.seed)
        return list(season.by_slate.get(day, ()))

    def truth(self, game: Game, at: datetime | None = None) -> Truth:
        """The true model of `game` at `at` (default: the close) and its final score."""
        path = path_of(self.settings.seed, game, self.settings.market)
        ts = game.commence_ts if at is None else int(at.timestamp())
        x, t = path.true_xt(ts)
        d = dist(game.league, round(x, 6), round(t, 6))
        res = None if game.postponed else path.result
        return Truth(x, t, d.p_home_win(), res and res.home_score, res and res.away_score)
