"""Gold assets: silver of one sport × slate date → model-ready DuckDB tables, with their checks.

All gold tables live in one DuckDB file (`GoldIOManager`, a slice per partition); the steps that write it
share the `duckdb` pool (limit 1), so writers never overlap. Every as-of question goes through `gold.asof`
(the last snapshot at or before the as-of time, never a later one).

Each asset takes one slate (a daily run) or a range (a backfill): a range is computed at once per sport
(`groups`) and each output row goes back to its event's slate, with that slate's metadata and checks.
Movement, training rows and opportunities share one step (`snapshot_paths`): all three stand on the consensus
at every snapshot time, which is the costliest thing gold computes.
"""


from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd

from linelogic_assets.config import IngestConfig
from linelogic_assets.gold import checks
from linelogic_assets.gold.asof import asof_points, close_source, snapshot_points
from linelogic_assets.gold.clv import clv_evaluation as clv_rows
from linelogic_assets.gold.consensus import consensus, lines_asof, series_lines
from linelogic_assets.gold.io_manager import gold_database, replace_slices, table_metadata
from linelogic_assets.gold.movement import book_series, consensus_series, movement_features
from linelogic_assets.gold.opportunities import market_opportunities as opportunities
from linelogic_assets.gold.opportunities import searched_cells
from linelogic_assets.gold.slates import Group, groups
from linelogic_assets.gold.training import build_training, form_days, form_lookback_days
from linelogic_assets.gold.venues import venue_divergence as divergence
from linelogic_assets.gold.venues import venue_lines
from linelogic_assets.lake import checks as check_results
from linelogic_assets.lake.ranges import PerSlate, Slate, SlateBuild, evaluations, row_counts, run_range
from linelogic_assets.partitions import RANGE_POLICY, sport_date_partitions
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.silver.io_manager import read_range
from linelogic_assets.silver.schemas import SCHEMAS as SILVER_SCHEMAS
from linelogic_assets.sports import league_for

GROUP = "gold"
IO = "gold_io"
_gold = dict(group_name=GROUP, partitions_def=sport_date_partitions, backfill_policy=RANGE_POLICY, io_manager_key=IO, kinds={"duckdb"},
             pool="duckdb")
# gold reads the odds without their lineage columns (raw reference, run id, record hash, ingest time): those are
# a third of a season's odds in memory, and no gold rule uses them
GOLD_ODDS_COLUMNS = [c for c in SILVER_SCHEMAS["odds_snapshot"].names
                     if c not in ("raw_ref", "ingest_run_id", "record_hash", "ingested_at_utc")]
_silver = {"odds_snapshot": dg.AssetIn("odds_snapshot", metadata={"columns": GOLD_ODDS_COLUMNS}),
           **{name: dg.AssetIn(name) for name in ("event", "event_result")}}
_venue = {name: dg.AssetIn(name) for name in ("prediction_market", "prediction_price")}  # prediction-market venues


def windows(cfg: IngestConfig) -> list[tuple[str, int]]:
    return cfg.snapshot_schedule.offsets()


def close_bucket(cfg: IngestConfig) -> str:
    return cfg.snapshot_schedule.close_window()[0]


def _evaluations(asset: str, inputs: checks.GoldInputs, slate: Slate) -> list:
    return evaluations(asset, inputs, checks.CHECKS, slate.key)


def _specs(asset: str) -> list[dg.AssetCheckSpec]:
    return check_results.specs(asset, checks.CHECKS)


def _built(asset: str, frames: dict[str, pd.DataFrame], meta: dict[str, dict], evals: dict[str, list]
           ) -> dict[str, SlateBuild]:
    return {k: SlateBuild({asset: frames[k]}, {asset: meta[k]}, evals[k]) for k in frames}


def _write(lake: LakeResource) -> Callable[[Slate, SlateBuild], None]:
    """Write a built slate's frames, each to its gold table (a step of several assets writes each it built)."""
    database = gold_database(lake.root)

    def write(slate: Slate, build: SlateBuild) -> None:
        for asset, frame in build.frames.items():
            replace_slices(database, asset, {str(slate.key): frame})
    return write


def _merged(parts: list[dict[str, SlateBuild]]) -> dict[str, SlateBuild]:
    """Several assets' builds of the same slates as one build per slate."""
    out: dict[str, SlateBuild] = {}
    for part in parts:
        for k, b in part.items():
            slate = out.setdefault(k, SlateBuild({}, {}, []))
            slate.frames.update(b.frames)
            slate.metadata.update(b.metadata)
            slate.checks.extend(b.checks)
    return out


@dg.asset(ins={"odds_snapshot": _silver["odds_snapshot"], "event": _silver["event"]},
          check_specs=_specs("book_lines"),
          description="Each book's last pregame quote at or before each as-of bucket (OPEN, T-6h, T-60m, T-15m, "
          "CLOSE), with implied and devigged fair probabilities per method and the outlier flag. Metadata "
          "`close_source` counts the events whose CLOSE is the CLOSE window's snapshot and those whose CLOSE fell "
          "back to an earlier one (with the oldest age).", metadata=table_metadata("book_lines"), **_gold)
def book_lines(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
               odds_snapshot: PerSlate, event: PerSlate) -> Iterator:
    cfg, now = lake.config, clock.run_now(context)
    close = close_bucket(cfg)

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for g in groups(todo, odds_snapshot, event):
            odds, events = g.inputs
            points = asof_points(events, odds, windows(cfg), now)
            frames, pts = g.split(lines_asof(odds, points, cfg.gold)), g.split(points, stamped=False)
            meta, evals = {}, {}
            for k, frame in frames.items():
                source = close_source(pts[k], frame, close, cfg.snapshot_schedule.staleness()[close])
                meta[k] = {**row_counts(frame), "buckets_due": len(pts[k]),
                           # which CLOSE the CLV and closing features stand on: the CLOSE snapshot, or an earlier one
                           "close_source": dg.MetadataValue.json(source),
                           "close_fallbacks": source["earlier_snapshot"],
                           "close_max_age_minutes": source["max_age_minutes"]}
                evals[k] = _evaluations("book_lines", checks.GoldInputs(cfg.gold, frame), g.slate(k))
            out.update(_built("book_lines", frames, meta, evals))
        return out

    yield from run_range(context, build, _write(lake))


@dg.asset(ins={"book_lines": dg.AssetIn("book_lines"), "odds_snapshot": _silver["odds_snapshot"],
               "event": _silver["event"]},
          check_specs=_specs("consensus_lines"),
          description="Consensus per event × market × selection × bucket: mean/median price and point, IQR and "
          "std across books, fair probability per devig method, outlier-trimmed and sharp-only fair prices.",
          metadata=table_metadata("consensus_lines"), **_gold)
def consensus_lines(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
                    book_lines: PerSlate, odds_snapshot: PerSlate, event: PerSlate) -> Iterator:
    cfg, now = lake.config, clock.run_now(context)

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for g in groups(todo, book_lines, odds_snapshot, event):
            lines, odds, events = g.inputs
            frames = g.split(consensus(lines))
            playing = events[~events["status"].isin(["postponed", "cancelled"])]  # a called-off game owes no more
            due = g.split(asof_points(playing, odds, windows(cfg), now), stamped=False)
            meta = {k: {**row_counts(f), "events": f["canonical_event_id"].nunique()} for k, f in frames.items()}
            evals = {k: _evaluations("consensus_lines", checks.GoldInputs(cfg.gold, f, points=due[k]), g.slate(k))
                     for k, f in frames.items()}
            out.update(_built("consensus_lines", frames, meta, evals))
        return out

    yield from run_range(context, build, _write(lake))


def form_history(lake: LakeResource, sport: str, day: date, form_games: int, last: date | None = None) -> pd.DataFrame:
    """Events with their results over the lookback before (and on) `day` (to `last`, for a range): enough for
    N games of any league. Read once per range."""
    days = form_days(day, last or day, form_games)
    events = read_range(lake.root, "event", sport, days)
    results = read_range(lake.root, "event_result", sport, days)
    return events.merge(results[["canonical_event_id", "home_score", "away_score"]], on="canonical_event_id",
                        how="left")


_PATH_OUTS = {
    "odds_movement_features": "Pregame line movement per event × market × selection, for each book and the consensus: "
    "open/close price, point and fair probability, deltas, volatility, late move, slopes, reversals.",
    "pregame_training_rows": "Leakage-safe rows keyed (canonical_event_id, bucket): labels, consensus and movement "
    "from snapshots at or before the as-of time, team form from games that ended before it.",
    "market_opportunities": "Arbitrage across books and prediction-market venues (with the stake split) and +EV "
    "quotes against the sportsbooks' devigged fair price, at every pregame snapshot. A venue is priced at its taker "
    "odds on the best ask (fee included).",
}
_PATH_DEPS = {  # what each of the three reads: the asset graph keeps each one's own lineage
    "odds_movement_features": {"odds_snapshot"},
    "pregame_training_rows": {"consensus_lines", "odds_snapshot", "event", "event_result"},
    "market_opportunities": {"odds_snapshot", "event", "prediction_market", "prediction_price"},
}


@dg.multi_asset(
    outs={name: dg.AssetOut(io_manager_key=IO, kinds={"duckdb"}, description=text, is_required=False,
                            metadata=table_metadata(name))
          for name, text in _PATH_OUTS.items()},
    ins={"consensus_lines": dg.AssetIn("consensus_lines"), **_silver, **_venue},
    internal_asset_deps={name: {dg.AssetKey(d) for d in deps} for name, deps in _PATH_DEPS.items()},
    check_specs=[spec for name in _PATH_OUTS for spec in _specs(name)],
    can_subset=True, group_name=GROUP, partitions_def=sport_date_partitions, backfill_policy=RANGE_POLICY,
    pool="duckdb",
)
def snapshot_paths(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
                   consensus_lines: PerSlate, odds_snapshot: PerSlate, event: PerSlate, event_result: PerSlate,
                   prediction_market: PerSlate, prediction_price: PerSlate) -> Iterator:
    """The three datasets that stand on the consensus path (every book's line and the consensus at every pregame
    snapshot time): movement, training rows and opportunities. The path is computed once per range and shared;
    a run of any subset of the three builds only those."""
    cfg, now = lake.config, clock.run_now(context)
    chosen = {k.path[-1] for k in context.selected_asset_keys}
    lookback = timedelta(days=form_lookback_days(cfg.gold.form_games))

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out: dict[str, SlateBuild] = {}
        for g in groups(todo, odds_snapshot, event, event_result, consensus_lines, prediction_market,
                        prediction_price):
            odds, events, results, cons, markets, prices = g.inputs
            lines = series_lines(odds, cfg.gold)
            path = consensus(lines)
            parts = []
            if "odds_movement_features" in chosen:
                parts.append(_movement(g, cfg, lines, path))
            if "market_opportunities" in chosen:
                parts.append(_opportunities(g, cfg, odds, events, markets, prices, lines, path))
            del lines  # every book's line at every snapshot is the step's largest frame: the proof below needs room
            if "pregame_training_rows" in chosen:
                parts.append(_training(g, lake, cfg, now, lookback, odds, events, results, cons, path))
            out.update(_merged(parts))
        return out

    yield from run_range(context, build, _write(lake))


def _movement(g: Group, cfg: IngestConfig, lines: pd.DataFrame, path: pd.DataFrame) -> dict[str, SlateBuild]:
    frames = g.split(movement_features(pd.concat([book_series(lines), consensus_series(path)], ignore_index=True)))
    return _built("odds_movement_features", frames, {k: row_counts(f) for k, f in frames.items()},
                  {k: _evaluations("odds_movement_features", checks.GoldInputs(cfg.gold, f), g.slate(k))
                   for k, f in frames.items()})


def _training(g: Group, lake: LakeResource, cfg: IngestConfig, now: datetime | None, lookback: timedelta, odds: pd.DataFrame,
              events: pd.DataFrame, results: pd.DataFrame, cons: pd.DataFrame, path: pd.DataFrame
              ) -> dict[str, SlateBuild]:
    league = league_for(g.slates[0].sport)
    history = form_history(lake, league.sport_key, g.slates[0].day, cfg.gold.form_games, g.slates[-1].day)
    frame = build_training(odds, events, results, history, cfg.gold, windows(cfg), now, league.max_game_minutes,
                           cons=cons, path=path)
    # the look-ahead proof, vectorised over the group, then counted per slate; it rebuilds the path itself from
    # the inputs cut at each as-of time, so it never trusts the shared one
    flags = checks.leakage_flags(checks.GoldInputs(
        cfg.gold, frame, now=now, odds=odds, events=events, history=history, windows=windows(cfg),
        game_minutes=league.max_game_minutes))
    frames = g.split(frame)
    held = g.split(flags.assign(canonical_event_id=frame["canonical_event_id"].to_numpy()), stamped=False)
    meta, evals = {}, {}
    for k, f in frames.items():
        s = g.slate(k)
        in_window = history["slate_date"].between(s.day - lookback, s.day)
        meta[k] = {**row_counts(f), "labelled": int(f["home_win"].notna().sum()),
                   "history_games": int(history.loc[in_window, "home_score"].notna().sum())}
        evals[k] = _evaluations("pregame_training_rows", checks.GoldInputs(
            cfg.gold, f, leakage=held[k].drop(columns="canonical_event_id")), s)
    return _built("pregame_training_rows", frames, meta, evals)


def _opportunities(g: Group, cfg: IngestConfig, odds: pd.DataFrame, events: pd.DataFrame, markets: pd.DataFrame,
                   prices: pd.DataFrame, lines: pd.DataFrame, path: pd.DataFrame) -> dict[str, SlateBuild]:
    # venues' quotes as of the books' snapshot points
    venues = venue_lines(markets, prices, events, snapshot_points(odds), cfg.gold)
    searched = pd.concat([lines, venues], ignore_index=True) if len(venues) else lines
    frames = g.split(opportunities(searched, path, cfg.gold))
    quotes, n_venue = g.split(searched, stamped=False), g.split(venues, stamped=False) if len(venues) else {}
    meta, evals = {}, {}
    for k, f in frames.items():
        cells = searched_cells(quotes[k])
        meta[k] = {**row_counts(f), "quotes": len(quotes[k]), "venue_quotes": len(n_venue.get(k, ())), "cells": cells}
        evals[k] = _evaluations("market_opportunities", checks.GoldInputs(
            cfg.gold, f, quotes=len(quotes[k]), cells=cells), g.slate(k))
    return _built("market_opportunities", frames, meta, evals)


@dg.asset(ins={"book_lines": dg.AssetIn("book_lines"), "consensus_lines": dg.AssetIn("consensus_lines")},
          check_specs=_specs("clv_evaluation"),
          description="Every book's price at every bucket against the closing fair probability (sharp close when "
          "Pinnacle/Circa quoted, else the consensus close): CLV % and, for spreads/totals, points gained.",
          metadata=table_metadata("clv_evaluation"), **_gold)
def clv_evaluation(context: dg.AssetExecutionContext, lake: LakeResource, book_lines: PerSlate,
                   consensus_lines: PerSlate) -> Iterator:
    cfg = lake.config

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for g in groups(todo, book_lines, consensus_lines):
            lines, cons = g.inputs
            frames = g.split(clv_rows(lines, cons, close_bucket(cfg)))
            out.update(_built("clv_evaluation", frames, {k: row_counts(f) for k, f in frames.items()}, {
                k: _evaluations("clv_evaluation", checks.GoldInputs(cfg.gold, f), g.slate(k))
                for k, f in frames.items()}))
        return out

    yield from run_range(context, build, _write(lake))


@dg.asset(ins={"consensus_lines": dg.AssetIn("consensus_lines"), **_venue},
          description="Prediction-market probability minus the sportsbooks' devigged fair probability (sharp at the "
          "same point, else the trimmed consensus) at each as-of bucket, with the venue's bid, ask and taker odds.",
          metadata=table_metadata("venue_divergence"), **_gold)
def venue_divergence(context: dg.AssetExecutionContext, lake: LakeResource, consensus_lines: PerSlate,
                     prediction_market: PerSlate, prediction_price: PerSlate) -> Iterator:
    age = timedelta(minutes=lake.config.gold.max_quote_age_minutes)

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for g in groups(todo, consensus_lines, prediction_market, prediction_price):
            cons, markets, prices = g.inputs
            frame = divergence(markets, prices, cons, age)
            frames = g.split(frame) if len(frame) else {str(s.key): frame for s in g.slates}
            meta = {}
            for k, f in frames.items():
                d = pd.to_numeric(f.get("divergence", pd.Series(dtype=float)), errors="coerce")
                meta[k] = {**row_counts(f), "events": int(f["canonical_event_id"].nunique()) if len(f) else 0,
                           "buckets": sorted(f["bucket"].unique().tolist()) if len(f) else [],
                           "mean_abs_divergence": float(d.abs().mean()) if d.notna().any() else None}
            out.update(_built("venue_divergence", frames, meta, dict.fromkeys(frames, [])))
        return out

    yield from run_range(context, build, _write(lake))


gold_assets = [book_lines, consensus_lines, snapshot_paths, clv_evaluation, venue_divergence]
