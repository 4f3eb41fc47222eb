import logging

from linelogic_assets.redact import MASK, RedactingFilter, redact_url, register_secret, scrub


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
