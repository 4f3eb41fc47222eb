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

import hashlib
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
from linelogic_assets.odds_math import american_to_decimal, decimal_to_american
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
_SIDES = ("over", "under", "draw")  # outcome names that are already a selection


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
        # two or more blocks so both cores parse (≤ 32 MB each), but never smaller than one whole response
        read_options=pj.ReadOptions(block_size=max(max(map(len, lines)) + 1, min(len(buf) // 2 + 1, 1 << 25))),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


_EVENT_START = b'{"id":"'
_COMMENCE = b'"commence_time":"'


def slate_events(line: bytes, lo: bytes, hi: bytes) -> bytes:
    """Drop the events whose commence_time is outside [lo, hi) before parsing: projection pushdown.

    A historical snapshot lists every upcoming game, most of them on other slates. v4 events are
    compact objects that open with `{"id":"…"` and carry `"commence_time":"YYYY-MM-DDTHH:MM:SSZ"`, so
    the top-level events can be told apart with byte searches alone. Anything that does not match
    that layout exactly (another key order, unix dates, pretty-printing) is returned whole and
    parsed whole: the cut only ever removes events it has positively placed on another slate.
    """
    head = line.find(b'"data":[' + _EVENT_START)
    if head < 0 or not line.endswith(b"]}"):
        return line
    body = head + 8 + len(_EVENT_START)
    events = line[body:-2].split(b"," + _EVENT_START)  # each event, minus its leading {"id":"
    # every event has a commence_time: as many of those as events means no event hides in a chunk
    if line.count(_COMMENCE) != len(events):
        return line
    kept = []
    for event in events:
        c = event.find(_COMMENCE, 0, 400)
        when = event[c + 17:c + 37]
        if c < 0 or len(when) != 20 or when[19:20] != b"Z":
            return line
        if lo <= when < hi:
            kept.append(event)
    if len(kept) == len(events):
        return line
    return line[:body] + (b"," + _EVENT_START).join(kept) + b"]}" if kept else line[:head + 8] + b"]}"


def _lines(responses: list[RawResponse], quarantine_of, contents: dict[str, bytes] | None,
           windows: list[tuple[bytes, bytes] | None] | None = None) -> tuple[list[int], list[bytes]]:
    """(index of each readable response, its canonical NDJSON line); the unreadable are quarantined."""
    kept, lines = [], []
    for i, resp in enumerate(responses):
        if not resp.valid_json:
            quarantine_of(i).invalid_json(resp)
            continue
        content = contents[resp.raw_ref] if contents else resp.read()
        line = _fast_line(resp, content)
        if line is None:
            try:
                line = canonical_line(resp, content)
            except OddsParseError as err:
                quarantine_of(i).response(resp, str(err))
                continue
        elif windows is not None and windows[i] is not None:
            line = slate_events(line, *windows[i])
        kept.append(i)
        lines.append(line)
    return kept, lines


def _parse_lines(responses: list[RawResponse], kept: list[int], lines: list[bytes], quarantine_of,
                 schema: pa.Schema, contents: dict[str, bytes] | None) -> tuple[pa.Table, list[int]]:
    if not lines:
        return schema.empty_table(), []
    try:
        return _read(lines, schema), kept
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # one bad response must not sink the others: find it, rewrite or quarantine it, keep the rest
    tables, good = [], []
    for i, line in zip(kept, lines, strict=True):
        resp = responses[i]
        try:
            tables.append(_read([line], schema))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            try:
                tables.append(_read([canonical_line(resp, contents[resp.raw_ref] if contents else resp.read())], schema))
            except (OddsParseError, pa.ArrowInvalid, pa.ArrowTypeError) as err2:
                reason = str(err2) if isinstance(err2, OddsParseError) else f"unreadable odds response: {err}"
                quarantine_of(i).response(resp, reason.splitlines()[0])
                continue
        good.append(i)
    return (pa.concat_tables(tables) if tables else schema.empty_table()), good


def parse_responses(responses: list[RawResponse], quarantine: Quarantine, schema: pa.Schema = FULL_SCHEMA,
                    window: tuple[datetime, datetime] | None = None) -> tuple[pa.Table, list[RawResponse]]:
    """One Arrow row per readable response (same order as the returned responses); with a `window`,
    events that surely start outside it are cut before parsing."""
    cut = None if window is None else [(iso_z(window[0]).encode(), iso_z(window[1]).encode())] * len(responses)
    kept, lines = _lines(responses, lambda _: quarantine, None, cut)
    table, good = _parse_lines(responses, kept, lines, lambda _: quarantine, schema, None)
    return table, [responses[i] for i in good]


# -- flattening ------------------------------------------------------------------------------

def _explode(lists: pa.Array) -> tuple[pa.Array, pa.Array]:
    return pc.list_flatten(lists), pc.list_parent_indices(lists)


def _field(struct: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(struct, name)


def _snapshot_times(table: pa.Table, responses: list[RawResponse]) -> pa.Array:
    envelope = pc.cast(table.column("timestamp").combine_chunks(), TS)
    recorded = pa.array([r.snapshot_time for r in responses], type=TS)
    return pc.coalesce(envelope, recorded)


def event_heads(table: pa.Table, responses: list[RawResponse]) -> pd.DataFrame:
    """Every (response, event) pair: provider_event_id, commence, home_team, away_team, snapshot_time, raw_ref."""
    data = table.column("data").combine_chunks()
    ev, ev_resp = _explode(data)
    snap = _snapshot_times(table, responses)
    refs = pa.array([r.raw_ref for r in responses], type=S)
    return pa.table({
        "provider_event_id": _field(ev, "id"),
        "commence": pc.cast(_field(ev, "commence_time"), TS),
        "home_team": _field(ev, "home_team"),
        "away_team": _field(ev, "away_team"),
        "snapshot_time": pc.take(snap, ev_resp),
        "raw_ref": pc.take(refs, ev_resp),
    }).to_pandas()


@dataclass
class EventKey:
    """What odds rows need to know of their canonical event."""

    canonical_event_id: str
    commence_time_utc: datetime
    swapped: bool  # the provider's home is the canonical away


@dataclass
class OddsPartition:
    """One sport × slate date to normalise: its responses, its window and its canonical events."""

    sport: str
    window: tuple[datetime, datetime]
    responses: list[RawResponse]
    events: dict[str, EventKey]
    quarantine: Quarantine


def _take(values: list, typ: pa.DataType, idx: pa.Array | np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, typ), idx)


def normalise_partitions(parts: list[OddsPartition], contents: dict[str, bytes] | None = None
                         ) -> list[tuple[pa.Table, dict[str, int]]]:
    """odds_snapshot rows and stats for each partition, all parsed and flattened in one pass.

    The Dagster asset passes one partition; a range rebuild passes many, so the fixed cost of a
    parse is paid once. Dedupe and the slate window stay per partition either way.
    """
    responses = [r for p in parts for r in p.responses]
    part_of = np.repeat(np.arange(len(parts)), [len(p.responses) for p in parts]).astype(np.int64)
    windows = [(iso_z(p.window[0]).encode(), iso_z(p.window[1]).encode()) for p in parts]

    def quarantine_of(i: int) -> Quarantine:
        return parts[part_of[i]].quarantine

    kept, lines = _lines(responses, quarantine_of, contents, [windows[k] for k in part_of])
    table, good = _parse_lines(responses, kept, lines, quarantine_of, FULL_SCHEMA, contents)
    return _normalise(table, [responses[i] for i in good], part_of[good], parts)


def _normalise(table: pa.Table, responses: list[RawResponse], resp_part: np.ndarray,
               parts: list[OddsPartition]) -> list[tuple[pa.Table, dict[str, int]]]:
    n_parts = len(parts)
    stats = [{"responses": int(c), "outcomes_in_window": 0, "intra_response_duplicates": 0,
              "cross_run_duplicates": 0, "quarantined_rows": 0} for c in np.bincount(resp_part, minlength=n_parts)]
    data = table.column("data").combine_chunks()
    ev, ev_resp = _explode(data)
    ev_part = pa.array(resp_part, pa.int64()).take(ev_resp)
    commence = pc.cast(_field(ev, "commence_time"), TS)
    lo = _take([p.window[0] for p in parts], TS, ev_part)
    hi = _take([p.window[1] for p in parts], TS, ev_part)
    in_window = pc.fill_null(pc.and_(pc.greater_equal(commence, lo), pc.less(commence, hi)), False)
    nameless = pc.or_(pc.is_null(_field(ev, "id")), pc.is_null(commence))
    if pc.any(nameless).as_py():
        for i in sorted(set(ev_resp.filter(nameless).to_pylist())):
            parts[resp_part[i]].quarantine.response(
                responses[i], "event without an id or commence_time (not a v4 event)", kind="event")
    ev, ev_resp, ev_part, commence = (x.filter(in_window) for x in (ev, ev_resp, ev_part, commence))

    snap_all = _snapshot_times(table, responses)
    for i, t in enumerate(snap_all.to_pylist()):
        if t is None:
            parts[resp_part[i]].quarantine.response(
                responses[i], "odds response without a snapshot time (no envelope timestamp, none recorded)")

    # canonical keys per event (few), then gathered per outcome (many)
    keys = [(k, pid, key) for k, p in enumerate(parts) for pid, key in sorted(p.events.items())]
    ev_lookup = pc.binary_join_element_wise(pc.cast(ev_part, S), _field(ev, "id"), "\x1f")
    ev_idx = pc.index_in(ev_lookup, value_set=pa.array([f"{k}\x1f{pid}" for k, pid, _ in keys], S))

    bk, bk_ev = _explode(_field(ev, "bookmakers"))
    mk, mk_bk = _explode(_field(bk, "markets"))
    oc, oc_mk = _explode(_field(mk, "outcomes"))
    oc_bk = pc.take(mk_bk, oc_mk)
    oc_ev = pc.take(bk_ev, oc_bk)
    oc_resp = pc.take(ev_resp, oc_ev)
    oc_part = pc.take(ev_part, oc_ev).to_numpy()
    for k, c in enumerate(np.bincount(oc_part, minlength=n_parts)):
        stats[k]["outcomes_in_window"] = int(c)

    idx = pc.take(ev_idx, oc_ev)
    canon = _take([key.canonical_event_id for *_, key in keys], S, idx)
    swapped = _take([key.swapped for *_, key in keys], pa.bool_(), idx)
    sched = _take([key.commence_time_utc for *_, key in keys], TS, idx)
    pid = pc.take(_field(ev, "id"), oc_ev)
    name = _field(oc, "name")

    is_home = pc.fill_null(pc.equal(name, pc.take(_field(ev, "home_team"), oc_ev)), False)
    is_away = pc.fill_null(pc.equal(name, pc.take(_field(ev, "away_team"), oc_ev)), False)
    flip = pc.fill_null(swapped, False)
    lowered = pc.utf8_lower(name)
    other = pc.if_else(pc.is_in(lowered, value_set=pa.array(_SIDES, S)), lowered, pa.scalar(None, S))
    home_side = pc.if_else(flip, pa.scalar("away"), pa.scalar("home"))
    away_side = pc.if_else(flip, pa.scalar("home"), pa.scalar("away"))
    selection = pc.if_else(is_home, home_side, pc.if_else(is_away, away_side, other))

    cols = {
        "resp": oc_resp,
        "canonical_event_id": canon,
        "provider_event_id": pid,
        "commence_time_utc": sched,
        "sighting_commence": pc.take(commence, oc_ev),
        "snapshot_time_utc": pc.take(snap_all, oc_resp),
        "bookmaker": pc.take(_field(bk, "key"), oc_bk),
        "market": pc.take(_field(mk, "key"), oc_mk),
        "selection": selection,
        "price_raw": _field(oc, "price"),
        "point": _field(oc, "point"),
        "participant": _field(oc, "description"),
        # parsed where there are fewest values, then gathered
        "bookmaker_last_update_utc": pc.coalesce(pc.take(pc.cast(_field(mk, "last_update"), TS), oc_mk),
                                                 pc.take(pc.cast(_field(bk, "last_update"), TS), oc_bk)),
    }
    # string key hashes are computed where the values are few, then gathered through these indices
    # (carried as private columns so a filter below keeps them aligned; see record_hash)
    level_hashes = {
        "canonical_event_id": _string_hash(pa.array([key.canonical_event_id for *_, key in keys], S)),
        "bookmaker": _string_hash(_field(bk, "key")),
        "market": _string_hash(_field(mk, "key")),
    }
    cols |= {"_at_canonical_event_id": idx, "_at_bookmaker": oc_bk, "_at_market": oc_mk}
    bad = pc.or_(pc.or_(pc.is_null(canon), pc.is_null(selection)),
                 pc.or_(pc.is_null(cols["snapshot_time_utc"]), pc.is_null(cols["price_raw"])))
    if pc.any(bad).as_py():
        rows = pa.table({k: cols[k] for k in ("resp", "provider_event_id", "snapshot_time_utc", "selection",
                                                "market")}).filter(bad).to_pandas()
        rows["name"] = name.filter(bad).to_pandas()
        _quarantine_rows(rows, responses, resp_part, parts)
        for k, c in enumerate(np.bincount(oc_part[bad.to_numpy(zero_copy_only=False)], minlength=n_parts)):
            stats[k]["quarantined_rows"] = int(c)
        keep = pc.invert(bad)
        cols = {k: v.filter(keep) for k, v in cols.items()}
        oc_part = oc_part[keep.to_numpy(zero_copy_only=False)]

    resp = cols.pop("resp").to_numpy()
    price_raw = cols.pop("price_raw").to_numpy()
    american = _american(price_raw, resp, responses)
    cols["price"] = pa.array(np.where(american, american_to_decimal(price_raw), price_raw))
    cols["price_american"] = pa.array(np.where(american, price_raw, decimal_to_american(price_raw)))
    sighting = cols.pop("sighting_commence")
    cols["is_live"] = pc.greater_equal(cols["snapshot_time_utc"], sighting)
    resp_arr = pa.array(resp, pa.int64())
    cols["raw_ref"] = _take([r.raw_ref for r in responses], S, resp_arr)
    cols["ingest_run_id"] = _take([r.run_id for r in responses], S, resp_arr)
    cols["ingested_at_utc"] = _take([r.ingested_at for r in responses], TS, resp_arr)
    cols["provider"] = pa.DictionaryArray.from_arrays(np.zeros(len(resp), np.int32), ["oddsapi"]).cast(S)
    cols["sport"] = _take([p.sport for p in parts], S, pa.array(oc_part, pa.int64()))
    known = {k: h[cols.pop(f"_at_{k}").to_numpy()] for k, h in level_hashes.items()}
    hashes = record_hash(cols, known)

    # the first sighting of a record in its partition is kept (never across snapshot times: the time
    # is in the hash). Every repeat inside one response is also a repeat in the partition, so the
    # partition-level repeats split into intra-response ones and cross-run ones.
    dup = _duplicated(_mix(hashes ^ oc_part.astype(np.uint64)))
    deduped = bool(dup.any())
    first = np.flatnonzero(~dup)
    if deduped:
        intra = np.bincount(oc_part[_duplicated(_mix(hashes ^ resp.astype(np.uint64)))], minlength=n_parts)
        across = np.bincount(oc_part[dup], minlength=n_parts) - intra
        for k in range(n_parts):
            stats[k]["intra_response_duplicates"] = int(intra[k])
            stats[k]["cross_run_duplicates"] = int(across[k])
    cols["record_hash"] = _hex(hashes)
    table_out = pa.table({k: cols[k] for k in ODDS_COLUMNS})
    if deduped:
        table_out = table_out.take(pa.array(first, pa.int64()))
    if n_parts == 1:
        return [(table_out, stats[0])]
    # responses arrive partition by partition, so rows are already grouped: slice, don't sort
    row_part = oc_part[first]
    bounds = np.searchsorted(row_part, np.arange(n_parts + 1))
    return [(table_out.slice(bounds[k], bounds[k + 1] - bounds[k]), stats[k]) for k in range(n_parts)]


ODDS_COLUMNS = ("provider", "sport", "canonical_event_id", "provider_event_id", "commence_time_utc",
                "snapshot_time_utc", "is_live", "bookmaker", "market", "selection", "price", "point",
                "ingest_run_id", "ingested_at_utc", "record_hash", "raw_ref", "participant", "price_american",
                "bookmaker_last_update_utc")
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fast, well-spread, deterministic 64-bit mix."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _string_hash(arr: pa.Array) -> np.ndarray:
    """Content hash per row of a string column: hash each distinct value once (blake2b), then gather."""
    enc = pc.dictionary_encode(arr).combine_chunks() if isinstance(arr, pa.ChunkedArray) else pc.dictionary_encode(arr)
    values = [hashlib.blake2b(v.encode(), digest_size=8).digest() if v is not None else b"\0" * 8
              for v in enc.dictionary.to_pylist()]
    table = np.frombuffer(b"".join(values) or b"\0" * 8, dtype="<u8")
    idx = pc.fill_null(enc.indices, -1).to_numpy()
    return np.where(idx >= 0, table[np.maximum(idx, 0)], np.uint64(0x9E3779B97F4A7C15))


def _number_hash(arr: pa.Array) -> np.ndarray:
    x = pc.fill_null(pc.cast(arr, pa.float64()), np.nan).to_numpy(zero_copy_only=False).copy()
    x[x == 0] = 0.0  # -0.0 == 0.0
    x[np.isnan(x)] = np.nan  # one NaN bit pattern for every null
    return x.view("<u8")


def record_hash(cols: dict[str, pa.Array], known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """64-bit content hash of the dedupe key (seed 000 §7.3): equal records hash equal in any partition.

    `known` holds per-row hashes of string columns already computed upstream (the same values: a
    column's hash is blake2b of each value, wherever it is computed).
    """
    h = np.full(len(cols["canonical_event_id"]), np.uint64(0x243F6A8885A308D3))
    for name in DEDUPE_KEY:
        arr = cols[name]
        if known and name in known:
            part = known[name]
        elif pa.types.is_string(arr.type):
            part = _string_hash(arr)
        elif pa.types.is_timestamp(arr.type):
            part = pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy().view("<u8")
        else:
            part = _number_hash(arr)
        h = _mix(h ^ part)
    return h


def _duplicated(keys: np.ndarray) -> np.ndarray:
    """True for every repeat of a key seen earlier (a hash table, no sort)."""
    return pd.Series(keys, copy=False).duplicated(keep="first").to_numpy()


def _hex(h: np.ndarray) -> pa.Array:
    """uint64 → 16 hex digits, built as one Arrow buffer (no Python string per row)."""
    data = h.astype(">u8").tobytes().hex().encode()
    offsets = np.arange(0, 16 * (len(h) + 1), 16, dtype=np.int32)
    return pa.StringArray.from_buffers(len(h), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def _american(price: np.ndarray, resp: np.ndarray, responses: list[RawResponse]) -> np.ndarray:
    """Per row: is its response priced in American odds? As requested, else judged from its prices.

    American odds are whole numbers of magnitude ≥ 100; anything else is read as decimal, so a bad
    decimal price (0.95) fails the price checks instead of being "converted" into a valid one.
    """
    n = len(responses)
    requested = np.array([r.odds_format for r in responses], dtype=object)
    not_american = (price != np.round(price)) | (np.abs(price) < 100)
    judged = np.bincount(resp[not_american], minlength=n) == 0 if len(resp) else np.zeros(n, bool)
    per_resp = np.where(requested == "american", True, np.where(requested == "decimal", False, judged))
    return per_resp.astype(bool)[resp] if len(resp) else np.zeros(0, bool)


def _quarantine_rows(bad: pd.DataFrame, responses: list[RawResponse], resp_part: np.ndarray,
                     parts: list[OddsPartition]) -> None:
    for (resp, pid), g in bad.groupby(["resp", "provider_event_id"], sort=True):
        r, part = responses[resp], parts[resp_part[resp]]
        if pid not in part.events:
            reason = "event not in the canonical event map (its teams were quarantined or it was never matched)"
        elif g["snapshot_time_utc"].isna().all():
            continue  # counted once per response above
        elif g["selection"].isna().any():
            names = sorted(set(g.loc[g["selection"].isna(), "name"].astype(str)))[:5]
            reason = f"outcome name(s) {names} match neither team nor over/under/draw"
        else:
            reason = "outcome without a price"
        part.quarantine.response(r, reason, kind="rows", rows=len(g),
                                 detail={"provider_event_id": pid, "markets": sorted(set(g["market"].astype(str)))})
