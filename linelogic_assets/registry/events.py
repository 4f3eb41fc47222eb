"""Canonical event identity and provider-event matching.

Every provider sighting of a game (an Odds API event, a BALLDONTLIE game) is collapsed per provider
id, resolved to canonical teams, and clustered with the sightings of other providers:

* first pass: same two teams and scheduled starts within `tolerance` (orientation may differ:
  swapped home/away still matches, flagged and at lower confidence);
* fallback: a name the registry does not know is matched fuzzily against the teams of the same
  league and slate date only; a unique, close match is taken at low confidence and flagged;
* anything else is quarantined with its reason. A name is never guessed silently.

The canonical id hashes league, home, away and the *scheduled* start. The Odds API rewrites a live
game's `commence_time` to the real tip-off (non-zero seconds), so the scheduled start is the
earliest on-the-minute start seen for that provider id, and the rewrite is kept as `actual_start`.
A genuine doubleheader (two provider ids hours apart) stays two events.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from difflib import SequenceMatcher

from linelogic_assets.providers.registry import schedule_rank
from linelogic_assets.registry.overrides import EventOverride, Overrides
from linelogic_assets.registry.teams import Team, TeamIndex, normalise_name
from linelogic_assets.sports import League

STATUS_RANK = {"scheduled": 0, "live": 1, "postponed": 2, "cancelled": 2, "final": 3}
FUZZY_MIN_SCORE = 0.75
FUZZY_MIN_MARGIN = 0.1
_MIN = datetime.min.replace(tzinfo=UTC)


def stable_hash(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:20]


def canonical_event_id(league: str, home_id: str, away_id: str, start: datetime | None, day: date) -> str:
    """`stable_hash(league, home, away, start_time_utc)`; a game known only by its date hashes the date."""
    when = start.strftime("%Y-%m-%dT%H:%M:%SZ") if start else f"date:{day.isoformat()}"
    return f"{league}-{stable_hash(league, home_id, away_id, when)}"


def is_on_the_minute(ts: datetime) -> bool:
    return ts.second == 0 and ts.microsecond == 0


@dataclass
class Sighting:
    """One observation of a game by one provider, as the provider wrote it."""

    provider: str
    provider_event_id: str
    home_name: str
    away_name: str
    start: datetime | None  # None: the provider gave only a date
    observed_at: datetime | None
    raw_ref: str
    status: str = "scheduled"
    home_score: int | None = None
    away_score: int | None = None
    home_provider_team_id: str | None = None
    away_provider_team_id: str | None = None
    home_hint: Team | None = None  # resolved by provider team id (BALLDONTLIE ids)
    away_hint: Team | None = None
    season: int | None = None


@dataclass
class ProviderEvent:
    """All sightings of one provider id, reduced."""

    provider: str
    provider_event_id: str
    home_name: str
    away_name: str
    scheduled_start: datetime | None
    actual_start: datetime | None
    status: str
    first_seen: datetime | None
    last_seen: datetime | None
    raw_refs: list[str]
    result: tuple[int, int, str, datetime | None] | None  # home, away, raw_ref, observed_at
    season: int | None
    home: Team | None = None
    away: Team | None = None
    home_method: str = "registry"
    away_method: str = "registry"
    fuzzy_score: float | None = None
    home_provider_team_id: str | None = None
    away_provider_team_id: str | None = None


@dataclass
class Match:
    provider_event: ProviderEvent
    confidence: float
    method: str
    swapped: bool = False


@dataclass
class CanonicalEvent:
    canonical_event_id: str
    home: Team
    away: Team
    start: datetime | None
    members: list[Match] = field(default_factory=list)

    @property
    def actual_start(self) -> datetime | None:
        found = [m.provider_event.actual_start for m in self.members if m.provider_event.actual_start]
        return min(found) if found else None

    @property
    def status(self) -> str:
        return max((m.provider_event.status for m in self.members), key=STATUS_RANK.__getitem__)


@dataclass
class Quarantined:
    provider_event: ProviderEvent
    reason: str


@dataclass
class MatchResult:
    events: list[CanonicalEvent]
    quarantined: list[Quarantined]


def reduce_sightings(sightings: list[Sighting]) -> list[ProviderEvent]:
    """Collapse sightings per (provider, id), oldest observation first, deterministically."""
    by_id: dict[tuple[str, str], list[Sighting]] = defaultdict(list)
    for s in sightings:
        by_id[(s.provider, s.provider_event_id)].append(s)
    out = []
    for (provider, pid), group in sorted(by_id.items()):
        group.sort(key=lambda s: (s.observed_at is None, s.observed_at or _MIN, s.raw_ref))
        starts = [s.start for s in group if s.start]
        on_minute = [t for t in starts if is_on_the_minute(t)]
        rewritten = [t for t in starts if not is_on_the_minute(t)]
        scheduled = on_minute[0] if on_minute else (starts[0].replace(second=0, microsecond=0) if starts else None)
        status = max((s.status for s in group), key=STATUS_RANK.__getitem__)
        finals = [s for s in group if s.home_score is not None and s.away_score is not None and s.status == "final"]
        last = finals[-1] if finals else None
        first = group[0]
        seen = [s.observed_at for s in group if s.observed_at]
        out.append(
            ProviderEvent(
                provider=provider,
                provider_event_id=pid,
                home_name=first.home_name,
                away_name=first.away_name,
                scheduled_start=scheduled,
                actual_start=rewritten[-1] if rewritten else None,
                status=status,
                first_seen=min(seen) if seen else None,
                last_seen=max(seen) if seen else None,
                raw_refs=sorted({s.raw_ref for s in group}),
                result=(last.home_score, last.away_score, last.raw_ref, last.observed_at) if last else None,
                season=next((s.season for s in group if s.season is not None), None),
                home=first.home_hint,
                away=first.away_hint,
                home_provider_team_id=first.home_provider_team_id,
                away_provider_team_id=first.away_provider_team_id,
            )
        )
    return out


def _fuzzy(name: str, candidates: list[Team], index: TeamIndex) -> tuple[Team | None, float]:
    """The best candidate for an unknown name, if it is close and clearly the best."""
    target = normalise_name(name)
    scored = sorted(
        ((max(SequenceMatcher(None, target, s).ratio() for s in index.spellings(t)), t.id, t) for t in candidates),
        reverse=True,
    )
    if not scored or scored[0][0] < FUZZY_MIN_SCORE:
        return None, scored[0][0] if scored else 0.0
    if len(scored) > 1 and scored[0][0] - scored[1][0] < FUZZY_MIN_MARGIN:
        return None, scored[0][0]
    return scored[0][2], scored[0][0]


def match_events(
    league: League,
    day: date,
    sightings: list[Sighting],
    index: TeamIndex,
    overrides: Overrides,
    tolerance: timedelta,
) -> MatchResult:
    provider_events = reduce_sightings(sightings)
    quarantined: list[Quarantined] = []
    for pe in provider_events:
        pe.home = pe.home or index.resolve(pe.home_name)
        pe.away = pe.away or index.resolve(pe.away_name)

    events: list[CanonicalEvent] = []
    pinned: list[tuple[ProviderEvent, EventOverride]] = []
    resolved: list[ProviderEvent] = []
    unresolved: list[ProviderEvent] = []
    for pe in provider_events:
        if o := overrides.event(pe.provider, pe.provider_event_id):
            pinned.append((pe, o))
        elif pe.home and pe.away:
            resolved.append(pe)
        else:
            unresolved.append(pe)

    def attach(pe: ProviderEvent, method: str, confidence: float, *, may_found: bool = True) -> bool:
        """Join the nearest compatible canonical event, or found a new one if `may_found`; False if neither."""
        best: tuple[timedelta, CanonicalEvent] | None = None
        for ev in events:
            if {ev.home.id, ev.away.id} != {pe.home.id, pe.away.id}:
                continue
            if any(m.provider_event.provider == pe.provider for m in ev.members):
                continue  # one provider's two ids are two games (a doubleheader), never merged
            if ev.start and pe.scheduled_start:
                gap = abs(ev.start - pe.scheduled_start)
                if gap > tolerance:
                    continue
            else:
                gap = tolerance  # date-only: same slate, same teams
            if best is None or gap < best[0]:
                best = (gap, ev)
        if best is None:
            if may_found:
                events.append(CanonicalEvent("", pe.home, pe.away, pe.scheduled_start, [Match(pe, confidence, method)]))
            return may_found
        gap, ev = best
        swapped = ev.home.id != pe.home.id
        if swapped:
            method, confidence = f"{method}+swapped_home_away", min(confidence, 0.75)
        elif method == "registry" and gap > timedelta(minutes=5):
            method, confidence = "registry+start_tolerance", min(confidence, 0.9)
        if ev.start is None and pe.scheduled_start is not None:
            ev.start = pe.scheduled_start
        ev.members.append(Match(pe, confidence, method, swapped))
        return True

    # the truth provider founds events first, so its orientation and schedule win
    resolved.sort(key=lambda p: (schedule_rank(p.provider), p.scheduled_start is None,
                                 p.scheduled_start or _MIN, p.provider_event_id))
    for pe in resolved:
        attach(pe, "registry", 1.0)

    for pe, o in pinned:
        home, away = index.by_id.get(o.home_team), index.by_id.get(o.away_team)
        if home is None or away is None:
            quarantined.append(Quarantined(pe, f"override names unknown team(s) {o.home_team!r}/{o.away_team!r}"))
            continue
        pe.home, pe.away, pe.scheduled_start = home, away, o.start_time_utc
        ev = next((e for e in events if e.home.id == home.id and e.away.id == away.id and e.start == o.start_time_utc), None)
        if ev is None:
            ev = CanonicalEvent("", home, away, o.start_time_utc)
            events.append(ev)
        ev.members.append(Match(pe, 1.0, "override"))

    for pe in unresolved:
        slate_teams = sorted({t.id: t for e in events for t in (e.home, e.away)}.values(), key=lambda t: t.id)
        for side in ("home", "away"):
            if getattr(pe, side) is None:
                name = getattr(pe, f"{side}_name")
                team, score = _fuzzy(name, slate_teams, index)
                if team is None:
                    break
                setattr(pe, side, team)
                setattr(pe, f"{side}_method", "fuzzy")
                pe.fuzzy_score = min(score, pe.fuzzy_score or 1.0)
        if pe.home is None or pe.away is None:
            bad = [n for n, t in ((pe.home_name, pe.home), (pe.away_name, pe.away)) if t is None]
            quarantined.append(Quarantined(pe, f"unknown team {', '.join(map(repr, bad))}: no registry spelling or "
                                               f"override, and no close match among the {league.title} teams of {day}"))
            continue
        # fuzzy names may only confirm an event another provider saw, never found one
        if not attach(pe, "fuzzy_names", round(0.6 * (pe.fuzzy_score or 0.0), 3), may_found=False):
            quarantined.append(Quarantined(pe, f"fuzzy team match {pe.home.full_name} vs {pe.away.full_name} has "
                                               f"no confirming event on {day}"))

    for ev in events:  # orientation and start are the founder's: the truth provider where it saw the game
        ev.canonical_event_id = canonical_event_id(league.league, ev.home.id, ev.away.id, ev.start, day)
    events.sort(key=lambda e: (e.start is None, e.start or _MIN, e.canonical_event_id))
    return MatchResult(events, quarantined)
