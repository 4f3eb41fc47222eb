"""The Odds API v4 response contracts: what a body must look like to count as an endpoint's answer."""

from __future__ import annotations

from typing import Any

from linelogic_assets.lake.contracts import Classified, ContractError, listed, missing, summary

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


HISTORICAL_KEYS = ("timestamp", "previous_timestamp", "next_timestamp", "data")


_EVENT_KEYS = ("id", "sport_key", "commence_time", "home_team", "away_team")


def odds_event_problems(event: Any, *, with_bookmakers: bool) -> list[str]:
    problems: list[str] = []
    if not isinstance(event, dict):
        return [f"event is {type(event).__name__}, not an object"]
    for k in missing(event, _EVENT_KEYS):
        problems.append(f"event missing {k!r}")
    if with_bookmakers:
        books = event.get("bookmakers")
        if not isinstance(books, list):
            problems.append(f"event {event.get('id')} has no bookmakers list")
            return problems
        for book in books:
            for k in missing(book, ("key", "markets")):
                problems.append(f"bookmaker missing {k!r}")
            for market in listed(book, "markets", problems):
                for k in missing(market, ("key", "outcomes")):
                    problems.append(f"market missing {k!r}")
                for outcome in listed(market, "outcomes", problems):
                    for k in missing(outcome, ("name", "price")):
                        problems.append(f"outcome missing {k!r}")
    return problems


def problems(endpoint: str, body: Any) -> list[str]:
    """Every contract problem of one response body (empty = valid)."""
    if endpoint.startswith("historical_"):
        if not isinstance(body, dict):
            return ["historical response is not an object with timestamp/data"]
        out = [f"envelope missing {k!r}" for k in missing(body, HISTORICAL_KEYS)]
        if out:
            return out
        return problems(endpoint.removeprefix("historical_"), body["data"])
    if endpoint == "sports":
        if not isinstance(body, list):
            return ["sports response is not a list"]
        return [f"sport missing {k!r}" for s in body for k in missing(s, ("key", "group", "title", "active"))]
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
            out += [f"score event missing {k!r}" for k in missing(event, ("completed", "scores"))]
        return out
    return [p for event in body for p in odds_event_problems(event, with_bookmakers=endpoint == "odds")]


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


def classify(endpoint: str, body: Any) -> Classified:
    """Judge a body as `endpoint`'s response: one v4 response, never another API version or endpoint."""
    reject_other_oddsapi_shapes(endpoint, body)
    found = problems(endpoint, body)
    if found:
        raise ContractError(f"not a The Odds API v4 {endpoint} response: {summary(found)}")
    return Classified([body])
