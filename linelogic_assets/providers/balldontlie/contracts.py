"""BALLDONTLIE response contracts, and the wrappers earlier pipelines saved its pages in."""

from __future__ import annotations

from typing import Any

from linelogic_assets.lake.contracts import Classified, ContractError, summary

BALLDONTLIE_ENDPOINTS = ("teams", "players", "games", "stats", "injuries", "lineups")


_BDL_ROW_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple is a set of alternatives: one of them must be present
    "teams": (("id",), ("abbreviation",), ("full_name", "display_name")),
    "players": (("id",), ("first_name",), ("last_name",)),
    "games": (("id",), ("date",), ("season",), ("home_team", "home_team_id"), ("visitor_team", "away_team", "visitor_team_id")),
    "stats": (("player",), ("game",)),
    "injuries": (("player",), ("status",)),
    "lineups": (("game_id",), ("player",), ("team",)),
}


def problems(endpoint: str, body: Any) -> list[str]:
    """Every contract problem of one response body (empty = valid)."""
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


def classify(endpoint: str, body: Any) -> Classified:
    """Judge a body as `endpoint`'s response, unwrapping the wrappers earlier pipelines saved: a list of
    page responses, and stats regrouped as {home, visitor}."""
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
        found = problems(endpoint, response)
        if found:
            raise ContractError(f"not a BALLDONTLIE {endpoint} response: {summary(found)}")
    return result
