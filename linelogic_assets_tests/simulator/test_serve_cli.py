"""`linelogic simulator serve` is one real HTTP server for both providers on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_both_providers_and_the_real_401() -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "linelogic_assets.cli", "simulator", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "LineLogic simulator on" in proc.stdout.readline()  # printed once the socket listens
        base = f"http://127.0.0.1:{port}"
        ok = httpx.get(f"{base}/v4/sports", params={"apiKey": "demo"}, timeout=10)
        assert ok.status_code == 200 and {s["key"] for s in ok.json()} >= {"basketball_nba", "americanfootball_nfl"}
        assert ok.headers["x-requests-last"] == "0"
        bad = httpx.get(f"{base}/v4/sports", params={"apiKey": "nope"}, timeout=10)
        assert bad.status_code == 401 and bad.json()["error_code"] == "INVALID_KEY"
        teams = httpx.get(f"{base}/v1/teams", headers={"Authorization": "demo"}, timeout=10)
        assert teams.status_code == 200 and len(teams.json()["data"]) == 30
        assert httpx.get(f"{base}/v1/teams", timeout=10).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_stops_on_sigterm_even_when_started_with_it_ignored() -> None:
    """A parent may hand SIGTERM down ignored (a background job's SIGINT is, and Dagster copies SIGINT's
    handler onto SIGTERM after an in-process run): the server still stops when a supervisor asks."""
    import signal

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "linelogic_assets.cli", "simulator", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
    try:
        assert "LineLogic simulator on" in proc.stdout.readline()
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
