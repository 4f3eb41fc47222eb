"""The Odds API quota ledger and budget guard, persisted under the data root.

`ledger.jsonl` gets one line per billed response (from the x-requests-* headers); `state.json`
holds the running totals and is rewritten under an exclusive file lock, so parallel runs (one per
partition) add up correctly.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from linelogic_assets.filelock import exclusive_lock
from linelogic_assets.providers.errors import BudgetExceededError


@dataclass
class QuotaState:
    month: str = ""  # YYYY-MM of the spend below
    spent_this_month: int = 0
    calls_this_month: int = 0
    last_remaining: int | None = None
    last_used: int | None = None
    last_cost: int | None = None
    updated_at: str | None = None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def estimate_oddsapi_cost(endpoint: str, params: dict[str, str]) -> int:
    """Upper bound of a call's cost from the documented rules (before it is sent)."""
    markets = len([m for m in params.get("markets", "h2h").split(",") if m])
    if params.get("bookmakers"):
        regions = math.ceil(len(params["bookmakers"].split(",")) / 10)
    else:
        regions = len([r for r in params.get("regions", "").split(",") if r]) or 1
    historical = 10 if endpoint.startswith("historical_") else 1
    if endpoint in ("sports", "events"):
        return 0
    if endpoint == "historical_events":
        return 1
    if endpoint == "scores":
        return 2 if params.get("daysFrom") else 1
    if endpoint in ("odds", "event_odds", "historical_odds", "historical_event_odds"):
        return historical * markets * regions
    return 1


class QuotaLedger:
    def __init__(self, root: Path, *, monthly_budget: int, provider: str = "oddsapi"):
        self.dir = root / "quota" / provider
        self.dir.mkdir(parents=True, exist_ok=True)
        self.monthly_budget = monthly_budget
        self.provider = provider

    @contextmanager
    def _locked(self) -> Iterator[QuotaState]:
        with exclusive_lock(self.dir / ".lock"):
            state = self.read()
            yield state
            tmp = self.dir / f".state.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(asdict(state), indent=2))
            os.replace(tmp, self.dir / "state.json")

    def read(self) -> QuotaState:
        try:
            return QuotaState(**json.loads((self.dir / "state.json").read_text()))
        except FileNotFoundError:
            return QuotaState()

    @staticmethod
    def _month(now: datetime) -> str:
        return now.astimezone(UTC).strftime("%Y-%m")

    def check(self, endpoint: str, estimated_cost: int, now: datetime | None = None) -> None:
        """Refuse a call that would overrun the monthly budget or the credits the provider has left."""
        if estimated_cost <= 0:
            return
        now = now or datetime.now(UTC)
        state = self.read()
        spent = state.spent_this_month if state.month == self._month(now) else 0
        if spent + estimated_cost > self.monthly_budget:
            raise BudgetExceededError(
                f"call would cost up to {estimated_cost} credits; {spent} of the monthly budget "
                f"{self.monthly_budget} already spent",
                provider=self.provider,
                endpoint=endpoint,
                code="BUDGET_EXCEEDED",
            )
        if state.last_remaining is not None and estimated_cost > state.last_remaining:
            raise BudgetExceededError(
                f"call would cost up to {estimated_cost} credits; the provider reports {state.last_remaining} left",
                provider=self.provider,
                endpoint=endpoint,
                code="BUDGET_EXCEEDED",
            )

    def record(self, endpoint: str, url: str, headers: dict[str, str], now: datetime | None = None) -> int | None:
        """Record a response's x-requests-* headers; returns its cost (None where absent = unknown)."""
        now = now or datetime.now(UTC)
        remaining = _int(headers.get("x-requests-remaining"))
        used = _int(headers.get("x-requests-used"))
        cost = _int(headers.get("x-requests-last"))
        if remaining is None and used is None and cost is None:
            return None
        month = self._month(now)
        with self._locked() as state:
            if state.month != month:
                state.month, state.spent_this_month, state.calls_this_month = month, 0, 0
            state.spent_this_month += cost or 0
            state.calls_this_month += 1
            state.last_remaining = remaining if remaining is not None else state.last_remaining
            state.last_used = used if used is not None else state.last_used
            state.last_cost = cost
            state.updated_at = now.isoformat()
            line = {"at": now.isoformat(), "endpoint": endpoint, "url": url, "cost": cost,
                    "remaining": remaining, "used": used}
            with open(self.dir / "ledger.jsonl", "a") as f:
                f.write(json.dumps(line) + "\n")
        return cost

    def summary(self, now: datetime | None = None) -> dict:
        now = now or datetime.now(UTC)
        state = self.read()
        spent = state.spent_this_month if state.month == self._month(now) else 0
        return {
            "provider": self.provider,
            "month": self._month(now),
            "spent_this_month": spent,
            "monthly_budget": self.monthly_budget,
            "budget_left": self.monthly_budget - spent,
            "provider_remaining": state.last_remaining,
            "provider_used": state.last_used,
            "last_call_cost": state.last_cost,
            "updated_at": state.updated_at,
        }
