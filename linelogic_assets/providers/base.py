"""What a provider is to the layers: one typed record per provider package, listed in `registry.py`.

The layers loop over the registry instead of naming a provider: bronze takes each provider's assets,
contracts and resource; the simulator routes requests to each provider's part; redaction registers each
provider's key variables; matching ranks providers as the schedule truth. Loaders are functions so that
reading the registry never imports Dagster assets or the simulator before they are needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import dagster as dg

    from linelogic_assets.lake.contracts import Classified
    from linelogic_assets.simulator.responses import SimResponse
    from linelogic_assets.simulator.settings import SimulatorSettings


class SimulatorPart(Protocol):
    """A provider's part of the simulator: answers the requests whose path is its own, else None."""

    def route(self, path: str, params: dict[str, list[str]], headers: dict[str, str], now: datetime,
              seq: int, fault: str | None) -> SimResponse | None: ...


@dataclass(frozen=True)
class Provider:
    name: str  # bronze folder `provider=<name>`, its pool, its resource key and its assets' name prefix
    title: str  # as people write it ("The Odds API")
    endpoints: tuple[str, ...]  # what bronze holds and `linelogic import` accepts
    problems: Callable[[str, Any], list[str]]  # (endpoint, body) → contract problems; empty = valid
    classify: Callable[[str, Any], Classified]  # (endpoint, body) → the responses a body holds, or ContractError
    bronze_assets: Callable[[], Sequence[dg.AssetsDefinition]]
    resource: Callable[[], dg.ConfigurableResource]  # a fresh resource for the Definitions, under `name`
    simulator: Callable[[SimulatorSettings, Callable[[], float]], SimulatorPart]  # (settings, monotonic)
    # environment variables holding its keys: registered as secrets, scrubbed from every line
    secret_env: tuple[str, ...] = ()
    # precedence of its events when providers disagree on a game's schedule or status (lower wins);
    # None: it lists no events of its own
    schedule_rank: int | None = None
    leagues: frozenset[str] | None = None  # league slugs it has data for; None: every league

    def covers(self, league: str) -> bool:
        """Whether the provider has data for a league (a slug such as "nba")."""
        return self.leagues is None or league in self.leagues
