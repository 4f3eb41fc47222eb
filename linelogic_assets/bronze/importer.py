"""Import recorded raw responses (folders from earlier pipelines) into bronze.

Each file is judged whole before anything is written: a file that is not a valid response of the
named endpoint is rejected with a one-line reason and leaves nothing behind. A valid file lands in
the partition of every slate date it contains, with a manifest naming its original path and sha256;
importing the same bytes again is a no-op.

`import_file` is the one error boundary per file: whatever goes wrong (a malformed body, a timestamp
that is not one, a date no partition holds, another sport, an exception nothing foresaw), it raises
ImportRejected with the file name and a one-line reason, so a batch rejects that file and goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.atomic import atomic_write, sha256
from linelogic_assets.lake.contracts import (
    Classified,
    ContractError,
    LimitExceeded,
    classify,
    decode,
    too_large,
)
from linelogic_assets.partitions import slate_date_in_range, slate_date_range
from linelogic_assets.providers.base import Provider
from linelogic_assets.providers.registry import PROVIDERS_BY_NAME
from linelogic_assets.redact import one_line
from linelogic_assets.sports import League, UnknownSportError, league_for
from linelogic_assets.timeutil import TimestampError

_PATH_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_MAX_REASON = 300  # characters: a rejection stays one readable terminal line


class ImportRejected(ValueError):
    """A file not imported, with the one-line reason: `<file name>: <reason>`.

    `kind` classifies the reason: missing, unknown_sport, too_large, too_deep, not_a_response, sport_mismatch,
    bad_timestamp, no_slate_date, date_out_of_range, not_stored (writing bronze failed) or
    unexpected (an exception type nothing above names; the message names it).
    """

    def __init__(self, path: Path | str, reason: str, kind: str = "not_a_response") -> None:
        self.file = Path(path).name
        self.kind = kind
        self.reason = one_line(str(reason), _MAX_REASON)
        super().__init__(f"{self.file}: {self.reason}")


@dataclass
class ImportResult:
    path: Path
    status: str  # imported | duplicate
    sha256: str
    dates: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    envelope: str = "single"
    api_version: str = "current"


def _rules(provider: str) -> Provider | None:
    return PROVIDERS_BY_NAME.get(provider)


def slate_dates(provider: str, endpoint: str, classified: Classified, league: League) -> set[date]:
    """The slate dates a response's games fall on; a timestamp it cannot read raises TimestampError."""
    rules = _rules(provider)
    found: set[date] = set()
    if rules is None or rules.slate_dates is None:
        return found
    for body in classified.responses:
        found |= rules.slate_dates(endpoint, body, league)
    return found


def snapshot_time(provider: str, endpoint: str, body: Any) -> tuple[datetime | None, str | None]:
    """When the response was observed, and how we know; a timestamp it cannot read raises TimestampError."""
    rules = _rules(provider)
    if rules is None or rules.snapshot_time is None:
        return None, None
    return rules.snapshot_time(endpoint, body)


def _other_sports(provider: str, endpoint: str, classified: Classified, league: League) -> str | None:
    """The events whose sport_key is not the league's, described in a line (None: all match)."""
    rules = _rules(provider)
    if rules is None or rules.sport_keys is None:
        return None
    keys: list[Any] = []
    for body in classified.responses:
        named = rules.sport_keys(endpoint, body)
        if named is None:  # the endpoint names no sport
            return None
        keys += named
    wrong = sorted({repr(k) for k in keys if k != league.sport_key})
    if not wrong:
        return None
    count = sum(1 for k in keys if k != league.sport_key)
    return f"sport_key {', '.join(wrong[:3])} in {count} of {len(keys)} events, not --sport {league.sport_key!r}"


def _out_of_range(dates: Iterable[date], what: str) -> str | None:
    bad = sorted(d for d in dates if not slate_date_in_range(d))
    if not bad:
        return None
    first, last = slate_date_range()
    more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
    return (f"{what} {', '.join(map(str, bad[:3]))}{more} {'is' if len(bad) == 1 else 'are'} outside the "
            f"platform's slate dates {first}..{last} (its first partition date to today plus the partitions' "
            "horizon): no real response carries it")


@dataclass
class _Judged:
    content: bytes
    digest: str
    classified: Classified
    dates: set[date]
    snapshot: datetime | None
    snapshot_source: str | None


def _judge(path: Path, *, provider: str, endpoint: str, league: League, day: date | None) -> _Judged:
    """Everything that decides whether the file is importable, before anything is written."""
    if not path.is_file():
        raise ImportRejected(path, "not a file" if path.exists() else "no such file", "missing")
    if (big := too_large(path.stat().st_size)) is not None:  # before reading: never load a huge file
        raise ImportRejected(path, str(big), "too_large")
    content = path.read_bytes()
    try:
        classified = classify(provider, endpoint, decode(content))
    except LimitExceeded as err:
        raise ImportRejected(path, str(err), err.limit) from None
    except ContractError as err:
        raise ImportRejected(path, str(err), "not_a_response") from None
    if (mismatch := _other_sports(provider, endpoint, classified, league)) is not None:
        raise ImportRejected(path, mismatch, "sport_mismatch")
    try:
        dates = slate_dates(provider, endpoint, classified, league)
        snap, snap_source = snapshot_time(provider, endpoint, classified.responses[0])
    except TimestampError as err:
        raise ImportRejected(path, f"bad timestamp: {err}", "bad_timestamp") from None
    if not dates:
        if day is None:
            m = _PATH_DATE.search(str(path))
            try:
                day = date.fromisoformat(m.group(1)) if m else None
            except ValueError:
                raise ImportRejected(path, f"{m.group(1)} in its path is not a date; pass --date",
                                     "no_slate_date") from None
        if day is None:
            raise ImportRejected(path, "the response names no slate date and none is in its path; pass --date",
                                 "no_slate_date")
        dates = {day}
    if (reason := _out_of_range(dates, "slate date")) is not None:
        raise ImportRejected(path, reason, "date_out_of_range")
    if snap is not None and (reason := _out_of_range([league.slate_date(snap)], "snapshot time on")) is not None:
        raise ImportRejected(path, reason, "date_out_of_range")
    return _Judged(content, sha256(content), classified, dates, snap, snap_source)


def import_file(
    store: BronzeStore,
    path: Path,
    *,
    provider: str,
    endpoint: str,
    sport: str,
    day: date | None = None,
    entry_extra: dict[str, Any] | None = None,
) -> ImportResult:
    """Import one file, or raise ImportRejected: the only exception it raises, whatever went wrong.
    `entry_extra` goes into the response's manifest entry (a price history's token, which its body lacks)."""
    try:
        league = league_for(sport)
        judged = _judge(path, provider=provider, endpoint=endpoint, league=league, day=day)
    except ImportRejected:
        raise
    except UnknownSportError as err:
        raise ImportRejected(path, str(err), "unknown_sport") from None
    except Exception as err:  # the one boundary: whatever judging a file raises (RecursionError, MemoryError...)
        raise ImportRejected(path, f"unexpected {type(err).__name__}: {err}", "unexpected") from None
    try:
        return _store(store, path, judged, provider=provider, endpoint=endpoint, sport=league.sport_key,
                      entry_extra=entry_extra or {})
    except Exception as err:  # disk full, permissions: the file was fine, bronze could not take it
        raise ImportRejected(path, f"not stored: {type(err).__name__}: {err}", "not_stored") from None


def _store(store: BronzeStore, path: Path, judged: _Judged, *, provider: str, endpoint: str, sport: str,
           entry_extra: dict[str, Any]) -> ImportResult:
    classified, digest, dates = judged.classified, judged.digest, judged.dates
    # the same bytes with other entry data (two tokens' equally empty histories) are two imports, not one
    key = digest if not entry_extra else sha256(judged.content + json.dumps(entry_extra, sort_keys=True).encode())
    marker = store.root / "checkpoints" / "import" / provider / f"{key}.json"
    if marker.exists():
        return ImportResult(path, "duplicate", digest, sorted(map(str, dates)), json.loads(marker.read_text())["folders"])

    snap, snap_source = judged.snapshot, judged.snapshot_source
    run_id = f"import-{key[:16]}"  # deterministic: a crashed import resumes instead of duplicating
    folders = []
    for d in sorted(dates):
        done = store.root / "bronze" / f"provider={provider}" / f"sport={sport}" / f"date={d}" / f"run_id={run_id}"
        if done.exists():
            folders.append((done / f"endpoint={endpoint}").relative_to(store.root).as_posix())
            continue
        writer = store.open(provider=provider, sport=sport, day=d, run_id=run_id, endpoint=endpoint, source="import",
                            extra={"original_path": str(path.resolve()), "envelope": classified.envelope,
                                   "api_version": classified.api_version, "notes": classified.notes,
                                   "slate_dates_in_file": sorted(map(str, dates))})
        writer.add_raw(
            judged.content,
            valid_json=True,
            extra={
                "original_path": str(path.resolve()),
                "snapshot_timestamp": snap.isoformat() if snap else None,
                "snapshot_time_source": snap_source,
                "imported_at": datetime.now(UTC).isoformat(),
                "cost": 0,
                **entry_extra,
            },
        )
        writer.close()
        folders.append(writer.folder.relative_to(store.root).as_posix())
    marker.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(marker, json.dumps({"path": str(path), "sha256": digest, "folders": folders}).encode())
    return ImportResult(path, "imported", digest, sorted(map(str, dates)), folders, classified.envelope, classified.api_version)
