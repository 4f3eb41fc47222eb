"""What a backtest reads: each book's quotes and the consensus at every decision point, movement and team
form to date, the events, their results and the closing reference — from the lake or from frames.

Every quote comes through gold's one as-of rule (`gold.asof.quotes_asof`: the last snapshot at or before the
decision time). Decision points that are configured buckets are read from the gold tables the gold assets
built (`book_lines`, `consensus_lines`, `pregame_training_rows`); custom offsets (T-90m) are computed from
silver `odds_snapshot` with the same gold functions. Labels never enter `features`.

Prediction-market venues are books here too: their taker quotes (`gold.venues.venue_odds`, the best ask with
the taker fee in the price) join `lines` at every decision point by the same as-of rule, so a strategy can bet
them; they never enter the consensus or the closing reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds

from linelogic_assets.config import GoldSettings, IngestConfig
from linelogic_assets.gold.asof import asof_points
from linelogic_assets.gold.clv import closing_reference
from linelogic_assets.gold.consensus import consensus, lines_asof
from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.gold.training import (
    FORM_FEATURES,
    MARKET_FEATURES,
    form_days,
    form_features,
    market_features,
)
from linelogic_assets.gold.venues import venue_lines
from linelogic_assets.silver.io_manager import read_range
from linelogic_assets.sports import league_for

FEATURES = [*MARKET_FEATURES, *FORM_FEATURES]
POINT = ["canonical_event_id", "bucket", "asof_time_utc"]
LINE_COLS = [*POINT, "commence_time_utc", "bookmaker", "market", "selection", "point", "price", "implied_prob",
             "fair_prob", "snapshot_time_utc", "is_sharp", "is_exchange", "complete", "outlier"]
CONS_COLS = [*POINT, "commence_time_utc", "market", "selection", "n_books", "point_median", "price_best",
             "fair_prob", "trimmed_fair_prob", "sharp_fair_prob", "sharp_point", "latest_snapshot_utc"]
EVENT_COLS = ["canonical_event_id", "sport", "league", "slate_date", "season", "home_team_id", "away_team_id",
              "commence_time_utc", "actual_start_utc", "status"]
RESULT_COLS = ["canonical_event_id", "home_score", "away_score", "winner", "margin", "total"]


class BacktestDataError(ValueError):
    """The lake cannot answer the backtest (no gold for the range, a table missing); says what to build."""


@dataclass(frozen=True)
class MarketData:
    """Everything a backtest of one sport over a date range reads; see the module docstring."""

    sport: str
    start: date
    end: date
    decisions: tuple[tuple[str, int], ...]  # (label, minutes relative to commence)
    lines: pd.DataFrame  # book lines at the decision points (LINE_COLS)
    consensus: pd.DataFrame  # consensus at the decision points (CONS_COLS)
    features: pd.DataFrame  # (canonical_event_id, bucket) → FEATURES, from information before the decision
    events: pd.DataFrame  # EVENT_COLS, slate dates start..end
    results: pd.DataFrame  # RESULT_COLS
    close: pd.DataFrame  # closing reference per event × market × selection (gold.clv.closing_reference)
    game_minutes: int
    settings: GoldSettings = field(default_factory=GoldSettings)
    missing_dates: tuple[date, ...] = ()  # slate dates with games but no lines at any decision point


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:  # DuckDB hands back Etc/UTC and ns; the engine compares against UTC
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert("UTC")
    return frame


def _missing(events: pd.DataFrame, lines: pd.DataFrame) -> tuple[date, ...]:
    played = events.loc[~events["status"].isin(["postponed", "cancelled"])]
    have = set(lines["canonical_event_id"])
    days = played.loc[~played["canonical_event_id"].isin(have), "slate_date"]
    covered = set(played.loc[played["canonical_event_id"].isin(have), "slate_date"])
    return tuple(sorted(d for d in set(days) if d not in covered))


def _features(odds: pd.DataFrame, points: pd.DataFrame, events: pd.DataFrame, history: pd.DataFrame,
              settings: GoldSettings, cons: pd.DataFrame, game_minutes: int) -> pd.DataFrame:
    if points.empty:
        return pd.DataFrame(columns=["canonical_event_id", "bucket", *FEATURES])
    market = market_features(odds, points, settings, cons)
    rows = points.merge(events[["canonical_event_id", "home_team_id", "away_team_id"]], on="canonical_event_id")
    rows = rows.reset_index(drop=True)
    form = pd.concat([rows[["canonical_event_id", "bucket"]],
                      form_features(rows, history, settings.form_games, game_minutes)], axis=1)
    out = market.merge(form, on=["canonical_event_id", "bucket"], how="left")
    return out[["canonical_event_id", "bucket", *FEATURES]]


def from_frames(sport: str, odds: pd.DataFrame, events: pd.DataFrame, results: pd.DataFrame,
                decisions: Sequence[tuple[str, int]], close_window: tuple[str, int],
                settings: GoldSettings | None = None, history: pd.DataFrame | None = None,
                now: datetime | None = None, start: date | None = None, end: date | None = None) -> MarketData:
    """MarketData from silver-shaped frames, through the gold functions (gold's own code path).

    `history` is the events-with-results the team form reads (default: `events` joined with `results`).
    """
    settings = settings or GoldSettings()
    game_minutes = league_for(sport).max_game_minutes
    events = events[[c for c in EVENT_COLS if c in events.columns]]
    results = results[RESULT_COLS]
    if history is None:
        history = events.merge(results[["canonical_event_id", "home_score", "away_score"]],
                               on="canonical_event_id", how="left")
    points = asof_points(events, odds, list(decisions), now)
    lines = lines_asof(odds, points, settings)
    cons = consensus(lines)
    close_label = close_window[0]
    if close_label in dict(decisions):
        close_cons = cons[cons["bucket"] == close_label]
    else:
        close_cons = consensus(lines_asof(odds, asof_points(events, odds, [close_window], now), settings))
    features = _features(odds, points, events, history, settings, cons, game_minutes)
    days = pd.to_datetime(events["slate_date"]).dt.date if len(events) else pd.Series([], dtype=object)
    return MarketData(
        sport=sport, start=start or (min(days) if len(days) else date.min),
        end=end or (max(days) if len(days) else date.min), decisions=tuple(decisions),
        lines=lines[LINE_COLS].reset_index(drop=True), consensus=cons[CONS_COLS].reset_index(drop=True),
        features=features, events=events.reset_index(drop=True), results=results.reset_index(drop=True),
        close=closing_reference(close_cons, close_label).reset_index(drop=True), game_minutes=game_minutes,
        settings=settings, missing_dates=_missing(events, lines))


def _gold(con: duckdb.DuckDBPyConnection, table: str, cols: list[str], sport: str, start: date, end: date,
          buckets: Sequence[str]) -> pd.DataFrame:
    sql = (f"SELECT {', '.join(cols)} FROM gold.{table} WHERE sport = ? AND slate_date BETWEEN ? AND ? "
           f"AND bucket IN ({', '.join('?' for _ in buckets)}) ORDER BY {', '.join(POINT)}")
    try:
        return _utc(con.execute(sql, [sport, start, end, *buckets]).fetchdf())
    except duckdb.CatalogException:
        raise BacktestDataError(f"gold has no table {table}: materialize the gold assets first") from None


def from_lake(root: Path, cfg: IngestConfig, sport: str, start: date, end: date,
              decisions: Sequence[tuple[str, int]]) -> MarketData:
    """MarketData for slate dates start..end of `sport` from the lake at `root` (gold DuckDB and silver)."""
    settings = cfg.gold
    close_window = cfg.snapshot_schedule.close_window()
    configured = dict(cfg.snapshot_schedule.offsets())
    buckets = [label for label, offset in decisions if configured.get(label) == offset]
    custom = [(label, offset) for label, offset in decisions if configured.get(label) != offset]
    game_minutes = league_for(sport).max_game_minutes
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    events = read_range(root, "event", sport, days)
    if events.empty:
        raise BacktestDataError(f"silver has no {sport} events for {start}..{end}: materialize silver first")
    events = events[EVENT_COLS]
    results = read_range(root, "event_result", sport, days)[RESULT_COLS]
    db = gold_database(root)
    if not db.exists():
        raise BacktestDataError(f"no gold warehouse at {db}: materialize the gold assets first")
    with duckdb.connect(str(db), read_only=True) as con:
        lines = _gold(con, "book_lines", LINE_COLS, sport, start, end, buckets) if buckets else None
        cons = _gold(con, "consensus_lines", CONS_COLS, sport, start, end, sorted({*buckets, close_window[0]}))
        feats = _gold(con, "pregame_training_rows", ["canonical_event_id", "bucket", "asof_time_utc", *FEATURES],
                      sport, start, end, buckets) if buckets else None
    close = closing_reference(cons[cons["bucket"] == close_window[0]], close_window[0])
    cons = cons[cons["bucket"].isin(buckets)]
    parts_lines = [lines] if buckets else []
    parts_cons = [cons] if buckets else []
    parts_feats = [feats.drop(columns="asof_time_utc")] if buckets else []
    if custom:  # offsets gold does not hold: the same gold functions over silver odds
        odds = read_range(root, "odds_snapshot", sport, days)
        lookback = form_days(start, end, settings.form_games)
        history = read_range(root, "event", sport, lookback).merge(read_range(root, "event_result", sport, lookback)[
            ["canonical_event_id", "home_score", "away_score"]], on="canonical_event_id", how="left")
        computed = from_frames(sport, odds, events, results, custom, close_window, settings, history, start=start,
                               end=end)
        parts_lines.append(computed.lines)
        parts_cons.append(computed.consensus)
        parts_feats.append(computed.features)
    lines = pd.concat(parts_lines, ignore_index=True)
    asks = read_range(root, "prediction_price", sport, days, ds.field("source") == "ask")  # not the long histories
    points = lines[[*POINT, "commence_time_utc"]].drop_duplicates(POINT)  # the books' decision points
    venues = venue_lines(read_range(root, "prediction_market", sport, days), asks, events, points,
                         settings)[LINE_COLS]
    lines = pd.concat([lines, venues], ignore_index=True) if len(venues) else lines
    return MarketData(
        sport=sport, start=start, end=end, decisions=tuple(decisions), lines=lines,
        consensus=pd.concat(parts_cons, ignore_index=True),
        features=pd.concat(parts_feats, ignore_index=True), events=events, results=results, close=close,
        game_minutes=game_minutes, settings=settings, missing_dates=_missing(events, lines))
