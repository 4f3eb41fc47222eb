"""Polymarket into the canonical silver model: `prediction_market` and `prediction_price` per sport × slate.

- `prediction_market`: every game market of the slate, one row per outcome token, classified (h2h, spreads,
  totals) with its line on the sportsbook convention and matched to a canonical event by the ticker's teams
  within ±24 h of noon UTC on its date. A market that is not a game market, or matches no event or several,
  is quarantined with the reason and the raw file it came from.
- `prediction_price`: token × time → price, from the price histories (source `history`, duplicated
  timestamps deduplicated) and the book snapshots (`bid`, `ask` with their sizes, and `mid`).
"""


import json
from collections import OrderedDict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake import checks as framework
from linelogic_assets.lake.checks import ERROR, WARN, Check, Outcome
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.ranges import (
    PerSlate,
    Slate,
    SlateBuild,
    evaluations,
    row_counts,
    run_range,
    slice_of,
)
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.partitions import RANGE_POLICY, sport_date_partitions
from linelogic_assets.providers.polymarket.assets import (
    NAME,
    polymarket_books,
    polymarket_events,
    polymarket_prices_history,
)
from linelogic_assets.providers.polymarket.matching import MarketMatch, candidate_events, match_markets
from linelogic_assets.providers.polymarket.normalise import book_rows, history_rows, market_rows
from linelogic_assets.providers.polymarket.retention import due_tokens
from linelogic_assets.providers.polymarket.schemas import (
    DESCRIPTIONS,
    SCHEMAS,
    conform_frame,
    empty_frame,
)
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.sports import League, league_for

SUM_TOLERANCE = 0.05  # the two sides' mids of one market sum to 1 within this (spread and rounding)
_part = dict(group_name="silver", partitions_def=sport_date_partitions, backfill_policy=RANGE_POLICY, io_manager_key="silver_io", kinds={"parquet"})


# A slate's match, kept for the process: `silver_events` (its links) and `prediction_market` (its market rows) of
# one run read the same listings against the same events, so the second is served the first's result. The key
# is everything the match reads: the events, the team index and each listing file (its reference, size and
# modification time, so even a file rewritten in place is read again).
_MATCHES: OrderedDict[tuple, tuple[MarketMatch, list[dict]]] = OrderedDict()
MATCHES_KEPT = 512  # more than a season's slates of one sport (a range run asks for each twice, in two steps)


def match_slate(store: BronzeStore, league: League, day: date, events: pd.DataFrame, index: TeamIndex,
                quarantine: Quarantine) -> MarketMatch:
    """The slate's game markets matched to its canonical events (a listing that cannot be read is quarantined).
    The links' `created_at` is the first listing's snapshot time, so a rebuild writes the same rows."""
    responses = partition_responses(store, NAME, league.sport_key, day, ("events",))
    key = (str(store.root), league.sport_key, day, index.key, _events_key(events),
           tuple((r.raw_ref, r.valid_json, r.snapshot_time, r.ingested_at, *_stamp(r.path)) for r in responses))
    if key not in _MATCHES:
        own = Quarantine(quarantine.sport, quarantine.table)
        _MATCHES[key] = (_match(responses, league, day, events, index, own), own.records)
        while len(_MATCHES) > MATCHES_KEPT:
            _MATCHES.popitem(last=False)
    _MATCHES.move_to_end(key)
    match, records = _MATCHES[key]
    quarantine.records.extend({**r, "sport": quarantine.sport, "table": quarantine.table} for r in records)
    return MarketMatch(*(frame.copy() for frame in match))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:  # a missing file: the match reads it and says so
        return -1, -1
    return st.st_size, st.st_mtime_ns


def _events_key(events: pd.DataFrame) -> tuple:
    """The canonical events as the matcher reads them, whatever the frame's dtypes (built, or read back)."""
    ev = candidate_events(events)
    start = ev["start"].astype("datetime64[ns, UTC]").astype("int64")
    return tuple(zip(*(ev[c].astype(str) for c in ("canonical_event_id", "league", "home_team_id", "away_team_id")),
                     start, strict=True))


def _match(responses: list, league: League, day: date, events: pd.DataFrame, index: TeamIndex,
           quarantine: Quarantine) -> MarketMatch:
    frames, seen = [], []
    for r, bodies in decoded(responses, quarantine):
        if (t := r.snapshot_time or r.ingested_at) is not None:
            seen.append(t)
        for body in bodies:
            rows, rejected = market_rows(body, league.sport_key, index)
            for rej in rejected:
                if rej.kind != "other_league":
                    rej.to_quarantine(quarantine, raw_ref=r.raw_ref)
            frames.append(rows)
    markets = pd.concat(frames, ignore_index=True) if frames else empty_frame("prediction_market")
    # one row per token: a later listing of the same market (its price, its closing) wins
    markets = markets.drop_duplicates("token_id", keep="last")
    start, end = league.slate_bounds_utc(day)
    in_slate = markets["game_start_utc"].between(pd.Timestamp(start), pd.Timestamp(end), inclusive="left")
    markets = markets[in_slate.fillna(False).astype(bool)]
    return match_markets(markets, events, index, now=min(seen) if seen else None)


def build_markets(store: BronzeStore, league: League, day: date, events: pd.DataFrame, index: TeamIndex,
                  quarantine: Quarantine, fee_rate: float) -> pd.DataFrame:
    """The slate's matched market rows; everything else quarantined with its reason."""
    match = match_slate(store, league, day, events, index, quarantine)
    for eid, group in match.quarantined.groupby("provider_event_id", dropna=False):
        quarantine.add("unmatched", str(group["reason"].iloc[0]), provider=NAME, endpoint="events", rows=len(group),
                       detail={"provider_event_id": eid, "ticker": group["ticker"].iloc[0]})
    matched = match.matched.drop(columns=["home_away_swapped"], errors="ignore").assign(venue=NAME, fee_rate=fee_rate)
    return conform_frame("prediction_market", matched)  # conform puts the rows in the table's order


def event_links(store: BronzeStore, league: League, day: date, events: pd.DataFrame, index: TeamIndex) -> pd.DataFrame:
    """`event_provider_map` rows of the slate's matched Gamma events, with match method and confidence
    (the market rows and their quarantine are `prediction_market`'s)."""
    throwaway = Quarantine(league.sport_key, "event")
    return match_slate(store, league, day, events, index, throwaway).provider_map


def build_prices(store: BronzeStore, sport: str, day: date, tokens: set[str], quarantine: Quarantine) -> pd.DataFrame:
    """Every price point of the slate's tokens held in bronze, deduplicated on (token, time, source)."""
    frames = []
    for endpoint, reader in (("prices_history", _history), ("book", _book)):
        for folder, manifest in store.manifests(NAME, sport, day, endpoint):
            for held in store.responses(folder, manifest):
                if not held.entry.get("valid_json", True):
                    continue
                token = str(held.entry.get("token_id") or "")
                if endpoint == "prices_history" and not token:
                    quarantine.add("body", "a price history without its token id (import it with --token)",
                                   provider=NAME, endpoint=endpoint, raw_ref=held.entry.get("raw_ref"))
                    continue
                frame = reader(token, json.loads(held.read_bytes()), quarantine, held.entry.get("raw_ref"))
                if len(frame):
                    frames.append(frame)
    prices = pd.concat(frames, ignore_index=True) if frames else empty_frame("prediction_price")
    # only the tokens of the markets silver kept (not a quarantined market's, not another slate's)
    prices = prices[prices["token_id"].isin(tokens)].drop_duplicates(["token_id", "ts_utc", "source"], keep="last")
    return conform_frame("prediction_price", prices)  # conform puts the rows in the table's order


def _history(token: str, body: object, quarantine: Quarantine, raw_ref: str | None) -> pd.DataFrame:
    rows, rejected = history_rows(token, body)
    for rej in rejected:
        rej.to_quarantine(quarantine, raw_ref=raw_ref)
    return rows


def _book(token: str, body: object, quarantine: Quarantine, raw_ref: str | None) -> pd.DataFrame:
    rows, issues = book_rows(body)
    for issue in issues:
        if issue.kind != "unsorted":  # levels out of order are sorted here: noted by the normaliser, not lost
            quarantine.add(issue.kind, issue.reason, provider=NAME, endpoint="book", raw_ref=raw_ref,
                           detail={"token_id": issue.token_id or token})
    return rows


# -- checks -------------------------------------------------------------------------------------------

def prices_in_unit_interval(i: dict) -> Outcome:
    p = i["prices"]["price"]
    bad = int((~p.between(0.0, 1.0)).sum())
    return Outcome(bad == 0, {"rows": len(p), "outside_0_1": bad})


def sides_sum_to_one(i: dict) -> Outcome:
    """The latest mid (history or book mid) of a market's two tokens sums to about 1."""
    markets, prices = i["markets"], i["prices"]
    mids = prices[prices["source"].isin(["history", "mid"])].sort_values("ts_utc").groupby("token_id")["price"].last()
    pairs = markets.assign(mid=markets["token_id"].map(mids)).groupby("provider_market_id")["mid"].agg(["sum", "count"])
    pairs = pairs[pairs["count"] == 2]
    off = pairs[(pairs["sum"] - 1).abs() > SUM_TOLERANCE]
    worst = float((pairs["sum"] - 1).abs().max()) if len(pairs) else 0.0
    return Outcome(off.empty, {"markets": len(pairs), "off_by_more_than_tolerance": len(off), "max_abs_deviation": worst},
                   None if off.empty else f"{len(off)} of {len(pairs)} markets' two sides do not sum to 1 ± {SUM_TOLERANCE}")


def books_uncrossed(i: dict) -> Outcome:
    prices = i["prices"]
    top = prices[prices["source"].isin(["bid", "ask"])].pivot_table(index=["token_id", "ts_utc"], columns="source",
                                                                     values="price", aggfunc="first")
    crossed = int((top["bid"] >= top["ask"]).sum()) if {"bid", "ask"} <= set(top.columns) else 0
    return Outcome(crossed == 0, {"book_snapshots": len(top), "crossed": crossed})


def history_retained(i: dict) -> Outcome:
    """Finished markets whose full history is not stored yet, with the days left before it is gone; and closed
    markets whose history was fetched but came back empty (asked past the horizon, or never traded): lost."""
    due, markets, prices = i["due"], i["markets"], i["prices"]
    left = min((d.days_left for d in due), default=None)
    closed = set(markets.loc[markets["closed"].fillna(False).astype(bool), "token_id"]) if len(markets) else set()
    empty = closed - set(prices.loc[prices["source"] == "history", "token_id"]) - {d.token_id for d in due}
    problems = []
    if due:
        problems.append(f"{len(due)} finished market tokens lack their full history; the first is gone in "
                        f"{left:.1f} days (the retention sensor fetches them)")
    if empty:
        problems.append(f"{len(empty)} closed market tokens have an empty stored history (asked after the "
                        "retention horizon, or never traded): their price path is lost")
    return Outcome(not problems, {"tokens_missing_history": len(due),
                                  "min_days_left": None if left is None else round(left, 2),
                                  "closed_tokens_with_empty_history": len(empty)},
                   "; ".join(problems) or None)


def markets_matched(i: dict) -> Outcome:
    q = i["quarantine"]
    unmatched = sum(r["rows"] for r in q.records if r["kind"] == "unmatched")
    return Outcome(unmatched == 0, {"markets": int(i["markets"]["provider_market_id"].nunique()),
                                    "tokens_unmatched": unmatched},
                   None if not unmatched else f"{unmatched} market tokens matched no single canonical event (quarantined)")


CHECKS = (
    Check("prices_in_unit_interval", "prediction_price", ERROR, "Every price lies in [0, 1].", prices_in_unit_interval),
    Check("sides_sum_to_one", "prediction_price", WARN, f"The latest mids of a market's two tokens sum to 1 ± "
          f"{SUM_TOLERANCE}.", sides_sum_to_one),
    Check("books_uncrossed", "prediction_price", ERROR, "No book snapshot has its best bid at or above its best ask.",
          books_uncrossed),
    Check("history_retained", "prediction_price", WARN, "Every finished market's full price history is stored "
          "(fine points are kept only about 25 days after close), and no closed market's is empty.",
          history_retained),
    Check("markets_matched", "prediction_market", WARN, "Every game market of the slate matched exactly one canonical "
          "event (the rest are quarantined with the reason).", markets_matched),
)


# -- assets -------------------------------------------------------------------------------------------

def column_schema(table: str) -> dg.TableSchema:
    """The table's columns with their descriptions, as the asset's page shows them."""
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type), description=DESCRIPTIONS[table].get(f.name))
                                   for f in SCHEMAS[table]])


@dg.asset(name="prediction_market", **_part, metadata={"dagster/column_schema": column_schema("prediction_market")},
          deps=[polymarket_events], ins={"event": dg.AssetIn("event")},
          check_specs=framework.specs("prediction_market", CHECKS),
          description="Prediction-market game markets → canonical events: market type, line on the sportsbook "
          "convention and token id per canonical selection.")
def prediction_market(context: dg.AssetExecutionContext, lake: LakeResource, event: PerSlate) -> Iterator:
    from linelogic_assets.silver.io_manager import write_partition, write_quarantine

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for slate in todo:
            league = league_for(slate.sport)
            quarantine = Quarantine(slate.sport, "prediction_market")
            markets = build_markets(lake.bronze(), league, slate.day, slice_of(event, slate),
                                    lake.team_index(league.sport_key), quarantine, lake.config.polymarket.fee_rate)
            write_quarantine(lake.root, quarantine, slate.day)
            meta = {**row_counts(markets), "quarantined": len(quarantine.records),
                    "markets": int(markets["provider_market_id"].nunique()),
                    "events": int(markets["canonical_event_id"].nunique())}
            out[str(slate.key)] = SlateBuild({"prediction_market": markets}, {"prediction_market": meta}, evaluations(
                "prediction_market", {"markets": markets, "quarantine": quarantine}, CHECKS, slate.key))
        return out

    yield from run_range(context, build, lambda s, b: write_partition(
        lake.root, "prediction_market", s.sport, s.day, b.frames["prediction_market"]))


@dg.asset(name="prediction_price", **_part, metadata={"dagster/column_schema": column_schema("prediction_price")},
          deps=[polymarket_prices_history, polymarket_books],
          ins={"prediction_market": dg.AssetIn("prediction_market")},
          check_specs=framework.specs("prediction_price", CHECKS),
          description="Prediction-market prices: token × time → price and size, from price histories and book "
          "snapshots (best bid, best ask, mid).")
def prediction_price(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
                     prediction_market: PerSlate) -> Iterator:
    from linelogic_assets.silver.io_manager import write_partition, write_quarantine

    now = clock.run_now(context)

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for slate in todo:
            markets = slice_of(prediction_market, slate)
            quarantine = Quarantine(slate.sport, "prediction_price")
            prices = build_prices(lake.bronze(), slate.sport, slate.day, set(markets["token_id"]), quarantine)
            write_quarantine(lake.root, quarantine, slate.day)
            meta = {**row_counts(prices), "quarantined": len(quarantine.records),
                    "tokens": int(prices["token_id"].nunique())}
            due = due_tokens(lake.bronze(), league_for(slate.sport), slate.day, now,
                             lake.config.polymarket.retention_days)
            out[str(slate.key)] = SlateBuild({"prediction_price": prices}, {"prediction_price": meta}, evaluations(
                "prediction_price", {"markets": markets, "prices": prices, "due": due}, CHECKS, slate.key))
        return out

    yield from run_range(context, build, lambda s, b: write_partition(
        lake.root, "prediction_price", s.sport, s.day, b.frames["prediction_price"]))


assets = [prediction_market, prediction_price]
