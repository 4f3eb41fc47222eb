"""Gold over many slates at once: the inputs concatenated, every output row sent back to its event's slate.

Every gold rule is per event (its quotes, its buckets, its teams' form by the row's own slate), so one pass
over a range gives each slate exactly the rows a run of it alone gives: tested on a multi-week range in
`linelogic_assets_tests/lake/test_ranges.py`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from linelogic_assets.lake.ranges import PerSlate, Slate, slice_of


def stamp(frame: pd.DataFrame, sport: str, day: date) -> pd.DataFrame:
    """A slate's rows with its partition columns."""
    return frame.assign(sport=sport, slate_date=day)


class Group:
    """Slates computed at once: `inputs` concatenated over them, and `split` to send rows back."""

    def __init__(self, slates: list[Slate], inputs: list[PerSlate], owner: dict[str, str]) -> None:
        self.slates, self.owner = slates, owner  # owner: canonical event id → partition key
        self.inputs = [pd.concat([slice_of(x, s) for s in slates], ignore_index=True) if len(slates) > 1
                       else slice_of(x, slates[0]) for x in inputs]

    def slate(self, key: str) -> Slate:
        return next(s for s in self.slates if str(s.key) == key)

    def split(self, frame: pd.DataFrame, stamped: bool = True) -> dict[str, pd.DataFrame]:
        """Each slate's rows of `frame` (stamped with its sport and slate date), an empty frame where none."""
        if len(self.slates) == 1:
            [s] = self.slates
            return {str(s.key): stamp(frame, s.sport, s.day) if stamped else frame}
        owner = frame["canonical_event_id"].map(self.owner).to_numpy() if len(frame) else np.array([], object)
        out = {}
        for s in self.slates:
            part = frame[owner == str(s.key)].reset_index(drop=True)
            out[str(s.key)] = stamp(part, s.sport, s.day) if stamped else part
        return out


def _owners(slates: list[Slate], inputs: tuple[PerSlate, ...]) -> dict[str, str] | None:
    """Each event id's slate, from every input that carries event ids; None if an id is on two slates."""
    owner: dict[str, str] = {}
    for s in slates:
        for v in inputs:
            f = slice_of(v, s)
            if "canonical_event_id" in f:
                for x in f["canonical_event_id"].unique():
                    if owner.setdefault(x, str(s.key)) != str(s.key):
                        return None
    return owner


def groups(todo: list[Slate], *inputs: PerSlate) -> list[Group]:
    """The range as groups computed at once: one per sport (team form and history are a sport's), or one per
    slate where an event id appears on two slates (their rows could not be told apart)."""
    out = []
    for sport in sorted({s.sport for s in todo}):
        mine = [s for s in todo if s.sport == sport]
        owner = _owners(mine, inputs)
        if owner is None:
            out += [Group([s], list(inputs), {}) for s in mine]
        else:
            out.append(Group(mine, list(inputs), owner))
    return out
