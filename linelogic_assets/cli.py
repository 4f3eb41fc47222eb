"""`linelogic`: run the demo pipeline, serve the simulator, import raw files, check quota."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from linelogic_assets.config import REPO_ROOT, ConfigError, load_config
from linelogic_assets.providers.registry import PROVIDERS

PAID = tuple(p for p in PROVIDERS if p.ledger is not None)  # providers whose calls cost credits


def _titles(providers) -> str:
    """Provider titles as a sentence lists them: "A", "A and B", "A, B and C"."""
    titles = [p.title for p in providers]
    return " and ".join(titles) if len(titles) < 3 else f"{', '.join(titles[:-1])} and {titles[-1]}"


def _stops_on_signals(cmd):
    """SIGTERM and SIGINT end the command with one line and exit code 130 (inside a run, Dagster turns them
    into a failed run first, and maps SIGTERM onto SIGINT's handler after it); the handlers are restored after."""
    import functools
    import signal
    import threading

    def stop(signum, frame):
        print(f"interrupted ({signal.Signals(signum).name}); run it again to carry on", file=sys.stderr)
        raise SystemExit(130)

    @functools.wraps(cmd)
    def run(args: argparse.Namespace) -> int:
        if threading.current_thread() is not threading.main_thread():
            return cmd(args)
        saved = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            return cmd(args)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run


@_stops_on_signals
def _cmd_demo(args: argparse.Namespace) -> int:
    """Materialize bronze, silver and gold for every slate date with games in the configured demo window."""
    import dagster as dg

    from linelogic_assets.bronze.backfill import demo_slates
    from linelogic_assets.definitions import defs
    from linelogic_assets.partitions import partition_key
    from linelogic_assets.pool_slots import sweep_dead_runs

    cfg = load_config(args.config)
    start = date.fromisoformat(args.start or cfg.demo.start)
    days = [start + timedelta(days=i) for i in range(args.days or cfg.demo.days)]
    sports = args.sport or cfg.demo.sports
    bronze, rebuild = defs.resolve_job_def("bronze_job"), defs.resolve_job_def("rebuild_job")
    instance = dg.DagsterInstance.get()
    # a demo killed earlier (kill -9) left its runs STARTED and holding pool slots: free them first
    sweep_dead_runs(instance, log=lambda line: print(line, flush=True))
    slates = demo_slates(cfg, args.config, start=args.start, days=args.days, sports=sports)
    quiet = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}  # the full log is in the UI
    failures = 0
    for sport in sports:
        slate_days = [d for s, d in slates if s == sport]
        print(f"{sport}: {len(slate_days)} slate dates with games in {days[0]}..{days[-1]}", flush=True)
        # per run of consecutive slates: bronze in one range run (its slates in date order, each planned against
        # what the earlier ones bought), then silver and gold in another; each partition is still materialized
        # and checked on its own, and a slate that fails costs only itself
        key = {d: partition_key(sport, d) for d in slate_days}
        results: dict[date, list] = {d: [] for d in slate_days}
        for block in _consecutive(slate_days):
            span = {"dagster/asset_partition_range_start": str(key[block[0]]),
                    "dagster/asset_partition_range_end": str(key[block[-1]])}
            for job in (bronze, rebuild):
                ranged = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet, tags=span)
                if _interrupted(ranged):
                    print(f"  {block[0]}..{block[-1]} interrupted (SIGTERM/SIGINT): stopping; run it again to carry "
                          "on", flush=True)
                    return 130
                for d in block:
                    results[d].append(ranged)
        for d in slate_days:
            failures += _report_slate(d, str(key[d]), results[d])
    if not args.no_backtests:
        failures += _demo_backtests(defs, instance, cfg, sports)
    root = cfg.resolved_data_root()
    print(f"bronze under {root / 'bronze'}, silver under {root / 'silver'}, gold in {root / 'gold'}, "
          f"run manifests under {root / 'runs'}")
    print('query it: linelogic events --days 10 --team Celtics | '
          'linelogic sql "SELECT bucket, avg(h2h_home_fair_prob) FROM pregame_training_rows GROUP BY 1"')
    return 1 if failures else 0


def _interrupted(result) -> bool:
    import dagster as dg
    from dagster._core.events import RunFailureReason

    return any(e.event_type == dg.DagsterEventType.RUN_FAILURE
               and e.job_failure_data.failure_reason == RunFailureReason.UNEXPECTED_TERMINATION
               for e in result.all_events)


def _consecutive(days: list[date]) -> list[list[date]]:
    """Dates split into runs of consecutive days (a partition range has no gaps)."""
    blocks: list[list[date]] = []
    for d in sorted(days):
        if blocks and d - blocks[-1][-1] == timedelta(days=1):
            blocks[-1].append(d)
        else:
            blocks.append([d])
    return blocks


def _report_slate(day: date, key: str, results: list) -> int:
    """One line for a slate (its assets and checks, from the runs that built it), and the failed checks' reasons.
    Returns 1 if the slate failed: a run that did not build all of its assets for it, or an ERROR check."""
    import dagster as dg

    mats = [e for r in results for e in r.get_asset_materialization_events() if e.materialization.partition == key]
    checks = [c for r in results for c in r.get_asset_check_evaluations() if c.partition == key]
    failed = [c for c in checks if not c.passed]
    errors = [c for c in failed if c.severity == dg.AssetCheckSeverity.ERROR]
    # a range run that failed for another slate still built this one (partial success per partition)
    built = all(r.success or {m.asset_key for m in mats} >= set(r.job_def.asset_layer.selected_asset_keys)
                for r in results)
    status = "ok" if built and not errors else "FAILED"
    print(f"  {day} {status}: {len(mats)} assets, {len(checks) - len(failed)}/{len(checks)} checks passed, "
          f"{len(failed) - len(errors)} warn, {len(errors)} error", flush=True)
    for c in failed:  # the reason, as the checks page shows it
        label = "ERROR" if c in errors else "WARN"
        print(f"    {label} {c.asset_key.to_user_string()}.{c.check_name}: {c.description or ''}", flush=True)
    return int(status != "ok")


def _demo_backtests(defs, instance, cfg, sports: list[str]) -> int:
    """The configured backtests of the demo's sports, in one run after gold; one line each. Returns 1 on failure."""
    import dagster as dg

    from linelogic_assets.backtest.assets import asset_name
    from linelogic_assets.backtest.runner import configured

    specs = [s for s in configured(cfg).values() if s.sport in sports]
    if not specs:
        return 0
    result = defs.resolve_job_def("backtest_job").execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey(asset_name(s)) for s in specs],
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
    checks = {c.asset_key.to_user_string(): c for c in result.get_asset_check_evaluations()}
    print(f"backtests: {len(specs)} ({'ok' if result.success else 'FAILED'})", flush=True)
    for m in result.get_asset_materialization_events():
        key = m.asset_key.to_user_string()
        md = m.materialization.metadata
        value = {k: md[k].value for k in ("bets", "profit", "roi", "yield", "clv_mean", "roi_ci_low", "roi_ci_high")}
        shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
        check = checks.get(key)
        print(f"  {key}: {shown}; no_lookahead {'passed' if check and check.passed else 'FAILED'}", flush=True)
    failed = not result.success or any(not c.passed for c in checks.values())
    return int(failed)


def _cmd_plan_backfill(args: argparse.Namespace) -> int:
    """Cost a historical backfill before anything is spent; refuse (exit 3) one over the budget."""
    from linelogic_assets.bronze.backfill import NoFreeScheduleError, schedule_source
    from linelogic_assets.providers.errors import ProviderError
    from linelogic_assets.redact import scrub
    from linelogic_assets.resources import ClockResource
    from linelogic_assets.sports import league_for

    cfg = load_config(args.config)
    league = league_for(args.sport)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if end < start:
        print(f"--end {end} is before --start {start}", file=sys.stderr)
        return 2
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    root = cfg.resolved_data_root()
    now = ClockResource(config_path=args.config).now()
    planner = next(p for p in PROVIDERS if p.backfill_plan is not None)  # the provider historical odds are bought from
    try:
        source = schedule_source(league)  # without one, the planner reads the events bronze holds
        schedule = source.free_schedule(args.config, [(league, days)])[0] if source else None
        plan = planner.backfill_plan(cfg, root, league, days, schedule, args.budget, now)
    except (NoFreeScheduleError, ProviderError) as err:
        print(scrub(f"cannot plan: {err}"), file=sys.stderr)
        return 2
    summary = plan.summary()
    if args.format == "json":
        if not args.per_slate:
            summary.pop("per_slate")
        print(json.dumps(summary, indent=2))
    else:
        rows = [
            ("slates with games", summary["slates"]), ("games", summary["games"]),
            ("window targets", f"{summary['window_targets']} ({len(plan.windows)} windows: {', '.join(plan.windows)})"),
            ("  already held", f"{summary['targets_held']} (+{summary['targets_shared']} from other slates' snapshots)"),
            ("historical odds calls", f"{summary['historical_odds_calls']} × {plan.odds_call_cost} credits"),
            ("historical events calls", summary["historical_events_calls"]),
            ("quota units", summary["quota_units"]),
            ("naive quota units", f"{summary['naive_quota_units']} (one historical event-odds call per game per window)"),
            ("ratio to naive", summary["ratio_to_naive"]),
            ("budget", f"{plan.budget} (monthly budget and provider credits left: {plan.budget_left})"),
        ]
        print(f"backfill plan: {league.sport_key} {start}..{end} (provider now {now.isoformat()})")
        for k, v in rows:
            print(f"  {k:<24} {v}")
    if not plan.within_budget:
        print(f"refused: the plan needs {plan.quota_units} quota units, over the budget of {plan.budget}",
              file=sys.stderr)
        return 3
    return 0


def _cmd_prod_local(args: argparse.Namespace) -> int:
    """The production topology on this machine: code server, webserver and daemon on PostgreSQL (PG_*)."""
    import signal
    import time

    from linelogic_assets.bronze.backfill import demo_slates
    from linelogic_assets.deploy import DeploymentError, Postgres, Topology, asset_keys, launch_backfill
    from linelogic_assets.partitions import partition_key

    def interrupt(signum, frame):  # `kill`, `docker stop`: stop the services as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    cfg = load_config(args.config)
    pg = Postgres.from_env()
    if pg.create_database():
        print(f"created database {pg.db} on {pg.host}:{pg.port}")
    home = Path(args.home).resolve()
    extra = {"LINELOGIC_CONFIG": args.config} if args.config else {}
    topology = Topology(home=home, pg=pg, web_host=args.web_host, web_port=args.web_port,
                        code_port=args.code_port, extra_env=extra)
    try:
        topology.start()
        print(f"LineLogic on {pg.host}:{pg.port}/{pg.db}: UI at {topology.url} (code server :{args.code_port}); "
              f"DAGSTER_HOME={home}, service logs in {home / 'service-logs'}. Ctrl-C stops all three.", flush=True)
        if args.backfill_demo:
            keys = [str(partition_key(s, d)) for s, d in demo_slates(cfg, args.config)]
            backfill_id = launch_backfill(topology, asset_keys(topology), keys, "demo window")
            print(f"backfill {backfill_id}: {len(keys)} partitions, {topology.url}/runs/b/{backfill_id}", flush=True)
        while all(p.poll() is None for p in topology.procs.values()):
            time.sleep(1)
        dead = [n for n, p in topology.procs.items() if p.poll() is not None]
        print(f"{', '.join(dead)} exited; stopping. Last log lines:\n{topology.log(dead[0])}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except DeploymentError as err:
        print(f"deployment error: {err}", file=sys.stderr)
        return 1
    finally:
        topology.stop()


def _cmd_pools(args: argparse.Namespace) -> int:
    """Create the run slots of every pool the definitions use (idempotent); print the limits."""
    import dagster as dg

    from linelogic_assets.definitions import defs
    from linelogic_assets.deploy import provision_pools

    graph = defs.resolve_asset_graph()
    pools = sorted({p for key in graph.get_all_asset_keys() for p in (graph.get(key).pools or [])})
    with dg.DagsterInstance.get() as instance:
        limits = provision_pools(instance, pools)
    print(", ".join(f"{pool}: {limit}" for pool, limit in limits.items()))
    return 0


def _cmd_clock(args: argparse.Namespace) -> int:
    """The demo's shared simulator clock: every process of `dagster dev` reads it from the lake."""
    from linelogic_assets.resources import ClockResource
    from linelogic_assets.simulator.clock import start_shared_clock, stop_shared_clock
    from linelogic_assets.timeutil import parse_ts

    cfg = load_config(args.config)
    if cfg.mode != "demo":
        print("the simulator clock exists in demo mode only", file=sys.stderr)
        return 2
    root = cfg.resolved_data_root()
    if args.clock_command == "start":
        at = parse_ts(args.at) if args.at else cfg.demo.clock.start
        speed = cfg.demo.clock.speed if args.speed is None else args.speed
        start_shared_clock(root, at, speed)
        print(f"simulator clock runs from {at.isoformat()} at {speed:g}x real time")
    elif args.clock_command == "stop":
        stopped = stop_shared_clock(root)
        print("simulator clock stopped (back to simulator.clock in config)" if stopped else "no shared clock ran")
    print(f"provider now: {ClockResource(config_path=args.config).now().isoformat()}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from linelogic_assets.simulator.server import serve_forever

    cfg = load_config(args.config)
    serve_forever(cfg.simulator, args.host, args.port)
    return 0


def _cmd_quota(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    for provider in PAID:
        summary = provider.ledger(cfg.resolved_data_root(), cfg).summary()
        summary["mode"] = cfg.mode
        if args.format == "json":
            print(json.dumps(summary, indent=2))
        else:
            width = max(map(len, summary))
            for k, v in summary.items():
                print(f"{k:<{width}}  {'unknown' if v is None else v}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from linelogic_assets.bronze.importer import ImportRejected, import_file
    from linelogic_assets.bronze.store import BronzeStore
    from linelogic_assets.sports import UnknownSportError, league_for

    try:  # wrong arguments: no file is looked at
        league_for(args.sport)
        day = date.fromisoformat(args.date) if args.date else None
    except UnknownSportError as err:
        print(f"import: {err}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"import: --date {args.date!r} is not a YYYY-MM-DD date ({err})", file=sys.stderr)
        return 2
    cfg = load_config(args.config)
    store = BronzeStore(cfg.resolved_data_root())
    rejected = 0
    for name in args.files:
        path = Path(name)
        try:  # import_file raises nothing but ImportRejected: one line per bad file, the batch goes on
            res = import_file(store, path, provider=args.provider, endpoint=args.endpoint, sport=args.sport, day=day,
                              entry_extra={"token_id": args.token} if args.token else None)
        except ImportRejected as err:
            rejected += 1
            print(f"rejected {err}", file=sys.stderr)
            continue
        extra = "" if res.envelope == "single" else f" [{res.envelope}]"
        extra += "" if res.api_version == "current" else f" [{res.api_version}]"
        print(f"{res.status} {path.name} -> {', '.join(res.dates)}{extra}")
    return 1 if rejected else 0


def _cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from linelogic_assets.lakesql import ReadOnlyError, query

    cfg = load_config(args.config)
    try:
        df = query(cfg.resolved_data_root(), args.query, write=args.write)
    except ReadOnlyError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2
    except duckdb.Error as err:
        print(f"sql error: {err}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(df.to_json(orient="records", date_format="iso", indent=1))
    elif args.format == "csv":
        print(df.to_csv(index=False), end="")
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", args.max_rows, "display.max_columns", None, "display.width", 200):
            print(df.to_string(index=False, max_rows=args.max_rows) if len(df.columns) else "(no rows)")
    return 0


def _print_frame(df, fmt: str, header: str | None = None, max_rows: int = 500) -> None:
    """A query result as JSON records or an aligned table (with a one-line header naming the event)."""
    import datetime as dt

    import pandas as pd

    if fmt == "json":
        out = df.copy()
        for col in out.columns:  # dates (slate_date) and lists serialise as ISO text / arrays
            if out[col].dtype == object and any(isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                                                for v in out[col].head(5)):
                out[col] = out[col].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
        print(out.to_json(orient="records", date_format="iso", indent=1))
        return
    if header:
        print(header)
    with pd.option_context("display.max_rows", max_rows, "display.max_columns", None, "display.width", 200):
        print(df.to_string(index=False, max_rows=max_rows) if len(df) else "(no rows)")


def _run_query(args: argparse.Namespace, run) -> int:
    """Open the lake's query API, run one query, print it; unknown events and naive times exit non-zero."""
    from linelogic_assets.query import LakeQuery, UnknownEventError
    from linelogic_assets.timeutil import parse_ts

    try:
        at = parse_ts(args.at) if getattr(args, "at", None) else None
    except ValueError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2
    lq = LakeQuery.from_config(args.config)
    try:
        df, header = run(lq, at)
    except UnknownEventError as err:
        print(f"unknown event: {err}", file=sys.stderr)
        return 1
    _print_frame(df, args.format, header)
    return 0


def _cmd_odds_at(args: argparse.Namespace) -> int:
    def run(lq, at):
        ref = lq.resolve_event(args.event)
        df = lq.odds_at(ref.canonical_event_id, at, market=args.market)
        return df, f"{ref.label} | each book's last snapshot at or before {at.isoformat()}"
    return _run_query(args, run)


def _cmd_line_movement(args: argparse.Namespace) -> int:
    def run(lq, _at):
        ref = lq.resolve_event(args.event)
        df = lq.line_movement(ref.canonical_event_id, args.bookmaker, args.market)
        if args.changes_only:
            df = df[df["changed"]].reset_index(drop=True)
        return df, f"{ref.label} | {args.bookmaker} {args.market}"
    return _run_query(args, run)


def _cmd_best_odds(args: argparse.Namespace) -> int:
    def run(lq, at):
        ref = lq.resolve_event(args.event)
        when = f"as of {at.isoformat()}" if at else "latest pre-game"
        return lq.best_odds(ref.canonical_event_id, args.market, at), f"{ref.label} | best {args.market}, {when}"
    return _run_query(args, run)


def _cmd_compare_books(args: argparse.Namespace) -> int:
    def run(lq, at):
        ref = lq.resolve_event(args.event)
        when = f"as of {at.isoformat()}" if at else "latest pre-game"
        return (lq.compare_books(ref.canonical_event_id, args.market, at),
                f"{ref.label} | {args.market}, {when}, fair_prob by {lq.fair_method}")
    return _run_query(args, run)


def _cmd_events(args: argparse.Namespace) -> int:
    if args.days < 0:
        print("refused: --days must be >= 0", file=sys.stderr)
        return 2

    def run(lq, _at):
        now = lq.now()
        df = lq.events(args.days, team=args.team, now=now)
        return df, f"events starting within {args.days:g} days of {now.isoformat()}" + (
            f", team {args.team!r}" if args.team else "")
    return _run_query(args, run)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="linelogic", description=__doc__)
    p.add_argument("--config", default=os.environ.get("LINELOGIC_CONFIG"), help="config file (default config/ingest.yaml)")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run bronze → silver → gold over the demo window on the embedded default")
    demo.add_argument("--start", help="first slate date (default: demo.start)")
    demo.add_argument("--days", type=int, help="window length (default: demo.days)")
    demo.add_argument("--sport", action="append", help="sport key; repeat for several (default: demo.sports)")
    demo.add_argument("--log-level", default="WARNING", help="Dagster console log level (default WARNING)")
    demo.add_argument("--no-backtests", action="store_true",
                      help="skip the configured backtests after gold (config/backtests.yaml)")
    demo.set_defaults(func=_cmd_demo)

    sim = sub.add_parser("simulator", help="the provider simulator")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True)
    serve = sim_sub.add_parser("serve", help=f"serve {_titles(PROVIDERS)} on one loopback port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.set_defaults(func=_cmd_serve)

    plan = sub.add_parser("plan", help="cost work before it is launched")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True)
    backfill = plan_sub.add_parser("backfill", help="calls and quota units of a historical odds backfill, against "
                                   "the naive plan and the budget (exit 3 when over it)")
    backfill.add_argument("--sport", required=True, help="sport key or league slug (basketball_nba, nba)")
    backfill.add_argument("--start", required=True, help="first slate date, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last slate date, YYYY-MM-DD (inclusive)")
    backfill.add_argument("--budget", type=int, help="refuse above this many units (default: the budget left)")
    backfill.add_argument("--format", choices=["table", "json"], default="table")
    backfill.add_argument("--per-slate", action="store_true", help="json: include the cost of every slate")
    backfill.set_defaults(func=_cmd_plan_backfill)

    prod = sub.add_parser("prod-local", help="code server, webserver and daemon on PostgreSQL (PG_*), as in compose")
    prod.add_argument("--home", default=os.environ.get("LINELOGIC_PROD_HOME", str(REPO_ROOT / ".dagster_prod")),
                      help="DAGSTER_HOME for the production instance (default .dagster_prod)")
    prod.add_argument("--web-host", default="127.0.0.1", help="webserver address (default loopback only)")
    prod.add_argument("--web-port", type=int, default=3000)
    prod.add_argument("--code-port", type=int, default=4000)
    prod.add_argument("--backfill-demo", action="store_true",
                      help="once up, launch a backfill of the demo window through the webserver's GraphQL API")
    prod.set_defaults(func=_cmd_prod_local)

    pool_names = ", ".join([*(p.name for p in PROVIDERS), "duckdb"])  # a provider's pool is its name
    pools = sub.add_parser("pools", help=f"give every pool ({pool_names}) its run slots on the instance")
    pools.set_defaults(func=_cmd_pools)

    clock = sub.add_parser("clock", help="the demo simulator's shared clock (start, stop, show)")
    clock_sub = clock.add_subparsers(dest="clock_command", required=True)
    start = clock_sub.add_parser("start", help="run the clock for every process, from --at at --speed × real time")
    start.add_argument("--at", help="simulated start time, ISO 8601 with a timezone (default: demo.clock.start)")
    start.add_argument("--speed", type=float, help="simulated seconds per real second (default: demo.clock.speed)")
    clock_sub.add_parser("stop", help="freeze it back at simulator.clock from the config")
    clock_sub.add_parser("show", help="print the provider's now")
    clock.set_defaults(func=_cmd_clock)

    quota = sub.add_parser("quota", help=f"{_titles(PAID)} credits spent this month against the budget")
    quota.add_argument("--format", choices=["table", "json"], default="table")
    quota.set_defaults(func=_cmd_quota)

    imp = sub.add_parser("import", help="import recorded raw responses into bronze")
    imp.add_argument("--provider", required=True, choices=[p.name for p in PROVIDERS])
    imp.add_argument("--endpoint", required=True)
    imp.add_argument("--sport", required=True)
    imp.add_argument("--date", help="slate date for responses that name none (teams, sports, injuries)")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--token", help="the market token a prediction-market price history belongs to (its body "
                     "does not name it)")
    imp.set_defaults(func=_cmd_import)

    sql = sub.add_parser("sql", help="query the silver (and gold) tables with DuckDB; read-only by default")
    sql.add_argument("query", help='e.g. "SELECT bookmaker, count(*) FROM odds_snapshot GROUP BY 1"')
    sql.add_argument("--format", choices=["table", "json", "csv"], default="table")
    sql.add_argument("--max-rows", type=int, default=200, help="rows shown in table format")
    sql.add_argument("--write", action="store_true", help="allow statements that write (the gold DB opens read-write)")
    sql.set_defaults(func=_cmd_sql)

    # the query API (linelogic_assets/query.py): one event's odds, read from its partition only
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=["table", "json"], default="table")
    event = argparse.ArgumentParser(add_help=False)
    event.add_argument("--event", required=True,
                       help=f"canonical event id, or {' / '.join(p.title for p in PROVIDERS)} event id")
    at_help = "ISO 8601 time with a timezone (Z or an offset), e.g. 2025-11-10T23:00:00Z"

    odds_at = sub.add_parser("odds-at", parents=[event, fmt],
                             help="every book's odds for an event as of a time (last snapshot at or before it)")
    odds_at.add_argument("--at", required=True, help=at_help)
    odds_at.add_argument("--market", help="only this market (default: all)")
    odds_at.set_defaults(func=_cmd_odds_at)

    move = sub.add_parser("line-movement", parents=[event, fmt], help="one book's market over time")
    move.add_argument("--bookmaker", required=True)
    move.add_argument("--market", required=True)
    move.add_argument("--changes-only", action="store_true", help="only observations where price or point changed")
    move.set_defaults(func=_cmd_line_movement)

    best = sub.add_parser("best-odds", parents=[event, fmt], help="the best price per selection across books")
    best.add_argument("--market", required=True)
    best.add_argument("--at", help=f"{at_help} (default: latest pre-game)")
    best.set_defaults(func=_cmd_best_odds)

    compare = sub.add_parser("compare-books", parents=[event, fmt],
                             help="books side by side: implied probability, overround, fair probability")
    compare.add_argument("--market", required=True)
    compare.add_argument("--at", help=f"{at_help} (default: latest pre-game)")
    compare.set_defaults(func=_cmd_compare_books)

    events = sub.add_parser("events", parents=[fmt], help="events starting within N days of the provider's now")
    events.add_argument("--days", type=float, required=True)
    events.add_argument("--team", help="team name, abbreviation or part of a name")
    events.set_defaults(func=_cmd_events)

    from linelogic_assets.backtest.cli import add_parser as add_backtest

    add_backtest(sub)
    return p


@contextmanager
def _config_in_environment(path: str | None) -> Iterator[None]:
    """`--config` for the whole command: the resources of the runs it launches read LINELOGIC_CONFIG."""
    saved = os.environ.get("LINELOGIC_CONFIG")
    if path:
        os.environ["LINELOGIC_CONFIG"] = str(Path(path).resolve())
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LINELOGIC_CONFIG", None)
        else:
            os.environ["LINELOGIC_CONFIG"] = saved


def main(argv: list[str] | None = None) -> int:
    from dotenv import load_dotenv  # a dagster dependency; `dagster dev` reads the same .env

    from linelogic_assets.redact import scrub, scrubbed_output

    load_dotenv(REPO_ROOT / ".env", override=False)  # secrets from .env, never from the config
    args = build_parser().parse_args(argv)
    with scrubbed_output(), _config_in_environment(args.config):  # whatever a command prints (provider text included) passes the one redaction rule
        try:
            return args.func(args)
        except ConfigError as err:
            print(f"config error: {err}", file=sys.stderr)
            return 2
        except Exception as err:  # a bug, not bad input: one redacted line; the traceback only when asked for
            if os.environ.get("LINELOGIC_DEBUG"):
                raise
            first = str(err).splitlines()[0] if str(err) else ""
            print(scrub(f"linelogic {args.command}: unexpected {type(err).__name__}: {first} "
                        "(LINELOGIC_DEBUG=1 shows the traceback)"), file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
