"""Bookmaker roles the validation and gold layers need: exchanges and sharp books."""

from __future__ import annotations

# Exchanges quote back and lay prices with ~0–2 % margin (or below 0 on a one-sided book), so the
# overround bounds that flag a mispriced sportsbook do not apply to them.
EXCHANGES = frozenset({"betfair_ex_uk", "betfair_ex_eu", "betfair_ex_au", "matchbook", "smarkets", "novig", "prophetx"})
# Market-making books whose closing line is the reference for fair prices and CLV.
SHARP_BOOKS = frozenset({"pinnacle", "circasports"})


def is_exchange(bookmaker: str) -> bool:
    return bookmaker in EXCHANGES
