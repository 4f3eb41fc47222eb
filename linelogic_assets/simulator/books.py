"""The bookmaker catalogue: region, pricing style, latency and when each key existed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Book:
    key: str
    title: str
    region: str
    kind: str  # sharp | retail | exchange
    margin: float  # overround on a 2-way market (0.045 = 4.5 %)
    lag_minutes: int  # quotes the model as it was this long ago
    cadence_minutes: int  # re-quotes only every k minutes
    noise: float  # sd of book-specific error, in units of the model's margin/total quantum
    coverage: float  # share of events it lists
    active_from: date = date(2019, 1, 1)
    active_until: date = date(2100, 1, 1)

    @property
    def is_exchange(self) -> bool:
        return self.kind == "exchange"

    def active_on(self, day: date) -> bool:
        return self.active_from <= day <= self.active_until


_D = date
BOOKS: tuple[Book, ...] = (
    # sharp: tight, fast, small error
    Book("pinnacle", "Pinnacle", "eu", "sharp", 0.022, 0, 1, 0.36, 0.99),
    Book("lowvig", "LowVig.ag", "us", "sharp", 0.026, 1, 2, 0.6, 0.93),
    Book("betonlineag", "BetOnline.ag", "us", "sharp", 0.029, 1, 2, 0.6, 0.93),
    Book("circasports", "Circa Sports", "us", "sharp", 0.025, 2, 3, 0.6, 0.85, active_until=_D(2023, 12, 31)),
    # retail: wider, slower, noisier (this is where arbitrage and +EV come from)
    Book("draftkings", "DraftKings", "us", "retail", 0.045, 3, 5, 1.38, 0.97),
    Book("fanduel", "FanDuel", "us", "retail", 0.044, 3, 5, 1.38, 0.97),
    Book("betmgm", "BetMGM", "us", "retail", 0.047, 6, 10, 1.65, 0.95),
    Book("williamhill_us", "Caesars", "us", "retail", 0.046, 8, 10, 1.65, 0.75),
    Book("betrivers", "BetRivers", "us", "retail", 0.048, 10, 15, 1.65, 0.95),
    Book("bovada", "Bovada", "us", "retail", 0.045, 12, 15, 1.93, 0.92),
    Book("mybookieag", "MyBookie.ag", "us", "retail", 0.05, 15, 15, 2.2, 0.95),
    Book("betus", "BetUS", "us", "retail", 0.049, 15, 20, 2.2, 0.88),
    Book("fanatics", "Fanatics", "us", "retail", 0.046, 5, 10, 1.65, 0.85, active_from=_D(2023, 11, 1)),
    Book("espnbet", "ESPN BET", "us2", "retail", 0.045, 5, 10, 1.65, 0.9, active_from=_D(2023, 11, 14)),
    Book("ballybet", "Bally Bet", "us2", "retail", 0.048, 10, 15, 1.93, 0.8),
    Book(
        "hardrockbet", "Hard Rock Bet", "us2", "retail", 0.046, 6, 10, 1.65, 0.85, active_from=_D(2023, 12, 1)
    ),
    Book("betparx", "betPARX", "us2", "retail", 0.048, 10, 15, 1.93, 0.8),
    Book("fliff", "Fliff", "us2", "retail", 0.047, 8, 10, 1.93, 0.8, active_from=_D(2024, 1, 1)),
    Book("sportsbet", "SportsBet", "au", "retail", 0.05, 10, 15, 1.93, 0.85),
    Book("tab", "TAB", "au", "retail", 0.05, 10, 15, 1.93, 0.85),
    # exchanges: near-zero margin (~1 % back), tight and fast; also quote h2h_lay
    Book("betfair_ex_uk", "Betfair", "uk", "exchange", 0.009, 0, 1, 0.4, 0.95),
    Book("matchbook", "Matchbook", "uk", "exchange", 0.011, 1, 2, 0.4, 0.85),
    Book("smarkets", "Smarkets", "uk", "exchange", 0.011, 1, 2, 0.4, 0.85),
    Book("betfair_ex_eu", "Betfair", "eu", "exchange", 0.009, 0, 1, 0.4, 0.95),
    Book("betfair_ex_au", "Betfair", "au", "exchange", 0.01, 0, 1, 0.4, 0.9),
    Book("novig", "Novig", "us_ex", "exchange", 0.013, 1, 2, 0.4, 0.8, active_from=_D(2024, 6, 1)),
    Book("prophetx", "ProphetX", "us_ex", "exchange", 0.013, 1, 2, 0.4, 0.8, active_from=_D(2024, 1, 1)),
)

BY_KEY: dict[str, Book] = {b.key: b for b in BOOKS}
REGIONS: tuple[str, ...] = ("us", "us2", "uk", "eu", "au", "us_ex")
BOOK_INDEX: dict[str, int] = {b.key: i for i, b in enumerate(BOOKS)}
