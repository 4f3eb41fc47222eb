"""Market opportunities: cross-book arbitrage and +EV quotes at every pregame as-of point.

Inputs are `consensus.book_lines` at the event's snapshot points (`asof.snapshot_points`, read
through `asof.quotes_asof`, so stale quotes are already gone) and `consensus.consensus` of those
lines. Only pregame points (as-of time before commence) count; `snapshot_time_utc` of an output row
is the as-of point's time, not the quote's own snapshot time.

Lines. A spread quote belongs to the line of the home point: home −5.5 and away +5.5 are both line
−5.5, so an away quote at −p pairs with home quotes at p. A total's line is its point; h2h has no
line (NaN, grouped as one line). Quotes at different lines are never combined.

Arbitrage (kind="arbitrage"). Per event × point × market × line, the best (highest) price of each
selection across books, ties to the alphabetically first bookmaker. The market is covered when both
sides are quoted (home/away, over/under); an h2h market must also cover the draw when any book
quotes a draw there. With S = Σ 1/best_i < 1 the guaranteed return is 1/S − 1; a row per leg is
emitted when it exceeds `min_arb_margin`, with stake_share = (1/best_i)/S (every leg then pays
1/S per unit staked), edge = 1/S − 1 and books_compared = the books quoting that line. fair_prob and
fair_source are NaN/None on arbitrage rows: an arbitrage does not depend on any fair price.
Exchanges' back prices take part; lay markets are not priced markets (not in `settings.markets`).

+EV (kind="ev"). Each quote with edge = price × fair_ref − 1 ≥ `min_ev`, where fair_ref is
  1. "sharp": the consensus `sharp_fair_prob` when the sharp books' complete markets are at the
     quote's own point (h2h: always; spreads/totals: `sharp_point` equals the quote's point and the
     sharp books agree on one point, so a −5/−6 pair whose median is −5.5 is not a −5.5 price);
  2. else "consensus": the outlier-trimmed `trimmed_fair_prob` when the quote's point equals the
     consensus `point_median` (h2h: always);
  3. else none: a fair probability at another point is not comparable, so no row.
A sharp book is never flagged against the sharp fair price it helps make. stake_share is NaN and
books_compared is the consensus cell's n_books.

Everything is vectorised over rows (integer codes for the keys, one lexsort, bincounts, array
lookups into the consensus): a season's ~600k lines run in well under two seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.consensus import line_key
from linelogic_assets.gold.keys import key_codes
from linelogic_assets.gold.schemas import GOLD_SCHEMAS, GOLD_SORT_KEYS
from linelogic_assets.registry.books import SHARP_BOOKS

# the selections each supported market can have; position 0/1 are the two sides, 2 the draw
MARKET_SELECTIONS = {"h2h": ("home", "away", "draw"), "spreads": ("home", "away"), "totals": ("over", "under")}
POSITION = {"home": 0, "over": 0, "away": 1, "under": 1, "draw": 2}
POINT_KEY = ["canonical_event_id", "bucket", "asof_time_utc"]
CELL_KEY = [*POINT_KEY, "market", "selection"]
OUT_COLUMNS = [c for c in GOLD_SCHEMAS["market_opportunities"].names if c not in ("sport", "slate_date")]
OUT_DTYPES = {"canonical_event_id": object, "snapshot_time_utc": "datetime64[ns, UTC]",
              "minutes_to_commence": float, "market": object, "kind": object, "line": float,
              "selection": object, "point": float, "bookmaker": object, "price": float, "fair_prob": float,
              "fair_source": object, "edge": float, "stake_share": float, "books_compared": "int64"}
POINT_TOL = 1e-9  # points are half/whole numbers; medians may be quarter numbers


def market_opportunities(lines: pd.DataFrame, cons: pd.DataFrame, settings: GoldSettings) -> pd.DataFrame:
    """Arbitrage legs and +EV quotes at every pregame as-of point (see the module docstring).

    Returns exactly the `market_opportunities` gold columns except `sport` and `slate_date`, sorted
    by the table's sort key; an empty frame with those columns when there is nothing.
    """
    quotes = eligible_quotes(lines, settings)
    if quotes.empty:
        return empty_opportunities()
    parts = [p for p in (arbitrage_legs(quotes, settings), _plus_ev(quotes, cons, settings)) if not p.empty]
    if not parts:
        return empty_opportunities()
    out = pd.concat(parts, ignore_index=True)
    out["fair_source"] = out["fair_source"].where(out["kind"].eq("ev"), None)
    # the same as-of time under two bucket labels holds the same quotes: one row each
    out = out.drop_duplicates(["canonical_event_id", "snapshot_time_utc", "market", "kind", "line", "selection",
                               "bookmaker"])
    sort_key = GOLD_SORT_KEYS["market_opportunities"]
    return out.sort_values(sort_key, kind="stable").reset_index(drop=True)[OUT_COLUMNS]


def searched_cells(lines: pd.DataFrame) -> int:
    """The (event, snapshot, market, line) cells an arbitrage is looked for in: the rate's denominator."""
    cells = lines[["canonical_event_id", "asof_time_utc", "market"]].assign(line=line_key(lines))
    return len(cells.drop_duplicates())


def empty_opportunities() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in OUT_DTYPES.items()})[OUT_COLUMNS]


def eligible_quotes(lines: pd.DataFrame, settings: GoldSettings, *, at_commence: bool = False,
                    carry: tuple[str, ...] = ()) -> pd.DataFrame:
    """Pregame quotes of the supported priced markets with a usable price, plus position and line. An as-of
    point must lie before commence; `at_commence` also admits the closing point itself (a bet at the close).
    `carry` names further columns of `lines` to keep."""
    if lines.empty:
        return pd.DataFrame()
    # strings are compared once per distinct value (a handful), then looked up per row by code
    market_code, market_names = pd.factorize(lines["market"])
    sel_code, sel_names = pd.factorize(lines["selection"])
    allowed = np.zeros((len(market_names) + 1, len(sel_names) + 1), dtype=bool)  # code −1 (NaN) → last
    for i, m in enumerate(market_names):
        if m in settings.markets and m in MARKET_SELECTIONS:
            allowed[i, :-1] = [sel in MARKET_SELECTIONS[m] for sel in sel_names]
    kind_of = np.array([{"h2h": 0, "spreads": 1, "totals": 2}.get(m, -1) for m in market_names] + [-1])
    pos_of = np.array([POSITION.get(sel, -1) for sel in sel_names] + [-1])
    kind = kind_of[market_code]

    price = pd.to_numeric(lines["price"], errors="coerce").to_numpy(float)
    point = pd.to_numeric(lines["point"], errors="coerce").to_numpy(float)
    asof, commence = lines["asof_time_utc"], lines["commence_time_utc"]
    pregame = ((asof <= commence) if at_commence else (asof < commence)).to_numpy(bool)
    keep = (allowed[market_code, sel_code] & np.isfinite(price) & (price > 1.0) & pregame
            & ((kind == 0) | ~np.isnan(point)))
    q = lines.loc[keep, [*POINT_KEY, "commence_time_utc", "market", "selection", "bookmaker", "is_sharp",
                         "complete", *carry]].reset_index(drop=True)
    q["price"] = price[keep]
    q["point"] = point[keep]
    kind = kind[keep]
    q["line"] = line_key(q)
    q["_pos"] = pos_of[sel_code[keep]]
    q["_h2h"] = kind == 0
    q["minutes_to_commence"] = (q["commence_time_utc"] - q["asof_time_utc"]).dt.total_seconds() / 60.0
    return q


def arbitrage_legs(q: pd.DataFrame, settings: GoldSettings) -> pd.DataFrame:
    """One row per leg of every arbitrage among eligible quotes (`eligible_quotes`), with its stake split."""
    # group = event × as-of point × market × line; h2h lines are NaN, which factorize keeps as one code
    (gid,) = key_codes([q], [*POINT_KEY, "market", "line"])
    ng = int(gid.max()) + 1
    pos = q["_pos"].to_numpy(np.int64)
    price = q["price"].to_numpy(float)
    book_code, books = pd.factorize(q["bookmaker"], sort=True)  # codes in alphabetical order
    book_code = book_code.astype(np.int64)

    # best price per group × selection: highest price first, then the alphabetically first book
    order = np.lexsort((book_code, -price, pos, gid))
    g_sorted, p_sorted = gid[order], pos[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (g_sorted[1:] != g_sorted[:-1]) | (p_sorted[1:] != p_sorted[:-1])
    best = order[first]
    bg, bp = gid[best], pos[best]

    # Σ 1/best over the selections present; a quoted draw is among them, so it is required
    total = np.bincount(bg, weights=1.0 / price[best], minlength=ng)
    covered = (np.bincount(bg[bp == 0], minlength=ng) > 0) & (np.bincount(bg[bp == 1], minlength=ng) > 0)
    with np.errstate(divide="ignore"):
        margin = np.where(covered, 1.0 / total - 1.0, np.nan)
    is_arb = covered & (margin > settings.min_arb_margin)
    legs = best[is_arb[bg]]
    if legs.size == 0:
        return pd.DataFrame()

    pairs = np.sort(gid * len(books) + book_code)  # distinct (line, book) pairs
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    n_books = np.bincount(pairs // len(books), minlength=ng)

    leg_g = gid[legs]
    out = _rows(q, legs, "arbitrage")
    out["fair_prob"] = np.nan
    out["fair_source"] = ""  # None after the concat (an all-None object column makes concat crawl)
    out["edge"] = margin[leg_g]
    out["stake_share"] = (1.0 / price[legs]) / total[leg_g]
    out["books_compared"] = n_books[leg_g].astype(np.int64)
    return out[OUT_COLUMNS]


def _rows(q: pd.DataFrame, rows: np.ndarray, kind: str) -> pd.DataFrame:
    out = q.iloc[rows][["canonical_event_id", "asof_time_utc", "minutes_to_commence", "market", "line",
                        "selection", "point", "bookmaker", "price"]].rename(
        columns={"asof_time_utc": "snapshot_time_utc"}).reset_index(drop=True)
    out["kind"] = kind
    return out


def reference_fair(q: pd.DataFrame, cons: pd.DataFrame) -> pd.DataFrame:
    """The fair probability each eligible quote (`eligible_quotes`) is judged against, row-aligned with `q`:
    columns fair_prob (NaN: no comparable reference), fair_source ("sharp" | "consensus" | None),
    books_compared (the consensus cell's n_books) and own_sharp (the quote is a sharp book's, priced against
    the sharp fair price it helps make). The rule is the module docstring's 1-2-3."""
    n = len(q)
    need = ["n_books", "point_median", "trimmed_fair_prob", "sharp_fair_prob", "sharp_point"]
    if n == 0 or cons.empty or any(c not in cons.columns for c in [*CELL_KEY, *need]):
        return pd.DataFrame({"fair_prob": np.full(n, np.nan), "fair_source": np.full(n, None, dtype=object),
                             "books_compared": np.zeros(n, dtype=np.int64), "own_sharp": np.zeros(n, dtype=bool)})
    cell_q, cell_c = key_codes([q, cons], CELL_KEY)
    n_cells = int(max(cell_q.max(), cell_c.max())) + 1
    cons_row = np.full(n_cells, -1, dtype=np.int64)
    cons_row[cell_c[::-1]] = np.arange(len(cell_c) - 1, -1, -1)  # the cell's (first) consensus row
    ref = cons_row[cell_q]
    has_ref = ref >= 0

    def cons_col(name: str) -> np.ndarray:
        values = pd.to_numeric(cons[name], errors="coerce").to_numpy(float)
        return np.where(has_ref, values[np.where(has_ref, ref, 0)], np.nan)

    sharp_fair, sharp_point = cons_col("sharp_fair_prob"), cons_col("sharp_point")
    trimmed, median_point, n_books = cons_col("trimmed_fair_prob"), cons_col("point_median"), cons_col("n_books")

    # the sharp reference needs the complete sharp markets of the cell at one point
    point = q["point"].to_numpy(float)
    sharp_rows = q["is_sharp"].astype(bool).to_numpy() & q["complete"].astype(bool).to_numpy()
    span = pd.Series(point[sharp_rows]).groupby(cell_q[sharp_rows]).agg(["min", "max"])
    spread_of_cell = np.zeros(n_cells)
    spread_of_cell[span.index.to_numpy()] = (span["max"] - span["min"]).fillna(0.0).to_numpy()
    one_point = spread_of_cell[cell_q] <= POINT_TOL

    is_h2h = q["_h2h"].to_numpy(bool)
    with np.errstate(invalid="ignore"):
        use_sharp = ~np.isnan(sharp_fair) & one_point & (is_h2h | (np.abs(point - sharp_point) <= POINT_TOL))
        use_cons = ~use_sharp & ~np.isnan(trimmed) & (is_h2h | (np.abs(point - median_point) <= POINT_TOL))
    source = np.where(use_sharp, "sharp", np.where(use_cons, "consensus", None)).astype(object)
    return pd.DataFrame({
        "fair_prob": np.where(use_sharp, sharp_fair, np.where(use_cons, trimmed, np.nan)),
        "fair_source": source,
        "books_compared": np.nan_to_num(n_books).astype(np.int64),
        "own_sharp": use_sharp & q["bookmaker"].isin(SHARP_BOOKS).to_numpy(),
    })


def _plus_ev(q: pd.DataFrame, cons: pd.DataFrame, settings: GoldSettings) -> pd.DataFrame:
    ref = reference_fair(q, cons)
    fair = ref["fair_prob"].to_numpy(float)
    edge = q["price"].to_numpy(float) * fair - 1.0
    with np.errstate(invalid="ignore"):
        keep = np.flatnonzero((edge >= settings.min_ev) & ~ref["own_sharp"].to_numpy(bool))
    if keep.size == 0:
        return pd.DataFrame()

    out = _rows(q, keep, "ev")
    out["fair_prob"] = fair[keep]
    out["fair_source"] = ref["fair_source"].to_numpy()[keep]
    out["edge"] = edge[keep]
    out["stake_share"] = np.nan
    out["books_compared"] = ref["books_compared"].to_numpy()[keep]
    return out[OUT_COLUMNS]
