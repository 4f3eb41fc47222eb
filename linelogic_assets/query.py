"""Query patterns over the silver lake: an event's odds as of a time, line movement, best price, books side by side.

`LakeQuery` builds an *event index* once, from the small `event` and `event_provider_map` tables:
canonical id and every provider id → the (sport, date) partitions the event lives in. A query then
resolves its event through the index and reads one `odds_snapshot` Parquet file (the event's
partition: only the columns it needs), never the whole table. A file read is split by event once
and kept in an LRU bounded by bytes (`cache_bytes`, 0 turns it off), keyed on the file's path,
mtime and size, so a partition rewritten by a materialization is read again.

Prediction-market venues are books here: a slate's `prediction_market` and `prediction_price` files give
each venue's taker quotes at its best ask (`gold.venues.venue_odds`, the fee in the price), split by event
and cached the same way, and the queries see them next to the books' rows (bookmaker = the venue).

The as-of rule (`gold.asof.quotes_asof_at`, the single-time path of gold's one rule, behind `odds_at`,
`best_odds` and `compare_books`):
per bookmaker × market, the book's market is the one it showed in its LAST snapshot taken at or
before `at` (`snapshot_time_utc <= at`; a snapshot one microsecond later is never used, however
near), with all the selections of that same snapshot. "Nearest snapshot within ±5 minutes" would
look ahead, so it is not offered. With no `at`, `best_odds` and `compare_books` take each book's
latest pre-game snapshot (`is_live` false): the closing line.

Times must be timezone-aware: a naive datetime is refused (ValueError), never guessed to be UTC.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linelogic_assets.gold.asof import quotes_asof_at as as_of
from linelogic_assets.gold.asof import string_codes as _codes
from linelogic_assets.gold.consensus import line_key
from linelogic_assets.lake.paths import dataset, partition_file, partition_of
from linelogic_assets.providers.registry import PROVIDERS as REGISTERED
from linelogic_assets.timeutil import micros as _micros
from linelogic_assets.timeutil import require_aware

PROVIDERS = tuple(p.name for p in REGISTERED if p.schedule_rank is not None)  # providers that list events
# the odds columns a query reads (not the lineage and hash columns)
ODDS_READ = ["canonical_event_id", "snapshot_time_utc", "is_live", "bookmaker", "market", "selection",
             "participant", "point", "price", "price_american"]
SELECTION_ORDER = {"home": 0, "away": 1, "draw": 2, "over": 3, "under": 4}
ODDS_AT_COLUMNS = ["bookmaker", "market", "selection", "participant", "point", "price", "price_american",
                   "implied_prob", "snapshot_time_utc", "age_seconds", "is_live"]
MOVEMENT_COLUMNS = ["snapshot_time_utc", "selection", "participant", "point", "price", "price_american",
                    "implied_prob", "is_live", "prev_price", "price_change", "prev_point", "point_change", "changed"]
BEST_COLUMNS = ["selection", "participant", "point", "price", "price_american", "implied_prob", "bookmakers",
                "n_books", "snapshot_time_utc"]
COMPARE_COLUMNS = ["bookmaker", "selection", "participant", "point", "price", "price_american", "implied_prob",
                   "overround", "fair_prob", "complete", "snapshot_time_utc", "age_seconds", "is_live"]
EVENT_COLUMNS = ["canonical_event_id", "sport", "league", "slate_date", "commence_time_utc", "home_team",
                 "away_team", "status", *(f"{p}_event_id" for p in PROVIDERS)]


class UnknownEventError(LookupError):
    """An event id that is neither a canonical id nor a provider id in the lake."""

    def __str__(self) -> str:  # LookupError would quote it
        return str(self.args[0])


class AmbiguousEventError(UnknownEventError):
    """A provider id that maps to more than one canonical event."""


def _eq(col: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(col, value), False)


# -- the event index ---------------------------------------------------------------------------

@dataclass(frozen=True)
class EventRef:
    """An event as the index knows it: canonical id, where its partitions are, its provider ids."""

    canonical_event_id: str
    sport: str
    partitions: tuple[tuple[str, str], ...]  # (sport, date) of every partition holding the event
    provider_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    league: str | None = None
    slate_date: date | None = None
    home_team: str | None = None
    away_team: str | None = None
    home_team_id: str | None = None
    away_team_id: str | None = None
    commence_time_utc: datetime | None = None
    status: str | None = None
    matched_by: str = "canonical"  # how the id given was recognised: canonical or the provider's name

    @property
    def label(self) -> str:
        teams = f"{self.away_team} @ {self.home_team}" if self.home_team else ""
        when = self.commence_time_utc.strftime("%Y-%m-%dT%H:%MZ") if self.commence_time_utc else ""
        return " ".join(x for x in (self.canonical_event_id, teams, when) if x)


def _read_table_files(root: Path, table: str, columns: list[str]) -> pd.DataFrame:
    """Every partition of a (small) silver table, with `_sport` and `_date` of the file each row came from."""
    base, pattern = dataset(root, table)
    files = sorted(str(p) for p in base.glob(pattern))
    if not files:
        return pd.DataFrame(columns=[*columns, "_sport", "_date"])
    import pyarrow.dataset as ds

    from linelogic_assets.silver.schemas import SCHEMAS

    # one multithreaded scan; the special `__filename` column says which partition each row is from
    frame = (ds.dataset(files, schema=SCHEMAS[table], format="parquet")
             .to_table(columns=[*columns, "__filename"]).to_pandas()
             .rename(columns={"__filename": "filename"}))
    parts = {f: partition_of(f) for f in frame["filename"].unique()}
    frame["_sport"] = frame["filename"].map(lambda f: parts[f][0])
    frame["_date"] = frame["filename"].map(lambda f: parts[f][1])
    return frame.drop(columns="filename")


class EventIndex:
    """Canonical id and provider ids → the event and the partitions it is stored in; built once."""

    def __init__(self, root: Path) -> None:
        ev = _read_table_files(root, "event", [
            "canonical_event_id", "sport", "league", "slate_date", "home_team_id", "away_team_id", "home_team",
            "away_team", "commence_time_utc", "status"])
        pm = _read_table_files(root, "event_provider_map", ["provider", "provider_event_id", "canonical_event_id"])
        parts: dict[str, set[tuple[str, str]]] = {}
        for cid, sp, d in zip(ev["canonical_event_id"], ev["_sport"], ev["_date"], strict=True):
            parts.setdefault(cid, set()).add((sp, d))
        for cid, sp, d in zip(pm["canonical_event_id"], pm["_sport"], pm["_date"], strict=True):
            parts.setdefault(cid, set()).add((sp, d))
        ids: dict[str, dict[str, set[str]]] = {}
        self.by_provider_id: dict[str, dict[str, str]] = {}  # provider id → {canonical id: provider}
        for prov, pid, cid in zip(pm["provider"], pm["provider_event_id"], pm["canonical_event_id"], strict=True):
            if pid is None or cid is None:
                continue
            ids.setdefault(cid, {}).setdefault(prov, set()).add(str(pid))
            self.by_provider_id.setdefault(str(pid), {})[cid] = prov
        # one row per event: the latest partition's row if an event was ever stored in two
        ev = ev.sort_values(["_date", "canonical_event_id"]).drop_duplicates("canonical_event_id", keep="last")
        self.refs: dict[str, EventRef] = {}
        for r in ev.to_dict("records"):
            cid, commence, slate = r["canonical_event_id"], r["commence_time_utc"], r["slate_date"]
            self.refs[cid] = EventRef(
                canonical_event_id=cid, sport=r["sport"] or r["_sport"], partitions=tuple(sorted(parts[cid])),
                provider_ids={p: tuple(sorted(v)) for p, v in sorted(ids.get(cid, {}).items())},
                league=r["league"], slate_date=pd.Timestamp(slate).date() if pd.notna(slate) else None,
                home_team=r["home_team"], away_team=r["away_team"], home_team_id=r["home_team_id"],
                away_team_id=r["away_team_id"], status=r["status"],
                commence_time_utc=pd.Timestamp(commence).to_pydatetime() if pd.notna(commence) else None,
            )
        for cid, sps in parts.items():  # mapped by a provider but absent from `event`: still queryable
            if cid not in self.refs:
                self.refs[cid] = EventRef(cid, min(sps)[0], tuple(sorted(sps)),
                                          {p: tuple(sorted(v)) for p, v in sorted(ids.get(cid, {}).items())})
        # one row per event, by start time: what `LakeQuery.events` filters
        self.events = self._listing(ev, ids)

    @staticmethod
    def _listing(ev: pd.DataFrame, ids: dict[str, dict[str, set[str]]]) -> pd.DataFrame:
        out = ev[["canonical_event_id", "sport", "league", "slate_date", "commence_time_utc", "home_team", "away_team",
                  "status", "home_team_id", "away_team_id"]].copy()
        out["slate_date"] = pd.to_datetime(out["slate_date"]).dt.date
        for prov in PROVIDERS:
            out[f"{prov}_event_id"] = [",".join(sorted(ids.get(c, {}).get(prov, ()))) or None
                                       for c in out["canonical_event_id"]]
        return out.sort_values(["commence_time_utc", "canonical_event_id"], kind="stable").reset_index(drop=True)

    def resolve(self, event_id: str) -> EventRef:
        key = str(event_id).strip()
        ref = self.refs.get(key)
        if ref is not None:
            return ref
        hits = self.by_provider_id.get(key)
        if not hits:
            raise UnknownEventError(f"unknown event {key!r}: neither a canonical event id nor a provider event id "
                                    f"in the lake ({len(self.refs)} events indexed)")
        if len(hits) > 1:
            raise AmbiguousEventError(f"provider event id {key!r} maps to several canonical events: "
                                      f"{', '.join(sorted(hits))}")
        [(cid, provider)] = hits.items()
        return replace(self.refs[cid], matched_by=provider)


# -- queries -----------------------------------------------------------------------------------

_SEL_VALUES = pa.array(list(SELECTION_ORDER), pa.string())


def _sort_odds(table: pa.Table, first: Iterable[str] = ()) -> pa.Table:
    """Rows in reading order: `first` keys, then home, away, draw, over, under (others after), participant, point."""
    if table.num_rows <= 1:
        return table
    rank = pc.fill_null(pc.index_in(table["selection"], value_set=_SEL_VALUES), len(SELECTION_ORDER))
    keyed = table.append_column("_rank", rank)
    keys = (*first, "_rank", "selection", "participant", "point")
    order = pc.sort_indices(keyed, sort_keys=[(k, "ascending") for k in keys])  # nulls last
    return table.take(order)


def _sort_frame(df: pd.DataFrame, first: Iterable[str] = ()) -> pd.DataFrame:
    """`_sort_odds` for a (small) pandas frame."""
    if df.empty:
        return df.reset_index(drop=True)
    rank = df["selection"].map(SELECTION_ORDER).fillna(len(SELECTION_ORDER))
    keys = [*first, "_rank", "selection", "participant", "point"]
    return (df.assign(_rank=rank).sort_values(keys, kind="stable", na_position="last")
            .drop(columns="_rank").reset_index(drop=True))


def _odds_schema() -> pa.Schema:
    from linelogic_assets.silver.schemas import SCHEMAS

    return SCHEMAS["odds_snapshot"]


def _split_odds(path: Path) -> dict[str, pa.Table]:
    """An odds partition file's query columns, split by event (the event id column dropped)."""
    # the event id as dictionary codes (cheap to read and to split on); one row group per file
    table = (pq.ParquetFile(path, read_dictionary=["canonical_event_id"])
             .read(columns=ODDS_READ, use_threads=False).unify_dictionaries().combine_chunks())
    codes, _ = _codes(table["canonical_event_id"])
    names = table["canonical_event_id"].chunk(0).dictionary.to_pylist() if table.num_rows else []
    table = table.drop_columns(["canonical_event_id"])
    if len(codes) and not (np.diff(codes) >= 0).all():  # silver sorts by event; don't rely on it
        order = np.argsort(codes, kind="stable")
        table, codes = table.take(pa.array(order)), codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(codes)]
    return {names[codes[a]]: table.slice(a, b - a) for a, b in zip(starts, ends, strict=True) if codes[a] < len(names)}


class LakeQuery:
    """Read-only queries on one lake root. Build once, query many times (the event index is kept)."""

    def __init__(self, root: Path | str, fair_method: str = "shin", *, now: Callable[[], datetime] | None = None,
                 team_aliases: dict[str, dict[str, str]] | None = None, cache_bytes: int = 256 << 20) -> None:
        self.root = Path(root)
        self.fair_method = fair_method
        self._now = now
        self._team_aliases = team_aliases or {}
        self._team_index: dict[str, object] = {}
        # partition file → ((mtime, size), {event id: rows}, bytes); cache_bytes=0 reads the file every time
        self._cache: OrderedDict[str, tuple[tuple[int, int], dict[str, pa.Table], int]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._lock = threading.Lock()
        self.index = EventIndex(self.root)

    @classmethod
    def from_config(cls, config_path: str | Path | None = None, **kw) -> LakeQuery:
        """The lake of a config: its data root, `gold.fair_method`, team aliases, and the provider's clock."""
        from linelogic_assets.config import load_config
        from linelogic_assets.registry.overrides import load_overrides

        cfg = load_config(config_path)
        overrides = load_overrides(cfg.overrides_file())

        def provider_now() -> datetime:
            from linelogic_assets.resources import ClockResource

            return ClockResource(config_path=None if config_path is None else str(config_path)).now()

        aliases = {sport: overrides.aliases(sport) for sport in cfg.sports}
        return cls(cfg.resolved_data_root(), cfg.gold.fair_method, now=provider_now, team_aliases=aliases, **kw)

    # -- reading -------------------------------------------------------------------------------

    def resolve_event(self, event_id: str) -> EventRef:
        """A canonical id or any provider's event id → the event; UnknownEventError otherwise."""
        return self.index.resolve(event_id)

    def _cached(self, key: str, stamp: tuple, load: Callable[[], dict[str, pa.Table]]) -> dict[str, pa.Table]:
        """`load()` (a partition split by event), kept in the byte-bounded LRU while `stamp` holds."""
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == stamp:
                self._cache.move_to_end(key)
                return hit[1]
        events = load()
        if self._cache_bytes > 0:
            with self._lock:
                self._cache[key] = (stamp, events, sum(t.nbytes for t in events.values()))
                self._cache.move_to_end(key)
                while sum(v[2] for v in self._cache.values()) > self._cache_bytes and len(self._cache) > 1:
                    self._cache.popitem(last=False)
        return events

    def _by_event(self, path: Path) -> dict[str, pa.Table] | None:
        """One odds partition file, split into its events' rows (without the event id column).

        Read once and kept in an LRU bounded by bytes, keyed on the file's (mtime, size), so a
        partition rewritten by a materialization is read again.
        """
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return self._cached(str(path), (st.st_mtime_ns, st.st_size), lambda: _split_odds(path))

    def _venue_by_event(self, sport: str, day: str) -> dict[str, pa.Table]:
        """One slate's prediction-market venue quotes (`gold.venues.venue_odds`: the taker odds at the best ask),
        split by event like the books' rows; cached while both silver files are unchanged."""
        paths = [partition_file(self.root, t, sport, day) for t in ("prediction_market", "prediction_price")]
        try:
            stamp = tuple((st.st_mtime_ns, st.st_size) for st in (p.stat() for p in paths))
        except FileNotFoundError:
            return {}
        return self._cached(f"venue:{sport}:{day}", stamp, lambda: self._venue_split(*paths))

    def _venue_split(self, markets_path: Path, prices_path: Path) -> dict[str, pa.Table]:
        from linelogic_assets.gold.venues import venue_odds

        markets = pq.read_table(markets_path).to_pandas()
        prices = pq.read_table(prices_path, filters=[("source", "=", "ask")]).to_pandas()
        refs = [self.index.refs[e] for e in markets["canonical_event_id"].dropna().unique() if e in self.index.refs]
        refs = [r for r in refs if r.commence_time_utc is not None]
        starts = pd.DataFrame({"canonical_event_id": [r.canonical_event_id for r in refs],
                               "commence_time_utc": pd.to_datetime([r.commence_time_utc for r in refs], utc=True)})
        quotes = venue_odds(markets, prices, starts)
        schema = pa.schema([_odds_schema().field(c) for c in ODDS_READ[1:]])
        return {eid: pa.Table.from_pandas(rows[ODDS_READ[1:]], schema=schema, preserve_index=False)
                for eid, rows in quotes.groupby("canonical_event_id", sort=False)}

    def event_odds(self, event_id: str | EventRef) -> tuple[EventRef, pa.Table]:
        """Every odds row of one event (the query columns but the event id), read from its partition file(s) only."""
        ref = event_id if isinstance(event_id, EventRef) else self.resolve_event(event_id)
        tables = []
        for sport, day in ref.partitions:
            # the books' rows, then the prediction-market venues' taker quotes: one as-of rule prices both
            for events in (self._by_event(partition_file(self.root, "odds_snapshot", sport, day)),
                           self._venue_by_event(sport, day)):
                if events and ref.canonical_event_id in events:
                    tables.append(events[ref.canonical_event_id])
        if not tables:
            return ref, _odds_schema().empty_table().select(ODDS_READ[1:])
        return ref, tables[0] if len(tables) == 1 else pa.concat_tables(tables)

    def _quotes(self, event_id: str, at: datetime | None, market: str | None = None,
                pregame_only: bool = False) -> tuple[EventRef, pa.Table]:
        """The as-of rows of one event (optionally one market), with implied_prob and age_seconds."""
        if at is not None:
            at = require_aware(at)
        ref, odds = self.event_odds(event_id)
        if market is not None:
            odds = odds.filter(_eq(odds["market"], market))
        rows = as_of(odds, at, pregame_only=pregame_only)
        price = rows["price"].to_numpy()
        if at is not None:
            age = (_micros(at) - pc.cast(rows["snapshot_time_utc"], pa.int64()).to_numpy()) / 1e6
        else:
            age = np.full(rows.num_rows, np.nan)
        with np.errstate(divide="ignore"):
            rows = rows.append_column("implied_prob", pa.array(1.0 / price)).append_column("age_seconds", pa.array(age))
        return ref, rows

    # -- the queries ---------------------------------------------------------------------------

    def odds_at(self, event_id: str, at: datetime, market: str | None = None) -> pd.DataFrame:
        """Every book × market as it stood at `at`: its last snapshot at or before `at` (`gold.asof.quotes_asof_at`)."""
        if at is None:
            raise ValueError("odds_at needs a time: at=None is not allowed (a timezone-aware datetime)")
        _, rows = self._quotes(event_id, at, market)
        return _sort_odds(rows.select(ODDS_AT_COLUMNS), first=("bookmaker", "market")).to_pandas()

    def line_movement(self, event_id: str, bookmaker: str, market: str) -> pd.DataFrame:
        """Every observation of one book's market over time, oldest first, with the change since the last one.

        All observations are returned (one row per snapshot × selection); `prev_price`/`prev_point`
        are the same selection's previous observation, and `changed` is True on a selection's first
        observation and wherever its price or point differs from the previous one, so
        `df[df.changed]` is the line's path (the opener and each move).
        """
        _, odds = self.event_odds(event_id)
        odds = odds.filter(pc.and_(_eq(odds["bookmaker"], bookmaker), _eq(odds["market"], market)))
        df = _sort_odds(odds, first=("snapshot_time_utc",)).to_pandas()
        df["implied_prob"] = 1.0 / df["price"]
        series = ["selection", "participant"]
        # alternate lines (several points of one selection in one snapshot) are series of their own
        if df.duplicated(["snapshot_time_utc", *series]).any():
            series.append("point")
        g = df.groupby(series, dropna=False, sort=False)
        df["prev_price"] = g["price"].shift()
        df["prev_point"] = g["point"].shift()
        df["price_change"] = df["price"] - df["prev_price"]
        df["point_change"] = df["point"] - df["prev_point"]
        first = g.cumcount().eq(0)
        point_moved = ~((df["point"] == df["prev_point"]) | (df["point"].isna() & df["prev_point"].isna()))
        df["changed"] = first | (df["price"] != df["prev_price"]) | point_moved
        return df[MOVEMENT_COLUMNS].reset_index(drop=True)

    def best_odds(self, event_id: str, market: str, at: datetime | None = None) -> pd.DataFrame:
        """Per selection (and participant and point), the highest price across books, and who offers it.

        As of `at` by the same rule as `odds_at`; with no `at`, each book's latest pre-game snapshot.
        """
        _, rows = self._quotes(event_id, at, market, pregame_only=at is None)
        if rows.num_rows == 0:
            return pd.DataFrame(columns=BEST_COLUMNS)
        df = rows.to_pandas()
        keys = ["selection", "participant", "point"]
        df = df.assign(_best=df.groupby(keys, dropna=False, sort=False)["price"].transform("max"),
                       _n=df.groupby(keys, dropna=False, sort=False)["bookmaker"].transform("nunique"))
        top = df[np.isclose(df["price"], df["_best"], rtol=0, atol=1e-9)]
        out = (top.sort_values("bookmaker").groupby(keys, dropna=False, sort=False)
               .agg(price=("_best", "first"), price_american=("price_american", "first"),
                    bookmakers=("bookmaker", lambda s: sorted(set(s))), n_books=("_n", "first"),
                    snapshot_time_utc=("snapshot_time_utc", "max"))
               .reset_index())
        out["implied_prob"] = 1.0 / out["price"]
        out["n_books"] = out["n_books"].astype(int)
        out["participant"] = out["participant"].astype(object).where(out["participant"].notna(), None)
        return _sort_frame(out)[BEST_COLUMNS]

    def compare_books(self, event_id: str, market: str, at: datetime | None = None) -> pd.DataFrame:
        """Each book's quotes for one market side by side: implied probability, overround and fair probability.

        A book's market (per participant and line) is complete when it prices every selection any
        book prices for that market and line exactly once; its `overround` is Σ 1/price − 1 and its
        `fair_prob` is devigged with the configured method (`fair_method`). Incomplete markets get
        NaN `overround` and `fair_prob`.
        """
        from linelogic_assets.odds_math import devig_groups

        _, rows = self._quotes(event_id, at, market, pregame_only=at is None)
        if rows.num_rows == 0:
            return pd.DataFrame(columns=COMPARE_COLUMNS)
        df = _sort_odds(rows, first=("bookmaker",)).to_pandas()
        line = [df["participant"].fillna(""), line_key(df).fillna(np.inf)]
        # a book's market on a line is complete when it prices every selection any book prices there, once
        pos = df.groupby(line)["selection"].rank(method="dense").to_numpy(int) - 1
        width = df.groupby(line)["selection"].transform("nunique").to_numpy()
        group = df.groupby([df["bookmaker"], *line], sort=False).ngroup().to_numpy()
        group_width = np.zeros(group.max() + 1, dtype=int)
        group_width[group] = width
        df["fair_prob"], df["overround"] = devig_groups(group, pos, df["price"].to_numpy(float), group_width,
                                                        self.fair_method)
        df["complete"] = df["overround"].notna()
        return df[COMPARE_COLUMNS]

    def now(self) -> datetime:
        if self._now is None:
            return datetime.now(UTC)
        return require_aware(self._now(), "now")

    def _team_matcher(self, sport: str):
        if sport not in self._team_index:
            from linelogic_assets.registry.teams import TeamIndex

            try:
                self._team_index[sport] = TeamIndex(sport, self._team_aliases.get(sport))
            except (KeyError, FileNotFoundError):
                self._team_index[sport] = None
        return self._team_index[sport]

    def events(self, days: float, team: str | None = None, now: datetime | None = None) -> pd.DataFrame:
        """Events starting within `days` days before or after `now` (default: the provider's now), by start.

        `team` is resolved per sport with the team registry (full name, abbreviation, known aliases:
        matched on the canonical team id); where it resolves to no team, it is a case-insensitive
        substring of the home or away team's name.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        now = self.now() if now is None else require_aware(now, "now")
        ev = self.index.events
        lo, hi = pd.Timestamp(now - timedelta(days=days)), pd.Timestamp(now + timedelta(days=days))
        mask = ev["commence_time_utc"].between(lo, hi)
        if team:
            team_mask = pd.Series(False, index=ev.index)
            needle = team.strip().casefold()
            for sport, sub in ev.groupby("sport"):
                resolved = (idx := self._team_matcher(sport)) and idx.resolve(team)
                if resolved:
                    hit = sub["home_team_id"].eq(resolved.id) | sub["away_team_id"].eq(resolved.id)
                else:
                    hit = (sub["home_team"].fillna("").str.casefold().str.contains(needle, regex=False)
                           | sub["away_team"].fillna("").str.casefold().str.contains(needle, regex=False))
                team_mask.loc[sub.index] = hit
            mask &= team_mask
        return ev.loc[mask, EVENT_COLUMNS].reset_index(drop=True)


__all__ = ["AmbiguousEventError", "EventIndex", "EventRef", "LakeQuery", "UnknownEventError", "as_of",
           "require_aware"]
