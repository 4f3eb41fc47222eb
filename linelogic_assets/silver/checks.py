"""Silver validation and reconciliation checks.

Each check is a plain function of the partition's frames, so tests can run it on a crafted
partition; `results()` turns them into Dagster check results with their numbers as metadata.
ERROR checks block: bad identities, prices or times must never reach gold. For `odds_snapshot` the
normaliser has already quarantined every row that breaks them (the same rule, `odds_problems`), so
they can only fail on a platform bug; what the provider sent wrong is counted by the WARN
`quarantine` check. WARN checks flag data for review without rejecting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

from linelogic_assets.lake import checks as framework
from linelogic_assets.lake.checks import ERROR, WARN, Check, Outcome
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.registry.books import is_exchange
from linelogic_assets.silver.odds import ODDS_KEY
from linelogic_assets.silver.odds_rules import (
    DECIMAL_RANGE,
    IDENTITY,
    MAX_AMERICAN,
    POINT_BOUNDS,
    odds_problems,
    point_bounds,
)

# odds_snapshot's quarantine check fails (WARN) above this share of quarantined outcome rows: one bad
# quote on a slate is noted in its metadata; a feed that breaks systematically is flagged
QUARANTINE_WARN_SHARE = 0.01
GAME_LENGTH = timedelta(hours=4)  # after this a game without a result is overdue
OVERROUND = (0.02, 0.15)
MAX_MOVE = {"spreads": 10.0, "totals": 20.0}  # points between consecutive snapshots
# the two-way markets and the two sides each must quote
TWO_WAY_SIDES = {"h2h": ("home", "away"), "spreads": ("home", "away"), "totals": ("over", "under"),
                 "h2h_lay": ("home", "away")}
TWO_WAY = tuple(TWO_WAY_SIDES)


@dataclass
class CheckInputs:
    sport: str
    league: str
    now: datetime
    quarantine: Quarantine
    odds: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    results: pd.DataFrame | None = None
    event_map: pd.DataFrame | None = None
    team_stats: pd.DataFrame | None = None


def _tz_problems(df: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if c in df and str(getattr(df[c].dt, "tz", None)) != "UTC"]


# -- odds_snapshot ------------------------------------------------------------------------

def odds_identity(i: CheckInputs) -> Outcome:
    df = i.odds
    masks = odds_problems(df, point_bounds(i.league), check="ids_and_times")
    nulls = {c: int(masks[f"null_{c}"].sum()) for c in IDENTITY}
    not_utc = _tz_problems(df, ["snapshot_time_utc", "commence_time_utc", "ingested_at_utc", "bookmaker_last_update_utc"])
    bad = sum(nulls.values())
    return Outcome(not bad and not not_utc, {"rows": len(df), "nulls": nulls, "non_utc_columns": not_utc},
                   None if not bad and not not_utc else f"{bad} null identity value(s); non-UTC columns {not_utc}")


def odds_price_bounds(i: CheckInputs) -> Outcome:
    df = i.odds
    masks = odds_problems(df, point_bounds(i.league), check="price_bounds")
    counts = {name: int(m.sum()) for name, m in masks.items()}
    wrong = np.zeros(len(df), bool)
    for m in masks.values():
        wrong |= m
    bad = int(wrong.sum())
    spread_max, (total_lo, total_hi) = POINT_BOUNDS.get(i.league, (None, (None, None)))
    bounds = {"spread": spread_max, "total": [total_lo, total_hi], "american": MAX_AMERICAN,
              "decimal": list(DECIMAL_RANGE)}
    return Outcome(not bad, {"rows": len(df), **counts, "bounds": bounds,
                             "examples": _records(df[wrong].head(5), ["bookmaker", "market", "selection", "price",
                                                                      "point", "raw_ref"])},
                   f"{bad} row(s) with impossible prices or points" if bad else None)


def odds_unique(i: CheckInputs) -> Outcome:
    dup = i.odds.duplicated(ODDS_KEY, keep=False)
    n = int(dup.sum())
    return Outcome(not n, {"rows": len(i.odds), "duplicate_rows": n, "key": ODDS_KEY,
                           "examples": _records(i.odds[dup].head(4), ODDS_KEY + ["price", "raw_ref"])},
                   f"{n} rows share an (event, snapshot, book, market, selection, point) with a different price"
                   if n else None)


def odds_not_in_future(i: CheckInputs) -> Outcome:
    masks = odds_problems(i.odds, point_bounds(i.league), i.now, check="no_future_times")
    snap, upd = int(masks["snapshot_time_in_future"].sum()), int(masks["last_update_in_future"].sum())
    return Outcome(not (snap or upd), {"now": i.now.isoformat(), "snapshot_time_in_future": snap,
                                       "last_update_in_future": upd},
                   f"{snap} snapshot time(s) and {upd} last_update(s) after {i.now.isoformat()}" if snap or upd else None)


def _sided(df: pd.DataFrame) -> pd.DataFrame:
    """Main two-way market rows with the key that pairs their sides."""
    main = df[df["market"].isin(TWO_WAY)].copy()
    main["line"] = np.where(main["market"] == "spreads", main["point"].abs(),
                            np.where(main["market"] == "totals", main["point"], 0.0))
    main["participant"] = main["participant"].fillna("")
    return main


_PAIR = ["canonical_event_id", "snapshot_time_utc", "bookmaker", "market", "participant", "line"]


def odds_two_sided(i: CheckInputs) -> Outcome:
    main = _sided(i.odds)
    if main.empty:
        return Outcome(True, {"markets_checked": 0})
    # per market quote: is each of its two expected sides among the rows (vectorised: a season is ~10^6 rows)
    first = main["market"].map({m: a for m, (a, _) in TWO_WAY_SIDES.items()})
    second = main["market"].map({m: b for m, (_, b) in TWO_WAY_SIDES.items()})
    have = pd.DataFrame({"a": main["selection"].eq(first), "b": main["selection"].eq(second)})
    gid = main.groupby(_PAIR, dropna=False, sort=True).ngroup().to_numpy()
    complete = have.groupby(gid, sort=True).any().all(axis=1).to_numpy()
    missing = np.flatnonzero(~complete)
    first_rows = main.assign(_g=gid).drop_duplicates("_g").set_index("_g")
    examples = [{c: str(first_rows.at[n, c]) for c in _PAIR}
                | {"sides": sorted(set(main["selection"].to_numpy()[gid == n]))} for n in missing[:5]]
    return Outcome(not len(missing), {"markets_checked": len(complete), "one_sided": len(missing),
                                      "examples": examples},
                   f"{len(missing)} market quote(s) have only one side" if len(missing) else None)


def odds_spread_inverse(i: CheckInputs) -> Outcome:
    sp = i.odds[i.odds["market"] == "spreads"]
    if sp.empty:
        return Outcome(True, {"pairs_checked": 0})
    key = ["canonical_event_id", "snapshot_time_utc", "bookmaker"]
    home = sp[sp["selection"] == "home"].groupby(key)["point"].first()
    away = sp[sp["selection"] == "away"].groupby(key)["point"].first()
    both = pd.concat([home.rename("home"), away.rename("away")], axis=1).dropna()
    bad = both[(both["home"] + both["away"]).abs() > 1e-9]
    return Outcome(bad.empty, {"pairs_checked": len(both), "not_inverse": len(bad),
                               "examples": [{"event": k[0], "snapshot": str(k[1]), "book": k[2], **v}
                                            for k, v in bad.head(5).to_dict("index").items()]},
                   f"{len(bad)} spread pair(s) whose points are not +x/−x" if len(bad) else None)


def odds_overround(i: CheckInputs) -> Outcome:
    main = _sided(i.odds)
    main = main[(main["market"] != "h2h_lay") & ~main["bookmaker"].map(is_exchange)]
    if main.empty:
        return Outcome(True, {"markets_checked": 0, "exchanges_exempt": True})
    g = main.assign(inv=1.0 / main["price"]).groupby(_PAIR, dropna=False)
    over = g["inv"].sum()[g.size() >= 2] - 1.0
    lo, hi = OVERROUND
    out = over[(over < lo) | (over > hi)]
    by_book = out.groupby(level="bookmaker").size().to_dict()
    return Outcome(out.empty, {"markets_checked": len(over), "out_of_range": len(out), "bounds": list(OVERROUND),
                               "median_overround": round(float(over.median()), 4) if len(over) else None,
                               "out_of_range_by_book": by_book, "exchanges_exempt": True},
                   f"{len(out)} of {len(over)} market quotes have an overround outside {lo:.0%}–{hi:.0%}"
                   if len(out) else None)


def odds_movement(i: CheckInputs) -> Outcome:
    """Pregame lines only: in play a spread legitimately runs with the score."""
    live = i.odds["is_live"].fillna(False).astype(bool)
    df = i.odds[i.odds["market"].isin(list(MAX_MOVE)) & ~live]
    if df.empty:
        return Outcome(True, {"moves_checked": 0, "in_play_rows_exempt": int(i.odds["is_live"].sum())})
    key = ["canonical_event_id", "bookmaker", "market", "selection", "participant"]
    df = df.assign(participant=df["participant"].fillna("")).sort_values(key + ["snapshot_time_utc"])
    move = df.groupby(key, dropna=False)["point"].diff().abs()
    limit = df["market"].map(MAX_MOVE)
    bad = df[move > limit]
    return Outcome(bad.empty, {"moves_checked": int(move.notna().sum()), "excessive": len(bad),
                               "in_play_rows_exempt": int(i.odds["is_live"].sum()),
                               "limits": MAX_MOVE, "max_move": {m: _float0(move[df["market"] == m].max())
                                                                 for m in MAX_MOVE if (df["market"] == m).any()},
                               "examples": _records(bad.head(5), key + ["snapshot_time_utc", "point"])},
                   f"{len(bad)} line move(s) beyond {MAX_MOVE} between consecutive snapshots" if len(bad) else None)


def odds_coverage(i: CheckInputs) -> Outcome:
    ev = i.events[~i.events["status"].isin(["postponed", "cancelled"])]
    ids = set(ev["canonical_event_id"])
    odds = i.odds[i.odds["canonical_event_id"].isin(ids)]  # shares are of the events that should have odds
    with_odds = ids & set(odds["canonical_event_id"])
    share = len(with_odds) / len(ids) if ids else 1.0
    per_market = {m: round(g["canonical_event_id"].nunique() / len(ids), 3) for m, g in odds.groupby("market")}
    per_book = {b: round(g["canonical_event_id"].nunique() / len(ids), 3) for b, g in odds.groupby("bookmaker")}
    missing = sorted(ids - with_odds)
    return Outcome(not missing, {"events": len(ids), "events_with_odds": len(with_odds), "share": round(share, 4),
                                 "share_by_market": per_market, "share_by_bookmaker": per_book,
                                 "events_without_odds": missing[:20]},
                   f"{len(missing)} of {len(ids)} events have no odds snapshot" if missing else None)


def quarantined(i: CheckInputs) -> Outcome:
    """Fails (as WARN) on any quarantine; for odds_snapshot, on a response or event quarantined whole
    (how many rows it held is unknown) or on more than QUARANTINE_WARN_SHARE of outcome rows."""
    q = i.quarantine
    meta: dict[str, Any] = {"quarantined_records": len(q.records), "quarantined_rows": q.rows(),
                            "by_kind": q.counts(), "examples": q.examples()}
    summary = f"{len(q.records)} item(s) quarantined ({q.rows()} rows): {q.records[0]['reason']}" if q.records else None
    if q.table != "odds_snapshot" or i.odds is None:
        return Outcome(not q.records, meta, summary)
    rows = sum(r["rows"] for r in q.records if r["kind"] == "rows")
    whole = sum(1 for r in q.records if r["kind"] != "rows")
    share = rows / (rows + len(i.odds)) if rows else 0.0
    passed = not whole and share <= QUARANTINE_WARN_SHARE
    meta |= {"table_rows": len(i.odds), "quarantined_outcome_rows": rows, "quarantined_share": round(share, 6),
             "warn_above_share": QUARANTINE_WARN_SHARE, "quarantined_whole": whole}
    if summary:
        summary += (f"; {share:.2%} of outcome rows quarantined (WARN above {QUARANTINE_WARN_SHARE:.0%}), "
                    f"{whole} response(s) or event(s) whole")
    return Outcome(passed, meta, summary)


# -- event -----------------------------------------------------------------------------------

def event_identity(i: CheckInputs) -> Outcome:
    ev = i.events
    nulls = {c: int(ev[c].isna().sum()) for c in ("canonical_event_id", "home_team_id", "away_team_id")}
    dup = int(ev["canonical_event_id"].dropna().duplicated().sum())
    self_play = int((ev["home_team_id"] == ev["away_team_id"]).sum())
    not_utc = _tz_problems(ev, ["commence_time_utc", "actual_start_utc", "first_seen_utc", "last_seen_utc"])
    bad = sum(nulls.values()) + dup + self_play
    return Outcome(not bad and not not_utc, {"events": len(ev), "nulls": nulls, "duplicate_ids": dup,
                                             "team_plays_itself": self_play, "non_utc_columns": not_utc,
                                             "without_start_time": int(ev["commence_time_utc"].isna().sum())},
                   f"{bad} identity problem(s); non-UTC columns {not_utc}" if bad or not_utc else None)


def event_matching(i: CheckInputs) -> Outcome:
    m = i.event_map
    low = m[~(m["match_confidence"] >= 0.9) | m["home_away_swapped"].fillna(False).astype(bool)]
    return Outcome(low.empty, {"provider_events": len(m), "low_confidence_or_swapped": len(low),
                               "by_method": m["match_method"].value_counts().to_dict(),
                               "examples": _records(low.head(5), ["provider", "provider_event_id", "match_method",
                                                                  "match_confidence"])},
                   f"{len(low)} provider event(s) matched by a fallback (fuzzy names or swapped home/away)"
                   if len(low) else None)


def event_results(i: CheckInputs) -> Outcome:
    ev, res = i.events, i.results
    due = ev[(ev["status"] == "final") | ((ev["commence_time_utc"] + GAME_LENGTH < pd.Timestamp(i.now))
                                          & ~ev["status"].isin(["postponed", "cancelled"]))]
    missing = sorted(set(due["canonical_event_id"]) - set(res["canonical_event_id"]))
    disagree = int((res["providers_agree"] == False).sum())  # noqa: E712 (nullable column)
    ok = not missing and not disagree
    return Outcome(ok, {"finished_events": len(due), "with_result": len(due) - len(missing),
                        "finished_without_result": missing[:20], "providers_disagree": disagree},
                   None if ok else f"{len(missing)} finished event(s) without a result; "
                                   f"{disagree} result(s) where providers disagree")


def event_provider_coverage(i: CheckInputs) -> Outcome:
    providers = i.events["providers"].str.split(",")
    seen = set().union(*providers) if len(providers) else set()
    if len(seen) < 2:
        return Outcome(True, {"providers_in_partition": sorted(seen), "note": "one provider only: nothing to reconcile"})
    live = ~i.events["status"].isin(["postponed", "cancelled"])
    one = i.events[live & (providers.str.len() < 2)]
    by = one["providers"].value_counts().to_dict()
    return Outcome(one.empty, {"events": int(live.sum()), "seen_by_one_provider": len(one), "only_by": by,
                               "examples": one["canonical_event_id"].head(10).tolist()},
                   f"{len(one)} event(s) seen by one provider only: {by}" if len(one) else None)


def box_scores_reconciled(i: CheckInputs) -> Outcome:
    ts, res = i.team_stats, i.results
    if ts is None or ts.empty or res is None or res.empty:
        return Outcome(True, {"games_checked": 0})
    # a team's points are null when one of its lines had unreadable points (quarantined): unverifiable, not wrong
    unknown = set(ts.loc[ts["pts"].isna(), "canonical_event_id"]) & set(res["canonical_event_id"])
    ts = ts[~ts["canonical_event_id"].isin(unknown)]
    none = {"games_checked": 0, "box_score_differs_from_result": 0, "games_with_unknown_points": len(unknown)}
    if ts.empty:
        return Outcome(True, none)
    pts = ts.pivot_table(index="canonical_event_id", columns="is_home", values="pts", aggfunc="sum")
    pts = pts.reindex(columns=[True, False])  # a side without any box-score line stays NaN and fails
    joined = res.set_index("canonical_event_id").join(pts, how="inner")
    if joined.empty:
        return Outcome(True, none)
    bad = joined[~(joined[True] == joined["home_score"]) | ~(joined[False] == joined["away_score"])]
    return Outcome(bad.empty, {"games_checked": len(joined), "box_score_differs_from_result": len(bad),
                               "games_with_unknown_points": len(unknown), "examples": bad.index[:10].tolist()},
                   f"{len(bad)} game(s) whose player points do not add up to the final score" if len(bad) else None)


def _float0(x: object) -> float:
    return 0.0 if pd.isna(x) else float(x)


def _records(df: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    return [{k: (None if pd.isna(v) else str(v)) for k, v in row.items()} for row in df[cols].to_dict("records")]


CHECKS: tuple[Check, ...] = (
    Check("ids_and_times", "event", ERROR, "Canonical event and team ids present and unique; times in UTC.",
                event_identity),
    Check("quarantine", "event", WARN, "Events or responses that could not be normalised (kept with reason).",
                quarantined),
    Check("match_confidence", "event", WARN, "Provider events matched only by a fallback: fuzzy team names "
                "or swapped home/away.", event_matching),
    Check("results_reconciled", "event", WARN, "Every finished event has a result; providers agree on it.",
                event_results),
    Check("provider_coverage", "event", WARN, "Events seen by one provider and not the other.",
                event_provider_coverage),
    Check("ids_and_times", "odds_snapshot", ERROR, "Canonical ids, book, market, selection and times present; "
                "times in UTC. Rows without them are quarantined before storing: a failure is a platform bug.",
                odds_identity),
    Check("price_bounds", "odds_snapshot", ERROR, "Prices finite, decimal > 1.0, American within ±10000; "
                "spreads and totals have a point, pregame within the league's per-market bounds. Rows that break "
                "this are quarantined before storing: a failure is a platform bug.", odds_price_bounds),
    Check("unique_after_dedupe", "odds_snapshot", ERROR, "One price per (event, snapshot, book, market, "
                "selection, participant, point) after dedupe; conflicting quotes are quarantined before storing: "
                "a failure is a platform bug.", odds_unique),
    Check("no_future_times", "odds_snapshot", ERROR, "No snapshot time or last_update after now (clock "
                "skew allowed). Such rows are quarantined before storing: a failure is a platform bug.",
                odds_not_in_future),
    Check("two_sided_markets", "odds_snapshot", WARN, "Two-way markets quote both sides.", odds_two_sided),
    Check("spread_points_inverse", "odds_snapshot", WARN, "Spread points are +x/−x per book and snapshot.",
                odds_spread_inverse),
    Check("overround", "odds_snapshot", WARN, "Overround between 2 % and 15 % (exchanges exempt).",
                odds_overround),
    Check("line_movement", "odds_snapshot", WARN, "Pregame spread moves ≤ 10 and total moves ≤ 20 points "
                "between consecutive snapshots.", odds_movement),
    Check("coverage", "odds_snapshot", WARN, "Share of events with ≥ 1 odds snapshot; missingness by market "
                "and book.", odds_coverage),
    Check("quarantine", "odds_snapshot", WARN, "Odds responses, events or rows that could not be normalised "
                "(kept with reason and column); fails on any response or event quarantined whole, or on more "
                f"than {QUARANTINE_WARN_SHARE:.0%} of outcome rows.", quarantined),
    Check("quarantine", "team", WARN, "Provider teams that match no canonical team.", quarantined),
    Check("quarantine", "player", WARN, "Player, lineup and box-score rows that could not be normalised.",
                quarantined),
    Check("box_scores_reconciled", "game_team_stats", WARN, "Team points from box scores equal the final "
                "score.", box_scores_reconciled),
)


def specs(asset: str, checks: tuple[Check, ...] = CHECKS) -> list[dg.AssetCheckSpec]:
    """Check specs of a silver asset."""
    return framework.specs(asset, checks)


def results(asset: str, inputs: CheckInputs, checks: tuple[Check, ...] = CHECKS) -> list[dg.AssetCheckResult]:
    return framework.results(asset, inputs, checks)
