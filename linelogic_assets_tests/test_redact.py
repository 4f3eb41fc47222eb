import json
import logging
import uuid
from urllib.parse import parse_qsl, urlsplit

import dagster as dg
import pytest

from linelogic_assets.cli import main
from linelogic_assets.definitions import defs
from linelogic_assets.deploy import DeploymentError
from linelogic_assets.providers.balldontlie.resource import BallDontLieResource
from linelogic_assets.providers.errors import AuthError
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.redact import MASK, RedactingFilter, redact_url, register_secret, scrub
from linelogic_assets.resources import LakeResource
from linelogic_assets_tests.bronze.test_assets import write_config
from linelogic_assets_tests.loopback import LoopbackServer


def test_redact_url_masks_the_key_and_keeps_the_rest() -> None:
    url = "https://api.the-odds-api.com/v4/sports/basketball_nba/odds?apiKey=abc123secret&markets=h2h,spreads"
    out = redact_url(url)
    assert "abc123secret" not in out
    assert f"apiKey={MASK}" in out and "markets=h2h,spreads" in out


def test_scrub_removes_registered_secrets_anywhere() -> None:
    register_secret("f00dfeedcafe1234")
    assert "f00dfeedcafe1234" not in scrub("error for key f00dfeedcafe1234 in body")


def test_log_filter_scrubs_httpx_style_messages() -> None:
    record = logging.LogRecord("httpx", logging.INFO, "", 0, 'HTTP Request: GET %s "%s"',
                               ("https://x/v4/sports?apiKey=zzzsecretzzz", "HTTP/1.1 200 OK"), None)
    RedactingFilter().filter(record)
    assert "zzzsecretzzz" not in record.getMessage()


# -- redaction on every path: a provider that echoes the caller's key in its error bodies ------------------
class EchoingProvider:
    """Both providers on 127.0.0.1, answering every call with `status` and a JSON body that repeats the key
    the caller sent (The Odds API's `apiKey` query parameter, BALLDONTLIE's Authorization header) as bare
    text, which no URL pattern catches: only the registered secret does."""

    def __init__(self, status: int) -> None:
        self.status, self.calls = status, 0
        self.server = LoopbackServer(self._respond)
        self.url = self.server.url

    def _respond(self, method: str, path: str, headers, body: bytes) -> tuple[int, bytes]:
        self.calls += 1
        key = dict(parse_qsl(urlsplit(path).query)).get("apiKey") or headers.get("Authorization") or ""
        text = f"the key {key} is not valid" if self.status == 401 else f"internal error while serving {key}"
        return self.status, json.dumps({"message": text, "error": text,
                                        "error_code": "INVALID_KEY" if self.status == 401 else None}).encode()

    def close(self) -> None:
        self.server.close()


@pytest.fixture(params=[401, 500])
def echoing(request, lake_root, monkeypatch, tmp_path):
    """A live-mode config against the echoing provider, with fresh keys only in the environment."""
    provider = EchoingProvider(request.param)
    keys = {"ODDS_API_KEY": f"odds{uuid.uuid4().hex}", "BALLDONTLIE_API_KEY": f"bdl{uuid.uuid4().hex}"}
    for name, key in keys.items():
        monkeypatch.setenv(name, key)
    retry = {"max_attempts": 2, "backoff_base_seconds": 0, "backoff_max_seconds": 0, "timeout_seconds": 5,
             "circuit_breaker_failures": 5, "circuit_breaker_reset_seconds": 60}
    config = write_config(tmp_path, mode="live", oddsapi__base_url=provider.url, balldontlie__base_url=provider.url,
                          oddsapi__retry=retry, balldontlie__retry=retry)
    yield config, set(keys.values()), provider
    provider.close()


def _assert_no_key(keys: set[str], *texts: str) -> None:
    for text in texts:
        for key in keys:
            assert key not in text, f"a key leaked: {text!r}"


def test_plan_backfill_never_prints_a_key_the_provider_echoes(echoing, capfd, caplog) -> None:
    config, keys, provider = echoing
    caplog.set_level(logging.DEBUG)
    code = main(["--config", config, "plan", "backfill", "--sport", "nba", "--start", "2025-11-10",
                 "--end", "2025-11-11"])
    out, err = capfd.readouterr()
    assert code == 2 and "cannot plan:" in err and provider.calls >= 1
    assert MASK in err  # the echoed key was there, and it is masked
    _assert_no_key(keys, out, err, caplog.text, *(r.getMessage() for r in caplog.records))


def test_the_pregame_sensor_never_logs_a_key_the_provider_echoes(echoing, capfd, caplog) -> None:
    config, keys, provider = echoing
    caplog.set_level(logging.DEBUG)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    sensor = defs.get_sensor_def("pregame_snapshots_nba")
    resources = {"lake": LakeResource(config_path=config), "oddsapi": OddsApiResource(config_path=config)}
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
        ctx.log.addHandler(Keep())
        data = sensor.evaluate_tick(ctx)
    out, err = capfd.readouterr()
    warnings = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    assert provider.calls >= 1 and any("/events unavailable" in m for m in warnings)
    assert any(MASK in m for m in warnings)  # the echoed key was there, and it is masked
    _assert_no_key(keys, out, err, caplog.text, data.skip_message or "", data.cursor or "",
                   *(r.getMessage() for r in records), *(r.getMessage() for r in caplog.records))


def test_a_typed_provider_error_scrubs_its_own_text_at_construction() -> None:
    key = f"k{uuid.uuid4().hex}"
    register_secret(key)
    err = AuthError(f"the key {key} is not valid", provider="oddsapi", endpoint="odds", code=f"BAD_{key}")
    _assert_no_key({key}, str(err), repr(err), err.message, *map(str, err.args))
    assert MASK in err.message


def test_a_key_only_in_the_environment_is_scrubbed_where_no_client_was_built(monkeypatch) -> None:
    """The CLI printing a service's log tail never built a client, so nothing registered the key there."""
    key = f"env{uuid.uuid4().hex}"
    monkeypatch.setenv("ODDS_API_KEY", key)
    _assert_no_key({key}, scrub(f"daemon log: the key {key} is not valid"),
                   str(DeploymentError(f"daemon exited with 1:\n... the key {key} is not valid")))


def test_the_simulators_published_demo_key_is_not_masked_in_paths(lake_root, tmp_path, monkeypatch) -> None:
    """In demo mode the key is the simulator's published `demo`: masking it would turn `data/demo` into `data/***`."""
    import linelogic_assets.redact as redact

    monkeypatch.setattr(redact, "_secrets", set())  # what earlier tests registered in this process is not ours
    config = write_config(tmp_path)
    OddsApiResource(config_path=config).client().close()
    BallDontLieResource(config_path=config).client().close()
    assert scrub(f"wrote {lake_root}/bronze") == f"wrote {lake_root}/bronze"


def test_every_line_the_cli_prints_is_scrubbed(lake_root, tmp_path, monkeypatch, capsys) -> None:
    """Not only the known error paths: any text a command prints (here a query that selects the key) is masked."""
    key = f"odds{uuid.uuid4().hex}"
    monkeypatch.setenv("ODDS_API_KEY", key)
    code = main(["--config", write_config(tmp_path), "sql", f"SELECT '{key}' AS leaked", "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 0 and MASK in out
    _assert_no_key({key}, out, err)


def test_an_unexpected_error_in_a_command_is_one_redacted_line(lake_root, tmp_path, monkeypatch, capsys) -> None:
    key = f"odds{uuid.uuid4().hex}"
    monkeypatch.setenv("ODDS_API_KEY", key)
    monkeypatch.delenv("LINELOGIC_DEBUG", raising=False)

    def boom(args):
        raise RuntimeError(f"provider said: bad key {key}\nsecond line")

    monkeypatch.setattr("linelogic_assets.cli._cmd_quota", boom)
    parser_main = main(["--config", write_config(tmp_path), "quota"])
    out, err = capsys.readouterr()
    assert parser_main == 1 and err.count("\n") == 1 and "unexpected RuntimeError" in err and "Traceback" not in err
    _assert_no_key({key}, out, err)
