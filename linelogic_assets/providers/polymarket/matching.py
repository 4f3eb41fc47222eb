"""Polymarket game markets to canonical events.

Rule: the game's two teams (from the ticker's abbreviations, else the teams the outcomes back), and
the one canonical event of those teams, in either orientation, whose start lies within ±24 h of
noon UTC on the game's US date. Gamma creates game events about a week early, so its own dates
say nothing about the start; the ticker's date does. A match must be unique: none, or several, and
the provider event's rows are quarantined with the reason.

Once matched, the canonical event decides home and away: a provider orientation that is the other
way round is flagged (confidence 0.8) and the selections are turned to the canonical orientation,
and legacy markets without orientation get theirs from the canonical event. Points stay with their team.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

import pandas as pd

from linelogic_assets.providers.polymarket.normalise import PROVIDER, parse_ticker
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.schemas import typed
from linelogic_assets.sports import league_for

WINDOW = timedelta(hours=24)
SWAPPED_CONFIDENCE = 0.8
MATCH_COLUMNS = ["match_method", "match_confidence", "home_away_swapped"]


class MarketMatch(NamedTuple):
    matched: pd.DataFrame  # prediction_market rows with canonical_event_id, selections, + MATCH_COLUMNS
    quarantined: pd.DataFrame  # the rows that matched nothing (or several), with `reason`
    provider_map: pd.DataFrame  # event_provider_map rows, provider "polymarket"


def noon_utc(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def match_markets(markets: pd.DataFrame, events: pd.DataFrame, index: TeamIndex,
                  now: datetime | None = None) -> MarketMatch:
    """Match `prediction_market` rows to silver `event` rows (see the module docstring for the rule)."""
    created = now or datetime.now(UTC)
    matched: list[pd.DataFrame] = []
    quarantined: list[pd.DataFrame] = []
    links: list[dict] = []
    candidates = candidate_events(events)
    for eid, group in markets.groupby("provider_event_id", sort=True, dropna=False):
        found = _match_group(group, candidates, index)
        if isinstance(found, str):
            quarantined.append(group.assign(reason=found))
            continue
        ev, method, swapped = found
        rows = _orient(group, ev)
        confidence = SWAPPED_CONFIDENCE if swapped else 1.0
        matched.append(rows.assign(canonical_event_id=ev["canonical_event_id"], match_method=method,
                                   match_confidence=confidence, home_away_swapped=swapped))
        starts = group["game_start_utc"].dropna()
        links.append({
            "provider": PROVIDER, "provider_event_id": str(eid), "canonical_event_id": ev["canonical_event_id"],
            "sport": group["sport"].iloc[0], "match_confidence": confidence, "match_method": method,
            "home_away_swapped": swapped, "provider_start_utc": starts.min() if len(starts) else None,
            "created_at": created,
        })
    empty = markets.iloc[0:0]
    matched_frame = pd.concat(matched, ignore_index=True) if matched else empty.assign(
        match_method=pd.Series(dtype=object), match_confidence=pd.Series(dtype=float),
        home_away_swapped=pd.Series(dtype=bool))
    quarantined_frame = (pd.concat(quarantined, ignore_index=True) if quarantined
                         else empty.assign(reason=pd.Series(dtype=object)))
    return MarketMatch(matched_frame, quarantined_frame, typed("event_provider_map", pd.DataFrame(links)))


def candidate_events(events: pd.DataFrame) -> pd.DataFrame:
    """The canonical events with their start as aware UTC (`commence_time_utc`, or `start_time_utc`)."""
    start_col = "commence_time_utc" if "commence_time_utc" in events.columns else "start_time_utc"
    out = events[["canonical_event_id", "league", "home_team_id", "away_team_id"]].copy()
    out["start"] = pd.to_datetime(events[start_col], utc=True)
    return out.dropna(subset=["start", "home_team_id", "away_team_id"])


def _match_group(group: pd.DataFrame, events: pd.DataFrame, index: TeamIndex) -> tuple[pd.Series, str, bool] | str:
    sport = group["sport"].iloc[0]
    league = league_for(sport).league
    found = _teams(group, index)
    if isinstance(found, str):
        return found
    home, away, method = found
    ticker = parse_ticker(group["ticker"].iloc[0])
    days = group["game_date"].dropna().unique()
    if len(days) != 1:
        return f"the game's date is {'unknown' if not len(days) else f'ambiguous ({sorted(days)})'}"
    day = days[0]
    noon = noon_utc(day)
    teams = {home, away}
    same = events[(events["league"] == league) & (events["home_team_id"].isin(teams))
                  & (events["away_team_id"].isin(teams)) & (events["home_team_id"] != events["away_team_id"])]
    near = same[(same["start"] - noon).abs() <= WINDOW].sort_values(["start", "canonical_event_id"])
    shown = f"{away} @ {home}" if method == "ticker_teams_date" else f"{' vs '.join(sorted(teams))}"
    if near.empty:
        return f"no canonical event for {shown} within ±24 h of noon UTC on {day}"
    if len(near) > 1:
        if ticker is not None and ticker.game_number == 2 and len(near) == 2:
            near = near.iloc[1:]  # the `-2` ticker of a doubleheader is its later game
            method += "+game2"
        else:
            return (f"{len(near)} canonical events for {shown} within ±24 h of noon UTC on {day}: "
                    f"{', '.join(near['canonical_event_id'])}")
    ev = near.iloc[0]
    swapped = method.startswith("ticker") and ev["home_team_id"] != home
    return ev, method, bool(swapped)


def _teams(group: pd.DataFrame, index: TeamIndex) -> tuple[str, str, str] | str:
    """(home, away, method): the provider's oriented teams, else the two teams the outcomes back (unordered)."""
    homes, aways = group["home_team_id"].dropna().unique(), group["away_team_id"].dropna().unique()
    ticker = parse_ticker(group["ticker"].iloc[0])
    if len(homes) == 1 and len(aways) == 1 and homes[0] != aways[0]:
        home, away, method = homes[0], aways[0], "ticker_teams_date"
    elif ticker is not None and (h := index.resolve(ticker.home)) and (a := index.resolve(ticker.away)) and h != a:
        home, away, method = h.id, a.id, "ticker_teams_date"
    elif len(backed := sorted(group["team_id"].dropna().unique())) == 2:
        home, away, method = backed[0], backed[1], "question_teams_date"
    else:
        unknown = [x for x in (ticker.away, ticker.home) if index.resolve(x) is None] if ticker else []
        return ("unknown team: cannot tell the game's two teams"
                + (f" (ticker abbreviation(s) {unknown} not in the registry)" if unknown else
                   " (no ticker teams, and the outcomes do not back exactly two teams)"))
    unknown = [t for t in (home, away) if t not in index.by_id]
    if unknown:
        return f"unknown team {unknown}: not in the {index.teams[0].league if index.teams else '?'} registry"
    return home, away, method


def _orient(group: pd.DataFrame, ev: pd.Series) -> pd.DataFrame:
    """Selections and home/away as the canonical event has them; totals keep over/under."""
    rows = group.copy()
    sided = rows["market"].isin(["h2h", "spreads"]) & rows["team_id"].notna()
    rows.loc[sided, "selection"] = rows.loc[sided, "team_id"].map(
        {ev["home_team_id"]: "home", ev["away_team_id"]: "away"})
    rows["home_team_id"], rows["away_team_id"] = ev["home_team_id"], ev["away_team_id"]
    return rows
