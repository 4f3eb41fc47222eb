"""The Odds API resource: its client on the live API with ODDS_API_KEY, or on the simulator in demo mode."""

from __future__ import annotations

from pathlib import Path

from linelogic_assets.config import IngestConfig
from linelogic_assets.providers.oddsapi.client import OddsApiClient
from linelogic_assets.providers.oddsapi.quota import QuotaLedger
from linelogic_assets.resources import ProviderResource


class OddsApiResource(ProviderResource):
    def client(self, ledger: QuotaLedger | None = None) -> OddsApiClient:
        cfg = self.config
        base, key, transport = self._endpoint(cfg.oddsapi.base_url, "ODDS_API_KEY", cfg.simulator.oddsapi_keys[0])
        return OddsApiClient(
            base, key, rate_limit=cfg.oddsapi.rate_limit, retry=cfg.oddsapi.retry, ledger=ledger, transport=transport,
            key_is_secret=cfg.mode == "live",
        )


def ledger(root: Path, cfg: IngestConfig) -> QuotaLedger:
    """The lake's credit ledger, held to the config's monthly budget."""
    return QuotaLedger(root, monthly_budget=cfg.monthly_quota_budget)
