"""Response contracts per endpoint: what a raw body must look like to count as that endpoint's answer.

Used by the bronze checks (required keys present) and by import (reject what is not a response of
the named endpoint). The checks are structural and cheap: silver does the typed parsing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ODDSAPI_ENDPOINTS = (
    "sports",
    "odds",
    "events",
    "scores",
    "event_odds",
    "historical_odds",
    "historical_events",
    "historical_event_odds",
)
BALLDONTLIE_ENDPOINTS = ("teams", "players", "games", "stats", "injuries", "lineups")
ENDPOINTS = {"oddsapi": ODDSAPI_ENDPOINTS, "balldontlie": BALLDONTLIE_ENDPOINTS}
HISTORICAL_KEYS = ("timestamp", "previous_timestamp", "next_timestamp", "data")

_EVENT_KEYS = ("id", "sport_key", "commence_time", "home_team", "away_team")
_BDL_ROW_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple is a set of alternatives: one of them must be present
    "teams": (("id",), ("abbreviation",), ("full_name", "display_name")),
    "players": (("id",), ("first_name",), ("last_name",)),
    "games": (("id",), ("date",), ("season",), ("home_team", "home_team_id"), ("visitor_team", "away_team", "visitor_team_id")),
    "stats": (("player",), ("game",)),
    "injuries": (("player",), ("status",)),
    "lineups": (("game_id",), ("player",), ("team",)),
}


class ContractError(ValueError):
    """A body that is not a valid response of the endpoint; the message is one line."""


@dataclass
class Classified:
    """A body judged against an endpoint: the responses it holds and how they were wrapped."""

    responses: list[Any]
    envelope: str = "single"  # single | list_of_responses | grouped_home_visitor
    api_version: str = "current"  # current | legacy_page_meta
    notes: list[str] = field(default_factory=list)


def _missing(obj: Any, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if k not in obj] if isinstance(obj, dict) else list(keys)


def _listed(obj: Any, key: str, problems: list[str]) -> list:
    """obj[key] when it is a list; anything else there is a problem, not a crash."""
    value = obj.get(key, []) if isinstance(obj, dict) else []
    if isinstance(value, list):
        return value
    problems.append(f"{key} is {type(value).__name__}, not a list")
    return []


def odds_event_problems(event: Any, *, with_bookmakers: bool) -> list[str]:
    problems: list[str] = []
    if not isinstance(event, dict):
        return [f"event is {type(event).__name__}, not an object"]
    for k in _missing(event, _EVENT_KEYS):
        problems.append(f"event missing {k!r}")
    if with_bookmakers:
        books = event.get("bookmakers")
        if not isinstance(books, list):
            problems.append(f"event {event.get('id')} has no bookmakers list")
            return problems
        for book in books:
            for k in _missing(book, ("key", "markets")):
                problems.append(f"bookmaker missing {k!r}")
            for market in _listed(book, "markets", problems):
                for k in _missing(market, ("key", "outcomes")):
                    problems.append(f"market missing {k!r}")
                for outcome in _listed(market, "outcomes", problems):
                    for k in _missing(outcome, ("name", "price")):
                        problems.append(f"outcome missing {k!r}")
    return problems


def problems(provider: str, endpoint: str, body: Any) -> list[str]:
    """Every contract problem of one response body (empty = valid)."""
    if provider == "oddsapi":
        return _oddsapi_problems(endpoint, body)
    if provider == "balldontlie":
        return _bdl_problems(endpoint, body)
    return [f"unknown provider {provider!r}"]


def _oddsapi_problems(endpoint: str, body: Any) -> list[str]:
    if endpoint.startswith("historical_"):
        if not isinstance(body, dict):
            return ["historical response is not an object with timestamp/data"]
        out = [f"envelope missing {k!r}" for k in _missing(body, HISTORICAL_KEYS)]
        if out:
            return out
        return _oddsapi_problems(endpoint.removeprefix("historical_"), body["data"])
    if endpoint == "sports":
        if not isinstance(body, list):
            return ["sports response is not a list"]
        return [f"sport missing {k!r}" for s in body for k in _missing(s, ("key", "group", "title", "active"))]
    if endpoint == "event_odds":
        if not isinstance(body, dict):
            return ["event odds response is not a single object"]
        return odds_event_problems(body, with_bookmakers=True)
    if not isinstance(body, list):
        return [f"{endpoint} response is not a list"]
    if endpoint == "scores":
        out = []
        for event in body:
            out += odds_event_problems(event, with_bookmakers=False)
            out += [f"score event missing {k!r}" for k in _missing(event, ("completed", "scores"))]
        return out
    return [p for event in body for p in odds_event_problems(event, with_bookmakers=endpoint == "odds")]


def _bdl_problems(endpoint: str, body: Any) -> list[str]:
    if not isinstance(body, dict) or "data" not in body:
        return ["not a BALLDONTLIE response object with 'data'"]
    rows = body["data"]
    if isinstance(rows, dict):  # /x/{id}
        rows = [rows]
    if not isinstance(rows, list):
        return ["'data' is neither a list nor an object"]
    out = []
    for row in rows:
        for alternatives in _BDL_ROW_KEYS.get(endpoint, ()):
            if not isinstance(row, dict) or not any(a in row for a in alternatives):
                out.append(f"{endpoint} row missing {' or '.join(map(repr, alternatives))}")
    return out


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
    """Judge a body as `endpoint`'s response, unwrapping the wrappers earlier pipelines saved."""
    if endpoint not in ENDPOINTS.get(provider, ()):
        raise ContractError(f"unknown endpoint {endpoint!r} for {provider}; known: {', '.join(ENDPOINTS.get(provider, ()))}")
    if provider == "oddsapi":
        reject_other_oddsapi_shapes(endpoint, body)
        found = problems(provider, endpoint, body)
        if found:
            raise ContractError(f"not a The Odds API v4 {endpoint} response: {_summary(found)}")
        return Classified([body])
    result = Classified([body])
    if isinstance(body, list) and body and all(isinstance(r, dict) and "data" in r for r in body):
        result = Classified(list(body), envelope="list_of_responses", notes=[f"a list of {len(body)} responses"])
    elif (endpoint == "stats" and isinstance(body, dict) and set(body) == {"home", "visitor"}
          and all(isinstance(v, list) for v in body.values())):
        rows = [*body["home"], *body["visitor"]]
        result = Classified([{"data": rows}], envelope="grouped_home_visitor",
                            notes=["stats rows regrouped as {home, visitor}; rows unchanged"])
    for response in result.responses:
        meta = response.get("meta") if isinstance(response, dict) else None
        if isinstance(meta, dict) and "total_pages" in meta and "next_cursor" not in meta:
            result.api_version = "legacy_page_meta"
        found = problems(provider, endpoint, response)
        if found:
            raise ContractError(f"not a BALLDONTLIE {endpoint} response: {_summary(found)}")
    return result


def reject_other_oddsapi_shapes(endpoint: str, body: Any) -> None:
    """Refuse bodies of another API version, or filed under the wrong endpoint, with the reason (a ContractError)."""
    if isinstance(body, dict) and "success" in body and "data" in body:
        raise ContractError("The Odds API v3 response ({success, data}), not v4")
    rows = body.get("data") if isinstance(body, dict) and not endpoint.startswith("historical_") else body
    if isinstance(rows, list) and rows and isinstance(rows[0], dict) and ("sites" in rows[0] or "teams" in rows[0]):
        raise ContractError("The Odds API v3 event shape ('sites'/'teams'), not v4")
    if not endpoint.startswith("historical_") and isinstance(body, dict) and set(HISTORICAL_KEYS) <= set(body):
        raise ContractError(f"a historical envelope; import it as historical_{endpoint}")
    if endpoint.startswith("historical_") and isinstance(body, list):
        raise ContractError(f"a plain list, not a historical envelope; import it as {endpoint.removeprefix('historical_')}")


def _summary(found: list[str]) -> str:
    first = sorted(set(found))
    more = f" (+{len(first) - 3} more)" if len(first) > 3 else ""
    return "; ".join(first[:3]) + more
