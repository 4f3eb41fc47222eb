"""Dagster resources: the lake (data root, bronze store, checkpoints), the clock, and the base of the
provider resources (each provider package has its own).

In `demo` mode the clients talk to the provider simulator: in-process through an httpx transport,
or over HTTP when `simulator_url` points at `linelogic simulator serve`. In `live` mode they talk
to the real APIs with keys from the environment.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import httpx

from linelogic_assets.bronze.checkpoints import CheckpointStore
from linelogic_assets.bronze.store import BronzeStore, Source
from linelogic_assets.config import IngestConfig, load_config
from linelogic_assets.redact import register_secret, scrub
from linelogic_assets.runlog import RunLog
from linelogic_assets.timeutil import parse_ts

if TYPE_CHECKING:
    from linelogic_assets.registry.teams import TeamIndex

_sim_lock = threading.Lock()
_simulators: dict[str, object] = {}


def simulator_for(cfg: IngestConfig):
    """One simulator per settings in a process, so both providers share one world and one clock.

    When the demo's shared clock runs (`linelogic clock start`), every process reads the same wall-anchored
    clock from the lake, so the webserver, the daemon and each run agree on the simulated time."""
    from linelogic_assets.simulator import Simulator
    from linelogic_assets.simulator.clock import read_shared_clock, wall_clock

    shared = read_shared_clock(cfg.resolved_data_root()) if cfg.mode == "demo" else None
    key = cfg.simulator.model_dump_json() + json.dumps(shared)
    with _sim_lock:
        if key not in _simulators:
            clock = None
            if shared:
                clock = wall_clock(parse_ts(shared["start"]), shared["speed"], parse_ts(shared["wall_anchor"]))
            _simulators[key] = Simulator(cfg.simulator, clock=clock)
        return _simulators[key]


@cache
def _load(config_path: str | None, data_root_env: str | None) -> IngestConfig:
    return load_config(config_path)


def config_from(config_path: str | None) -> IngestConfig:
    # the environment takes part in the cache key: `--config` (LINELOGIC_CONFIG) and tests' own lakes
    # (LINELOGIC_DATA_ROOT) reach every resource of the process
    return _load(config_path or os.environ.get("LINELOGIC_CONFIG"), os.environ.get("LINELOGIC_DATA_ROOT"))


class LakeResource(dg.ConfigurableResource):
    """Where data lives: the bronze store, checkpoints and run manifests."""

    config_path: str | None = None

    @property
    def config(self) -> IngestConfig:
        return config_from(self.config_path)

    @property
    def root(self) -> Path:
        root = self.config.resolved_data_root()
        root.mkdir(parents=True, exist_ok=True)
        return root

    def bronze(self) -> BronzeStore:
        return BronzeStore(self.root)

    def checkpoints(self, provider: str, sport: str) -> CheckpointStore:
        return CheckpointStore(self.root, provider, sport)

    def run_log(self, run_id: str) -> RunLog:
        return RunLog(self.root, run_id)

    def team_index(self, sport: str) -> TeamIndex:
        """The league's team registry with the overrides file's aliases (what every silver matcher reads)."""
        from linelogic_assets.registry.overrides import load_overrides
        from linelogic_assets.registry.teams import TeamIndex

        return TeamIndex(sport, load_overrides(self.config.overrides_file()).aliases(sport))


NOW_TAG = "linelogic/provider_now"


class ClockResource(dg.ConfigurableResource):
    """The time every provider answers at, for the layers that need it without calling a provider."""

    config_path: str | None = None

    @property
    def config(self) -> IngestConfig:
        return config_from(self.config_path)

    def now(self) -> datetime:
        """The simulator's clock in demo mode, the wall clock (UTC) in live mode."""
        if self.config.mode == "live":
            return datetime.now(UTC)
        return simulator_for(self.config).clock.now()

    def run_now(self, context: dg.AssetExecutionContext) -> datetime:
        """`now()`, read once per run and pinned on it (run tag `linelogic/provider_now`): every step of a run,
        in every layer, cuts at the same instant (which buckets are due, what is in the future) even while the
        clock runs, and a step retried in the same run sees the same time."""
        run = context.instance.get_run_by_id(context.run.run_id)
        held = run.tags.get(NOW_TAG) if run else None
        if held:
            return parse_ts(held)
        now = self.now()
        context.instance.add_run_tags(context.run.run_id, {NOW_TAG: now.isoformat()})
        return now

    def clock_speed(self) -> float:
        """Provider seconds per wall-clock second: 1 live; the simulator clock's speed in demo mode (0 frozen)."""
        if self.config.mode == "live":
            return 1.0
        return simulator_for(self.config).clock.speed


class ProviderResource(ClockResource):
    """A provider's resource: its client on the live API or the simulator, and (as a clock) their present."""

    simulator_url: str | None = None  # demo over HTTP (linelogic simulator serve) instead of in-process

    @property
    def source(self) -> Source:
        return "live" if self.config.mode == "live" else "simulator"

    def _endpoint(self, live_base_url: str, env_key: str, demo_key: str) -> tuple[str, str, httpx.BaseTransport | None]:
        cfg = self.config
        if cfg.mode == "live":
            key = os.environ.get(env_key)
            if not key:
                raise dg.DagsterInvariantViolationError(f"mode: live needs {env_key} in the environment")
            register_secret(key)  # scrubbed from any text from here on, whoever prints it
            return live_base_url, key, None
        url = self.simulator_url or os.environ.get("LINELOGIC_SIMULATOR_URL")  # one simulator for many processes
        if url:
            return url, demo_key, None
        return "http://simulator.local", demo_key, simulator_for(cfg).transport()


class AlertWebhookResource(dg.ConfigurableResource):
    """A Discord-compatible webhook (JSON `content` + `embeds`); off while its environment variable is unset.

    The URL embeds the channel's token, so it is read from the environment when an alert is sent, is
    registered as a secret (scrubbed from any text) and never appears in a log line or an error.
    """

    config_path: str | None = None

    @property
    def url(self) -> str | None:
        url = os.environ.get(config_from(self.config_path).automation.alerts.webhook_url_env) or None
        register_secret(url)
        return url

    def post(self, title: str, description: str, fields: dict[str, str], color: int = 0xE74C3C) -> None:
        """Send one alert, or raise AlertDeliveryError unless the receiver took it (2xx). Unconfigured: no-op."""
        url = self.url
        if url is None:
            return
        alerts = config_from(self.config_path).automation.alerts
        payload = {
            "username": alerts.username,
            "content": scrub(title)[:2000],
            "allowed_mentions": {"parse": []},  # an alert never pings anyone
            "embeds": [{
                "title": scrub(title)[:256],
                "description": scrub(description)[:4000],
                "color": color,
                "fields": [{"name": k[:256], "value": scrub(v)[:1024] or "-", "inline": True} for k, v in fields.items()],
                "timestamp": datetime.now(UTC).isoformat(),
            }],
        }
        try:
            response = httpx.post(url, json=payload, timeout=alerts.timeout_seconds)
        except httpx.HTTPError as err:
            raise AlertDeliveryError(f"alert webhook unreachable: {type(err).__name__}") from None
        if not response.is_success:
            raise AlertDeliveryError(f"alert webhook answered {response.status_code}")


class AlertDeliveryError(RuntimeError):
    """The webhook did not take the alert; the sensor keeps it and tries again on its next tick."""


