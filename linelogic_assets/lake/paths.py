"""Where each layer's files live under the lake root (bronze raw partitions, silver tables, quarantine)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

PART = "part-0000.parquet"


def partition_dir(root: Path, provider: str, sport: str, day: date | str) -> Path:
    return root / "bronze" / f"provider={provider}" / f"sport={sport}" / f"date={day}"


def table_dir(root: Path, table: str) -> Path:
    return root / "silver" / "tables" / table


def partition_file(root: Path, table: str, sport: str, day: date | str) -> Path:
    return table_dir(root, table) / f"sport={sport}" / f"date={day}" / PART


def partition_of(path: str | Path) -> tuple[str, str]:
    """(sport, date) of a partition file: the inverse of `partition_file`."""
    p = Path(path)
    return p.parent.parent.name.removeprefix("sport="), p.parent.name.removeprefix("date=")


def quarantine_file(root: Path, table: str, sport: str, day: date | str) -> Path:
    return root / "quarantine" / f"table={table}" / f"sport={sport}" / f"date={day}" / PART


def dataset(root: Path, table: str) -> tuple[Path, str]:
    """(folder, glob below it) of every partition file of a silver table, or of the quarantine."""
    if table == "quarantine":
        return root / "quarantine", f"table=*/sport=*/date=*/{PART}"
    return table_dir(root, table), f"sport=*/date=*/{PART}"
