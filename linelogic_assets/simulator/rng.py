"""Deterministic, platform-independent randomness keyed by names (never Python's salted str hash)."""

from __future__ import annotations

import hashlib
import random

_MASK = (1 << 64) - 1


def seed_of(*parts: object) -> int:
    """A stable 64-bit integer for a tuple of parts, e.g. seed_of(seed, "nba", 2024, "schedule")."""
    key = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def rng_for(*parts: object) -> random.Random:
    return random.Random(seed_of(*parts))


def hex_id(*parts: object) -> str:
    """32-char lowercase hex id, like The Odds API event ids."""
    return hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=16).hexdigest()


def mix(x: int) -> int:
    """splitmix64 finaliser: a cheap integer hash for hot paths (no object allocation)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit(*ints: int) -> float:
    """Uniform [0, 1) from integers, via chained splitmix64."""
    h = 0
    for i in ints:
        h = mix(h ^ (i & _MASK))
    return (h >> 11) / float(1 << 53)
