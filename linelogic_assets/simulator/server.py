"""A real HTTP server for the simulator (stdlib ThreadingHTTPServer), plus the CLI entry point."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .settings import SimulatorSettings

if TYPE_CHECKING:
    from .core import Simulator


def _handler_for(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            path, _, query = self.path.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            resp = sim.respond("GET", path, query, headers)
            if resp.timeout:  # stall, then drop the connection without an answer
                time.sleep(sim.settings.faults.timeout_delay_seconds)
                self.close_connection = True
                return
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            self.wfile.write(resp.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass  # quiet: the platform logs its own requests

    return Handler


class SimulatorServer:
    """Serves both providers on one loopback port from a daemon thread; a context manager."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(sim))
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="simulator-http", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_forever(settings: SimulatorSettings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Block serving the simulator until Ctrl-C."""
    from .core import Simulator

    server = Simulator(settings).serve(host, port)
    print(
        f"LineLogic simulator on {server.url} (Odds API: /v4/..., BALLDONTLIE: /v1, /nba/v1, /nfl/v1, /mlb/v1)"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def load_settings(config: str | None) -> SimulatorSettings:
    """Settings from the `simulator:` section of a YAML config (or defaults)."""
    if not config:
        return SimulatorSettings()
    raw = yaml.safe_load(Path(config).read_text()) or {}
    return SimulatorSettings.model_validate(raw.get("simulator", raw))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="linelogic simulator serve", description="Serve the provider simulator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--config", help="YAML file with a `simulator:` section")
    ap.add_argument("--seed", type=int, help="override the world seed")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    if args.seed is not None:
        settings = settings.model_copy(update={"seed": args.seed})
    serve_forever(settings, args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
