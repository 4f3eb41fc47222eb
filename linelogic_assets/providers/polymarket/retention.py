"""The retention guard: a resolved market's fine price history lives only about `retention_days` after it
closes, so each finished game's full history is fetched after the game and before that horizon.

`due_tokens` is the one rule (what the sensor asks for and what the `history_retained` check reports):
a token of a held market whose game has ended (start plus the league's longest game) and whose stored
history requests all stopped before that end. The sensor asks for `polymarket_prices_history` (then
`prediction_price`) of each slate with due tokens, oldest first, while the horizon has days left.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dagster as dg

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.partitions import partition_key
from linelogic_assets.providers.polymarket.resource import PolymarketResource
from linelogic_assets.resources import LakeResource
from linelogic_assets.sports import League, league_for

NAME = "polymarket"


@dataclass(frozen=True)
class DueToken:
    token_id: str
    game_end: datetime
    days_left: float  # before the fine history is gone (negative: past the horizon, only coarse points remain)


def held_tokens(store: BronzeStore, league: League, day: date) -> dict[str, datetime]:
    """token id → game start of every market token held for a slate (its latest events run)."""
    from linelogic_assets.providers.polymarket.assets import slate_tokens

    return {token: game for token, game, _ in slate_tokens(store, league, day)}


def stored_until(store: BronzeStore, sport: str, day: date) -> dict[str, int]:
    """token id → how far (unix s) its stored, answered history requests reach."""
    out: dict[str, int] = {}
    for folder, manifest in store.manifests(NAME, sport, day, "prices_history"):
        for held in store.responses(folder, manifest):
            token, end = held.entry.get("token_id"), held.entry.get("end_ts")
            if token and isinstance(end, int) and held.entry.get("valid_json", True):
                out[str(token)] = max(out.get(str(token), 0), end)
    return out


def due_tokens(store: BronzeStore, league: League, day: date, now: datetime, retention_days: int) -> list[DueToken]:
    game_length = timedelta(minutes=league.max_game_minutes)
    stored = stored_until(store, league.sport_key, day)
    due = []
    for token, start in held_tokens(store, league, day).items():
        end = start + game_length
        if end > now or stored.get(token, 0) >= int(end.timestamp()):
            continue
        due.append(DueToken(token, end, retention_days - (now - end) / timedelta(days=1)))
    return sorted(due, key=lambda d: (d.game_end, d.token_id))


def retention_requests(store: BronzeStore, sports: list[str], now: datetime, retention_days: int,
                       ) -> list[dg.RunRequest]:
    """One run per slate with due tokens still within the horizon (oldest first); the run key names the due
    set, so a tick that finds the same set asks once."""
    requests = []
    for sport in sports:
        league = league_for(sport)
        today = league.slate_date(now)
        for back in range(retention_days + 1, -1, -1):
            day = today - timedelta(days=back)
            due = [d for d in due_tokens(store, league, day, now, retention_days) if d.days_left > 0]
            if not due:
                continue
            digest = hashlib.sha256(",".join(d.token_id for d in due).encode()).hexdigest()[:12]
            requests.append(dg.RunRequest(
                run_key=f"polymarket-retention:{sport}:{day}:{digest}", partition_key=partition_key(sport, day),
                asset_selection=[dg.AssetKey("polymarket_prices_history"), dg.AssetKey("prediction_price")],
                tags={"linelogic/reason": f"{len(due)} finished market tokens' full history, "
                      f"{min(d.days_left for d in due):.1f} days before the retention horizon"}))
    return requests


def build_retention_sensor() -> dg.SensorDefinition:
    @dg.sensor(name="polymarket_retention", minimum_interval_seconds=300,
               target=dg.AssetSelection.assets("polymarket_prices_history", "prediction_price"),
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Fetches each finished Polymarket game's full-fidelity price history after the game "
               "and before the retention horizon (fine points are kept only about 25 days after close).")
    def _sensor(context: dg.SensorEvaluationContext, lake: LakeResource, polymarket: PolymarketResource):
        cfg = lake.config
        now = polymarket.now()
        runs = retention_requests(lake.bronze(), cfg.enabled_sports, now, cfg.polymarket.retention_days)
        if not runs:
            return dg.SkipReason(f"no finished Polymarket market is missing its history at {now.isoformat()}")
        return dg.SensorResult(run_requests=runs)

    return _sensor
