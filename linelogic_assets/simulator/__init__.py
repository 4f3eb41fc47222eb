"""Deterministic provider simulator: a synthetic NBA/NFL/MLB/NHL world served as The Odds API v4 and BALLDONTLIE.

    sim = Simulator(SimulatorSettings(seed=7), SimClock(datetime(2025, 1, 5, 18, tzinfo=UTC)))
    client = httpx.Client(transport=sim.transport(), base_url="https://api.the-odds-api.com")
    with sim.serve() as server:  # real HTTP on loopback
        httpx.get(f"{server.url}/v1/teams", headers={"Authorization": "demo"})

The world is imported lazily: the config (which embeds `SimulatorSettings`) must not pay for it.
"""

from importlib import import_module
from typing import Any

from .settings import SimulatorSettings

_LAZY = {
    "SimClock": ".clock",
    "Simulator": ".core",
    "Truth": ".core",
    "Game": ".schedule",
    "SimulatorServer": ".server",
}

__all__ = ["Game", "SimClock", "Simulator", "SimulatorServer", "SimulatorSettings", "Truth"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
