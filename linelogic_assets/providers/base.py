"""What a provider is to the layers: one typed record per provider package, listed in `registry.py`.

The layers loop over the registry instead of naming a provider: bronze takes each provider's assets,
contracts and resource; the simulator routes requests to each provider's part; redaction registers each
provider's key variables; matching ranks providers as the schedule truth. Loaders are functions so that
reading the registry never imports Dagster assets or the simulator before they are needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import dagster as dg
    import pandas as pd
    import pyarrow as pa
    from pydantic import BaseModel

    from linelogic_assets.bronze.store import BronzeStore
    from linelogic_assets.config import IngestConfig
    from linelogic_assets.lake.contracts import Classified
    from linelogic_assets.lake.quarantine import Quarantine
    from linelogic_assets.registry.events import Sighting
    from linelogic_assets.registry.teams import TeamIndex
    from linelogic_assets.silver.odds import OddsPartition
    from linelogic_assets.simulator.responses import SimResponse
    from linelogic_assets.simulator.settings import SimulatorSettings
    from linelogic_assets.sports import League


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
    # its sections of config/ingest.yaml (a model whose fields join IngestConfig's top level) and its part of
    # the simulator's settings (fields joining the `simulator:` section)
    config: type[BaseModel] | None = None
    simulator_settings: type[BaseModel] | None = None
    live_needs_key: bool = False  # `mode: live` refuses to start without its `secret_env` set
    # its sensors for the Definitions (built when called, so the registry imports no Dagster sensor)
    sensors: Callable[[], Sequence[dg.SensorDefinition]] | None = None
    # the names of its assets each narrow job runs: a pregame snapshot, a slate's results, the daily reference
    pregame_assets: tuple[str, ...] = ()
    results_assets: tuple[str, ...] = ()
    reference_assets: tuple[str, ...] = ()
    # its free schedule: (config path, [(league, days)]) → per league, slate → [(game id, start)]; one client
    # serves the whole batch. None: it offers none
    free_schedule: Callable[[str | None, Sequence[tuple[League, list[date]]]],
                            list[dict[date, list[tuple[str, datetime]]]]] | None = None
    # the cost of a historical backfill: (config, data root, league, days, free schedule or None, budget, now)
    # → a plan with `summary()`, `windows`, `odds_call_cost`, `budget`, `budget_left`, `quota_units`, `within_budget`
    backfill_plan: Callable[[IngestConfig, Path, League, list[date], dict | None, int | None, datetime], Any] | None = None
    ledger: Callable[[Path, IngestConfig], Any] | None = None  # its credit ledger (with `summary()`), if it is paid
    # how `linelogic import` reads its bodies: (endpoint, body, league) → the slate dates of the body's games
    # (a timestamp it cannot read raises TimestampError); (endpoint, body) → (snapshot time, how it is known);
    # (endpoint, body) → the sport keys its events name, None where the endpoint names none
    slate_dates: Callable[[str, Any, League], set[date]] | None = None
    snapshot_time: Callable[[str, Any], tuple[datetime | None, str | None]] | None = None
    sport_keys: Callable[[str, Any], list[Any] | None] | None = None
    # silver: its sightings of a slate's games, (store, league, day, team index, slate window, quarantine) →
    # [Sighting] in reading order; None: it lists no games
    sightings: Callable[[BronzeStore, League, date, TeamIndex, tuple[datetime, datetime], Quarantine],
                        list[Sighting]] | None = None
    # its odds → odds_snapshot rows: (partitions, contents, now) → per partition (rows, stats), reading its
    # `odds_endpoints`; None: it quotes no odds
    odds: Callable[[list[OddsPartition], dict[str, bytes] | None, datetime | None],
                   list[tuple[pa.Table, dict[str, int]]]] | None = None
    odds_endpoints: tuple[str, ...] = ()
    # its people tables: (store, league, day, team index, its game id → canonical event, event → home team,
    # quarantine) → a PeopleBuild; None: it has no players
    people: Callable[[BronzeStore, League, date, TeamIndex, dict[str, str], dict[str, str], Quarantine],
                     Any] | None = None
    # its check of its team responses against the registry: (store, league, day, index, quarantine) →
    # {provider_rows, matched}; None: it lists no teams
    team_check: Callable[[BronzeStore, League, date, TeamIndex, Quarantine], dict[str, int]] | None = None
    # the column of silver's team and player tables holding its ids (one provider supplies them)
    id_column: str | None = None
    # silver: a venue's links of its own listings to the slate's canonical events (`event_provider_map` rows),
    # matched after the events are built: (store, league, day, event frame, team index) → rows
    event_links: Callable[[BronzeStore, League, date, pd.DataFrame, TeamIndex], pd.DataFrame] | None = None
    # silver asset name → the names of its bronze assets that silver asset reads
    silver_deps: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    # the paths its simulator part answers, as the server's banner lists them
    routes: str = ""
    # silver tables of its own (a prediction venue's markets and prices): their assets, and
    # {table: (Arrow schema, sort keys, column descriptions)} for the silver IO manager and the UI
    silver_assets: Callable[[], Sequence[dg.AssetsDefinition]] | None = None
    silver_tables: Callable[[], Mapping[str, tuple[Any, list[str], Mapping[str, str]]]] | None = None

    def covers(self, league: str) -> bool:
        """Whether the provider has data for a league (a slug such as "nba")."""
        return self.leagues is None or league in self.leagues
