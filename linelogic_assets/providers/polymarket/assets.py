"""Polymarket bronze assets per sport × slate date (the game start in the league's timezone):

- `polymarket_events`: the Gamma game events (with their moneyline, spread and total markets) created in
  the week before the slate up to its end, every page kept; silver keeps the slate's games.
- `polymarket_prices_history`: each token's CLOB price history, from its market's creation to the game's end
  (or now), at the configured fidelity. Resolved markets keep fine points only about 25 days after close,
  so the retention sensor asks for it after each game.
- `polymarket_books`: each token's order book while its game is ahead (book snapshots at the pregame windows);
  a book is gone once its market closes, so a past slate has none to take.
"""

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dagster as dg

from linelogic_assets.bronze.session import BronzeSession, bronze_check_specs, bronze_slates
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.partitions import BRONZE_POLICY, sport_date_partitions
from linelogic_assets.providers.errors import NotFoundError, ProviderError
from linelogic_assets.providers.polymarket.normalise import decode_json_list, parse_pm_time
from linelogic_assets.providers.polymarket.resource import PolymarketResource
from linelogic_assets.resources import LakeResource
from linelogic_assets.sports import League

NAME = "polymarket"
LISTED_DAYS = 8  # Gamma creates a game's event about a week before it: list from this many days before the slate
_common = dict(group_name="bronze", partitions_def=sport_date_partitions, kinds={"json"}, pool=NAME,
               backfill_policy=BRONZE_POLICY)


def slate_tokens(store: BronzeStore, league: League, day: date) -> list[tuple[str, datetime, datetime | None]]:
    """(token id, game start, market creation) of every market token in the latest events run whose game
    starts within the slate, in listing order; unreadable events are left to silver's quarantine."""
    latest = store.latest(NAME, league.sport_key, day, "events")
    if latest is None:
        return []
    start, end = league.slate_bounds_utc(day)
    out: dict[str, tuple[str, datetime, datetime | None]] = {}
    for held in store.responses(*latest):
        if not held.entry.get("valid_json", True):
            continue
        body = json.loads(held.read_bytes())
        for event in body if isinstance(body, list) else []:
            for market in (event.get("markets") or []) if isinstance(event, dict) else []:
                if not isinstance(market, dict):
                    continue
                try:
                    game = parse_pm_time(market.get("gameStartTime"))
                    created = parse_pm_time(market.get("startDate") or event.get("startDate"))
                    tokens = decode_json_list(market.get("clobTokenIds"))
                except ValueError:
                    continue
                if game is None or not start <= game < end:
                    continue
                for token in tokens:
                    out.setdefault(str(token), (str(token), game, created))
    return list(out.values())


@dg.asset(name="polymarket_events", **_common, check_specs=bronze_check_specs("polymarket_events"),
          description="Polymarket (Gamma) game events of the slate with their moneyline, spread and total markets.")
def polymarket_events(context: dg.AssetExecutionContext, lake: LakeResource,
                      polymarket: PolymarketResource) -> Iterator:
    yield from bronze_slates(context, lake, NAME, polymarket.source, "events", lambda s: _events(s, polymarket))


def _events(s: BronzeSession, polymarket: PolymarketResource) -> dg.MaterializeResult:
    lake = s.lake
    settings = lake.config.polymarket
    series = settings.series_ids.get(s.sport)
    start, end = s.league.slate_bounds_utc(s.day)
    now = polymarket.now()
    if series is None:
        s.skip(f"no Polymarket series configured for {s.sport}")
    elif now < start - timedelta(days=LISTED_DAYS):
        s.skip("the slate's games are not listed yet")
    else:
        client = polymarket.client()
        try:
            for page in client.events(series_id=series, tag_id=settings.game_tag_id,
                                      start_date_min=start - timedelta(days=LISTED_DAYS), start_date_max=end,
                                      order="startTime", ascending=True):
                s.writer("events").add_response(page, snapshot_timestamp=now, requested_at=now)
        except ProviderError as err:
            s.record_failure("events", err)
        finally:
            client.close()
    return s.finish()


@dg.asset(name="polymarket_prices_history", **_common, deps=[polymarket_events],
          check_specs=bronze_check_specs("polymarket_prices_history"),
          description="Each Polymarket token's CLOB price history for the slate, from its market's creation to "
          "the game's end (or now), at the configured fidelity.")
def polymarket_prices_history(context: dg.AssetExecutionContext, lake: LakeResource,
                              polymarket: PolymarketResource) -> Iterator:
    yield from bronze_slates(context, lake, NAME, polymarket.source, "prices_history", lambda s: _prices_history(s, polymarket))


def _prices_history(s: BronzeSession, polymarket: PolymarketResource) -> dg.MaterializeResult:
    lake = s.lake
    settings = lake.config.polymarket
    now = polymarket.now()
    tokens = slate_tokens(s.store, s.league, s.day)
    if not tokens:
        s.skip("no Polymarket markets held for this slate (materialize polymarket_events first, or none listed)")
        return s.finish()
    game_length = timedelta(minutes=s.league.max_game_minutes)
    client = polymarket.client()
    try:
        for token, game, created in tokens:
            begin = created or game - timedelta(days=LISTED_DAYS)
            until = min(now, game + game_length)
            if until <= begin:
                continue
            end_ts = int(until.timestamp())
            try:
                r = client.prices_history(token, start_ts=int(begin.timestamp()), end_ts=end_ts,
                                          fidelity=settings.history_fidelity_minutes)
                # the token and how far the history reaches: what silver and the retention guard read
                s.writer("prices_history").add_response(r, snapshot_timestamp=now, requested_at=now,
                                                        extra={"token_id": token, "end_ts": end_ts})
            except ProviderError as err:
                s.record_failure("prices_history", err, request_key=f"prices_history:{token}")
    finally:
        client.close()
    return s.finish(extra_metadata={"tokens": len(tokens)})


@dg.asset(name="polymarket_books", **_common, deps=[polymarket_events], check_specs=bronze_check_specs("polymarket_books"),
          description="Order-book snapshots of the slate's Polymarket tokens while their games are ahead.")
def polymarket_books(context: dg.AssetExecutionContext, lake: LakeResource,
                     polymarket: PolymarketResource) -> Iterator:
    yield from bronze_slates(context, lake, NAME, polymarket.source, "book", lambda s: _books(s, polymarket))


def _books(s: BronzeSession, polymarket: PolymarketResource) -> dg.MaterializeResult:
    now = polymarket.now()
    ahead = [(token, game) for token, game, _ in slate_tokens(s.store, s.league, s.day) if game > now]
    if not ahead:
        s.skip("no Polymarket market of the slate is still open (a closed market has no book)")
        return s.finish()
    client = polymarket.client()
    closed = 0
    try:
        for token, _ in ahead:
            try:
                r = client.book(token)
                s.writer("book").add_response(r, snapshot_timestamp=now, requested_at=now, extra={"token_id": token})
            except NotFoundError:
                closed += 1  # closed since the listing: normal, not a lost call
            except ProviderError as err:
                s.record_failure("book", err, request_key=f"book:{token}")
    finally:
        client.close()
    return s.finish(extra_metadata={"tokens": len(ahead), "closed_since_listing": closed})


assets = [polymarket_events, polymarket_prices_history, polymarket_books]
