"""Provider clients against the simulator on loopback: faults, typed errors, quota, rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linelogic_assets.providers import errors as e
from linelogic_assets.providers.balldontlie.client import BallDontLieClient
from linelogic_assets.providers.http import CircuitBreaker, TokenBucket
from linelogic_assets.providers.oddsapi.client import OddsApiClient
from linelogic_assets.providers.oddsapi.quota import QuotaLedger
from linelogic_assets.providers.settings import RateLimit, RetryPolicy
from linelogic_assets.simulator import Simulator
from linelogic_assets.simulator.settings import FaultSettings, SimulatorSettings
from linelogic_assets_tests.simulator.test_serve_cli import _free_port

KEY = "s3cretKEYforTests0123456789abcdef"
NOW = datetime(2025, 11, 18, 12, 0, tzinfo=UTC)
FAST = RateLimit(requests_per_second=1000, burst=100)


class FakeTime:
    """A monotonic clock and sleep that never touch the wall clock."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def _settings(**faults) -> SimulatorSettings:
    base = SimulatorSettings(oddsapi_keys=[KEY], balldontlie_keys=[KEY])
    return base.model_copy(update={"faults": FaultSettings(**faults), "clock": base.clock.model_copy(update={"start": NOW})})


@pytest.fixture
def served() -> Iterator:
    servers = []

    def start(settings: SimulatorSettings):
        sim = Simulator(settings)
        server = sim.serve()
        servers.append(server)
        return sim, server

    yield start
    for s in servers:
        s.close()


def _odds(url: str, fake: FakeTime, *, key: str = KEY, ledger: QuotaLedger | None = None, **retry) -> OddsApiClient:
    policy = RetryPolicy(**{"max_attempts": 4, "timeout_seconds": 5, "circuit_breaker_failures": 10, **retry})
    return OddsApiClient(url, key, rate_limit=FAST, retry=policy, ledger=ledger, sleep=fake.sleep, monotonic=fake.monotonic)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        ({"rate_429": 1.0}, e.RateLimitedError),
        ({"rate_5xx": 1.0}, e.ServerError),
        ({"rate_truncated": 1.0}, e.MalformedResponseError),
    ],
)
def test_transient_faults_are_retried_with_backoff_then_typed(served, faults, error) -> None:
    _, server = served(_settings(**faults))
    fake = FakeTime()
    client = _odds(server.url, fake)
    with pytest.raises(error) as err:
        client.odds("basketball_nba", markets=["h2h"], regions=["us"])
    assert len(fake.sleeps) == 3, "4 attempts, 3 backoffs"
    assert KEY not in str(err.value) and KEY not in repr(err.value.__dict__)
    if error is e.RateLimitedError:
        assert all(s >= 1 for s in fake.sleeps), "Retry-After is honoured"
    if error is e.MalformedResponseError:
        assert err.value.content, "the raw truncated body travels with the error"


def test_a_transient_fault_that_clears_succeeds(served) -> None:
    _, server = served(_settings(rate_5xx=0.5, seed=3))
    fake = FakeTime()
    client = _odds(server.url, fake, max_attempts=10)
    for _ in range(5):
        r = client.odds("basketball_nba", markets=["h2h"], regions=["us"])
        assert r.status == 200
    assert fake.sleeps, "some attempts failed and were retried"


def test_timeouts_are_retried_and_typed(served) -> None:
    _, server = served(_settings(rate_timeout=1.0, timeout_delay_seconds=1.0))
    fake = FakeTime()
    client = _odds(server.url, fake, max_attempts=2, timeout_seconds=0.2)
    with pytest.raises(e.ProviderTimeoutError):
        client.events("basketball_nba")
    assert len(fake.sleeps) == 1


@pytest.mark.parametrize(
    ("call", "error", "code"),
    [
        (lambda c: c.odds("basketball_nba", markets=["player_points"], regions=["us"]), e.RequestRejectedError, "INVALID_MARKET"),
        (lambda c: c.odds("basketball_nba", markets=["h2h"], regions=["mars"]), e.RequestRejectedError, "INVALID_REGION"),
        (lambda c: c.odds("curling_world", markets=["h2h"], regions=["us"]), e.NotFoundError, "UNKNOWN_SPORT"),
    ],
)
def test_terminal_errors_are_never_retried(served, call, error, code) -> None:
    _, server = served(_settings())
    fake = FakeTime()
    with pytest.raises(error) as err:
        call(_odds(server.url, fake))
    assert err.value.code == code
    assert fake.sleeps == []


def test_bad_key_is_a_401_auth_error_and_never_retried(served) -> None:
    _, server = served(_settings())
    fake = FakeTime()
    with pytest.raises(e.AuthError) as err:
        _odds(server.url, fake, key="wrong-key-0000").sports()
    assert err.value.status == 401 and err.value.code == "INVALID_KEY"
    assert fake.sleeps == []
    bdl = BallDontLieClient(server.url, "wrong-key-0000", rate_limit=FAST, retry=RetryPolicy(max_attempts=3),
                            sleep=fake.sleep, monotonic=fake.monotonic)
    with pytest.raises(e.AuthError):
        bdl.teams("basketball_nba")
    assert fake.sleeps == []


def test_provider_quota_exhaustion_is_terminal_and_the_guard_sees_it_coming(served, tmp_path: Path) -> None:
    settings = _settings().model_copy(update={"oddsapi_monthly_quota": 40})
    _, server = served(settings)
    fake = FakeTime()
    big = {"markets": ["h2h", "spreads", "totals"], "regions": ["us", "eu"]}  # 10 × 3 × 2 = 60 credits
    bare = _odds(server.url, fake)  # no ledger: the provider itself refuses
    bare.odds("basketball_nba", markets=["h2h", "spreads", "totals"], regions=["us"])  # 3 credits
    with pytest.raises(e.QuotaExhaustedError) as err:
        bare.historical_odds("basketball_nba", NOW.replace(hour=0), **big)
    assert err.value.status == 401 and err.value.code == "OUT_OF_USAGE_CREDITS" and fake.sleeps == []
    # with a ledger, the remaining credits reported by the headers stop the call before it is sent
    ledger = QuotaLedger(tmp_path, monthly_budget=10_000)
    guarded = _odds(server.url, fake, ledger=ledger)
    guarded.odds("basketball_nba", markets=["h2h"], regions=["us"])
    assert ledger.read().last_remaining == 36
    with pytest.raises(e.BudgetExceededError, match="reports 36 left"):
        guarded.historical_odds("basketball_nba", NOW.replace(hour=0), **big)


def test_budget_guard_refuses_before_sending(served, tmp_path: Path) -> None:
    sim, server = served(_settings())
    fake = FakeTime()
    ledger = QuotaLedger(tmp_path, monthly_budget=50)
    client = _odds(server.url, fake, ledger=ledger)
    client.historical_odds("basketball_nba", NOW.replace(hour=0), markets=["h2h", "spreads"], regions=["us"])  # 20
    client.historical_odds("basketball_nba", NOW.replace(hour=1), markets=["h2h", "spreads"], regions=["us"])  # 40
    served_before = sim.requests_served
    with pytest.raises(e.BudgetExceededError, match="40 of the monthly budget 50"):
        client.historical_odds("basketball_nba", NOW.replace(hour=2), markets=["h2h", "spreads"], regions=["us"])
    assert sim.requests_served == served_before, "a refused call is never sent"
    assert ledger.summary()["spent_this_month"] == 40
    lines = (tmp_path / "quota" / "oddsapi" / "ledger.jsonl").read_text()
    assert KEY not in lines and "apiKey=***" in lines


def test_circuit_breaker_opens_after_consecutive_failures(served) -> None:
    sim, server = served(_settings(rate_5xx=1.0))
    fake = FakeTime()
    client = _odds(server.url, fake, max_attempts=3, circuit_breaker_failures=3, circuit_breaker_reset_seconds=60)
    with pytest.raises(e.ServerError):
        client.events("basketball_nba")
    sent = sim.requests_served
    with pytest.raises(e.CircuitOpenError):
        client.events("basketball_nba")
    assert sim.requests_served == sent, "an open circuit fails fast without a request"
    fake.t += 61  # after the reset time one trial goes through; failing, it re-opens the breaker
    with pytest.raises(e.ServerError):  # the trial was sent and failed: its own error, not "not attempted"
        client.events("basketball_nba")
    assert sim.requests_served == sent + 1
    with pytest.raises(e.CircuitOpenError, match="502|50[03]"):
        client.events("basketball_nba")
    assert sim.requests_served == sent + 1


def test_the_call_that_trips_the_breaker_fails_with_its_own_error_and_only_later_calls_are_not_attempted(
    served,
) -> None:
    sim, server = served(_settings(rate_5xx=1.0))
    fake = FakeTime()
    client = _odds(server.url, fake, max_attempts=4, circuit_breaker_failures=2)
    with pytest.raises(e.ServerError) as err:  # sent twice, then the breaker stops its retries
        client.events("basketball_nba")
    assert not isinstance(err.value, e.CircuitOpenError) and sim.requests_served == 2
    with pytest.raises(e.CircuitOpenError) as skipped:
        client.events("basketball_nba")
    assert skipped.value.attempted is False and sim.requests_served == 2


def test_connection_refused_is_a_typed_unreachable_error_retried_then_raised() -> None:
    fake = FakeTime()
    with pytest.raises(e.UnreachableError) as err:  # a loopback port nothing listens on
        _odds(f"http://127.0.0.1:{_free_port()}", fake, max_attempts=3).events("basketball_nba")
    assert isinstance(err.value, e.ServerError) and err.value.retryable
    assert len(fake.sleeps) == 2 and KEY not in str(err.value) and "127.0.0.1" in str(err.value.url)


def test_a_retry_after_of_zero_is_honoured_not_replaced_by_a_default_wait(served) -> None:
    _, server = served(_settings(rate_429=1.0, retry_after_seconds=0))
    fake = FakeTime()
    with pytest.raises(e.RateLimitedError):
        _odds(server.url, fake, max_attempts=3, backoff_base_seconds=0).odds("basketball_nba", markets=["h2h"],
                                                                            regions=["us"])
    assert fake.sleeps == [0.0, 0.0]


def test_errors_that_end_a_run_are_marked() -> None:
    kw = {"provider": "oddsapi"}
    assert e.AuthError("bad key", **kw).ends_run and e.QuotaExhaustedError("spent", **kw).ends_run
    assert e.BudgetExceededError("over", **kw).ends_run
    assert not e.ServerError("502", **kw).ends_run and not e.CircuitOpenError("open", **kw).ends_run


def test_token_bucket_and_breaker_units() -> None:
    fake = FakeTime()
    bucket = TokenBucket(2.0, burst=2, monotonic=fake.monotonic, sleep=fake.sleep)
    for _ in range(6):
        bucket.acquire()
    assert sum(fake.sleeps) == pytest.approx(2.0), "6 calls at 2/s with a burst of 2 wait 2 s in total"
    breaker = CircuitBreaker(2, 10, monotonic=fake.monotonic)
    breaker.record_failure()
    assert not breaker.is_open
    breaker.record_failure()
    assert breaker.is_open


def test_balldontlie_pagination_and_bracketed_params(served) -> None:
    sim, server = served(_settings())
    fake = FakeTime()
    client = BallDontLieClient(server.url, KEY, rate_limit=FAST, retry=RetryPolicy(), sleep=fake.sleep,
                               monotonic=fake.monotonic)
    pages = list(client.paginate("players", "/v1/players", [("team_ids[]", "2"), ("team_ids[]", "14")], per_page=10))
    rows = [r for p in pages for r in p.json()["data"]]
    assert len(pages) > 1 and len(rows) == len({r["id"] for r in rows})
    assert {r["team"]["id"] for r in rows} == {2, 14}
    games = [g for p in client.games("basketball_nba", dates=["2025-11-12"]) for g in p.json()["data"]]
    assert len(games) == len(sim.games("nba", datetime(2025, 11, 12).date()))
