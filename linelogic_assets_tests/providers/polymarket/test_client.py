"""PolymarketClient against fake transports: paging, parameter rules, price-side semantics, scope
buckets, typed errors and retries (fake clock and sleep only)."""

from __future__ import annotations

import json

import httpx
import pytest

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.polymarket.client import PolymarketClient, top_of_book
from linelogic_assets.providers.polymarket.settings import PolymarketLimits, PolymarketSettings
from linelogic_assets.providers.settings import RetryPolicy


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def _client(gamma=None, clob=None, *, settings: PolymarketSettings | None = None, clock: FakeTime | None = None):
    clock = clock or FakeTime()
    settings = settings or PolymarketSettings(retry=RetryPolicy(backoff_base_seconds=0.01, max_attempts=4))
    client = PolymarketClient(
        settings,
        gamma_transport=httpx.MockTransport(gamma) if gamma else None,
        clob_transport=httpx.MockTransport(clob) if clob else None,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    return client, clock


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.url}")


def test_events_paging_follows_offsets_and_stops_at_empty_page() -> None:
    seen: list[dict[str, str]] = []

    def gamma(request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        seen.append(q)
        offset = int(q["offset"])
        body = [{"id": str(offset + i)} for i in range(2)] if offset < 4 else []
        return httpx.Response(200, json=body)

    client, _ = _client(gamma)
    pages = list(client.events(series_id="10345", tag_id=100639, active=True, closed=False, order="startTime",
                               ascending=True, limit=2))
    assert [p.json() for p in pages] == [[{"id": "0"}, {"id": "1"}], [{"id": "2"}, {"id": "3"}], []]
    assert [q["offset"] for q in seen] == ["0", "2", "4"]
    assert seen[0] == {"series_id": "10345", "tag_id": "100639", "active": "true", "closed": "false",
                       "order": "startTime", "ascending": "true", "limit": "2", "offset": "0"}
    assert pages[0].content == b'[{"id":"0"},{"id":"1"}]'  # raw bytes kept for bronze


def test_paging_stops_on_a_short_page_without_another_request() -> None:
    calls = []

    def gamma(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["offset"])
        return httpx.Response(200, json=[{"id": "1"}] if request.url.params["offset"] == "0" else [])

    client, _ = _client(gamma)
    assert len(list(client.markets(limit=5, clob_token_ids=["1", "2"]))) == 1
    assert calls == ["0"]


def test_a_page_that_is_not_an_array_is_a_typed_error() -> None:
    client, _ = _client(lambda r: httpx.Response(200, json={"error": "oops"}))
    with pytest.raises(e.MalformedResponseError, match="not a JSON array"):
        list(client.events())


@pytest.mark.parametrize(
    "kw",
    [{}, {"interval": "max", "start_ts": 1, "end_ts": 2}, {"interval": "1d", "start_ts": 1}, {"start_ts": 1},
     {"interval": "2d"}],
)
def test_prices_history_needs_exactly_one_of_interval_or_range(kw) -> None:
    client, _ = _client(clob=_never)
    with pytest.raises(ValueError):
        client.prices_history("123", **kw)


def test_prices_history_params() -> None:
    seen = []

    def clob(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, list(request.url.params.multi_items())))
        return httpx.Response(200, json={"history": [{"t": 1, "p": 0.5}]})

    client, _ = _client(clob=clob)
    client.prices_history("tok", interval="max", fidelity=5)
    client.prices_history("tok", start_ts=10, end_ts=20)
    assert seen == [
        ("/prices-history", [("market", "tok"), ("interval", "max"), ("fidelity", "5")]),
        ("/prices-history", [("market", "tok"), ("startTs", "10"), ("endTs", "20")]),
    ]


# an unsorted book, as one capture showed: best bid 0.48, best ask 0.50
BOOK = {"bids": [{"price": "0.45", "size": "10"}, {"price": "0.48", "size": "5"}, {"price": "0.47", "size": "1"}],
        "asks": [{"price": "0.55", "size": "3"}, {"price": "0.5", "size": "2"}, {"price": "0.52", "size": "9"}]}


def _fake_clob(request: httpx.Request) -> httpx.Response:
    """A CLOB that follows the documented semantics: side=BUY -> best bid, side=SELL -> best ask."""
    bid, ask = top_of_book(BOOK)
    if request.url.path == "/price":
        side = request.url.params["side"]
        return httpx.Response(200, json={"price": str(bid if side == "BUY" else ask)})
    if request.url.path == "/book":
        return httpx.Response(200, json=BOOK)
    return httpx.Response(404, json={"error": "not found"})


def test_best_bid_is_side_buy_and_best_ask_is_side_sell() -> None:
    client, _ = _client(clob=_fake_clob)
    assert top_of_book(client.book("t").json()) == (0.48, 0.5)
    assert client.best_bid("t") == 0.48
    assert client.best_ask("t") == 0.5
    assert client.price("t", "BUY").json() == {"price": "0.48"}
    with pytest.raises(ValueError):
        client.price("t", "buy")


def test_top_of_book_rejects_a_body_that_is_not_a_book() -> None:
    assert top_of_book({"bids": [], "asks": []}) == (None, None)
    with pytest.raises(ValueError):
        top_of_book({"bids": [{"size": "1"}]})
    with pytest.raises(ValueError):
        top_of_book([])


def test_scope_bucket_throttles_its_endpoint_but_not_the_general_scope() -> None:
    limits = PolymarketLimits(gamma_events=10, gamma_general=4000)  # /events: 1 per second, burst 1
    clock = FakeTime()
    client, _ = _client(lambda r: httpx.Response(200, json=[]),
                        settings=PolymarketSettings(limits=limits), clock=clock)
    for _ in range(3):
        list(client.events())
    assert clock.sleeps == pytest.approx([1.0, 1.0])
    clock.sleeps.clear()
    for _ in range(5):  # /sports has no scope of its own: only the (large) general bucket
        client.sports()
    assert clock.sleeps == []


def test_general_bucket_is_taken_as_well() -> None:
    limits = PolymarketLimits(clob_general=10, clob_book=1500)  # general 1/s is the binding one
    clock = FakeTime()
    client, _ = _client(clob=_fake_clob, settings=PolymarketSettings(limits=limits), clock=clock)
    for _ in range(3):
        client.book("t")
    assert clock.sleeps == pytest.approx([1.0, 1.0])


def test_404_is_not_found_and_not_retried() -> None:
    calls = []

    def clob(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404, json={"error": "No orderbook exists for the requested token id"})

    client, _ = _client(clob=clob)
    with pytest.raises(e.NotFoundError, match="No orderbook exists") as info:
        client.book("t")
    assert info.value.status == 404 and len(calls) == 1


@pytest.mark.parametrize(("status", "kind"), [(400, e.RequestRejectedError), (422, e.RequestRejectedError),
                                               (429, e.RateLimitedError), (503, e.ServerError)])
def test_error_mapping(status, kind) -> None:
    client, _ = _client(clob=lambda r: httpx.Response(status, headers={"Retry-After": "3"}, json={"error": "x"}),
                        settings=PolymarketSettings(retry=RetryPolicy(max_attempts=1)))
    with pytest.raises(kind) as info:
        client.midpoint("t")
    if status == 429:
        assert info.value.retry_after == 3.0


def test_5xx_is_retried_through_http_core() -> None:
    statuses = iter([503, 502, 200])

    def clob(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        return httpx.Response(status, json={"mid": "0.475"} if status == 200 else {"error": "down"})

    client, clock = _client(clob=clob)
    response = client.midpoint("t")
    assert response.json() == {"mid": "0.475"} and response.attempts == 3
    assert len(client.clob.sleeps) == 2 and clock.sleeps[-2:] == client.clob.sleeps
    assert json.loads(response.content) == {"mid": "0.475"}
