"""Settings every provider's client shares: its base URL, rate limit and retry policy (config/ingest.yaml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateLimit(Strict):
    requests_per_second: float = Field(gt=0)
    burst: int = Field(1, ge=1)


class RetryPolicy(Strict):
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_base_seconds: float = Field(0.5, ge=0)
    backoff_max_seconds: float = Field(30.0, ge=0)
    timeout_seconds: float = Field(30.0, gt=0)
    circuit_breaker_failures: int = Field(5, ge=1)
    circuit_breaker_reset_seconds: float = Field(60.0, ge=0)


class ProviderSettings(Strict):
    base_url: str
    rate_limit: RateLimit
    retry: RetryPolicy = RetryPolicy()


def secret(default: list[str]) -> list[str]:
    """A config field of key values: masked wherever the config is written out (run manifests)."""
    return Field(default, json_schema_extra={"secret": True})
