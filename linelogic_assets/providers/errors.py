"""Typed provider errors. `retryable` says whether the client may try the same call again.

A provider's error text may echo the caller's key, so an error scrubs its own text when it is built:
whatever prints, logs or stores it later is safe.
"""

from __future__ import annotations

from linelogic_assets.redact import scrub


class ProviderError(Exception):
    retryable = False
    ends_run = False  # no later call of the run can succeed either (a wrong key, credits spent): fail it at once
    attempted = True  # the call reached the provider (False: the open breaker never sent it)

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        endpoint: str = "",
        status: int | None = None,
        code: str | None = None,
        url: str | None = None,  # always redacted
        retry_after: float | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.url = url
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"{self.provider} {self.endpoint}".strip()
        status = f" HTTP {self.status}" if self.status is not None else ""
        code = f" {self.code}" if self.code else ""
        return scrub(f"{where}:{status}{code}: {self.message}")  # the code is provider text too


class AuthError(ProviderError):
    """Invalid, missing or deactivated key, or a tier without access: terminal."""

    ends_run = True


class QuotaExhaustedError(ProviderError):
    """The provider says the usage quota is spent (OUT_OF_USAGE_CREDITS): terminal."""

    ends_run = True


class BudgetExceededError(ProviderError):
    """Our own budget guard refused a call before it was sent: terminal."""

    ends_run = True


class RequestRejectedError(ProviderError):
    """400/422: the request itself is wrong, retrying cannot help."""


class NotFoundError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    retryable = True


class ServerError(ProviderError):
    retryable = True


class UnreachableError(ServerError):
    """No connection at all (refused, no route, DNS): the provider may be down or the base URL wrong."""


class ProviderTimeoutError(ProviderError):
    retryable = True


class MalformedResponseError(ProviderError):
    """A 200 whose body is not the JSON it should be (truncated, not JSON). Carries the raw bytes."""

    retryable = True

    def __init__(self, message: str, *, content: bytes = b"", **kw) -> None:
        super().__init__(message, **kw)
        self.content = content


class CircuitOpenError(ProviderError):
    """Too many consecutive failures: calls fail fast, never sent, until the breaker's reset time."""

    attempted = False

