"""Polymarket client: Gamma (events, markets, sports) and CLOB (book, prices, history); public, no key.

Each API has its own HttpCore (retries, breaker, typed errors) whose token bucket is the API's general
limit; a scope layer adds one bucket per endpoint scope (e.g. `/events` 500 per 10 s) taken before every
attempt, so a call waits for both. Responses stay raw `ApiResponse`s: bronze stores the bytes verbatim.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.http import ApiResponse, HttpCore, TokenBucket, error_body, parse_retry_after
from linelogic_assets.providers.settings import RateLimit

from .settings import PolymarketSettings

PROVIDER = "polymarket"
INTERVALS = ("1h", "6h", "1d", "1w", "1m", "max", "all")
SIDES = ("BUY", "SELL")
DEFAULT_PAGE = 100

Params = list[tuple[str, str]]


def map_error(response: httpx.Response, endpoint: str, url: str) -> e.ProviderError:
    body = error_body(response)
    message = str(body.get("error") or body.get("message") or response.reason_phrase or "error")
    status = response.status_code
    kw = dict(provider=PROVIDER, endpoint=endpoint, status=status, url=url)
    if status == 404:  # a /book 404 after the market closes is normal: callers catch NotFoundError
        return e.NotFoundError(message, **kw)
    if status == 429:
        return e.RateLimitedError(message, retry_after=parse_retry_after(response), **kw)
    if status >= 500:
        return e.ServerError(message, retry_after=parse_retry_after(response), **kw)
    if status in (401, 403):  # public API: a 403 is a geoblock or a ban, nothing later can succeed
        return e.AuthError(message, **kw)
    return e.RequestRejectedError(message, **kw)  # 400, 422 and anything else: the request is wrong


class ScopedBuckets:
    """Stands in for HttpCore's bucket: the API's general bucket plus the current call's scope bucket.

    HttpCore calls `acquire()` before every attempt (retries included); the scope is set per call by
    `with buckets.scope(name):` and is thread-local, so concurrent calls of different scopes don't mix.
    """

    def __init__(self, general: TokenBucket, scopes: Mapping[str, TokenBucket]) -> None:
        self.general = general
        self.scopes = dict(scopes)
        self._local = threading.local()

    @contextmanager
    def scope(self, name: str | None) -> Iterator[None]:
        previous = getattr(self._local, "scope", None)
        self._local.scope = name
        try:
            yield
        finally:
            self._local.scope = previous

    def acquire(self) -> float:
        waited = 0.0
        bucket = self.scopes.get(getattr(self._local, "scope", None) or "")
        if bucket is not None:  # the narrower scope first: a general token is not held while it waits
            waited += bucket.acquire()
        return waited + self.general.acquire()


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _params(filters: Mapping[str, object]) -> Params:
    """Query pairs: None skipped, booleans as "true"/"false", aware datetimes as ISO Z, lists repeated."""
    out: Params = []
    for name, value in filters.items():
        if value is None:
            continue
        for v in value if isinstance(value, list | tuple | set | frozenset) else (value,):
            out.append((name, _param(v)))
    return out


def _unix(value: int | datetime) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        return int(value.timestamp())
    return int(value)


def top_of_book(body: object) -> tuple[float | None, float | None]:
    """(best bid, best ask) of a `/book` body, whatever order its levels come in; None for an empty side.

    Raises ValueError for a body that is not a book (levels not lists of {price, size}).
    """
    if not isinstance(body, dict):
        raise ValueError(f"book body is {type(body).__name__}, not an object")

    def prices(side: str) -> list[float]:
        levels = body.get(side) or []
        if not isinstance(levels, list):
            raise ValueError(f"book {side} is {type(levels).__name__}, not a list")
        try:
            return [float(level["price"]) for level in levels]
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"book {side} has a level without a numeric price") from None

    bids, asks = prices("bids"), prices("asks")
    return (max(bids) if bids else None), (min(asks) if asks else None)


class PolymarketClient:
    def __init__(
        self,
        settings: PolymarketSettings,
        *,
        gamma_transport: httpx.BaseTransport | None = None,
        clob_transport: httpx.BaseTransport | None = None,
        gamma_base_url: str | None = None,
        clob_base_url: str | None = None,
        sleep: Callable[[float], None] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        lim = settings.limits
        clock = {"sleep": sleep or time.sleep, "monotonic": monotonic or time.monotonic}

        def core(base_url: str, general: int, transport: httpx.BaseTransport | None) -> HttpCore:
            rate = RateLimit(requests_per_second=lim.per_second(general), burst=lim.burst(general))
            return HttpCore(
                PROVIDER,
                base_url,
                rate_limit=rate,
                retry=settings.retry,
                transport=transport,
                headers={"Accept": "application/json"},
                error_mapper=map_error,
                **clock,
            )

        def bucket(limit: int) -> TokenBucket:
            return TokenBucket(lim.per_second(limit), lim.burst(limit), **clock)

        self.gamma = core(gamma_base_url or settings.gamma_base_url, lim.gamma_general, gamma_transport)
        self.clob = core(clob_base_url or settings.clob_base_url, lim.clob_general, clob_transport)
        self.gamma_buckets = ScopedBuckets(
            self.gamma.bucket,
            {"events": bucket(lim.gamma_events), "markets": bucket(lim.gamma_markets), "tags": bucket(lim.gamma_tags)},
        )
        self.clob_buckets = ScopedBuckets(
            self.clob.bucket,
            {
                "book": bucket(lim.clob_book),
                "price": bucket(lim.clob_price),
                "midpoint": bucket(lim.clob_midpoint),
                "prices-history": bucket(lim.clob_prices_history),
            },
        )
        self.gamma.bucket = self.gamma_buckets  # HttpCore only calls .acquire() on it
        self.clob.bucket = self.clob_buckets

    def close(self) -> None:
        self.gamma.close()
        self.clob.close()

    def _gamma(self, scope: str | None, endpoint: str, path: str, params: Params) -> ApiResponse:
        with self.gamma_buckets.scope(scope):
            return self.gamma.get(endpoint, path, params)

    def _clob(self, scope: str, path: str, params: Params) -> ApiResponse:
        with self.clob_buckets.scope(scope):
            return self.clob.get(scope, path, params)

    def _pages(self, endpoint: str, path: str, params: Params, limit: int) -> Iterator[ApiResponse]:
        """Offset paging (0, limit, 2*limit, ...) until a page is `[]` or shorter than `limit`."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        offset = 0
        while True:
            response = self._gamma(endpoint, endpoint, path, [*params, ("limit", str(limit)), ("offset", str(offset))])
            yield response
            body = response.json()
            if not isinstance(body, list):
                raise e.MalformedResponseError(
                    f"{path} page is {type(body).__name__}, not a JSON array",
                    provider=PROVIDER,
                    endpoint=endpoint,
                    status=response.status,
                    url=response.url,
                    content=response.content,
                )
            if len(body) < limit:
                return
            offset += limit

    # -- Gamma ---------------------------------------------------------------------------------
    def sports(self) -> ApiResponse:
        """GET /sports: [{sport, image, resolution, ordering, tags "1,745,100639", series "10345"}]."""
        return self._gamma(None, "sports", "/sports", [])

    def events(
        self,
        *,
        series_id: str | int | None = None,
        tag_id: str | int | None = None,
        active: bool | None = None,
        closed: bool | None = None,
        order: str | None = None,
        ascending: bool | None = None,
        start_date_min: datetime | str | None = None,
        start_date_max: datetime | str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> Iterator[ApiResponse]:
        """Every page of GET /events (a bare JSON array of events, each with `markets[]`)."""
        filters = {
            "series_id": series_id,
            "tag_id": tag_id,
            "active": active,
            "closed": closed,
            "order": order,
            "ascending": ascending,
            "start_date_min": start_date_min,
            "start_date_max": start_date_max,
        }
        return self._pages("events", "/events", _params(filters), limit)

    def markets(self, *, limit: int = DEFAULT_PAGE, **filters: object) -> Iterator[ApiResponse]:
        """Every page of GET /markets; filters as Gamma names them (`clob_token_ids=[...]` repeats)."""
        return self._pages("markets", "/markets", _params(filters), limit)

    # -- CLOB ----------------------------------------------------------------------------------
    def prices_history(
        self,
        token_id: str,
        *,
        interval: str | None = None,
        start_ts: int | datetime | None = None,
        end_ts: int | datetime | None = None,
        fidelity: int | None = None,
    ) -> ApiResponse:
        """GET /prices-history?market=<token>: `{"history": [{"t": unix s, "p": price}]}`.

        Exactly one of `interval` or the (`start_ts`, `end_ts`) range: the API rejects both, so this
        raises ValueError before sending anything. `fidelity` is minutes per point (API default 1).
        """
        has_range = start_ts is not None or end_ts is not None
        if (interval is None) == (not has_range):
            raise ValueError("give exactly one of interval or (start_ts, end_ts)")
        if has_range and (start_ts is None or end_ts is None):
            raise ValueError("a range needs both start_ts and end_ts")
        if interval is not None and interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
        if fidelity is not None and fidelity < 1:
            raise ValueError(f"fidelity is minutes >= 1, got {fidelity}")
        params: Params = [("market", str(token_id))]
        if interval is not None:
            params.append(("interval", interval))
        else:
            params += [("startTs", str(_unix(start_ts))), ("endTs", str(_unix(end_ts)))]  # type: ignore[arg-type]
        if fidelity is not None:
            params.append(("fidelity", str(fidelity)))
        return self._clob("prices-history", "/prices-history", params)

    def book(self, token_id: str) -> ApiResponse:
        """GET /book: every number a string; raises NotFoundError once the market has closed."""
        return self._clob("book", "/book", [("token_id", str(token_id))])

    def midpoint(self, token_id: str) -> ApiResponse:
        """GET /midpoint: `{"mid": "0.475"}`."""
        return self._clob("midpoint", "/midpoint", [("token_id", str(token_id))])

    def price(self, token_id: str, side: str) -> ApiResponse:
        """GET /price: `{"price": "0.48"}`.

        `side=BUY` returns the BEST BID (what buyers offer: you receive it when you sell) and
        `side=SELL` the BEST ASK (what sellers ask: you pay it when you buy). Reading BUY as "the price
        I pay" gets it backwards; use `best_bid` / `best_ask` to avoid that.
        """
        if side not in SIDES:
            raise ValueError(f"side must be BUY or SELL, got {side!r}")
        return self._clob("price", "/price", [("token_id", str(token_id)), ("side", side)])

    def best_bid(self, token_id: str) -> float:
        """The highest bid (the price a sell fills at): `/price?side=BUY`."""
        return self._price_value(self.price(token_id, "BUY"))

    def best_ask(self, token_id: str) -> float:
        """The lowest ask (the price a buy pays, before the taker fee): `/price?side=SELL`."""
        return self._price_value(self.price(token_id, "SELL"))

    @staticmethod
    def _price_value(response: ApiResponse) -> float:
        body = response.json()
        try:
            return float(body["price"])  # type: ignore[index]
        except (TypeError, KeyError, ValueError):
            raise e.MalformedResponseError(
                f"/price body has no numeric price: {response.content[:60]!r}",
                provider=PROVIDER,
                endpoint="price",
                status=response.status,
                url=response.url,
                content=response.content,
            ) from None
