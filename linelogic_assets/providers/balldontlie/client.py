"""BALLDONTLIE client: raw-key Authorization header, bracketed array params, cursor pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date

import httpx

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.balldontlie.settings import PATH_PREFIX
from linelogic_assets.providers.http import ApiResponse, HttpCore, error_body, parse_retry_after
from linelogic_assets.providers.settings import RateLimit, RetryPolicy
from linelogic_assets.redact import register_secret
from linelogic_assets.sports import League, league_for
from linelogic_assets.timeutil import parse_ts

PROVIDER = "balldontlie"
MAX_PER_PAGE = 100


def map_error(response: httpx.Response, endpoint: str, url: str) -> e.ProviderError:
    body = error_body(response)
    message = str(body.get("error") or body.get("message") or response.reason_phrase or "error")
    status = response.status_code
    kw = dict(provider=PROVIDER, endpoint=endpoint, status=status, url=url)
    if status in (401, 403):  # docs say 401 for a missing key or tier; the MCP README says 403
        return e.AuthError(message, **kw)
    if status == 429:
        return e.RateLimitedError(message, retry_after=parse_retry_after(response), **kw)
    if status in (400, 406, 422):
        return e.RequestRejectedError(message, **kw)
    if status == 404:
        return e.NotFoundError(message, **kw)
    if status >= 500:
        return e.ServerError(message, retry_after=parse_retry_after(response), **kw)
    return e.RequestRejectedError(message, **kw)


def game_slate_date(game: dict, league: League) -> date | None:
    """The slate date of a BALLDONTLIE game (or a stat row's flat `game`).

    NBA `date` is the slate date and `datetime` the start; NFL/MLB `date` is the start as an ISO
    datetime; legacy NBA payloads write the slate date as midnight UTC ("…T00:00:00.000Z").
    """
    if game.get("datetime"):
        return league.slate_date(parse_ts(game["datetime"]))
    raw = str(game.get("date") or "")
    if not raw:
        return None
    if len(raw) == 10 or raw[10:19] == "T00:00:00":
        return date.fromisoformat(raw[:10])
    return league.slate_date(parse_ts(raw))


def _array(name: str, values: Sequence[object] | None) -> list[tuple[str, str]]:
    return [(f"{name}[]", str(v)) for v in values or ()]


class BallDontLieClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        rate_limit: RateLimit,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        monotonic: Callable[[], float] | None = None,
        key_is_secret: bool = True,  # False only for the simulator's published demo keys
    ) -> None:
        if key_is_secret:
            register_secret(api_key)
        kw = {k: v for k, v in (("sleep", sleep), ("monotonic", monotonic)) if v is not None}
        self.http = HttpCore(
            PROVIDER,
            base_url,
            rate_limit=rate_limit,
            retry=retry,
            transport=transport,
            headers={"Authorization": api_key, "Accept": "application/json"},
            error_mapper=map_error,
            **kw,
        )

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def path(sport: str, resource: str) -> str:
        prefix = PATH_PREFIX.get(league_for(sport).league)
        if prefix is None:
            raise ValueError(f"BALLDONTLIE has no API for {sport}")
        return f"{prefix}/{resource}"

    def get(self, endpoint: str, path: str, params: Sequence[tuple[str, str]] = ()) -> ApiResponse:
        return self.http.get(endpoint, path, params)

    def paginate(
        self, endpoint: str, path: str, params: Sequence[tuple[str, str]] = (), per_page: int = MAX_PER_PAGE
    ) -> Iterator[ApiResponse]:
        """Every page, raw, following meta.next_cursor until it is missing/null or data is empty."""
        cursor: str | None = None
        while True:
            page_params = [*params, ("per_page", str(per_page))] + ([("cursor", cursor)] if cursor else [])
            response = self.get(endpoint, path, page_params)
            yield response
            body = response.json()
            next_cursor = (body.get("meta") or {}).get("next_cursor") if isinstance(body, dict) else None
            if not next_cursor or not body.get("data"):
                return
            cursor = str(next_cursor)

    # -- endpoints -----------------------------------------------------------------------------
    def teams(self, sport: str) -> ApiResponse:
        return self.get("teams", self.path(sport, "teams"))

    def players(self, sport: str, *, team_ids: Sequence[int] | None = None) -> Iterator[ApiResponse]:
        return self.paginate("players", self.path(sport, "players"), _array("team_ids", team_ids))

    def games(self, sport: str, *, dates: Sequence[str]) -> Iterator[ApiResponse]:
        return self.paginate("games", self.path(sport, "games"), _array("dates", dates))

    def stats(self, sport: str, *, dates: Sequence[str] | None = None,
              game_ids: Sequence[int] | None = None) -> Iterator[ApiResponse]:
        params = _array("dates", dates) + _array("game_ids", game_ids)
        return self.paginate("stats", self.path(sport, "stats"), params)

    def injuries(self, sport: str, *, team_ids: Sequence[int] | None = None) -> Iterator[ApiResponse]:
        return self.paginate("injuries", self.path(sport, "player_injuries"), _array("team_ids", team_ids))

    def lineups(self, sport: str, *, game_ids: Sequence[int]) -> Iterator[ApiResponse]:
        return self.paginate("lineups", self.path(sport, "lineups"), _array("game_ids", game_ids))
