"""Integer codes of key tuples: gold groups, sorts and joins on one number instead of several string columns."""

from __future__ import annotations

import numpy as np
import pandas as pd


def key_codes(frames: list[pd.DataFrame], cols: list[str]) -> list[np.ndarray]:
    """Dense int64 codes of the `cols` tuple in order of first appearance, the same tuple getting the same code in
    every frame (a missing value is a value of its own, as a merge on the columns treats it)."""
    sizes = np.cumsum([0, *(len(f) for f in frames)])
    key = np.zeros(sizes[-1], dtype=np.int64)
    for c in cols:
        col, uniques = pd.factorize(pd.concat([f[c] for f in frames], ignore_index=True), use_na_sentinel=False)
        key, _ = pd.factorize(key * max(len(uniques), 1) + col)  # re-densified, so it never overflows
    return [key[a:b] for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def sorted_codes(keys: pd.DataFrame) -> np.ndarray:
    """Codes of `keys`' rows numbered in their sort order (missing last, as `sort_values` puts them): sorting by the
    code sorts as by the columns themselves."""
    return keys.groupby(list(keys.columns), sort=True, dropna=False).ngroup().to_numpy()
