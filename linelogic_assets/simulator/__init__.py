"""Deterministic provider simulator: a synthetic NBA/NFL/MLB/NHL world served as The Odds API v4 and BALLDONTLIE.

sim = Simulator(SimulatorSettings(seed=7), SimClock(datetime(2025, 1, 5, 18, tzinfo=UTC)))
client = httpx.Client(transport=sim.transport(), base_url="https://api.the-odds-api.com")
with sim.serve() as server:  # real HTTP on loopback
    httpx.get(f"{server.url}/v1/teams", headers={"Authorization": "demo"})
"""

from .clock import SimClock
from .core import Simulator, Truth
from .schedule import Game
from .server import SimulatorServer
from .settings import SimulatorSettings

__all__ = ["Game", "SimClock", "Simulator", "SimulatorServer", "SimulatorSettings", "Truth"]
