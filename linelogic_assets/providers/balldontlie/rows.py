"""The rows a BALLDONTLIE body holds, whichever endpoint answered it."""

from __future__ import annotations


def bdl_rows(body: object) -> list:
    """The rows of a BALLDONTLIE response body: its `data` list, or the one object `/x/{id}` answers."""
    data = body.get("data") if isinstance(body, dict) else None
    return [data] if isinstance(data, dict) else data if isinstance(data, list) else []
