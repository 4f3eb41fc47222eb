"""The Dagster face of the backtester: one asset per backtest of `config/backtests.yaml` (a factory), in group
`backtest`, each with its no-look-ahead check.

An asset reads the gold tables it depends on for its sport and date range, replays the strategy, and writes
the ledger and summary to the gold DuckDB (its own rows only) and its folder of the lake. Its materialization
shows the headline metrics, a ledger preview and the equity curve with drawdown.
"""


import base64
import math
from collections.abc import Iterator

import dagster as dg

from linelogic_assets.backtest.runner import configured, run_and_store
from linelogic_assets.backtest.schema import BET_COLUMNS
from linelogic_assets.backtest.spec import BacktestSpec
from linelogic_assets.resources import LakeResource

GROUP = "backtest"
CHECK = "no_lookahead"
READS = ["book_lines", "consensus_lines", "pregame_training_rows", "event", "event_result", "odds_snapshot"]
HEADLINE = ["bets", "open_bets", "turnover", "profit", "roi", "yield", "hit_rate", "avg_odds", "max_drawdown",
            "max_drawdown_pct", "sharpe", "sortino", "calmar", "profit_factor", "longest_losing_streak", "clv_mean",
            "beat_close_share", "roi_ci_low", "roi_ci_high", "p_value", "expected_profit"]
PREVIEW = ["bet_id", "canonical_event_id", "bucket", "bookmaker", "market", "selection", "point", "price", "stake",
           "result", "profit", "clv"]
COLUMN_SCHEMA = dg.TableSchema(columns=[dg.TableColumn(n, str(t), description=d) for n, t, d in BET_COLUMNS])


def asset_name(spec: BacktestSpec) -> str:
    return f"backtest_{spec.name}"


def _number(v: object) -> dg.MetadataValue:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return dg.MetadataValue.text("n/a")
    if isinstance(v, bool | int):
        return dg.MetadataValue.int(int(v))
    return dg.MetadataValue.float(round(float(v), 6))


def _preview(bets, rows: int = 20) -> str:
    if bets.empty:
        return "_no bets placed_"
    head = bets[PREVIEW].head(rows)
    lines = ["| " + " | ".join(PREVIEW) + " |", "|" + "---|" * len(PREVIEW)]
    for rec in head.itertuples(index=False):
        cells = [("" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) else str(v)) for v in rec]
        lines.append("| " + " | ".join(cells) + " |")
    more = f"\n\n… {len(bets) - rows} more in `backtest_bets`" if len(bets) > rows else ""
    return "\n".join(lines) + more


def build_backtest_asset(spec: BacktestSpec) -> dg.AssetsDefinition:
    """The asset of one configured backtest (see the module docstring)."""
    key = dg.AssetKey(asset_name(spec))
    description = (f"{spec.description} " if spec.description else "") + (
        f"Backtest `{spec.name}`: strategy `{spec.strategy}` on {spec.sport} slates {spec.start}..{spec.end}, "
        f"decisions at {', '.join(spec.buckets)}, sizing {spec.sizing}, bankroll {spec.bankroll:g}. Writes "
        "gold `backtest_bets`, `backtest_summary` and `backtest_breakdown` (its rows) and "
        f"`gold/backtests/{spec.name}/` (ledger Parquet, summary JSON, equity PNG).")

    @dg.asset(
        key=key, group_name=GROUP, deps=READS, description=description, kinds={"duckdb", "python"},
        owners=["team:research"], pool="duckdb",
        tags={"layer": "backtest", "strategy": spec.strategy.replace(".", "_").replace(":", "_")[:60],
              "sport": spec.sport},
        check_specs=[dg.AssetCheckSpec(CHECK, asset=key, description=(
            "No bet's quote, and nothing in the view its strategy saw, is later than its decision time; each "
            "bet's bankroll and open exposure hold only games that ended before it (recomputed from the ledger)."))],
    )
    def _backtest(context: dg.AssetExecutionContext, lake: LakeResource) -> Iterator:
        out = run_and_store(spec, lake.config, lake.root)
        s = out.result.summary
        png = base64.b64encode(out.png).decode()
        missing = out.result.diagnostics["missing_dates"]
        if missing:
            context.log.warning(f"{spec.name}: {len(missing)} slate dates have games but no gold lines: {missing}")
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(out.result.bets),
            "dagster/column_schema": COLUMN_SCHEMA,
            **{k: _number(s.get(k)) for k in HEADLINE},
            "equity_curve": dg.MetadataValue.md(f"![equity curve and drawdown](data:image/png;base64,{png})"),
            "ledger_preview": dg.MetadataValue.md(_preview(out.result.bets)),
            "decision_views": out.result.diagnostics["views"],
            "skipped": dg.MetadataValue.json(out.result.diagnostics["skipped"]),
            "missing_dates": dg.MetadataValue.json(missing),
            "ledger_path": dg.MetadataValue.path(str(out.files["ledger"])),
            "spec_sha256": out.result.diagnostics["spec_sha256"],
        })
        findings = out.findings
        yield dg.AssetCheckResult(
            check_name=CHECK, passed=out.clean, severity=dg.AssetCheckSeverity.ERROR,
            description=None if out.clean else f"look-ahead in {len(findings['examples'])}+ bets: {findings}",
            metadata={k: v for k, v in findings.items() if k != "examples"}
            | {"examples": dg.MetadataValue.json(findings["examples"])})

    return _backtest


def backtest_assets() -> list[dg.AssetsDefinition]:
    return [build_backtest_asset(spec) for spec in configured().values()]
