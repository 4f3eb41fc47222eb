"""The player and game-stat silver tables' shared parts: the box-score columns and the team totals.

Each people provider (`Provider.people`) reads its own responses into these tables. A box-score line
with one unreadable stat is still the line of a player who played, so it stays, and the team total it
feeds becomes unknown (null) rather than short: the box-score check counts that game as unverifiable,
not as a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from linelogic_assets.silver.schemas import SCHEMAS

STAT_COLUMNS = ("pts", "reb", "ast", "stl", "blk", "turnover", "pf", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta",
                "oreb", "dreb", "plus_minus")

TEAM_SUMS = ("pts", "reb", "ast", "stl", "blk", "turnover", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb")

SIGNED = {"plus_minus"}  # the one stat that can be negative

UNKNOWN = "_unknown"  # private column of a box-score line: the stats it gave that could not be read


@dataclass
class PeopleBuild:
    frames: dict[str, pd.DataFrame]
    stats: dict[str, int]


def team_stats(player_stats: pd.DataFrame, home_of: dict[str, str], sport: str) -> pd.DataFrame:
    """Team totals per game from the player lines; a column one of the team's lines could not give (listed in
    the lines' private `_unknown` column, when present) is unknown for the team rather than short."""
    if player_stats.empty:
        return frame("game_team_stats", [])
    keys = ["canonical_event_id", "team_id"]
    g = player_stats.groupby(keys, as_index=False)
    out = g[list(TEAM_SUMS)].sum(min_count=1)
    if UNKNOWN in player_stats:
        marks = player_stats[UNKNOWN]
        unknown = player_stats[keys].assign(**{c: marks.map(lambda u, c=c: c in u) for c in TEAM_SUMS})
        unknown = unknown.groupby(keys, as_index=False)[list(TEAM_SUMS)].any()  # same groups, same order
        for c in TEAM_SUMS:
            out[c] = out[c].mask(unknown[c].to_numpy())
    out["players"] = g.size()["size"].to_numpy()
    out["sport"] = sport
    out["is_home"] = [home_of.get(e) == t for e, t in zip(out["canonical_event_id"], out["team_id"], strict=True)]
    for made, att, pct in (("fgm", "fga", "fg_pct"), ("fg3m", "fg3a", "fg3_pct"), ("ftm", "fta", "ft_pct")):
        out[pct] = (out[made] / out[att].where(out[att] > 0)).astype("float64")
    return out[SCHEMAS["game_team_stats"].names]


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SCHEMAS[table].names)

