"""Bronze assets: every provider's raw responses per sport × slate date, appended run by run."""

from linelogic_assets.providers.registry import PROVIDERS

bronze_assets = [asset for provider in PROVIDERS for asset in provider.bronze_assets()]
