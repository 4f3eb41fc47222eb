"""Import recorded raw responses (folders from earlier pipelines) into bronze.

Each file is judged whole before anything is written: a file that is not a valid response of the
named endpoint is rejected with a one-line reason and leaves nothing behind. A valid file lands in
the partition of every slate date it contains, with a manifest naming its original path and sha256;
importing the same bytes again is a no-op.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from linelogic_assets.bronze.contracts import Classified, ContractError, classify, decode
from linelogic_assets.bronze.store import BronzeStore, atomic_write, sha256
from linelogic_assets.providers.balldontlie import game_slate_date
from linelogic_assets.sports import League, league_for
from linelogic_assets.timeutil import parse_ts

_PATH_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


class ImportRejected(ValueError):
    """The file is not importable as that endpoint's response; the message is the one-line reason."""


@dataclass
class ImportResult:
    path: Path
    status: str  # imported | duplicate
    sha256: str
    dates: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    envelope: str = "single"
    api_version: str = "current"


def _oddsapi_events(endpoint: str, body: Any) -> list[dict]:
    data = body.get("data") if endpoint.startswith("historical_") else body
    if isinstance(data, dict):
        return [data]
    return data if isinstance(data, list) else []


def _max_last_update(events: Iterable[dict]) -> datetime | None:
    stamps = []
    for ev in events:
        for book in ev.get("bookmakers", []) or []:
            if book.get("last_update"):
                stamps.append(parse_ts(book["last_update"]))
            stamps += [parse_ts(m["last_update"]) for m in book.get("markets", []) if m.get("last_update")]
    return max(stamps) if stamps else None


def slate_dates(provider: str, endpoint: str, classified: Classified, league: League) -> set[date]:
    found: set[date] = set()
    for body in classified.responses:
        if provider == "oddsapi" and endpoint != "sports":
            found |= {league.slate_date(parse_ts(ev["commence_time"])) for ev in _oddsapi_events(endpoint, body)}
        elif provider == "balldontlie":
            rows = body.get("data")
            for row in rows if isinstance(rows, list) else [rows]:
                game = row.get("game") if endpoint == "stats" else row if endpoint == "games" else None
                d = game_slate_date(game, league) if isinstance(game, dict) else None
                if d:
                    found.add(d)
    return found


def snapshot_time(provider: str, endpoint: str, body: Any) -> tuple[datetime | None, str | None]:
    """When the response was observed, and how we know."""
    if provider != "oddsapi":
        return None, None
    if endpoint.startswith("historical_"):
        return parse_ts(body["timestamp"]), "historical_timestamp"
    if endpoint in ("odds", "event_odds"):
        latest = _max_last_update(_oddsapi_events(endpoint, body))
        return latest, "max_last_update" if latest else None
    if endpoint == "scores":
        stamps = [parse_ts(ev["last_update"]) for ev in body if ev.get("last_update")]
        return (max(stamps), "max_last_update") if stamps else (None, None)
    return None, None


def import_file(
    store: BronzeStore,
    path: Path,
    *,
    provider: str,
    endpoint: str,
    sport: str,
    day: date | None = None,
) -> ImportResult:
    content = path.read_bytes()
    digest = sha256(content)
    league = league_for(sport)
    try:
        body = decode(content)
        classified = classify(provider, endpoint, body)
        dates = slate_dates(provider, endpoint, classified, league)
    except ContractError as err:
        raise ImportRejected(f"{path.name}: {err}") from None
    except (KeyError, ValueError, TypeError) as err:
        raise ImportRejected(f"{path.name}: unreadable {endpoint} response ({type(err).__name__}: {err})") from None
    if not dates:
        if day is None:
            m = _PATH_DATE.search(str(path))
            day = date.fromisoformat(m.group(1)) if m else None
        if day is None:
            raise ImportRejected(f"{path.name}: the response names no slate date and none is in its path; pass --date")
        dates = {day}

    marker = store.root / "checkpoints" / "import" / provider / f"{digest}.json"
    if marker.exists():
        return ImportResult(path, "duplicate", digest, sorted(map(str, dates)), json.loads(marker.read_text())["folders"])

    snap, snap_source = snapshot_time(provider, endpoint, classified.responses[0])
    run_id = f"import-{digest[:16]}"  # deterministic: a crashed import resumes instead of duplicating
    folders = []
    for d in sorted(dates):
        if (store.root / "bronze" / f"provider={provider}" / f"sport={sport}" / f"date={d}" / f"run_id={run_id}").exists():
            continue
        writer = store.open(provider=provider, sport=sport, day=d, run_id=run_id, endpoint=endpoint, source="import",
                            extra={"original_path": str(path.resolve()), "envelope": classified.envelope,
                                   "api_version": classified.api_version, "notes": classified.notes,
                                   "slate_dates_in_file": sorted(map(str, dates))})
        writer.add_raw(
            content,
            valid_json=True,
            extra={
                "original_path": str(path.resolve()),
                "snapshot_timestamp": snap.isoformat() if snap else None,
                "snapshot_time_source": snap_source,
                "imported_at": datetime.now(UTC).isoformat(),
                "cost": 0,
            },
        )
        writer.close()
        folders.append(writer.folder.relative_to(store.root).as_posix())
    marker.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(marker, json.dumps({"path": str(path), "sha256": digest, "folders": folders}).encode())
    return ImportResult(path, "imported", digest, sorted(map(str, dates)), folders, classified.envelope, classified.api_version)
