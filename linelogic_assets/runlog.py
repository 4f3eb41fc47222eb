"""Run manifests: data/runs/YYYY-MM-DD/run_id=…/{run_config.json, run_summary.json, metrics.json, logs.txt}.

Each step of a run records its own summary file; the run files are re-derived from them after
every step, so parallel steps (the multiprocess executor) never write the same file concurrently
except through an atomic rename. Everything written here is scrubbed of secrets.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linelogic_assets.redact import scrub


def _atomic_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(scrub(json.dumps(obj, indent=2, default=str)))
    os.replace(tmp, path)


def _find_run_dir(runs: Path, run_id: str) -> Path | None:
    for day in sorted(runs.glob("*"), reverse=True):
        candidate = day / f"run_id={run_id}"
        if candidate.exists():
            return candidate
    return None


class RunLog:
    def __init__(self, root: Path, run_id: str) -> None:
        runs = root / "runs"
        self.run_id = run_id
        # a run spanning midnight keeps the folder of the day it started
        self.dir = _find_run_dir(runs, run_id) if runs.exists() else None
        if self.dir is None:
            self.dir = runs / datetime.now(UTC).strftime("%Y-%m-%d") / f"run_id={run_id}"
            (self.dir / "steps").mkdir(parents=True, exist_ok=True)
        self._deferred = False

    def write_config(self, config: dict[str, Any]) -> None:
        path = self.dir / "run_config.json"
        if not path.exists():
            _atomic_json(path, config)

    def log(self, level: str, message: str) -> None:
        line = f"{datetime.now(UTC).isoformat()} {level.upper():7s} {scrub(message)}\n"
        with open(self.dir / "logs.txt", "a") as f:  # O_APPEND: whole lines from concurrent steps
            f.write(line)

    def record_step(self, step: str, summary: dict[str, Any]) -> None:
        _atomic_json(self.dir / "steps" / f"{step}.json", {"step": step, **summary})
        if not self._deferred:
            self._rollup()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Record many steps and re-derive the run files once, at the end (a range run's slates: rolling up
        after each would read every step file again, quadratic in the range)."""
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            self._rollup()

    def _rollup(self) -> None:
        steps = [json.loads(p.read_text()) for p in sorted((self.dir / "steps").glob("*.json"))]
        metrics: dict[str, float] = {}
        for s in steps:
            for k, v in (s.get("metrics") or {}).items():
                if isinstance(v, int | float):
                    metrics[k] = metrics.get(k, 0) + v
        _atomic_json(self.dir / "metrics.json", metrics)
        _atomic_json(
            self.dir / "run_summary.json",
            {
                "run_id": self.run_id,
                "updated_at": datetime.now(UTC).isoformat(),
                "steps": {s["step"]: {k: v for k, v in s.items() if k not in ("step", "metrics")} for s in steps},
                "status": "failed" if any(s.get("status") == "failed" for s in steps) else "ok",
            },
        )
