"""The Odds API responses → `odds_snapshot` rows, columnar end to end.

All of a partition's odds responses are joined into one newline-delimited JSON buffer in a single
canonical envelope (`{"timestamp": …, "data": [events]}`) and parsed by Arrow's multithreaded JSON
reader against an explicit schema. The event → bookmaker → market → outcome nesting is then
flattened with list-parent indices, so no Python code runs per outcome.

A response the fast path cannot take (pretty-printed, unix dates, a price written as a string, an
event-odds object) is rewritten into the canonical envelope in Python first; one that still fails,
or is not valid JSON at all, is quarantined with its reason and raw_ref.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from linelogic_assets.bronze.contracts import ContractError, classify, decode
from linelogic_assets.silver.quarantine import Quarantine
from linelogic_assets.silver.raw import RawResponse
from linelogic_assets.timeutil import iso_z, parse_ts

ODDS_ENDPOINTS = ("historical_odds", "odds", "historical_event_odds", "event_odds")
S, F = pa.string(), pa.float64()
TS = pa.timestamp("us", tz="UTC")
_OUTCOME = pa.struct([("name", S), ("price", F), ("point", F), ("description", S)])
_MARKET = pa.struct([("key", S), ("last_update", S), ("outcomes", pa.list_(_OUTCOME))])
_BOOK = pa.struct([("key", S), ("last_update", S), ("markets", pa.list_(_MARKET))])
_EVENT_HEAD = [("id", S), ("commence_time", S), ("home_team", S), ("away_team", S)]
FULL_SCHEMA = pa.schema([("timestamp", S), ("data", pa.list_(pa.struct([*_EVENT_HEAD, ("bookmakers", pa.list_(_BOOK))])))])
HEAD_SCHEMA = pa.schema([("timestamp", S), ("data", pa.list_(pa.struct(_EVENT_HEAD)))])
DEDUPE_KEY = ["canonical_event_id", "snapshot_time_utc", "bookmaker", "market", "selection", "participant", "price", "point"]
_SIDES = {"over": "over", "under": "under", "draw": "draw"}


class OddsParseError(ValueError):
    """A response that cannot be read as odds; the message is the quarantine reason."""


# -- envelope --------------------------------------------------------------------------------

def _fast_line(resp: RawResponse, content: bytes) -> bytes | None:
    """The response as one canonical NDJSON line without parsing it, where its shape allows."""
    body = content.strip()
    if b"\n" in body or b"\r" in body or not body:
        return None
    if resp.endpoint in ("historical_odds", "historical_events") and body[:1] == b"{":
        return body
    if resp.endpoint in ("odds", "events") and body[:1] == b"[":
        return b'{"data":' + body + b"}"
    if resp.endpoint == "event_odds" and body[:1] == b"{":
        return b'{"data":[' + body + b"]}"
    return None


def _iso(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return iso_z(parse_ts(value))
    return value


def _number(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise OddsParseError(f"non-numeric price/point {value!r}") from None
    return value


def canonical_line(resp: RawResponse, content: bytes) -> bytes:
    """Rewrite any odds/events response shape into the canonical envelope (the slow path)."""
    try:
        body = decode(content)
        classify("oddsapi", resp.endpoint, body)  # legacy (v3) and misfiled shapes are refused with a reason
    except ContractError as err:
        raise OddsParseError(str(err)) from None
    timestamp = None
    if resp.endpoint.startswith("historical_"):
        if not isinstance(body, dict) or "data" not in body:
            raise OddsParseError("historical response without a data envelope")
        timestamp, body = _iso(body.get("timestamp")), body["data"]
    events = [body] if isinstance(body, dict) else body
    if not isinstance(events, list):
        raise OddsParseError(f"expected a list of events, got {type(events).__name__}")
    for ev in events:
        if not isinstance(ev, dict):
            raise OddsParseError(f"event is {type(ev).__name__}, not an object")
        ev["commence_time"] = _iso(ev.get("commence_time"))
        for book in ev.get("bookmakers") or []:
            book["last_update"] = _iso(book.get("last_update"))
            for market in book.get("markets") or []:
                market["last_update"] = _iso(market.get("last_update"))
                for o in market.get("outcomes") or []:
                    o["price"] = _number(o.get("price"))
                    if "point" in o:
                        o["point"] = _number(o["point"])
    return json.dumps({"timestamp": timestamp, "data": events}, separators=(",", ":")).encode()


def _read(lines: list[bytes], schema: pa.Schema) -> pa.Table:
    buf = b"\n".join(lines)
    return pj.read_json(
        io.BytesIO(buf),
        read_options=pj.ReadOptions(block_size=max(1 << 20, min(len(buf) // 2 + 1, 1 << 26))),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


def parse_responses(responses: list[RawResponse], quarantine: Quarantine, schema: pa.Schema = FULL_SCHEMA,
                    contents: dict[str, bytes] | None = None) -> tuple[pa.Table, list[RawResponse]]:
    """One Arrow row per readable response (same order as the returned responses)."""
    kept: list[RawResponse] = []
    lines: list[bytes] = []
    for resp in responses:
        if not resp.valid_json:
            quarantine.add("response", "bronze holds this body as invalid JSON (kept, not parsed)",
                           provider=resp.provider, endpoint=resp.endpoint, raw_ref=resp.raw_ref)
            continue
        content = contents[resp.raw_ref] if contents else resp.read()
        line = _fast_line(resp, content)
        if line is None:
            try:
                line = canonical_line(resp, content)
            except OddsParseError as err:
                quarantine.add("response", str(err), provider=resp.provider, endpoint=resp.endpoint, raw_ref=resp.raw_ref)
                continue
        kept.append(resp)
        lines.append(line)
    if not lines:
        return schema.empty_table(), []
    try:
        return _read(lines, schema), kept
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # one bad response must not sink the partition: find it, rewrite or quarantine it, keep the rest
    tables, good = [], []
    for resp, line in zip(kept, lines, strict=True):
        try:
            tables.append(_read([line], schema))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            try:
                tables.append(_read([canonical_line(resp, contents[resp.raw_ref] if contents else resp.read())], schema))
            except (OddsParseError, pa.ArrowInvalid, pa.ArrowTypeError) as err2:
                reason = str(err2) if isinstance(err2, OddsParseError) else f"unreadable odds response: {err}"
                quarantine.add("response", reason.splitlines()[0], provider=resp.provider, endpoint=resp.endpoint,
                               raw_ref=resp.raw_ref)
                continue
        good.append(resp)
    return (pa.concat_tables(tables) if tables else schema.empty_table()), good


# -- flattening ------------------------------------------------------------------------------

def _explode(lists: pa.Array) -> tuple[pa.Array, pa.Array]:
    return pc.list_flatten(lists), pc.list_parent_indices(lists)


def _field(struct: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(struct, name)


def _snapshot_times(table: pa.Table, responses: list[RawResponse]) -> pa.Array:
    envelope = pc.cast(table.column("timestamp").combine_chunks(), TS)
    recorded = pa.array([r.snapshot_time for r in responses], type=TS)
    return pc.coalesce(envelope, recorded)


@dataclass
class EventHeads:
    """Every (response, event) pair: who played, when, as seen at which snapshot."""

    frame: pd.DataFrame  # provider_event_id, commence, home_team, away_team, snapshot_time, raw_ref, resp_index


def event_heads(table: pa.Table, responses: list[RawResponse]) -> EventHeads:
    data = table.column("data").combine_chunks()
    ev, ev_resp = _explode(data)
    snap = _snapshot_times(table, responses)
    refs = pa.array([r.raw_ref for r in responses], type=S)
    frame = pa.table({
        "provider_event_id": _field(ev, "id"),
        "commence": pc.cast(_field(ev, "commence_time"), TS),
        "home_team": _field(ev, "home_team"),
        "away_team": _field(ev, "away_team"),
        "snapshot_time": pc.take(snap, ev_resp),
        "raw_ref": pc.take(refs, ev_resp),
    }).to_pandas()
    return EventHeads(frame)


@dataclass
class EventKey:
    """What odds rows need to know of their canonical event."""

    canonical_event_id: str
    commence_time_utc: datetime
    swapped: bool  # the provider's home is the canonical away


def normalise_odds(
    table: pa.Table,
    responses: list[RawResponse],
    sport: str,
    window: tuple[datetime, datetime],
    events: dict[str, EventKey],
    quarantine: Quarantine,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Flatten parsed responses into deduplicated odds_snapshot rows for the events of one slate."""
    stats = {"responses": len(responses), "outcomes_in_window": 0, "intra_response_duplicates": 0,
             "cross_run_duplicates": 0, "quarantined_rows": 0}
    data = table.column("data").combine_chunks()
    ev, ev_resp = _explode(data)
    commence = pc.cast(_field(ev, "commence_time"), TS)
    in_window = pc.and_(pc.greater_equal(commence, pa.scalar(window[0], TS)), pc.less(commence, pa.scalar(window[1], TS)))
    in_window = pc.fill_null(in_window, False)
    nameless = pc.or_(pc.is_null(_field(ev, "id")), pc.is_null(commence))
    if pc.any(nameless).as_py():
        for resp_idx in sorted(set(ev_resp.filter(nameless).to_pylist())):
            r = responses[resp_idx]
            quarantine.add("event", "event without an id or commence_time (not a v4 event)", provider=r.provider,
                           endpoint=r.endpoint, raw_ref=r.raw_ref)
    ev, ev_resp, commence = ev.filter(in_window), ev_resp.filter(in_window), commence.filter(in_window)

    snap_all = _snapshot_times(table, responses)
    no_time = [r for r, t in zip(responses, snap_all.to_pylist(), strict=True) if t is None]
    for r in no_time:
        quarantine.add("response", "odds response without a snapshot time (no envelope timestamp, none recorded)",
                       provider=r.provider, endpoint=r.endpoint, raw_ref=r.raw_ref)

    bk, bk_ev = _explode(_field(ev, "bookmakers"))
    mk, mk_bk = _explode(_field(bk, "markets"))
    oc, oc_mk = _explode(_field(mk, "outcomes"))
    oc_bk = pc.take(mk_bk, oc_mk)
    oc_ev = pc.take(bk_ev, oc_bk)
    oc_resp = pc.take(ev_resp, oc_ev)
    stats["outcomes_in_window"] = len(oc)

    pid = pc.take(_field(ev, "id"), oc_ev)
    name = _field(oc, "name")
    known = sorted(events)
    idx = pc.index_in(pid, value_set=pa.array(known, type=S))
    canon = pc.take(pa.array([events[k].canonical_event_id for k in known], type=S), idx)
    swapped = pc.take(pa.array([events[k].swapped for k in known], type=pa.bool_()), idx)
    sched = pc.take(pa.array([events[k].commence_time_utc for k in known], type=TS), idx)

    is_home = pc.fill_null(pc.equal(name, pc.take(_field(ev, "home_team"), oc_ev)), False).to_numpy(zero_copy_only=False)
    is_away = pc.fill_null(pc.equal(name, pc.take(_field(ev, "away_team"), oc_ev)), False).to_numpy(zero_copy_only=False)
    flip = pc.fill_null(swapped, False).to_numpy(zero_copy_only=False)
    lowered = pc.utf8_lower(name)
    other = pc.if_else(pc.is_in(lowered, value_set=pa.array(list(_SIDES), S)), lowered, pa.scalar(None, S))
    selection = np.where(is_home, np.where(flip, "away", "home"),
                         np.where(is_away, np.where(flip, "home", "away"), other.to_numpy(zero_copy_only=False)))

    frame = pa.table({
        "resp": oc_resp,
        "canonical_event_id": canon,
        "provider_event_id": pid,
        "commence_time_utc": sched,
        "sighting_commence": pc.take(commence, oc_ev),
        "snapshot_time_utc": pc.take(snap_all, oc_resp),
        "bookmaker": pc.take(_field(bk, "key"), oc_bk),
        "market": pc.take(_field(mk, "key"), oc_mk),
        "selection": pa.array(selection, S),
        "name": name,
        "price_raw": _field(oc, "price"),
        "point": _field(oc, "point"),
        "participant": _field(oc, "description"),
        "last_update": pc.cast(pc.coalesce(pc.take(_field(mk, "last_update"), oc_mk),
                                           pc.take(_field(bk, "last_update"), oc_bk)), TS),
    }).to_pandas()

    bad = frame["canonical_event_id"].isna() | frame["selection"].isna() | frame["snapshot_time_utc"].isna() \
        | frame["price_raw"].isna()
    if bad.any():
        _quarantine_rows(frame[bad], responses, events, quarantine)
        stats["quarantined_rows"] = int(bad.sum())
        frame = frame[~bad]

    price_raw = frame["price_raw"].to_numpy(dtype="float64")
    american = _american_responses(frame, responses)
    is_am = np.isin(frame["resp"].to_numpy(), list(american))
    frame["price"] = np.where(is_am, american_to_decimal(price_raw), price_raw)
    frame["price_american"] = np.where(is_am, price_raw, decimal_to_american(price_raw))
    frame["is_live"] = (frame["snapshot_time_utc"] >= frame["sighting_commence"]).to_numpy()
    frame["provider"] = "oddsapi"
    frame["sport"] = sport
    resp_idx = frame["resp"].to_numpy()
    frame["raw_ref"] = np.array([r.raw_ref for r in responses], dtype=object)[resp_idx]
    frame["ingest_run_id"] = np.array([r.run_id for r in responses], dtype=object)[resp_idx]
    frame["ingested_at_utc"] = pd.to_datetime(pd.Series([r.ingested_at for r in responses], dtype="object"),
                                              utc=True).to_numpy()[resp_idx]
    frame["bookmaker_last_update_utc"] = frame.pop("last_update")
    frame["record_hash"] = record_hash(frame)

    dup_in_resp = frame.duplicated(["resp", "record_hash"])
    stats["intra_response_duplicates"] = int(dup_in_resp.sum())
    frame = frame[~dup_in_resp]
    dup_across = frame.duplicated(["record_hash"])
    stats["cross_run_duplicates"] = int(dup_across.sum())
    frame = frame[~dup_across]
    frame["ingested_at_utc"] = pd.to_datetime(frame["ingested_at_utc"], utc=True)
    return frame.drop(columns=["resp", "sighting_commence", "name", "price_raw"]), stats


def record_hash(frame: pd.DataFrame) -> np.ndarray:
    """64-bit hash of the dedupe key (seed 000 §7.3) as 16 hex digits; deterministic across runs."""
    key = frame[DEDUPE_KEY].copy()
    key["snapshot_time_utc"] = key["snapshot_time_utc"].astype("int64")
    h = pd.util.hash_pandas_object(key, index=False).to_numpy().astype(">u8")
    return np.frombuffer(h.tobytes().hex().encode(), dtype="S16").astype(str).astype(object)


def american_to_decimal(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, 1 + a / 100.0, 1 + 100.0 / np.abs(a))


def decimal_to_american(d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.round(np.where(d >= 2, (d - 1) * 100.0, -100.0 / (d - 1)), 2)


def _american_responses(frame: pd.DataFrame, responses: list[RawResponse]) -> set[int]:
    """Responses priced in American odds: as requested, else judged from the prices themselves."""
    out = {i for i, r in enumerate(responses) if r.odds_format == "american"}
    unknown = {i for i, r in enumerate(responses) if r.odds_format is None}
    if unknown:
        sub = frame[frame["resp"].isin(unknown)]
        g = sub.groupby("resp")["price_raw"]
        # American odds are whole numbers of magnitude ≥ 100; anything else is read as decimal, so a
        # bad decimal price (0.95) fails the price checks instead of being "converted" into a valid one
        whole = g.apply(lambda p: bool(((p == p.round()) & (p.abs() >= 100)).all()))
        judged = whole
        out |= set(judged[judged].index)
    return out


def _quarantine_rows(bad: pd.DataFrame, responses: list[RawResponse], events: dict[str, EventKey],
                     quarantine: Quarantine) -> None:
    for (resp, pid), g in bad.groupby(["resp", "provider_event_id"], sort=True):
        r = responses[resp]
        if pid not in events:
            reason = "event not in the canonical event map (its teams were quarantined or it was never matched)"
        elif g["snapshot_time_utc"].isna().all():
            continue  # counted once per response above
        elif g["selection"].isna().any():
            names = sorted(set(g.loc[g["selection"].isna(), "name"].astype(str)))[:5]
            reason = f"outcome name(s) {names} match neither team nor over/under/draw"
        else:
            reason = "outcome without a price"
        quarantine.add("rows", reason, provider="oddsapi", endpoint=r.endpoint, raw_ref=r.raw_ref, rows=len(g),
                       detail={"provider_event_id": pid, "markets": sorted(set(g["market"].astype(str)))})
