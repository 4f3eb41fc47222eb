"""Gold assets: silver of one sport × slate date → model-ready DuckDB tables, with their checks.

All gold tables live in one DuckDB file written through dagster-duckdb (`GoldIOManager`); the steps
that write it share the `duckdb` pool (limit 1), so writers never overlap. Every as-of question goes
through `gold.asof` (the last snapshot at or before the as-of time, never a later one).
"""


from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd

from linelogic_assets.config import IngestConfig
from linelogic_assets.gold import checks
from linelogic_assets.gold.asof import asof_points, close_source, snapshot_points
from linelogic_assets.gold.clv import clv_evaluation as clv_rows
from linelogic_assets.gold.consensus import consensus, lines_asof, series_lines
from linelogic_assets.gold.movement import book_series, consensus_series, movement_features
from linelogic_assets.gold.opportunities import market_opportunities as opportunities
from linelogic_assets.gold.opportunities import searched_cells
from linelogic_assets.gold.schemas import PARTITION_EXPR
from linelogic_assets.gold.training import build_training, form_days
from linelogic_assets.gold.venues import venue_divergence as divergence
from linelogic_assets.gold.venues import venue_lines
from linelogic_assets.lake import checks as check_results
from linelogic_assets.partitions import sport_and_date, sport_date_partitions
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.silver.io_manager import read_range
from linelogic_assets.sports import league_for
from linelogic_assets.timeutil import parse_ts

NOW_TAG = "linelogic/provider_now"
GROUP = "gold"
IO = "gold_io"
_gold = dict(group_name=GROUP, partitions_def=sport_date_partitions, io_manager_key=IO, kinds={"duckdb"},
             pool="duckdb", metadata={"partition_expr": PARTITION_EXPR})
_silver = {name: dg.AssetIn(name) for name in ("odds_snapshot", "event", "event_result")}
_venue = {name: dg.AssetIn(name) for name in ("prediction_market", "prediction_price")}  # prediction-market venues


def windows(cfg: IngestConfig) -> list[tuple[str, int]]:
    return cfg.snapshot_schedule.offsets()


def close_bucket(cfg: IngestConfig) -> str:
    return cfg.snapshot_schedule.close_window()[0]


def _stamp(frame: pd.DataFrame, sport: str, day: date) -> pd.DataFrame:
    return frame.assign(sport=sport, slate_date=day)


def _results(asset: str, inputs: checks.GoldInputs) -> list[dg.AssetCheckResult]:
    return check_results.results(asset, inputs, checks.CHECKS)


def _specs(asset: str) -> list[dg.AssetCheckSpec]:
    return check_results.specs(asset, checks.CHECKS)


@dg.asset(ins={"odds_snapshot": _silver["odds_snapshot"], "event": _silver["event"]},
          check_specs=_specs("book_lines"),
          description="Each book's last pregame quote at or before each as-of bucket (OPEN, T-6h, T-60m, T-15m, "
          "CLOSE), with implied and devigged fair probabilities per method and the outlier flag. Metadata "
          "`close_source` counts the events whose CLOSE is the CLOSE window's snapshot and those whose CLOSE fell "
          "back to an earlier one (with the oldest age).", **_gold)
def book_lines(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
               odds_snapshot: pd.DataFrame, event: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    cfg = lake.config
    points = asof_points(event, odds_snapshot, windows(cfg), run_now(context, clock))
    frame = _stamp(lines_asof(odds_snapshot, points, cfg.gold), sport, day)
    close = close_bucket(cfg)
    source = close_source(points, frame, close, cfg.snapshot_schedule.staleness()[close])
    yield dg.Output(frame, metadata={
        "rows": len(frame), "buckets_due": len(points),
        # which CLOSE the CLV and closing features stand on: the CLOSE snapshot, or an earlier one in its place
        "close_source": dg.MetadataValue.json(source),
        "close_fallbacks": source["earlier_snapshot"],
        "close_max_age_minutes": source["max_age_minutes"],
    })
    yield from _results("book_lines", checks.GoldInputs(cfg.gold, frame))


@dg.asset(ins={"book_lines": dg.AssetIn("book_lines"), "odds_snapshot": _silver["odds_snapshot"],
               "event": _silver["event"]},
          check_specs=_specs("consensus_lines"),
          description="Consensus per event × market × selection × bucket: mean/median price and point, IQR and "
          "std across books, fair probability per devig method, outlier-trimmed and sharp-only fair prices.",
          **_gold)
def consensus_lines(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
                    book_lines: pd.DataFrame, odds_snapshot: pd.DataFrame, event: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    cfg = lake.config
    frame = _stamp(consensus(book_lines), sport, day)
    yield dg.Output(frame, metadata={"rows": len(frame), "events": frame["canonical_event_id"].nunique()})
    playing = event[~event["status"].isin(["postponed", "cancelled"])]  # a called-off game owes no more buckets
    due = asof_points(playing, odds_snapshot, windows(cfg), run_now(context, clock))
    yield from _results("consensus_lines", checks.GoldInputs(cfg.gold, frame, points=due))


@dg.asset(ins={"odds_snapshot": _silver["odds_snapshot"]},
          check_specs=_specs("odds_movement_features"),
          description="Pregame line movement per event × market × selection, for each book and the consensus: "
          "open/close price, point and fair probability, deltas, volatility, late move, slopes, reversals.",
          **_gold)
def odds_movement_features(context: dg.AssetExecutionContext, lake: LakeResource,
                           odds_snapshot: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    cfg = lake.config
    lines = series_lines(odds_snapshot, cfg.gold)
    series = pd.concat([book_series(lines), consensus_series(consensus(lines))], ignore_index=True)
    frame = _stamp(movement_features(series), sport, day)
    yield dg.Output(frame, metadata={"rows": len(frame)})
    yield from _results("odds_movement_features", checks.GoldInputs(cfg.gold, frame))


def run_now(context: dg.AssetExecutionContext, clock: ClockResource) -> datetime:
    """The provider's now, read once per run: every gold step of a run cuts at the same instant, so
    book lines, consensus and training rows agree on which buckets are due even while the clock runs."""
    run = context.instance.get_run_by_id(context.run.run_id)
    held = run.tags.get(NOW_TAG) if run else None
    if held:
        return parse_ts(held)
    now = clock.now()
    context.instance.add_run_tags(context.run.run_id, {NOW_TAG: now.isoformat()})
    return now


def form_history(lake: LakeResource, sport: str, day: date, form_games: int) -> pd.DataFrame:
    """Events with their results over the lookback before (and on) `day`: enough for N games of any league."""
    days = form_days(day, day, form_games)
    events = read_range(lake.root, "event", sport, days)
    results = read_range(lake.root, "event_result", sport, days)
    return events.merge(results[["canonical_event_id", "home_score", "away_score"]], on="canonical_event_id",
                        how="left")


@dg.asset(ins={"consensus_lines": dg.AssetIn("consensus_lines"), **_silver},
          check_specs=_specs("pregame_training_rows"),
          description="Leakage-safe rows keyed (canonical_event_id, bucket): labels, consensus and movement from "
          "snapshots at or before the as-of time, team form from games that ended before it.", **_gold)
def pregame_training_rows(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
                          consensus_lines: pd.DataFrame, odds_snapshot: pd.DataFrame, event: pd.DataFrame,
                          event_result: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    cfg, league = lake.config, league_for(sport)
    now = run_now(context, clock)
    history = form_history(lake, sport, day, cfg.gold.form_games)
    frame = build_training(odds_snapshot, event, event_result, history, cfg.gold, windows(cfg), now,
                           league.max_game_minutes, cons=consensus_lines)
    frame = _stamp(frame, sport, day)
    yield dg.Output(frame, metadata={"rows": len(frame), "labelled": int(frame["home_win"].notna().sum()),
                                     "history_games": int(history["home_score"].notna().sum())})
    yield from _results("pregame_training_rows", checks.GoldInputs(
        cfg.gold, frame, now=now, odds=odds_snapshot, events=event, history=history, windows=windows(cfg),
        game_minutes=league.max_game_minutes))


@dg.asset(ins={"book_lines": dg.AssetIn("book_lines"), "consensus_lines": dg.AssetIn("consensus_lines")},
          check_specs=_specs("clv_evaluation"),
          description="Every book's price at every bucket against the closing fair probability (sharp close when "
          "Pinnacle/Circa quoted, else the consensus close): CLV % and, for spreads/totals, points gained.",
          **_gold)
def clv_evaluation(context: dg.AssetExecutionContext, lake: LakeResource, book_lines: pd.DataFrame,
                   consensus_lines: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    cfg = lake.config
    frame = _stamp(clv_rows(book_lines, consensus_lines, close_bucket(cfg)), sport, day)
    yield dg.Output(frame, metadata={"rows": len(frame)})
    yield from _results("clv_evaluation", checks.GoldInputs(cfg.gold, frame))


@dg.asset(ins={"odds_snapshot": _silver["odds_snapshot"], "event": _silver["event"], **_venue},
          check_specs=_specs("market_opportunities"),
          description="Arbitrage across books and prediction-market venues (with the stake split) and +EV quotes "
          "against the sportsbooks' devigged fair price, at every pregame snapshot. A venue is priced at its taker "
          "odds on the best ask (fee included).", **_gold)
def market_opportunities(context: dg.AssetExecutionContext, lake: LakeResource, odds_snapshot: pd.DataFrame,
                         event: pd.DataFrame, prediction_market: pd.DataFrame,
                         prediction_price: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    cfg = lake.config
    lines = series_lines(odds_snapshot, cfg.gold)
    # venues' quotes as of the books' snapshot points
    venues = venue_lines(prediction_market, prediction_price, event, snapshot_points(odds_snapshot), cfg.gold)
    searched = pd.concat([lines, venues], ignore_index=True) if len(venues) else lines
    frame = _stamp(opportunities(searched, consensus(lines), cfg.gold), sport, day)
    cells = searched_cells(searched)
    yield dg.Output(frame, metadata={"rows": len(frame), "quotes": len(searched), "venue_quotes": len(venues),
                                     "cells": cells})
    yield from _results("market_opportunities", checks.GoldInputs(cfg.gold, frame, quotes=len(searched), cells=cells))


@dg.asset(ins={"consensus_lines": dg.AssetIn("consensus_lines"), **_venue},
          description="Prediction-market probability minus the sportsbooks' devigged fair probability (sharp at the "
          "same point, else the trimmed consensus) at each as-of bucket, with the venue's bid, ask and taker odds.",
          **_gold)
def venue_divergence(context: dg.AssetExecutionContext, lake: LakeResource, consensus_lines: pd.DataFrame,
                     prediction_market: pd.DataFrame, prediction_price: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    frame = divergence(prediction_market, prediction_price, consensus_lines,
                       timedelta(minutes=lake.config.gold.max_quote_age_minutes))
    frame = _stamp(frame, sport, day) if len(frame) else frame
    d = pd.to_numeric(frame.get("divergence", pd.Series(dtype=float)), errors="coerce")
    yield dg.Output(frame, metadata={
        "rows": len(frame), "dagster/row_count": len(frame),
        "events": int(frame["canonical_event_id"].nunique()) if len(frame) else 0,
        "buckets": sorted(frame["bucket"].unique().tolist()) if len(frame) else [],
        "mean_abs_divergence": float(d.abs().mean()) if d.notna().any() else None,
    })


gold_assets = [book_lines, consensus_lines, odds_movement_features, pregame_training_rows, clv_evaluation,
               market_opportunities, venue_divergence]