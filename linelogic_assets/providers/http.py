"""The HTTP core both provider clients share: token bucket, retries with backoff, circuit breaker.

Every URL that leaves this module is redacted; raw httpx exceptions never escape (they would carry
the URL with the key), they become typed `ProviderError`s raised `from None`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.settings import RateLimit, RetryPolicy
from linelogic_assets.redact import install_log_redaction, redact_headers, redact_params, redact_url

Sleep = Callable[[float], None]
Monotonic = Callable[[], float]
Params = Sequence[tuple[str, str]]


class TokenBucket:
    """`rate` tokens per second, up to `burst`; `acquire` waits (through the injected sleep) for one."""

    def __init__(self, rate: float, burst: int = 1, *, monotonic: Monotonic = time.monotonic, sleep: Sleep = time.sleep):
        self.rate, self.capacity = rate, float(burst)
        self._tokens, self._monotonic, self._sleep = float(burst), monotonic, sleep
        self._last = monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token; returns how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited
                wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)
            waited += wait


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `reset_seconds` lets one trial call through."""

    def __init__(self, threshold: int, reset_seconds: float, *, monotonic: Monotonic = time.monotonic):
        self.threshold, self.reset_seconds, self._monotonic = threshold, reset_seconds, monotonic
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return False
            return self._monotonic() - self.opened_at < self.reset_seconds

    def record_success(self) -> None:
        with self._lock:
            self.failures, self.opened_at = 0, None

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = self._monotonic()


@dataclass
class ApiResponse:
    """One provider response as received: the raw bytes plus what the manifest needs."""

    provider: str
    endpoint: str
    method: str
    url: str  # redacted
    params: list[tuple[str, str]]  # redacted
    status: int
    headers: dict[str, str]  # redacted
    content: bytes
    received_at: datetime
    elapsed_ms: float
    attempts: int
    cost: int | None = None  # x-requests-last where the provider reports it
    _parsed: object = field(default=None, repr=False)

    def json(self):
        if self._parsed is None:
            self._parsed = json.loads(self.content)
        return self._parsed


class HttpCore:
    """Sends one logical call with rate limiting, retries and the breaker; maps failures to typed errors."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        rate_limit: RateLimit,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
        error_mapper: Callable[[httpx.Response, str, str], e.ProviderError],
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        install_log_redaction()
        self.provider = provider
        self.retry = retry
        self.bucket = TokenBucket(rate_limit.requests_per_second, rate_limit.burst, monotonic=monotonic, sleep=sleep)
        self.breaker = CircuitBreaker(retry.circuit_breaker_failures, retry.circuit_breaker_reset_seconds, monotonic=monotonic)
        self._sleep, self._monotonic = sleep, monotonic
        self._rng = rng or random.Random(0)
        self._map_error = error_mapper
        self._client = httpx.Client(
            base_url=base_url, transport=transport, headers=headers or {}, timeout=retry.timeout_seconds
        )
        self.sleeps: list[float] = []  # backoff delays taken, for metrics and tests
        self.last_failure: e.ProviderError | None = None  # what the breaker last counted, for its error text

    def close(self) -> None:
        self._client.close()

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; never shorter than the server's Retry-After."""
        base = min(self.retry.backoff_max_seconds, self.retry.backoff_base_seconds * 2 ** (attempt - 1))
        delay = base * (0.5 + self._rng.random() / 2)
        return max(delay, retry_after or 0.0)

    def get(self, endpoint: str, path: str, params: Params, *, expect_json: bool = True) -> ApiResponse:
        last_error: e.ProviderError | None = None
        for attempt in range(1, self.retry.max_attempts + 1):
            if self.breaker.is_open:
                if last_error is not None:  # this call was sent and failed; the breaker only stops its retries
                    raise last_error
                raise e.CircuitOpenError(
                    f"not sent: circuit open after {self.breaker.failures} consecutive failures"
                    + (f" (last: {self.last_failure})" if self.last_failure else ""),
                    provider=self.provider,
                    endpoint=endpoint,
                )
            self.bucket.acquire()
            try:
                response = self._send_once(endpoint, path, params, attempt, expect_json)
            except e.ProviderError as err:
                if not err.retryable:
                    self.breaker.record_success()  # the service answered; the request itself was wrong
                    raise
                self.breaker.record_failure()
                last_error = self.last_failure = err
                if attempt == self.retry.max_attempts:
                    raise
                delay = self.backoff(attempt, err.retry_after)
                self.sleeps.append(delay)
                self._sleep(delay)
                continue
            self.breaker.record_success()
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, endpoint: str, path: str, params: Params, attempt: int, expect_json: bool) -> ApiResponse:
        started = self._monotonic()
        try:
            raw = self._client.get(path, params=list(params))
        except httpx.TransportError as err:
            kind, why = _transport_failure(err, self.retry.timeout_seconds)
            raise kind(why, provider=self.provider, endpoint=endpoint, url=redact_url(self._url(path, params))) from None
        if raw.status_code >= 400:
            raise self._map_error(raw, endpoint, redact_url(str(raw.request.url)))
        response = ApiResponse(
            provider=self.provider,
            endpoint=endpoint,
            method="GET",
            url=redact_url(str(raw.request.url)),
            params=redact_params(list(params)),
            status=raw.status_code,
            headers=redact_headers(dict(raw.headers)),
            content=raw.content,
            received_at=datetime.now(UTC),
            elapsed_ms=(self._monotonic() - started) * 1000,
            attempts=attempt,
        )
        if expect_json:
            try:
                response.json()
            except ValueError:
                raise e.MalformedResponseError(
                    f"body is not valid JSON ({len(raw.content)} bytes, starts {raw.content[:40]!r})",
                    provider=self.provider,
                    endpoint=endpoint,
                    status=raw.status_code,
                    url=response.url,
                    content=raw.content,
                ) from None
        return response

    def _url(self, path: str, params: Params) -> str:
        return str(self._client.build_request("GET", path, params=list(params)).url)


def parse_retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _transport_failure(err: httpx.TransportError, timeout_seconds: float) -> tuple[type[e.ProviderError], str]:
    """The typed error of a call that got no HTTP answer: no answer in time, no connection, or a broken one."""
    if isinstance(err, httpx.TimeoutException):
        return e.ProviderTimeoutError, f"no response within {timeout_seconds}s"
    if isinstance(err, httpx.ConnectError):
        return e.UnreachableError, f"cannot connect ({type(err).__name__})"
    return e.ServerError, f"transport error {type(err).__name__}"
