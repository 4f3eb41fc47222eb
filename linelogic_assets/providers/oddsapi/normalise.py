"""The Odds API responses → `odds_snapshot` rows, columnar end to end.

All of a partition's odds responses are joined into one newline-delimited JSON buffer in a single
canonical envelope (`{"timestamp": …, "data": [events]}`) and parsed by Arrow's multithreaded JSON
reader against an explicit schema. The event → bookmaker → market → outcome nesting is then
flattened with list-parent indices, so no Python code runs per outcome.

A response the fast path cannot take (pretty-printed, unix dates, a price written as a string, an
event-odds object) is rewritten into the canonical envelope in Python first; there a value that is
not of its column's type (a price of "lots", a name that is an object) is nulled and its outcome
marked unreadable. A response whose shape is not v4 odds at all, or is not valid JSON, is
quarantined whole with its reason and raw_ref.

Every outcome row then goes through one vectorised rule, `odds_rules.odds_problems`: null identity fields,
prices that are NaN, infinite, not above 1.0 or beyond American ±10000, spreads/totals without a
point, pregame points outside the league's bounds, times after now. A row with a problem is moved
to quarantine (reason, column, offending values) before the table is returned, so the Parquet never
holds one; the ERROR checks of `odds_snapshot` apply the same rule to the stored table, so they can
only fail on a platform bug. Quotes of one line that disagree on the price (the same event,
snapshot time, book, market, selection, participant and point) are quarantined together.
"""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

# the shape half of `classify` (v3, misfiled historical/plain): its per-key half would refuse a whole
# response for one outcome without a price, which silver quarantines as that row alone
from linelogic_assets.lake.contracts import decode
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.raw import RawResponse
from linelogic_assets.odds_math import american_to_decimal, decimal_to_american
from linelogic_assets.providers.oddsapi import PROVIDER
from linelogic_assets.providers.oddsapi.contracts import reject_other_oddsapi_shapes
from linelogic_assets.silver.coerce import BadValue, as_id, as_text
from linelogic_assets.silver.odds import (
    ODDS_COLUMNS,
    ODDS_KEY,
    OddsPartition,
    _duplicated,
    _hex,
    _mix,
    _record_and_line_hashes,
    _string_hash,
)
from linelogic_assets.silver.odds_rules import (
    DECIMAL_RANGE,
    MAX_AMERICAN,
    PROBLEM_CODES,
    PROBLEMS,
    as_floats,
    first_problem,
    odds_problems,
    point_bounds,
)
from linelogic_assets.timeutil import iso_z, parse_ts, shown

NAME = PROVIDER.name  # the value of its rows' provider column
ODDS_ENDPOINTS = PROVIDER.odds_endpoints
S, F = pa.string(), pa.float64()
TS = pa.timestamp("us", tz="UTC")
_OUTCOME = [("name", S), ("price", F), ("point", F), ("description", S)]
_EVENT_HEAD = [("id", S), ("commence_time", S), ("home_team", S), ("away_team", S)]


def _odds_schema(outcome: list[tuple[str, pa.DataType]]) -> pa.Schema:
    market = pa.struct([("key", S), ("last_update", S), ("outcomes", pa.list_(pa.struct(outcome)))])
    book = pa.struct([("key", S), ("last_update", S), ("markets", pa.list_(market))])
    return pa.schema([("timestamp", S), ("data", pa.list_(pa.struct([*_EVENT_HEAD, ("bookmakers", pa.list_(book))])))])


FULL_SCHEMA = _odds_schema(_OUTCOME)
# with the `unreadable` mark canonical_line gives an outcome whose values it had to null ({column: value});
# read only when a rewritten response carries one, so the fast path never pays for the extra field
MARKED_SCHEMA = _odds_schema([*_OUTCOME, ("unreadable", S)])
_MARK = b'"unreadable":'
HEAD_SCHEMA = pa.schema([("timestamp", S), ("data", pa.list_(pa.struct(_EVENT_HEAD)))])
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


def _time(value: object) -> str | None:
    """A time for the Arrow reader: ISO text as it is, unix seconds as ISO. What is not a time is kept
    as text, so `_timestamps` finds it unreadable and its rows are quarantined with the value."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return iso_z(parse_ts(value))
        except ValueError:
            pass
    return shown(value)


_NOT_A_NUMBER = object()


def _number(value: object) -> object:
    """A price or point as a float (numeric text too; beyond float range is ±inf), None if absent."""
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    return _NOT_A_NUMBER


def _list(value: object, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OddsParseError(f"{where} is {type(value).__name__}, not a list")
    return value


def _objects(value: object, where: str) -> list[dict | None]:
    """A list of objects (null items stay: Arrow reads them as empty); anything else is not v4 odds."""
    items = _list(value, where)
    for i, item in enumerate(items):
        if item is not None and not isinstance(item, dict):
            raise OddsParseError(f"{where}[{i}] is {type(item).__name__}, not an object")
    return items


def _key(obj: dict, column: str, bad: dict[str, str]) -> dict[str, str]:
    """Null a book or market key that is not text; `bad` plus that value, for the outcomes below it."""
    value = obj.get("key")
    if value is None or isinstance(value, str):
        return bad
    obj["key"] = None
    return {**bad, column: shown(value)}


def _clean_outcome(o: dict, inherited: dict[str, str]) -> None:
    """Null the values of an outcome that are not of their column's type and say so in `unreadable`."""
    bad = dict(inherited)
    for field, column in (("price", "price"), ("point", "point")):
        if field in o:
            number = _number(o[field])
            if number is _NOT_A_NUMBER:
                bad[column], number = shown(o[field]), None
            o[field] = number
    for field, column in (("name", "selection"), ("description", "participant")):
        try:
            o[field] = as_text(o.get(field), field)
        except BadValue:
            bad[column], o[field] = shown(o.get(field)), None
    if bad:
        o["unreadable"] = json.dumps(bad, sort_keys=True)
    else:
        o.pop("unreadable", None)


def canonical_line(resp: RawResponse, content: bytes) -> bytes:
    """Rewrite any odds/events response shape into the canonical envelope (the slow path).

    Values of the wrong type are nulled (the outcomes under them marked unreadable); containers of
    the wrong type (bookmakers that are not a list) are not v4 odds, and OddsParseError says where.
    """
    try:
        body = decode(content)
        reject_other_oddsapi_shapes(resp.endpoint, body)  # legacy (v3) and misfiled shapes, with a reason
    except RecursionError:
        raise OddsParseError("JSON nested too deeply to read") from None
    except ValueError as err:  # ContractError, and json's own limits (digits of an int)
        raise OddsParseError(str(err).splitlines()[0] if str(err) else type(err).__name__) from None
    timestamp = None
    if resp.endpoint.startswith("historical_"):
        if not isinstance(body, dict) or "data" not in body:
            raise OddsParseError("historical response without a data envelope")
        timestamp, body = _time(body.get("timestamp")), body["data"]
    events = [body] if isinstance(body, dict) else body
    if not isinstance(events, list):
        raise OddsParseError(f"expected a list of events, got {type(events).__name__}")
    for i, ev in enumerate(_objects(events, "data")):
        if ev is None:
            continue
        try:
            ev["id"] = as_id(ev["id"], "id") if ev.get("id") is not None else None
        except BadValue:
            ev["id"] = None  # an event without an id is quarantined as such
        for team in ("home_team", "away_team"):
            try:
                ev[team] = as_text(ev.get(team), team)
            except BadValue:
                ev[team] = None  # its outcomes then match no team and are quarantined
        ev["commence_time"] = _time(ev.get("commence_time"))
        ev["bookmakers"] = _objects(ev.get("bookmakers"), f"event {i} bookmakers")
        for j, book in enumerate(ev["bookmakers"]):
            if book is None:
                continue
            book_bad = _key(book, "bookmaker", {})
            book["last_update"] = _time(book.get("last_update"))
            book["markets"] = _objects(book.get("markets"), f"event {i} bookmaker {j} markets")
            for k, market in enumerate(book["markets"]):
                if market is None:
                    continue
                bad = _key(market, "market", book_bad)
                market["last_update"] = _time(market.get("last_update"))
                market["outcomes"] = _objects(market.get("outcomes"), f"event {i} bookmaker {j} market {k} outcomes")
                for o in market["outcomes"]:
                    if o is not None:
                        _clean_outcome(o, bad)
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
           windows: list[tuple[bytes, bytes] | None] | None = None) -> tuple[list[int], list[bytes], bool]:
    """(index of each readable response, its canonical NDJSON line, whether a rewritten line marks an
    outcome unreadable); the unreadable responses are quarantined."""
    kept, lines, marked = [], [], False
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
            marked = marked or _MARK in line
        elif windows is not None and windows[i] is not None:
            line = slate_events(line, *windows[i])
        kept.append(i)
        lines.append(line)
    return kept, lines, marked


def _parse_lines(responses: list[RawResponse], kept: list[int], lines: list[bytes], quarantine_of,
                 schema: pa.Schema, contents: dict[str, bytes] | None, marked: bool = False
                 ) -> tuple[pa.Table, list[int]]:
    marks = schema == FULL_SCHEMA
    if not lines:
        return schema.empty_table(), []
    try:
        return _read(lines, MARKED_SCHEMA if marks and marked else schema), kept
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # one bad response must not sink the others: find it, rewrite or quarantine it, keep the rest
    final, good = [], []
    for i, line in zip(kept, lines, strict=True):
        resp = responses[i]
        try:
            _read([line], MARKED_SCHEMA if marks else schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            try:
                line = canonical_line(resp, contents[resp.raw_ref] if contents else resp.read())
                _read([line], MARKED_SCHEMA if marks else schema)
            except (OddsParseError, pa.ArrowInvalid, pa.ArrowTypeError) as err2:
                reason = str(err2) if isinstance(err2, OddsParseError) else f"unreadable odds response: {err}"
                quarantine_of(i).response(resp, reason.splitlines()[0])
                continue
            marked = marked or _MARK in line
        final.append(line)
        good.append(i)
    return (_read(final, MARKED_SCHEMA if marks and marked else schema) if final else schema.empty_table()), good


def parse_responses(responses: list[RawResponse], quarantine: Quarantine, schema: pa.Schema = FULL_SCHEMA,
                    window: tuple[datetime, datetime] | None = None) -> tuple[pa.Table, list[RawResponse]]:
    """One Arrow row per readable response (same order as the returned responses); with a `window`,
    events that surely start outside it are cut before parsing."""
    cut = None if window is None else [(iso_z(window[0]).encode(), iso_z(window[1]).encode())] * len(responses)
    kept, lines, marked = _lines(responses, lambda _: quarantine, None, cut)
    table, good = _parse_lines(responses, kept, lines, lambda _: quarantine, schema, None, marked)
    return table, [responses[i] for i in good]


# -- flattening ------------------------------------------------------------------------------

def _explode(lists: pa.Array) -> tuple[pa.Array, pa.Array]:
    return pc.list_flatten(lists), pc.list_parent_indices(lists)


def _field(struct: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(struct, name)


def _timestamps(text: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """ISO text → UTC timestamps, and which values could not be read (None when all could).

    Arrow's cast reads the whole column at once. Only when it refuses a value, or a value lies at the
    calendar's edges (which parse_ts refuses), is each distinct value read by `parse_ts`, the rule
    import uses; the unreadable ones become null.
    """
    try:
        ts = pc.cast(text, TS)
        span = pc.min_max(ts)
        low, high = span["min"].as_py(), span["max"].as_py()
        if low is None or _CALENDAR[0] <= low and high <= _CALENDAR[1]:
            return ts, None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    enc = pc.dictionary_encode(text)
    values = []
    for value in enc.dictionary.to_pylist():
        try:
            values.append(parse_ts(value))
        except ValueError:
            values.append(None)
    ts = pa.array(values, TS).take(enc.indices)
    return ts, pc.and_(pc.is_valid(text), pc.is_null(ts))


_CALENDAR = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def _snapshot_times(table: pa.Table, responses: list[RawResponse]) -> pa.Array:
    # an unreadable envelope timestamp leaves the time recorded at ingestion
    envelope, _ = _timestamps(table.column("timestamp").combine_chunks())
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
        "commence": _timestamps(_field(ev, "commence_time"))[0],
        "home_team": _field(ev, "home_team"),
        "away_team": _field(ev, "away_team"),
        "snapshot_time": pc.take(snap, ev_resp),
        "raw_ref": pc.take(refs, ev_resp),
    }).to_pandas()


def _take(values: list, typ: pa.DataType, idx: pa.Array | np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, typ), idx)


def normalise_partitions(parts: list[OddsPartition], contents: dict[str, bytes] | None = None,
                         now: datetime | None = None) -> list[tuple[pa.Table, dict[str, int]]]:
    """odds_snapshot rows and stats for each partition, all parsed and flattened in one pass.

    The Dagster asset passes one partition; a range rebuild passes many, so the fixed cost of a
    parse is paid once. Dedupe and the slate window stay per partition either way. Rows with a
    problem (`odds_problems`, or conflicting duplicates) go to their partition's quarantine, never to
    the table; times after `now` (default: the wall clock) are such a problem. Every outcome the slate
    owes (its events', and those of events whose start cannot be read) is accounted for:
    outcomes_in_window = rows + intra_response_duplicates + cross_run_duplicates + quarantined_rows.
    """
    responses = [r for p in parts for r in p.responses]
    part_of = np.repeat(np.arange(len(parts)), [len(p.responses) for p in parts]).astype(np.int64)
    windows = [(iso_z(p.window[0]).encode(), iso_z(p.window[1]).encode()) for p in parts]

    def quarantine_of(i: int) -> Quarantine:
        return parts[part_of[i]].quarantine

    kept, lines, marked = _lines(responses, quarantine_of, contents, [windows[k] for k in part_of])
    table, good = _parse_lines(responses, kept, lines, quarantine_of, FULL_SCHEMA, contents, marked)
    return _normalise(table, [responses[i] for i in good], part_of[good], parts,
                      datetime.now(UTC) if now is None else now)


def _normalise(table: pa.Table, responses: list[RawResponse], resp_part: np.ndarray,
               parts: list[OddsPartition], now: datetime) -> list[tuple[pa.Table, dict[str, int]]]:
    n_parts = len(parts)
    stats = [{"responses": int(c), "outcomes_in_window": 0, "intra_response_duplicates": 0,
              "cross_run_duplicates": 0, "quarantined_rows": 0, "conflicting_duplicates": 0}
             for c in np.bincount(resp_part, minlength=n_parts)]
    data = table.column("data").combine_chunks()
    ev, ev_resp = _explode(data)
    ev_part = pa.array(resp_part, pa.int64()).take(ev_resp)
    commence, _ = _timestamps(_field(ev, "commence_time"))  # unreadable: null, so the event is quarantined
    lo = _take([p.window[0] for p in parts], TS, ev_part)
    hi = _take([p.window[1] for p in parts], TS, ev_part)
    in_window = pc.fill_null(pc.and_(pc.greater_equal(commence, lo), pc.less(commence, hi)), False)
    # an event whose start cannot be read may be this slate's: its outcomes are owed here, and quarantined
    unplaced = pc.is_null(commence)
    if pc.any(unplaced).as_py():
        _quarantine_unplaced(ev.filter(unplaced), ev_resp.filter(unplaced), responses, resp_part, parts, stats)
    nameless = pc.and_(pc.is_null(_field(ev, "id")), pc.invert(unplaced))
    if pc.any(nameless).as_py():
        for i in sorted(set(ev_resp.filter(nameless).to_pylist())):
            parts[resp_part[i]].quarantine.response(
                responses[i], "event without an id (not a v4 event)", kind="event", column="provider_event_id")
    ev, ev_resp, ev_part, commence = (x.filter(in_window) for x in (ev, ev_resp, ev_part, commence))
    snap_all = _snapshot_times(table, responses)

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
        stats[k]["outcomes_in_window"] += int(c)

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

    # last_update: parsed where there are fewest values, then gathered
    mk_update, mk_unreadable = _timestamps(_field(mk, "last_update"))
    bk_update, bk_unreadable = _timestamps(_field(bk, "last_update"))
    resp = oc_resp.to_numpy()
    quoted = _field(oc, "price")
    raw, _ = as_floats(quoted)
    american = _american(raw, resp, responses)
    no_price = quoted.is_null().to_numpy(zero_copy_only=False) if quoted.null_count else None
    cols = {
        "resp": oc_resp,
        "canonical_event_id": canon,
        "provider_event_id": pid,
        "commence_time_utc": sched,
        "snapshot_time_utc": pc.take(snap_all, oc_resp),
        "bookmaker": pc.take(_field(bk, "key"), oc_bk),
        "market": pc.take(_field(mk, "key"), oc_mk),
        "selection": selection,
        "price": pa.array(np.where(american, american_to_decimal(raw), raw), mask=no_price),
        "price_american": pa.array(np.where(american, raw, decimal_to_american(raw)), mask=no_price),
        "point": _field(oc, "point"),
        "participant": _field(oc, "description"),
        "bookmaker_last_update_utc": pc.coalesce(pc.take(mk_update, oc_mk), pc.take(bk_update, oc_bk)),
    }
    cols["is_live"] = pc.greater_equal(cols["snapshot_time_utc"], pc.take(commence, oc_ev))
    # string key hashes are computed where the values are few, then gathered through these indices
    # (carried as private columns so a filter below keeps them aligned; see record_hash)
    level_hashes = {
        "canonical_event_id": _string_hash(pa.array([key.canonical_event_id for *_, key in keys], S)),
        "bookmaker": _string_hash(_field(bk, "key")),
        "market": _string_hash(_field(mk, "key")),
    }
    cols |= {"_at_canonical_event_id": idx, "_at_bookmaker": oc_bk, "_at_market": oc_mk}

    # quarantine every row with a problem before anything is returned to be stored
    if n_parts == 1:
        bounds = point_bounds(parts[0].sport)
    else:
        per_part = np.array([point_bounds(p.sport) for p in parts])
        bounds = tuple(per_part[oc_part, j] for j in range(3))
    # the market judged once per market object (few), not per outcome
    markets = pa.DictionaryArray.from_arrays(pc.cast(oc_mk, pa.int64()), _field(mk, "key"))
    masks = odds_problems({**cols, "market": markets}, bounds, now)
    unreadable = _field(oc, "unreadable") if oc.type.get_field_index("unreadable") >= 0 else pa.nulls(len(oc), S)
    masks["unreadable"] = _unreadable(unreadable, mk_update, mk_unreadable, bk_unreadable, oc_mk, oc_bk)
    code = first_problem(masks, len(resp))
    bad = code > 0
    if bad.any():
        rows = pa.table({k: cols[k] for k in ("provider_event_id", "bookmaker", "market", "participant", "point",
                                                "price", "price_american", "snapshot_time_utc",
                                                "bookmaker_last_update_utc")})
        rows = rows.append_column("name", name).append_column("quoted_price", quoted)
        rows = rows.append_column("unreadable", unreadable)
        rows = rows.append_column("last_update_text", pc.coalesce(pc.take(_field(mk, "last_update"), oc_mk),
                                                                  pc.take(_field(bk, "last_update"), oc_bk)))
        rows = rows.filter(pa.array(bad))
        frame = rows.to_pandas()
        for c in ("point", "price", "price_american", "quoted_price"):  # pandas would make a null a NaN
            frame[c] = pd.Series(rows.column(c).to_pylist(), index=frame.index, dtype=object)
        frame["resp"], frame["code"] = resp[bad], code[bad]
        _quarantine_rows(frame, responses, resp_part, parts)
        for k, c in enumerate(np.bincount(oc_part[bad], minlength=n_parts)):
            stats[k]["quarantined_rows"] += int(c)
        keep = pa.array(~bad)
        cols = {k: v.filter(keep) for k, v in cols.items()}
        oc_part = oc_part[~bad]

    resp = cols.pop("resp").to_numpy()
    resp_arr = pa.array(resp, pa.int64())
    cols["raw_ref"] = _take([r.raw_ref for r in responses], S, resp_arr)
    cols["ingest_run_id"] = _take([r.run_id for r in responses], S, resp_arr)
    cols["ingested_at_utc"] = _take([r.ingested_at for r in responses], TS, resp_arr)
    cols["provider"] = pa.DictionaryArray.from_arrays(np.zeros(len(resp), np.int32), [NAME]).cast(S)
    cols["sport"] = _take([p.sport for p in parts], S, pa.array(oc_part, pa.int64()))
    known = {k: h[cols.pop(f"_at_{k}").to_numpy()] for k, h in level_hashes.items()}
    hashes, line_hashes = _record_and_line_hashes(cols, known)

    # the first sighting of a record in its partition is kept (never across snapshot times: the time
    # is in the hash). Every repeat inside one response is also a repeat in the partition, so the
    # partition-level repeats split into intra-response ones and cross-run ones. A record can only
    # repeat where its line does, so one pass over the lines finds both kinds of repeat.
    part_bits = oc_part.astype(np.uint64)
    first = np.arange(len(resp))
    lines = _mix(line_hashes ^ part_bits)
    again = _duplicated(lines)
    repeated = (np.flatnonzero(pd.Series(lines, copy=False).isin(lines[again]).to_numpy()) if again.any()
                else np.zeros(0, np.int64))
    if len(repeated):
        dup = _duplicated(_mix(hashes[repeated] ^ part_bits[repeated]))
        intra = np.bincount(oc_part[repeated[_duplicated(_mix(hashes[repeated] ^ resp[repeated].astype(np.uint64)))]],
                            minlength=n_parts)
        across = np.bincount(oc_part[repeated[dup]], minlength=n_parts) - intra
        for k in range(n_parts):
            stats[k]["intra_response_duplicates"] = int(intra[k])
            stats[k]["cross_run_duplicates"] = int(across[k])
        # what is left of a line quoted twice are its different prices: none of them is the price
        kept = repeated[~dup]
        clash = kept[_duplicated(_mix(line_hashes[kept] ^ part_bits[kept]), keep=False)]
        dropped = repeated[dup]
        if len(clash):
            conflicting = _quarantine_conflicts(cols, clash, resp, oc_part, responses, resp_part, parts)
            for k, c in enumerate(np.bincount(oc_part[conflicting], minlength=n_parts)):
                stats[k]["conflicting_duplicates"] = int(c)
                stats[k]["quarantined_rows"] += int(c)
            dropped = np.concatenate([dropped, conflicting])
        first = np.delete(first, dropped) if len(dropped) else first
    cols["record_hash"] = _hex(hashes)
    table_out = pa.table({k: cols[k] for k in ODDS_COLUMNS})
    if len(first) < table_out.num_rows:
        table_out = table_out.take(pa.array(first, pa.int64()))
    if n_parts == 1:
        return [(table_out, stats[0])]
    # responses arrive partition by partition, so rows are already grouped: slice, don't sort
    row_part = oc_part[first]
    cuts = np.searchsorted(row_part, np.arange(n_parts + 1))
    return [(table_out.slice(cuts[k], cuts[k + 1] - cuts[k]), stats[k]) for k in range(n_parts)]


def _quarantine_unplaced(ev: pa.Array, ev_resp: pa.Array, responses: list[RawResponse], resp_part: np.ndarray,
                         parts: list[OddsPartition], stats: list[dict[str, int]]) -> None:
    """Events without a readable commence_time: one record per response holding all their outcomes."""
    bk, bk_ev = _explode(_field(ev, "bookmakers"))
    mk, mk_bk = _explode(_field(bk, "markets"))
    _, oc_mk = _explode(_field(mk, "outcomes"))
    per_event = np.bincount(pc.take(bk_ev, pc.take(mk_bk, oc_mk)).to_numpy(), minlength=len(ev))
    heads = pa.table({"resp": ev_resp, "id": _field(ev, "id"), "commence_time": _field(ev, "commence_time")}).to_pylist()
    for i in sorted({h["resp"] for h in heads}):
        mine = [j for j, h in enumerate(heads) if h["resp"] == i]
        outcomes = int(per_event[mine].sum())
        k = resp_part[i]
        parts[k].quarantine.response(
            responses[i], "event without a readable commence_time: it cannot be placed on a slate", column="commence_time_utc",
            kind="rows" if outcomes else "event", rows=outcomes or len(mine),
            detail={"events": [{"id": heads[j]["id"], "commence_time": heads[j]["commence_time"],
                                "outcomes": int(per_event[j])} for j in mine[:10]], "count": len(mine)})
        stats[k]["outcomes_in_window"] += outcomes
        stats[k]["quarantined_rows"] += outcomes


def _unreadable(text: pa.Array, mk_update: pa.Array, mk_bad: pa.Array | None, bk_bad: pa.Array | None,
                oc_mk: pa.Array, oc_bk: pa.Array) -> np.ndarray:
    """Outcomes with a value canonical_line nulled, or whose last_update (the market's, else the
    book's) is not a time."""
    out = pc.is_valid(text) if text.null_count < len(text) else None
    used = [(mk_bad, None), (bk_bad, pc.is_null(pc.take(mk_update, oc_mk)))]  # the book's only where the market has none
    for (level_bad, where), at in zip(used, (oc_mk, oc_bk), strict=True):
        if level_bad is not None:
            hit = pc.fill_null(pc.take(level_bad, at), False)
            hit = hit if where is None else pc.and_(hit, where)
            out = hit if out is None else pc.or_(out, hit)
    return np.zeros(len(text), bool) if out is None else out.to_numpy(zero_copy_only=False)


def _american(price: np.ndarray, resp: np.ndarray, responses: list[RawResponse]) -> np.ndarray:
    """Per row: is its response priced in American odds? As requested, else judged from its prices.

    Only prices that are valid in some format take part, so a NaN, 0 or 1e308 never decides how the
    others are read. American prices are whole numbers of magnitude 100–10000; decimal ones lie in
    1.01–101. A response is American when more of its prices are only American than only decimal
    (prices such as 100 are both and do not count), or when it has American prices and no decimal
    one; a bad price is then rejected in the format of its response, never "converted" into a valid one.
    """
    n = len(responses)
    if not len(resp):
        return np.zeros(0, bool)
    requested = np.array([r.odds_format for r in responses], dtype=object)
    magnitude = np.abs(price)
    as_american = (price == np.round(price)) & (magnitude >= 100) & (magnitude <= MAX_AMERICAN)
    as_decimal = (price >= DECIMAL_RANGE[0]) & (price <= DECIMAL_RANGE[1])
    only_american = np.bincount(resp[as_american & ~as_decimal], minlength=n)
    only_decimal = np.bincount(resp[as_decimal & ~as_american], minlength=n)
    any_american = np.bincount(resp[as_american], minlength=n) > 0
    judged = (only_american > only_decimal) | ((only_decimal == 0) & any_american)
    per_resp = np.where(requested == "american", True, np.where(requested == "decimal", False, judged))
    return per_resp.astype(bool)[resp]


def _json_value(v: Any) -> Any:
    """A value for a quarantine detail: NaN and ±inf spelled out (JSON has no such numbers)."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, pd.Timestamp | datetime):
        return v.isoformat()
    return None if v is None or v is pd.NaT else v


_SHOWN = ["bookmaker", "market", "name", "participant", "point", "quoted_price"]


def _outcomes(g: pd.DataFrame, column: str, n: int = 10) -> list[dict[str, Any]]:
    """The first outcomes of a quarantine record, with the offending column's value."""
    cols = _SHOWN + ([column] if column and column in g and column not in _SHOWN else [])
    return [{k: _json_value(v) for k, v in row.items()} for row in g[cols].head(n).to_dict("records")]


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _quarantine_rows(bad: pd.DataFrame, responses: list[RawResponse], resp_part: np.ndarray,
                     parts: list[OddsPartition]) -> None:
    """One record per (response, event, problem): one-line reason, the column at fault, the offending values."""
    bad = bad.assign(provider_event_id=bad["provider_event_id"].map(_text, na_action="ignore"))
    for (resp, pid, code), g in bad.groupby(["resp", "provider_event_id", "code"], sort=True, dropna=False):
        r, part = responses[resp], parts[resp_part[resp]]
        problem = PROBLEMS[PROBLEM_CODES[code - 1]]
        reason, column = problem.reason, problem.column
        if PROBLEM_CODES[code - 1] == "null_selection":
            names = sorted({shown(v) for v in g["name"]})
            reason = f"outcome name(s) {', '.join(names[:5])} match neither team nor over/under/draw"
        elif PROBLEM_CODES[code - 1] == "unreadable":
            first = g.iloc[0]
            values = json.loads(first["unreadable"]) if isinstance(first["unreadable"], str) else {
                "bookmaker_last_update_utc": shown(first["last_update_text"])}
            column, value = next(iter(sorted(values.items())))
            reason = f"{column} {value} is not of its column's type"
            g = g.assign(**{column: [(json.loads(u) if isinstance(u, str) else {}).get(column, shown(t))
                                     for u, t in zip(g["unreadable"], g["last_update_text"], strict=True)]})
        part.quarantine.response(r, reason, kind="rows", rows=len(g), column=column, detail={
            "provider_event_id": _text(pid), "markets": sorted({str(m) for m in g["market"]}),
            "outcomes": _outcomes(g, column)})


def _quarantine_conflicts(cols: dict[str, pa.Array], candidates: np.ndarray, resp: np.ndarray, oc_part: np.ndarray,
                          responses: list[RawResponse], resp_part: np.ndarray, parts: list[OddsPartition]
                          ) -> np.ndarray:
    """Quarantine every copy of each line quoted at different prices; the rows quarantined.

    `candidates` share a line hash with another row of their partition; the values confirm it (a
    64-bit hash collision must not cost a row). One record per response and event, with every
    quote of its lines (prices and raw_refs, the other response's too) in `detail`.
    """
    sub = pa.table({k: cols[k] for k in [*ODDS_KEY, "provider_event_id", "price", "price_american", "raw_ref"]}
                   ).take(pa.array(candidates, pa.int64())).to_pandas()
    sub["_part"], sub["_resp"], sub["_row"] = oc_part[candidates], resp[candidates], candidates
    line = [*ODDS_KEY, "_part"]
    sub = sub[sub.duplicated(line, keep=False)]
    sub["_line"] = sub.groupby(line, dropna=False, sort=False).ngroup()
    for (r, _pid), g in sub.groupby(["_resp", "provider_event_id"], sort=True, dropna=False):
        lines = sub[sub["_line"].isin(g["_line"])]
        conflicts = [{**{k: _json_value(v) for k, v in zip(ODDS_KEY, key, strict=True)},
                      "quotes": [{"price_american": q.price_american, "price": q.price, "raw_ref": q.raw_ref}
                                 for q in quotes.itertuples()]}
                     for key, quotes in lines.groupby(ODDS_KEY, dropna=False, sort=True)]
        prices = sorted({f"{p:+g}" for p in lines["price_american"]})
        reason = PROBLEMS["conflicting_duplicate"].reason.replace("different prices", f"prices {', '.join(prices[:6])}")
        parts[resp_part[r]].quarantine.response(responses[r], reason, kind="rows", rows=len(g), column="price",
                                                detail={"provider_event_id": _text(g["provider_event_id"].iloc[0]),
                                                        "conflicts": conflicts[:20]})
    return np.sort(sub["_row"].to_numpy())
