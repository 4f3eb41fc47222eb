"""Response contracts: the shared machinery (JSON decoding with limits, the classified result, the
one-line error) and the dispatch to each provider's own contract of its endpoints.

Used by the bronze checks (required keys present) and by import (reject what is not a response of
the named endpoint). The checks are structural and cheap: silver does the typed parsing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class ContractError(ValueError):
    """A body that is not a valid response of the endpoint; the message is one line."""


@dataclass
class Classified:
    """A body judged against an endpoint: the responses it holds and how they were wrapped."""

    responses: list[Any]
    envelope: str = "single"  # single | list_of_responses | grouped_home_visitor
    api_version: str = "current"  # current | legacy_page_meta
    notes: list[str] = field(default_factory=list)


def missing(obj: Any, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if k not in obj] if isinstance(obj, dict) else list(keys)


def listed(obj: Any, key: str, problems: list[str]) -> list:
    """obj[key] when it is a list; anything else there is a problem, not a crash."""
    value = obj.get(key, []) if isinstance(obj, dict) else []
    if isinstance(value, list):
        return value
    problems.append(f"{key} is {type(value).__name__}, not a list")
    return []


def problems(provider: str, endpoint: str, body: Any) -> list[str]:
    """Every contract problem of one response body (empty = valid), by the provider's own contract."""
    from linelogic_assets.providers.registry import PROVIDERS_BY_NAME

    if provider not in PROVIDERS_BY_NAME:
        return [f"unknown provider {provider!r}"]
    return PROVIDERS_BY_NAME[provider].problems(endpoint, body)


# Limits on what can be a response at all. Real responses are at most ~10 levels deep and a few MB
# (the biggest are BALLDONTLIE pages saved as one list by earlier pipelines, tens of MB): anything
# beyond is not a provider answer, and parsing it whole could exhaust the stack or the memory.
MAX_DEPTH = 64  # nesting levels of arrays/objects
MAX_FILE_BYTES = 256 * 2**20  # 256 MiB


class LimitExceeded(ContractError):
    """A body past the size or nesting limit: refused before (or instead of) being read whole."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit  # too_large | too_deep


def too_large(size: int) -> LimitExceeded | None:
    """The refusal of a body of `size` bytes, or None when it is within the limit."""
    if size <= MAX_FILE_BYTES:
        return None
    return LimitExceeded(f"{size:,} bytes, larger than {MAX_FILE_BYTES:,} ({MAX_FILE_BYTES / 2**20:.0f} MiB): "
                         "not a provider response", "too_large")


def _too_deep() -> LimitExceeded:
    return LimitExceeded(f"nested deeper than {MAX_DEPTH} levels: not a provider response", "too_deep")


def _check_depth(body: Any) -> None:
    """Walk the parsed body without recursion, stopping at the first container past MAX_DEPTH."""
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def decode(content: bytes) -> Any:
    """Parse bytes as one JSON document, with a one-line reason for what it is if it is not."""
    if (err := too_large(len(content))) is not None:
        raise err
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ContractError(f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    if not text.strip():
        raise ContractError("empty file")
    try:
        body = json.loads(text)
    except RecursionError:  # json's parser recurses per level: ~1,000 levels exhaust the stack
        raise _too_deep() from None
    except json.JSONDecodeError as err:
        # an error at the very end of the input (or an unterminated string) means the body was cut off
        if err.pos >= len(text.rstrip()) - 1 or err.msg.startswith("Unterminated string"):
            raise ContractError(f"truncated JSON: {err.msg} at byte {err.pos} of {len(content)}") from None
        raise ContractError(f"not JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except ValueError as err:  # e.g. an integer literal past Python's digit limit
        raise ContractError(f"not JSON we can read: {str(err).splitlines()[0][:120]}") from None
    _check_depth(body)
    if isinstance(body, str):
        try:
            json.loads(body)
        except (ValueError, RecursionError):
            raise ContractError("a bare JSON string, not a response") from None
        raise ContractError("double-encoded JSON: the file is a JSON string that itself contains JSON")
    return body


def classify(provider: str, endpoint: str, body: Any) -> Classified:
    """Judge a body as `endpoint`'s response of `provider`, unwrapping the wrappers earlier pipelines saved."""
    from linelogic_assets.providers.registry import PROVIDERS_BY_NAME

    known = PROVIDERS_BY_NAME.get(provider)
    endpoints = known.endpoints if known else ()
    if known is None or endpoint not in endpoints:
        raise ContractError(f"unknown endpoint {endpoint!r} for {provider}; known: {', '.join(endpoints)}")
    return known.classify(endpoint, body)


def summary(found: list[str]) -> str:
    first = sorted(set(found))
    more = f" (+{len(first) - 3} more)" if len(first) > 3 else ""
    return "; ".join(first[:3]) + more
