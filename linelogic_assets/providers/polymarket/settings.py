"""Settings of the Polymarket provider (Gamma metadata API + CLOB price API); public, no key."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from linelogic_assets.providers.settings import RetryPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolymarketLimits(_Strict):
    """Requests per `window_seconds` (10 s) per scope, as Polymarket publishes them.

    Over a limit Polymarket throttles (delays) rather than rejects; the client keeps under them with one
    token bucket per scope plus the API's general bucket. Endpoints without a scope of their own
    (e.g. `/sports`) only take the general bucket.
    """

    window_seconds: float = Field(10.0, gt=0)
    # bucket burst as seconds of the scope's rate: a full 10 s window at once would double the rate at edges
    burst_seconds: float = Field(1.0, gt=0)
    gamma_general: int = Field(4000, ge=1)
    gamma_events: int = Field(500, ge=1)
    gamma_markets: int = Field(300, ge=1)
    gamma_tags: int = Field(200, ge=1)
    clob_general: int = Field(9000, ge=1)
    clob_book: int = Field(1500, ge=1)
    clob_price: int = Field(1500, ge=1)
    clob_midpoint: int = Field(1500, ge=1)
    clob_prices_history: int = Field(1000, ge=1)

    def per_second(self, limit: int) -> float:
        return limit / self.window_seconds

    def burst(self, limit: int) -> int:
        return max(1, int(self.per_second(limit) * self.burst_seconds))


class PolymarketSettings(_Strict):
    gamma_base_url: str = "https://gamma-api.polymarket.com"
    clob_base_url: str = "https://clob.polymarket.com"
    limits: PolymarketLimits = PolymarketLimits()
    retry: RetryPolicy = RetryPolicy()
    # taker fee: shares * fee_rate * p * (1 - p); makers pay none
    fee_rate: float = Field(0.03, ge=0.0, lt=1.0)
    game_tag_id: int = 100639  # Gamma tag of single-game markets (vs futures)
    # Gamma series id per sport key, as /sports reports them (ids may change: keep them config)
    series_ids: dict[str, str] = {
        "basketball_nba": "10345",
        "americanfootball_nfl": "10187",
        "baseball_mlb": "3",
        "icehockey_nhl": "10346",
    }
    history_fidelity_minutes: int = Field(5, ge=1)
    # /prices-history keeps fine points this many days after a market closes, coarse (>= 12 h) ones to
    # about `partial_retention_days`, then nothing: collect within days of each game
    retention_days: int = Field(25, ge=1)
    partial_retention_days: int = Field(31, ge=1)


class PolymarketConfig(_Strict):
    """Polymarket's section of config/ingest.yaml (optional: the defaults are the public APIs)."""

    polymarket: PolymarketSettings = PolymarketSettings()
