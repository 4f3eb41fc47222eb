"""Event-log benchmark: what one run event costs on the local instance (dagster.yaml, the kept-connection event log
of linelogic_assets/local_instance.py) against Dagster's own SQLite instance, in the same command.

A range run records a materialization per partition and a check result per partition and check (a season's
silver + gold rebuild: ~3,650 and ~5,200). Each instance gets a fresh DAGSTER_HOME and a run; the events go through
`instance.handle_new_event`, the path a run worker's events take, with a partition each, as a range run records
them. Prints the mean cost per event of each kind for both and the ratio (Dagster's / ours).

Run: .venv/bin/python bench/event_log.py [--events 500]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def per_event_ms(config: str, n: int) -> dict[str, float]:
    import dagster as dg
    from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.events.log import EventLogEntry

    home = Path(tempfile.mkdtemp(prefix="bench_event_log_"))
    (home / "dagster.yaml").write_text(config)
    out = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.create_run_for_job(dg.GraphDefinition("bench", node_defs=[]).to_job(), run_id=None)

        def store(kind: DagsterEventType, data: object) -> None:
            instance.handle_new_event(EventLogEntry(
                error_info=None, level=10, user_message="", run_id=run.run_id, timestamp=time.time(), job_name="bench",
                dagster_event=DagsterEvent(kind.value, "bench", event_specific_data=data)))

        kinds = {
            "materialization": lambda i: store(DagsterEventType.ASSET_MATERIALIZATION, StepMaterializationData(
                dg.AssetMaterialization("odds_snapshot", partition=f"2026-01-{i % 28 + 1:02d}|p{i}",
                                        metadata={"rows": i, "dagster/row_count": i}))),
            "check": lambda i: store(DagsterEventType.ASSET_CHECK_EVALUATION, AssetCheckEvaluation(
                asset_key=dg.AssetKey("odds_snapshot"), check_name="price_bounds", passed=True,
                metadata={"rows": dg.MetadataValue.int(i)}, partition=f"p{i}")),
        }
        for name, write in kinds.items():
            write(-1)  # the shard and its engine exist before the clock starts
            t = time.perf_counter()
            for i in range(n):
                write(i)
            out[name] = (time.perf_counter() - t) / n * 1000
    shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=500, help="events of each kind")
    args = ap.parse_args()
    ours = per_event_ms((REPO / "dagster.yaml").read_text(), args.events)
    dagster = per_event_ms("telemetry:\n  enabled: false\n", args.events)  # Dagster's default SQLite instance
    for kind in ours:
        print(f"{kind:16} local instance {ours[kind]:6.2f} ms/event, Dagster's SQLite {dagster[kind]:6.2f} ms/event: "
              f"{dagster[kind] / ours[kind]:.1f}x faster")
    print(json.dumps({f"{k}_ms": round(v, 3) for k, v in ours.items()}
                     | {f"dagster_{k}_ms": round(v, 3) for k, v in dagster.items()}
                     | {f"{k}_ratio": round(dagster[k] / ours[k], 2) for k in ours}))


if __name__ == "__main__":
    main()
