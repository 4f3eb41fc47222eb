"""The Odds API v4 client: every endpoint LineLogic uses, typed errors, quota ledger, key redaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.http import ApiResponse, HttpCore, error_body, parse_retry_after
from linelogic_assets.providers.oddsapi.quota import QuotaLedger, estimate_oddsapi_cost
from linelogic_assets.providers.settings import RateLimit, RetryPolicy
from linelogic_assets.redact import register_secret

PROVIDER = "oddsapi"

_AUTH_CODES = {"INVALID_KEY", "MISSING_KEY", "DEACTIVATED_KEY", "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN"}


def map_error(response: httpx.Response, endpoint: str, url: str) -> e.ProviderError:
    """Map a 4xx/5xx to a typed error by `error_code` first, status second."""
    body = error_body(response)
    code = body.get("error_code")
    message = str(body.get("message") or response.reason_phrase or "error")
    kw = dict(provider=PROVIDER, endpoint=endpoint, status=response.status_code, code=code, url=url)
    status = response.status_code
    if code == "OUT_OF_USAGE_CREDITS":
        return e.QuotaExhaustedError(message, **kw)
    if code in _AUTH_CODES or status in (401, 403):
        return e.AuthError(message, **kw)
    if code == "EXCEEDED_FREQ_LIMIT" or status == 429:
        retry_after = parse_retry_after(response)  # a Retry-After of 0 means "now", not "use the default"
        return e.RateLimitedError(message, retry_after=2.0 if retry_after is None else retry_after, **kw)
    if status in (400, 422):
        return e.RequestRejectedError(message, **kw)
    if status == 404:
        return e.NotFoundError(message, **kw)
    if status >= 500:
        return e.ServerError(message, retry_after=parse_retry_after(response), **kw)
    return e.RequestRejectedError(message, **kw)


def _iso(ts: datetime) -> str:
    if ts.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC timestamp")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OddsApiClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        rate_limit: RateLimit,
        retry: RetryPolicy,
        ledger: QuotaLedger | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        monotonic: Callable[[], float] | None = None,
        key_is_secret: bool = True,  # False only for the simulator's published demo keys
    ) -> None:
        if key_is_secret:
            register_secret(api_key)
        self._key = api_key
        self.ledger = ledger
        kw = {k: v for k, v in (("sleep", sleep), ("monotonic", monotonic)) if v is not None}
        self.http = HttpCore(
            PROVIDER, base_url, rate_limit=rate_limit, retry=retry, transport=transport, error_mapper=map_error, **kw
        )

    def close(self) -> None:
        self.http.close()

    # -- the one place a call is made: guard, send, record ------------------------------------
    def _get(self, endpoint: str, path: str, params: dict[str, str | None]) -> ApiResponse:
        clean = {k: str(v) for k, v in params.items() if v is not None}
        if self.ledger is not None:
            self.ledger.check(endpoint, estimate_oddsapi_cost(endpoint, clean))
        response = self.http.get(endpoint, path, [*clean.items(), ("apiKey", self._key)])
        if self.ledger is not None:
            response.cost = self.ledger.record(endpoint, response.url, response.headers)
        else:
            last = response.headers.get("x-requests-last")
            response.cost = int(last) if last and last.isdigit() else None
        return response

    @staticmethod
    def _odds_params(
        regions: Sequence[str] | None,
        bookmakers: Sequence[str] | None,
        markets: Sequence[str],
        odds_format: str,
        date_format: str,
    ) -> dict[str, str | None]:
        if not regions and not bookmakers:
            raise ValueError("pass regions or bookmakers")
        return {
            "regions": None if bookmakers else ",".join(regions or ()),
            "bookmakers": ",".join(bookmakers) if bookmakers else None,
            "markets": ",".join(markets),
            "oddsFormat": odds_format,
            "dateFormat": date_format,
        }

    # -- endpoints -----------------------------------------------------------------------------
    def sports(self, all_sports: bool = False) -> ApiResponse:
        return self._get("sports", "/v4/sports", {"all": "true" if all_sports else None})

    def _bulk_params(
        self,
        *,
        markets: Sequence[str] = ("h2h",),
        regions: Sequence[str] | None = None,
        bookmakers: Sequence[str] | None = None,
        odds_format: str = "decimal",
        date_format: str = "iso",
        event_ids: Sequence[str] | None = None,
        commence_from: datetime | None = None,
        commence_to: datetime | None = None,
    ) -> dict[str, str | None]:
        return self._odds_params(regions, bookmakers, markets, odds_format, date_format) | {
            "eventIds": ",".join(event_ids) if event_ids else None,
            "commenceTimeFrom": _iso(commence_from) if commence_from else None,
            "commenceTimeTo": _iso(commence_to) if commence_to else None,
        }

    def odds(self, sport: str, **filters: Any) -> ApiResponse:
        """Current odds. Filters: markets, regions | bookmakers, odds_format, date_format, event_ids,
        commence_from, commence_to."""
        return self._get("odds", f"/v4/sports/{sport}/odds", self._bulk_params(**filters))

    def events(
        self,
        sport: str,
        *,
        date_format: str = "iso",
        commence_from: datetime | None = None,
        commence_to: datetime | None = None,
        event_ids: Sequence[str] | None = None,
    ) -> ApiResponse:
        return self._get(
            "events",
            f"/v4/sports/{sport}/events",
            {
                "dateFormat": date_format,
                "commenceTimeFrom": _iso(commence_from) if commence_from else None,
                "commenceTimeTo": _iso(commence_to) if commence_to else None,
                "eventIds": ",".join(event_ids) if event_ids else None,
            },
        )

    def scores(self, sport: str, *, days_from: int | None = None, date_format: str = "iso") -> ApiResponse:
        if days_from is not None and not 1 <= days_from <= 3:
            raise ValueError("daysFrom must be 1..3")
        return self._get(
            "scores",
            f"/v4/sports/{sport}/scores",
            {"daysFrom": str(days_from) if days_from else None, "dateFormat": date_format},
        )

    def event_odds(
        self,
        sport: str,
        event_id: str,
        *,
        markets: Sequence[str] = ("h2h",),
        regions: Sequence[str] | None = None,
        bookmakers: Sequence[str] | None = None,
        odds_format: str = "decimal",
        date_format: str = "iso",
    ) -> ApiResponse:
        params = self._odds_params(regions, bookmakers, markets, odds_format, date_format)
        return self._get("event_odds", f"/v4/sports/{sport}/events/{event_id}/odds", params)

    def historical_odds(self, sport: str, at: datetime, **filters: Any) -> ApiResponse:
        """The snapshot at or before `at`; the same filters as `odds`."""
        params = self._bulk_params(**filters) | {"date": _iso(at)}
        return self._get("historical_odds", f"/v4/historical/sports/{sport}/odds", params)

    def historical_events(
        self,
        sport: str,
        at: datetime,
        *,
        date_format: str = "iso",
        commence_from: datetime | None = None,
        commence_to: datetime | None = None,
    ) -> ApiResponse:
        return self._get(
            "historical_events",
            f"/v4/historical/sports/{sport}/events",
            {
                "date": _iso(at),
                "dateFormat": date_format,
                "commenceTimeFrom": _iso(commence_from) if commence_from else None,
                "commenceTimeTo": _iso(commence_to) if commence_to else None,
            },
        )

    def historical_event_odds(
        self,
        sport: str,
        event_id: str,
        at: datetime,
        *,
        markets: Sequence[str] = ("h2h",),
        regions: Sequence[str] | None = None,
        bookmakers: Sequence[str] | None = None,
        odds_format: str = "decimal",
        date_format: str = "iso",
    ) -> ApiResponse:
        params = self._odds_params(regions, bookmakers, markets, odds_format, date_format) | {"date": _iso(at)}
        return self._get(
            "historical_event_odds", f"/v4/historical/sports/{sport}/events/{event_id}/odds", params
        )
