"""The Polymarket resource: Gamma and CLOB on the live APIs (public, no key), or on the simulator in demo mode."""

from __future__ import annotations

import os

from linelogic_assets.providers.polymarket.client import PolymarketClient
from linelogic_assets.resources import ProviderResource, simulator_for

SIM_PREFIX = {"gamma": "/polymarket/gamma", "clob": "/polymarket/clob"}  # the simulator's routes


class PolymarketResource(ProviderResource):
    def client(self) -> PolymarketClient:
        cfg = self.config
        settings = cfg.polymarket
        if cfg.mode == "live":
            return PolymarketClient(settings)
        url = self.simulator_url or os.environ.get("LINELOGIC_SIMULATOR_URL")
        if url:  # one simulator for many processes (`linelogic simulator serve`)
            return PolymarketClient(settings, gamma_base_url=url.rstrip("/") + SIM_PREFIX["gamma"],
                                    clob_base_url=url.rstrip("/") + SIM_PREFIX["clob"])
        transport = simulator_for(cfg).transport()
        return PolymarketClient(settings, gamma_transport=transport, clob_transport=transport,
                                gamma_base_url="http://simulator.local" + SIM_PREFIX["gamma"],
                                clob_base_url="http://simulator.local" + SIM_PREFIX["clob"])
