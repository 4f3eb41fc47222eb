"""The one list of providers. Adding a source is a new package under `providers/` plus one line here."""

from __future__ import annotations

from linelogic_assets.providers import balldontlie, oddsapi, polymarket
from linelogic_assets.providers.base import Provider

PROVIDERS: tuple[Provider, ...] = (
    oddsapi.PROVIDER,
    balldontlie.PROVIDER,
    polymarket.PROVIDER,
)
PROVIDERS_BY_NAME: dict[str, Provider] = {p.name: p for p in PROVIDERS}
SECRET_ENV: tuple[str, ...] = tuple(v for p in PROVIDERS for v in p.secret_env)


def schedule_rank(provider: str) -> int:
    """How far a provider's events count as the schedule truth (lower first); providers without a rank last."""
    rank = getattr(PROVIDERS_BY_NAME.get(provider), "schedule_rank", None)
    return len(PROVIDERS) if rank is None else rank
