"""The BALLDONTLIE resource: its client on the live API with BALLDONTLIE_API_KEY, or on the simulator."""

from __future__ import annotations

from linelogic_assets.providers.balldontlie.client import BallDontLieClient
from linelogic_assets.resources import ProviderResource


class BallDontLieResource(ProviderResource):
    def client(self) -> BallDontLieClient:
        cfg = self.config
        base, key, transport = self._endpoint(
            cfg.balldontlie.base_url, "BALLDONTLIE_API_KEY", cfg.simulator.balldontlie_keys[0]
        )
        return BallDontLieClient(
            base, key, rate_limit=cfg.balldontlie.rate_limit, retry=cfg.balldontlie.retry, transport=transport,
            key_is_secret=cfg.mode == "live",
        )
