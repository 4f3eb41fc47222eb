"""Polymarket response contracts (Gamma and CLOB): what a body must look like to count as an endpoint's answer.

Structural and cheap, like the other providers' contracts: the normaliser does the typed parsing (JSON-encoded
string fields, 40-digit prices, string volumes) and quarantines what it cannot read.
"""

from __future__ import annotations

from typing import Any

from linelogic_assets.lake.contracts import Classified, ContractError, missing, summary

# bronze endpoints: Gamma's sports and events listings, CLOB's price history, book snapshots, mid and price
ENDPOINTS = ("sports", "events", "markets", "prices_history", "book", "midpoint", "price")


def _list_of(body: Any, what: str, keys: tuple[str, ...]) -> list[str]:
    if not isinstance(body, list):
        return [f"{what} response is not a list"]
    return [f"{what[:-1]} missing {k!r}" for row in body for k in missing(row, keys)]


def problems(endpoint: str, body: Any) -> list[str]:
    """Every contract problem of one response body (empty = valid)."""
    if endpoint == "sports":
        return _list_of(body, "sports", ("sport",))
    if endpoint == "events":
        out = _list_of(body, "events", ("id",))
        if out:
            return out
        return [f"event {row.get('id')} markets is not a list" for row in body
                if "markets" in row and not isinstance(row["markets"], list)]
    if endpoint == "markets":
        return _list_of(body, "markets", ("id",))
    if endpoint == "prices_history":
        if not isinstance(body, dict) or not isinstance(body.get("history"), list):
            return ["not a prices-history object with a 'history' list"]
        return [f"history point missing {k!r}" for p in body["history"] for k in missing(p, ("t", "p"))]
    if endpoint == "book":
        if not isinstance(body, dict):
            return ["book response is not an object"]
        out = [f"book missing {k!r}" for k in missing(body, ("asset_id", "bids", "asks"))]
        return out + [f"book {side} is not a list" for side in ("bids", "asks")
                      if side in body and not isinstance(body[side], list)]
    if endpoint == "midpoint":
        return [] if isinstance(body, dict) and "mid" in body else ["not a midpoint object with 'mid'"]
    if endpoint == "price":
        return [] if isinstance(body, dict) and "price" in body else ["not a price object with 'price'"]
    return [f"unknown endpoint {endpoint!r}"]


def classify(endpoint: str, body: Any) -> Classified:
    """Judge a body as `endpoint`'s response: one Gamma or CLOB answer."""
    found = problems(endpoint, body)
    if found:
        raise ContractError(f"not a Polymarket {endpoint} response: {summary(found)}")
    return Classified([body])
