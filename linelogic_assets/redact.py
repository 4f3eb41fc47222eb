"""Keep API keys out of every URL, log line, manifest, error and Dagster event.

The Odds API takes its key in the query string, so any URL that reaches text must pass through
`redact_url`; free text is scrubbed with `scrub`, which also removes every registered secret value.
Secrets come from the environment only, so the variables that hold them are registered whenever text is
scrubbed: a process that never built a client (the CLI printing a service's log) still masks the keys.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MASK = "***"
SECRET_PARAMS = frozenset({"apikey", "api_key", "key", "token", "access_token"})
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "set-cookie"})
WEBHOOK_ENV = "LINELOGIC_ALERT_WEBHOOK_URL"  # the alert webhook's URL embeds its channel token
_PARAM_RE = re.compile(r"(?i)\b(apiKey|api_key|access_token|token)=([^&\s\"'#]+)")
_secrets: set[str] = set()
_lock = threading.Lock()


def secret_env() -> tuple[str, ...]:
    """The environment variables holding secrets: every provider's keys and the alert webhook."""
    from linelogic_assets.providers.registry import SECRET_ENV  # providers' clients import this module

    return (*SECRET_ENV, WEBHOOK_ENV)


def register_secret(value: str | None) -> None:
    """Remember a secret value so `scrub` removes it wherever it appears (also as a URL writes it)."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.update({value, quote(value, safe="")})


def scrub(text: str) -> str:
    """The one redaction rule: secret query parameters masked, then every registered secret value."""
    for name in secret_env():
        register_secret(os.environ.get(name))
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)
    for secret in sorted(_secrets, key=len, reverse=True):  # a secret inside a longer one goes with it
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def one_line(text: str, limit: int = 500) -> str:
    """Text as one redacted line of at most `limit` characters: for a rejection or a failure's description."""
    line = " ".join(scrub(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def redact_params(params: dict | list | tuple | None) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, dict) else (params or [])
    return [(k, MASK if k.lower() in SECRET_PARAMS else scrub(str(v))) for k, v in items]


def redact_url(url: str) -> str:
    parts = urlsplit(str(url))
    query = urlencode(redact_params(parse_qsl(parts.query, keep_blank_values=True)), safe="[]:,*")
    return scrub(urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment)))


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else scrub(str(v))) for k, v in headers.items()}


class RedactingFilter(logging.Filter):
    """Scrubs a record's final message (httpx logs full request URLs at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def install_log_redaction() -> None:
    for name in ("httpx", "httpcore", "urllib3", "dagster", ""):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class ScrubbingStream:
    """A text stream that scrubs everything written to it (the CLI's stdout and stderr)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text))
        return len(text)

    def __getattr__(self, name: str):  # flush, fileno, isatty, encoding, …: the wrapped stream's
        return getattr(self._stream, name)


@contextmanager
def scrubbed_output() -> Iterator[None]:
    """Every line printed to stdout or stderr within the block goes through `scrub`, whoever prints it."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ScrubbingStream(sys.stdout), ScrubbingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
