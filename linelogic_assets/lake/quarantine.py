"""What silver could not normalise, kept with its reason and the raw file it came from.

Written per partition to `<root>/quarantine/table=<t>/sport=<s>/date=<d>/part-0000.parquet`
(rewritten whole on every rebuild, like the partition itself) and counted by a check.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from linelogic_assets.lake.contracts import ContractError, classify, decode

if TYPE_CHECKING:
    from linelogic_assets.lake.raw import RawResponse


@dataclass
class Quarantine:
    sport: str
    table: str
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, reason: str, *, provider: str | None = None, endpoint: str | None = None,
            raw_ref: str | None = None, rows: int = 1, detail: Any = None, column: str | None = None) -> None:
        self.records.append({
            "sport": self.sport, "table": self.table, "kind": kind, "reason": reason, "provider": provider,
            "endpoint": endpoint, "raw_ref": raw_ref, "column": column, "rows": rows,
            "detail": json.dumps(detail, sort_keys=True, default=str) if detail is not None else None,
        })

    def response(self, r: RawResponse, reason: str, *, kind: str = "response", rows: int = 1,
                 detail: Any = None, column: str | None = None) -> None:
        """Quarantine something read from raw response `r`, traced back to its file (and the column at fault)."""
        self.add(kind, reason, provider=r.provider, endpoint=r.endpoint, raw_ref=r.raw_ref, rows=rows, detail=detail,
                 column=column)

    def invalid_json(self, r: RawResponse) -> None:
        self.response(r, "bronze holds this body as invalid JSON (kept, not parsed)")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.records, columns=[
            "sport", "table", "kind", "reason", "provider", "endpoint", "raw_ref", "column", "rows", "detail"])

    def counts(self) -> dict[str, int]:
        return dict(Counter(r["kind"] for r in self.records))

    def rows(self) -> int:
        return sum(r["rows"] for r in self.records)

    def examples(self, n: int = 5) -> list[dict[str, Any]]:
        return [{k: r[k] for k in ("kind", "reason", "raw_ref")} for r in self.records[:n]]


def decoded(responses: list[RawResponse], quarantine: Quarantine) -> Iterator[tuple[RawResponse, list[Any]]]:
    """Each readable response with its bodies (unwrapped from old envelopes); the rest quarantined."""
    for r in responses:
        if not r.valid_json:
            quarantine.invalid_json(r)
            continue
        try:
            body = decode(r.read())
            classified = classify(r.provider, r.endpoint, body)
        except ContractError as err:
            quarantine.response(r, str(err))
            continue
        yield r, classified.responses
