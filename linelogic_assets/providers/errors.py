"""Typed provider errors. `retryable` says whether the client may try the same call again."""

from __future__ import annotations


class ProviderError(Exception):
    retryable = False

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
        return f"{where}:{status}{code}: {self.message}"


class AuthError(ProviderError):
    """Invalid, missing or deactivated key, or a tier without access: terminal."""


class QuotaExhaustedError(ProviderError):
    """The provider says the usage quota is spent (OUT_OF_USAGE_CREDITS): terminal."""


class BudgetExceededError(ProviderError):
    """Our own budget guard refused a call before it was sent: terminal."""


class RequestRejectedError(ProviderError):
    """400/422: the request itself is wrong, retrying cannot help."""


class NotFoundError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    retryable = True


class ServerError(ProviderError):
    retryable = True


class ProviderTimeoutError(ProviderError):
    retryable = True


class MalformedResponseError(ProviderError):
    """A 200 whose body is not the JSON it should be (truncated, not JSON). Carries the raw bytes."""

    retryable = True

    def __init__(self, message: str, *, content: bytes = b"", **kw) -> None:
        super().__init__(message, **kw)
        self.content = content


class CircuitOpenError(ProviderError):
    """Too many consecutive failures: calls fail fast until the breaker's reset time."""

