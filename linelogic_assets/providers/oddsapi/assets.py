"""The Odds API bronze assets: events, odds snapshots (live and historical, through the checkpoints) and
scores per sport × slate date, appended run by run."""


import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dagster as dg

from linelogic_assets.bronze.checkpoints import Checkpoint, params_fingerprint
from linelogic_assets.bronze.planning import window_targets
from linelogic_assets.bronze.session import BronzeSession, TargetAccount, bronze_check_specs, bronze_slates
from linelogic_assets.bronze.store import BronzeStore, BronzeWriter
from linelogic_assets.config import IngestConfig
from linelogic_assets.partitions import BRONZE_POLICY, sport_date_partitions
from linelogic_assets.providers.errors import ProviderError
from linelogic_assets.providers.http import ApiResponse
from linelogic_assets.providers.oddsapi.planning import (
    held_snapshots,
    naive_calls,
    plan_slate,
    window_timeliness,
)
from linelogic_assets.providers.oddsapi.quota import estimate_oddsapi_cost
from linelogic_assets.providers.oddsapi.resource import OddsApiResource, ledger
from linelogic_assets.resources import LakeResource
from linelogic_assets.sports import League
from linelogic_assets.timeutil import parse_ts

GROUP = "bronze"
SCORES_DAYS_FROM = 3  # the /scores endpoint looks back at most 3 days
_common = dict(group_name=GROUP, partitions_def=sport_date_partitions, kinds={"json"}, backfill_policy=BRONZE_POLICY)


def _fetch_historical(
    session: BronzeSession,
    endpoint: str,
    at: datetime,
    call: Callable[[datetime], ApiResponse],
    params_for_key: dict[str, str],
) -> None:
    """A historical call through the checkpoints: reuse a held snapshot covering `at`, else pay once. The
    buy holds the key's cross-process lock and re-reads the checkpoints from disk first, so another
    instance on the same lake that bought it meanwhile is referenced, not paid again."""
    checkpoints = session.checkpoints
    fingerprint = params_fingerprint(endpoint, params_for_key)
    request_key = f"{endpoint}:{fingerprint}@{at.isoformat()}"
    writer = session.writer(endpoint)
    held = checkpoints.find(endpoint, fingerprint, at)
    if held is None:
        waiting = f"{endpoint}: waiting for another run buying the same snapshots (checkpoint lock)"
        with checkpoints.buying(endpoint, fingerprint, on_wait=lambda: session.log(waiting)):
            held = checkpoints.find(endpoint, fingerprint, at, fresh=True)
            if held is None:
                _buy(session, writer, endpoint, fingerprint, at, call, request_key)
                return
    writer.add_reference(held, request_key=request_key, reason="checkpoint", requested_at=at)


def _snapshot_times(body: object) -> tuple[datetime | None, datetime | None]:
    """A historical body's (timestamp, next_timestamp); None where absent or unreadable (the check says so)."""
    if not isinstance(body, dict):
        return None, None
    out = []
    for key in ("timestamp", "next_timestamp"):
        try:
            out.append(parse_ts(body[key]) if body.get(key) else None)
        except (ValueError, TypeError, OverflowError):
            out.append(None)
    return out[0], out[1]


def _buy(session: BronzeSession, writer: BronzeWriter, endpoint: str, fingerprint: str, at: datetime,
         call: Callable[[datetime], ApiResponse], request_key: str) -> None:
    try:
        response: ApiResponse = call(at)
    except ProviderError as err:
        session.record_failure(endpoint, err, request_key)
        return
    snapshot, nxt = _snapshot_times(response.json())
    entry = writer.add_response(response, snapshot_timestamp=snapshot, requested_at=at, request_key=request_key)
    if snapshot is not None:
        session.checkpoints.save(
            endpoint, fingerprint, Checkpoint(snapshot, nxt, entry["raw_ref"], entry["sha256"], entry["bytes"])
        )


def held_events(store: BronzeStore, league: League, day: date) -> list[dict] | None:
    """The slate's events from the latest events run of its partition (None: no events run held)."""
    events: dict[str, dict] = {}
    start, end = league.slate_bounds_utc(day)
    found = False
    for endpoint in ("historical_events", "events"):
        latest = store.latest("oddsapi", league.sport_key, day, endpoint)
        if latest is None:
            continue
        found = True
        for held in store.responses(*latest):
            if not held.entry.get("valid_json", True):
                continue
            body = json.loads(held.read_bytes())
            rows = body.get("data", []) if isinstance(body, dict) else body
            for ev in rows:
                commence = parse_ts(ev["commence_time"])
                if start <= commence < end:
                    events.setdefault(ev["id"], {**ev, "commence_dt": commence})
    return sorted(events.values(), key=lambda e: (e["commence_dt"], e["id"])) if found else None


def historical_events_request(league: League, day: date) -> tuple[datetime, dict[str, str]]:
    """The one historical /events call of a slate that has begun: its time and checkpoint parameters."""
    start, end = league.slate_bounds_utc(day)
    return start - timedelta(minutes=1), {"sport": league.sport_key, "commenceTimeFrom": start.isoformat(),
                                          "commenceTimeTo": end.isoformat()}


@dg.asset(**_common, check_specs=bronze_check_specs("oddsapi_events"), pool="oddsapi",
          description="The Odds API events of the slate: current /events (free) while the slate is ahead, "
          "historical /events at the slate's start once it has begun.")
def oddsapi_events(context: dg.AssetExecutionContext, lake: LakeResource, oddsapi: OddsApiResource) -> Iterator:
    yield from bronze_slates(context, lake, "oddsapi", oddsapi.source, "events", lambda s: _events(s, oddsapi))


def _events(s: BronzeSession, oddsapi: OddsApiResource) -> dg.MaterializeResult:
    lake = s.lake
    cfg = lake.config
    start, end = s.league.slate_bounds_utc(s.day)
    now = oddsapi.now()
    client = oddsapi.client(ledger(lake.root, lake.config))
    try:
        if now >= start:
            at, params = historical_events_request(s.league, s.day)
            _fetch_historical(
                s, "historical_events", at,
                lambda t: client.historical_events(s.sport, t, date_format=cfg.date_format, commence_from=start, commence_to=end),
                params,
            )
        if now < end:
            try:
                r = client.events(s.sport, date_format=cfg.date_format, commence_from=max(start, now), commence_to=end)
                s.writer("events").add_response(r, snapshot_timestamp=now, requested_at=now)
            except ProviderError as err:
                s.record_failure("events", err)
    finally:
        client.close()
    return s.finish()


def events_listing_failed(store: BronzeStore, sport: str, day: date) -> bool:
    """Whether the slate's latest events run lost its listing (a call failed or was never sent)."""
    for endpoint in ("historical_events", "events"):
        latest = store.latest("oddsapi", sport, day, endpoint)
        if latest is not None and (latest[1].get("errors") or latest[1].get("not_attempted")):
            return True
    return False


@dataclass(frozen=True)
class OddsRequest:
    """A sport's /odds request: client keyword arguments, the same as query strings, and what it is held under."""

    kwargs: dict
    params: dict[str, str]

    @property
    def fingerprint(self) -> str:
        return params_fingerprint("historical_odds", self.params)

    @property
    def historical_cost(self) -> int:
        """Credits of one historical /odds call by the documented rule (10 × markets × regions)."""
        return estimate_oddsapi_cost("historical_odds", self.params)


def odds_request(cfg: IngestConfig, sport: str) -> OddsRequest:
    s = cfg.sports[sport]
    kwargs = {
        "markets": s.markets,
        "bookmakers": s.bookmakers or None,
        "regions": None if s.bookmakers else cfg.regions,
        "odds_format": cfg.odds_format,
        "date_format": cfg.date_format,
    }
    params = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in kwargs.items() if v is not None}
    return OddsRequest(kwargs, {"sport": sport, **params})


@dg.asset(**_common, deps=[oddsapi_events], check_specs=bronze_check_specs("oddsapi_odds", odds=True), pool="oddsapi",
          description="Odds snapshots of the slate: a live /odds snapshot while games are ahead, plus historical "
          "/odds for window targets no held snapshot serves (shared across games and slates, never paid twice).")
def oddsapi_odds(context: dg.AssetExecutionContext, lake: LakeResource, oddsapi: OddsApiResource) -> Iterator:
    spent = {"linelogic/quota_units": 0, "linelogic/planned_quota_units": 0}

    def slate(s: BronzeSession) -> dg.MaterializeResult:
        result = _odds(s, oddsapi)
        spent["linelogic/quota_units"] += result.metadata["quota_cost"]
        spent["linelogic/planned_quota_units"] += result.metadata["planned_quota_units"]
        return result

    try:
        yield from bronze_slates(context, lake, "oddsapi", oddsapi.source, "historical_odds", slate)
    finally:  # the cost on the run itself, so a backfill's runs list shows what each run spent (a range: its sum)
        context.instance.add_run_tags(context.run.run_id, {k: str(v) for k, v in spent.items()})


def _odds(s: BronzeSession, oddsapi: OddsApiResource) -> dg.MaterializeResult:
    lake = s.lake
    cfg = lake.config
    schedule = cfg.snapshot_schedule
    req = odds_request(cfg, s.sport)
    events = held_events(s.store, s.league, s.day) or []
    now = oddsapi.now()
    targets = [t for ev in events for t in window_targets(ev["id"], ev["commence_dt"], schedule.windows)]
    if not events:
        s.skip("no events held for this slate (materialize oddsapi_events first, or no games)")
    client = oddsapi.client(ledger(lake.root, lake.config))
    unit_cost = req.historical_cost
    staleness, first_seen = schedule.staleness(), schedule.first_seen
    span = (min((t.at for t in targets), default=now) - timedelta(days=1), now)
    try:
        # the live snapshot first: taken just before a window (the pregame sensor's lead), it serves it
        if any(ev["commence_dt"] > now for ev in events):
            start, end = s.league.slate_bounds_utc(s.day)
            try:
                r = client.odds(s.sport, commence_from=start, commence_to=end, **req.kwargs)
                s.writer("odds").add_response(r, snapshot_timestamp=now, requested_at=now)
            except ProviderError as err:
                s.record_failure("odds", err)
        held = held_snapshots(s.store, s.checkpoints, s.sport, s.day, req.fingerprint, span)
        plan = plan_slate(targets, now, held, staleness, first_seen)
        s.log(f"{len(events)} games, {len(plan.due)}/{len(targets)} window targets due: {len(plan.held)} held, "
              f"{plan.shared} from other slates' snapshots, "
              f"{len(plan.calls)} historical calls planned (≤ {len(plan.calls) * unit_cost} credits)")
        writer = s.writer("historical_odds") if plan.references else None
        for cp, served in plan.references.items():
            writer.add_reference(cp, request_key=f"historical_odds:{req.fingerprint}@{served[0].at.isoformat()}",
                                 reason="shared", requested_at=served[0].at)
        for call in plan.calls:
            _fetch_historical(
                s, "historical_odds", call.at,
                lambda t: client.historical_odds(s.sport, t, **req.kwargs),
                req.params,
            )
    finally:
        client.close()
    # what the slate holds now, by the plan's own rule: a due target nothing serves is lost
    held = held_snapshots(s.store, s.checkpoints, s.sport, s.day, req.fingerprint, span)
    after = plan_slate(targets, now, held, staleness, first_seen)
    lost = sum(len(c.targets) for c in after.calls)
    windows = window_timeliness(after.due, held, staleness, first_seen, [w.name for w in schedule.windows])
    account = TargetAccount(len(plan.due), lost, windows,
                            events_listing_failed=not events and events_listing_failed(s.store, s.sport, s.day))
    calls = len(plan.calls)  # (every failure before the plan exists raises out of the asset)
    return s.finish(
        odds=True,
        targets=account,
        extra_metadata={
            "games": len(events),
            "window_targets_due": len(plan.due),
            "window_targets_held": len(plan.held),
            "window_targets_shared": plan.shared,
            "historical_calls_planned": calls,
            "planned_quota_units": calls * unit_cost,
            "naive_event_odds_calls": naive_calls(len(events), len(schedule.windows)),
            "naive_quota_units": naive_calls(len(events), len(schedule.windows)) * unit_cost,
        },
    )


@dg.asset(**_common, check_specs=bronze_check_specs("oddsapi_scores"), pool="oddsapi",
          description="The Odds API /scores?daysFrom=3 for a slate within its 3-day look-back.")
def oddsapi_scores(context: dg.AssetExecutionContext, lake: LakeResource, oddsapi: OddsApiResource) -> Iterator:
    yield from bronze_slates(context, lake, "oddsapi", oddsapi.source, "scores", lambda s: _scores(s, oddsapi))


def _scores(s: BronzeSession, oddsapi: OddsApiResource) -> dg.MaterializeResult:
    lake = s.lake
    start, end = s.league.slate_bounds_utc(s.day)
    now = oddsapi.now()
    if now < start:
        s.skip("slate has not started")
    elif now - start > timedelta(days=SCORES_DAYS_FROM):
        s.skip(f"slate is more than {SCORES_DAYS_FROM} days back: /scores cannot reach it (results come from BALLDONTLIE)")
    else:
        client = oddsapi.client(ledger(lake.root, lake.config))
        try:
            r = client.scores(s.sport, days_from=SCORES_DAYS_FROM, date_format=lake.config.date_format)
            s.writer("scores").add_response(r, snapshot_timestamp=now, requested_at=now)
        except ProviderError as err:
            s.record_failure("scores", err)
        finally:
            client.close()
    return s.finish()


assets = [oddsapi_events, oddsapi_odds, oddsapi_scores]
