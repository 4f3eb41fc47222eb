"""A named backtest end to end on the lake: read, replay, prove no look-ahead, plot and store.

The one path behind the Dagster assets and `linelogic backtest run`, so both give the same ledger.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linelogic_assets.backtest.data import MarketData, from_lake
from linelogic_assets.backtest.engine import BacktestResult, run_backtest
from linelogic_assets.backtest.leakage import is_clean, lookahead_findings
from linelogic_assets.backtest.plot import equity_png
from linelogic_assets.backtest.spec import (
    DEFAULT_BACKTESTS_PATH,
    BacktestSpec,
    decision_offsets,
    load_backtests,
)
from linelogic_assets.backtest.store import write_result
from linelogic_assets.config import IngestConfig


def backtests_path(cfg: IngestConfig | None = None) -> Path:
    """LINELOGIC_BACKTESTS, else backtests.yaml next to the ingest config, else the repository's."""
    if env := os.environ.get("LINELOGIC_BACKTESTS"):
        return Path(env)
    if cfg is not None and (beside := Path(cfg.config_dir) / "backtests.yaml").exists():
        return beside
    return DEFAULT_BACKTESTS_PATH


def configured(cfg: IngestConfig | None = None) -> dict[str, BacktestSpec]:
    return load_backtests(backtests_path(cfg))


def market_data(spec: BacktestSpec, cfg: IngestConfig, root: Path) -> MarketData:
    return from_lake(root, cfg, spec.sport, spec.start, spec.end, decision_offsets(spec.buckets, cfg.snapshot_schedule.offsets()))


@dataclass
class Outcome:
    result: BacktestResult
    findings: dict[str, Any]
    files: dict[str, Path]
    png: bytes

    @property
    def clean(self) -> bool:
        return is_clean(self.findings)


def run_and_store(spec: BacktestSpec, cfg: IngestConfig, root: Path) -> Outcome:
    data = market_data(spec, cfg, root)
    result = run_backtest(spec, data)
    findings = lookahead_findings(result.bets, data.events, data.game_minutes, spec.bankroll)
    png = equity_png(result.curve, spec.bankroll, f"{spec.name}: {spec.strategy}, {spec.sport} "
                     f"{spec.start}..{spec.end}, {spec.sizing}")
    files = write_result(root, result, png)
    return Outcome(result, findings, files, png)
