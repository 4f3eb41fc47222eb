"""`linelogic backtest run | show | compare | list`: the backtester from the terminal.

`run` replays a configured backtest (`--config NAME`) or an ad-hoc one from flags, stores it like the Dagster
asset does (gold `backtest_*` tables and `gold/backtests/<name>/`) and prints its summary; `--format json`
prints exactly the summary fields. Exit codes: 0 done, 1 the run found look-ahead or the lake cannot answer,
2 a bad flag or config.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from linelogic_assets.config import ConfigError, load_config

SHOWN = ["bets", "wins", "losses", "pushes", "voids", "open_bets", "turnover", "profit", "roi", "yield",
         "hit_rate", "avg_odds", "max_drawdown", "max_drawdown_pct", "sharpe", "sortino", "calmar", "profit_factor",
         "longest_losing_streak", "clv_mean", "beat_close_share", "roi_ci_low", "roi_ci_high", "yield_ci_low",
         "yield_ci_high", "p_value", "expected_profit", "final_bankroll"]


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.4f}" if abs(v) < 100 else f"{v:,.2f}"
    return str(v)


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"--param wants key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _spec(args: argparse.Namespace, cfg):
    from linelogic_assets.backtest.runner import configured
    from linelogic_assets.backtest.spec import parse_spec

    if args.name:
        specs = configured(cfg)
        if args.name not in specs:
            raise ConfigError(f"no backtest {args.name!r} in the backtest config; known: {', '.join(specs)}")
        spec = specs[args.name]
        overrides = {k: v for k, v in (("buckets", args.bucket), ("sizing", args.sizing),
                                       ("bankroll", args.bankroll)) if v}
        return parse_spec({**spec.model_dump(), **overrides}, f"backtest {args.name}") if overrides else spec
    missing = [f for f in ("strategy", "sport", "start", "end") if not getattr(args, f)]
    if missing:
        raise ConfigError(f"give --config NAME, or all of --strategy --sport --start --end (missing: "
                          f"{', '.join('--' + m for m in missing)})")
    raw: dict[str, Any] = {"name": args.save_as or f"adhoc_{args.strategy.split(':')[-1].split('.')[-1]}",
                           "strategy": args.strategy, "sport": args.sport, "start": args.start, "end": args.end,
                           "params": dict(_param(p) for p in args.param or [])}
    for key, value in (("buckets", args.bucket), ("sizing", args.sizing), ("bankroll", args.bankroll)):
        if value:
            raw[key] = value
    return parse_spec(raw, "backtest")


def _print_summary(summary: dict[str, Any]) -> None:
    print(f"backtest {summary['backtest']}: {summary['strategy']} on {summary['sport']} "
          f"{summary['start_date']}..{summary['end_date']} at {summary['buckets']}, sizing {summary['sizing']}, "
          f"bankroll {_fmt(summary['starting_bankroll'])}")
    width = max(len(k) for k in SHOWN)
    for k in SHOWN:
        print(f"  {k:<{width}}  {_fmt(summary.get(k))}")


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """A summary row read back from DuckDB as the engine made it: NaN → None, timestamps → dates."""
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and v != v:
            v = None
        elif isinstance(v, datetime) and k.endswith("_date"):  # a DATE comes back as a midnight pd.Timestamp
            v = v.date()
        out[k] = v
    return out


def _json(summary: dict[str, Any]) -> str:
    from linelogic_assets.backtest.store import summary_json

    return json.dumps(json.loads(summary_json(summary)), indent=1)


def cmd_run(args: argparse.Namespace) -> int:
    from linelogic_assets.backtest.data import BacktestDataError
    from linelogic_assets.backtest.runner import run_and_store

    cfg = load_config(args.config)
    spec = _spec(args, cfg)
    try:
        out = run_and_store(spec, cfg, cfg.resolved_data_root())
    except BacktestDataError as err:
        print(f"backtest {spec.name}: {err}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(_json(out.result.summary))
    else:
        _print_summary(out.result.summary)
        print(f"  ledger: {out.files['ledger']}  equity curve: {out.files['equity']}")
    missing = out.result.diagnostics["missing_dates"]
    if missing:
        print(f"warning: {len(missing)} slate dates with games have no lines: {', '.join(missing)}", file=sys.stderr)
    if not out.clean:
        print(f"LOOK-AHEAD: {out.findings}", file=sys.stderr)
        return 1
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from linelogic_assets.backtest.store import read_summary, read_table

    root = load_config(args.config).resolved_data_root()
    rows = read_summary(root, [args.backtest])
    if rows.empty:
        print(f"no stored backtest {args.backtest!r}: run it first (linelogic backtest run --config "
              f"{args.backtest})", file=sys.stderr)
        return 1
    summary = _record(rows.iloc[0].to_dict())
    if args.format == "json":
        print(_json(summary))
        return 0
    _print_summary(summary)
    parts = read_table(root, "backtest_breakdown", args.backtest)
    for dim, g in parts.groupby("dimension", sort=True):
        print(f"by {dim}:")
        print(g.drop(columns=["backtest", "dimension"]).to_string(index=False))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from linelogic_assets.backtest.store import read_summary

    root = load_config(args.config).resolved_data_root()
    rows = read_summary(root, args.backtests)
    absent = [n for n in args.backtests if n not in set(rows["backtest"])]
    if absent:
        print(f"no stored backtest {', '.join(map(repr, absent))}: run it first", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps([json.loads(_json(_record(r))) for r in rows.to_dict("records")], indent=1))
        return 0
    names = list(rows["backtest"])
    width = max(len(k) for k in ["metric", *SHOWN])
    cols = [max(12, len(n)) for n in names]
    print(f"{'metric':<{width}}  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, cols, strict=True)))
    for k in ["strategy", "sizing", "buckets", *SHOWN]:
        print(f"{k:<{width}}  " + "  ".join(f"{_fmt(v):>{w}}" for v, w in zip(rows[k], cols, strict=True)))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from linelogic_assets.backtest.runner import backtests_path, configured

    cfg = load_config(args.config)
    print(f"backtests in {backtests_path(cfg)}:")
    for name, spec in configured(cfg).items():
        print(f"  {name}: {spec.strategy} {spec.sport} {spec.start}..{spec.end} at {','.join(spec.buckets)}, "
              f"{spec.sizing}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    bt = sub.add_parser("backtest", help="replay a strategy over the lake: run, show, compare, list")
    cmds = bt.add_subparsers(dest="backtest_command", required=True)
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=["table", "json"], default="table")

    run = cmds.add_parser("run", parents=[fmt], help="run a configured backtest (--config NAME) or an ad-hoc one")
    run.add_argument("--config", dest="name", metavar="NAME", help="a backtest of config/backtests.yaml")
    run.add_argument("--strategy", help="flat | ev | arbitrage | favourite_best_price | package.module:attr")
    run.add_argument("--sport", help="sport key, e.g. basketball_nba")
    run.add_argument("--start", help="first slate date, YYYY-MM-DD")
    run.add_argument("--end", help="last slate date, YYYY-MM-DD")
    run.add_argument("--bucket", action="append", help="decision point (repeat): T-60m, CLOSE, T-90m, ...")
    run.add_argument("--sizing", help="flat:100 | percent:2 | kelly:0.25")
    run.add_argument("--bankroll", type=float, help="starting bankroll (default 10000)")
    run.add_argument("--param", action="append", help="strategy parameter key=value (repeat); values are JSON")
    run.add_argument("--save-as", help="name an ad-hoc run is stored under (default adhoc_<strategy>)")
    run.set_defaults(func=cmd_run)

    show = cmds.add_parser("show", parents=[fmt], help="a stored backtest's summary and breakdowns")
    show.add_argument("backtest")
    show.set_defaults(func=cmd_show)

    compare = cmds.add_parser("compare", parents=[fmt], help="stored backtests side by side")
    compare.add_argument("backtests", nargs="+", metavar="NAME")
    compare.set_defaults(func=cmd_compare)

    lst = cmds.add_parser("list", help="the configured backtests")
    lst.set_defaults(func=cmd_list)
