"""The backtest tables: every column's name, Arrow type and meaning, as stored in the gold DuckDB and Parquet.

One place for the columns, so the engine, the metrics, the DuckDB writer, the Dagster column schema
and the CLI's JSON all agree.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
S, F, I64, B, D = pa.string(), pa.float64(), pa.int64(), pa.bool_(), pa.date32()

RESULTS = ("win", "loss", "push", "void", "open")

# (name, type, description)
BET_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("backtest", S, "backtest name (config/backtests.yaml key, or the ad-hoc run's name)"),
    ("bet_id", I64, "sequence number of the bet in decision order"),
    ("group_id", I64, "bets placed together share it (the legs of one arbitrage); else the bet_id"),
    ("sport", S, "sport key"),
    ("canonical_event_id", S, "canonical event"),
    ("slate_date", D, "league-local slate date of the game"),
    ("commence_time_utc", TS, "scheduled start"),
    ("bucket", S, "decision point: a configured bucket (OPEN, T-6h, T-60m, T-15m, CLOSE) or a custom offset"),
    ("decision_time_utc", TS, "when the bet was decided and placed; the view held nothing later"),
    ("snapshot_time_utc", TS, "snapshot time of the quote bet (at or before the decision time)"),
    ("view_latest_snapshot_utc", TS, "latest time of anything in the decision view the strategy saw"),
    ("bookmaker", S, "book the bet was placed at"),
    ("market", S, "h2h, spreads or totals"),
    ("selection", S, "home, away, draw, over or under"),
    ("point", F, "spread or total line of the quote (null for h2h)"),
    ("price", F, "decimal price taken"),
    ("fair_prob", F, "probability the strategy bet on (its estimate; by default the devigged reference)"),
    ("edge", F, "expected return per unit at decision time: price_after_commission × fair_prob − 1"),
    ("kelly_fraction", F, "full-Kelly share of bankroll for this bet before the fraction and caps (null unless Kelly)"),
    ("bankroll_before", F, "settled bankroll known at decision time (games ended before it)"),
    ("open_exposure_before", F, "stakes on games not ended at decision time"),
    ("bankroll_asof_utc", TS, "end of the latest game whose result is in bankroll_before (null: none yet)"),
    ("stake", F, "amount staked"),
    ("commission_rate", F, "commission charged on net winnings at this book"),
    ("result", S, "win, loss, push, void (postponed/cancelled: stake returned) or open (no result yet)"),
    ("payout", F, "amount returned at settlement: stake plus winnings after commission; null while open"),
    ("profit", F, "payout − stake; null while open"),
    ("settled_at_utc", TS, "when the game ended (start + the league's maximum game length); null while open"),
    ("close_fair_prob", F, "closing fair probability of the selection (sharp close, else the consensus close)"),
    ("close_point", F, "closing line of the selection (spreads, totals)"),
    ("clv", F, "closing line value: price × close_fair_prob − 1, when the bet's point is the closing point"),
    ("clv_points", F, "spreads/totals: points gained on the closing line"),
    ("beat_close", B, "the bet beat the close (by price at the closing point, else by points)"),
]

SUMMARY_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("backtest", S, "backtest name"),
    ("sport", S, "sport key"),
    ("strategy", S, "strategy name or dotted path"),
    ("start_date", D, "first slate date"),
    ("end_date", D, "last slate date"),
    ("buckets", S, "decision points, comma-separated"),
    ("sizing", S, "sizing rule, e.g. kelly:0.25"),
    ("starting_bankroll", F, "bankroll at the start"),
    ("final_bankroll", F, "starting bankroll plus settled profit"),
    ("bets", I64, "bets placed"),
    ("wins", I64, "bets won"),
    ("losses", I64, "bets lost"),
    ("pushes", I64, "bets pushed (stake returned)"),
    ("voids", I64, "bets voided (postponed or cancelled: stake returned)"),
    ("open_bets", I64, "bets without a result yet (not counted as losses)"),
    ("turnover", F, "stakes of the bets settled win, loss or push"),
    ("profit", F, "settled profit after commission"),
    ("roi", F, "profit / starting bankroll"),
    ("yield", F, "profit / turnover"),
    ("hit_rate", F, "wins / (wins + losses), pushes and voids excluded"),
    ("avg_odds", F, "mean decimal price of the bets placed"),
    ("max_drawdown", F, "largest fall of the bankroll from a running peak, in money"),
    ("max_drawdown_pct", F, "largest fall from a running peak as a share of that peak"),
    ("sharpe", F, "mean / std of daily returns × √365 (calendar days from first to last settlement)"),
    ("sortino", F, "mean daily return / downside deviation × √365"),
    ("calmar", F, "annualised return / max_drawdown_pct; null without a drawdown"),
    ("profit_factor", F, "gross winnings / gross losses; null without losses"),
    ("longest_losing_streak", I64, "most consecutive losses in settlement order (pushes and voids skipped)"),
    ("clv_mean", F, "mean CLV of the bets with a closing price at their point"),
    ("beat_close_share", F, "share of the bets that beat the close"),
    ("roi_ci_low", F, "day-block bootstrap 95 % interval of roi, lower end"),
    ("roi_ci_high", F, "day-block bootstrap 95 % interval of roi, upper end"),
    ("yield_ci_low", F, "day-block bootstrap 95 % interval of yield, lower end"),
    ("yield_ci_high", F, "day-block bootstrap 95 % interval of yield, upper end"),
    ("p_value", F, "permutation p-value: share of random same-odds bet sets with profit at least this one's"),
    ("expected_profit", F, "Σ stake × edge at decision time (what the strategy expected)"),
]

BREAKDOWN_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("backtest", S, "backtest name"),
    ("dimension", S, "market, bookmaker, bucket or month"),
    ("value", S, "the market, book, bucket or YYYY-MM"),
    ("bets", I64, "bets placed"),
    ("turnover", F, "stakes settled win, loss or push"),
    ("profit", F, "settled profit"),
    ("yield", F, "profit / turnover"),
    ("hit_rate", F, "wins / (wins + losses)"),
    ("clv_mean", F, "mean CLV"),
]


def arrow_schema(columns: list[tuple[str, pa.DataType, str]]) -> pa.Schema:
    return pa.schema([pa.field(n, t, metadata={"description": d}) for n, t, d in columns])


BETS = arrow_schema(BET_COLUMNS)
SUMMARY = arrow_schema(SUMMARY_COLUMNS)
BREAKDOWN = arrow_schema(BREAKDOWN_COLUMNS)
TABLES = {"backtest_bets": BETS, "backtest_summary": SUMMARY, "backtest_breakdown": BREAKDOWN}
