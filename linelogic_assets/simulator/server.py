"""A real HTTP server for the simulator (stdlib ThreadingHTTPServer), plus the CLI entry point."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

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


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_forever(settings: SimulatorSettings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Block serving the simulator until Ctrl-C or SIGTERM, then close the socket.

    SIGTERM gets a handler of its own: a disposition inherited from the parent (ignored, as a background
    job's SIGINT is, and Dagster copies SIGINT's handler onto SIGTERM after every in-process run) must not
    leave a server that a supervisor cannot stop."""
    import signal

    from linelogic_assets.providers.registry import PROVIDERS

    from .core import Simulator

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server = Simulator(settings).serve(host, port)
    try:
        routes = ", ".join(f"{p.title}: {p.routes}" for p in PROVIDERS if p.routes)
        print(f"LineLogic simulator on {server.url} ({routes})", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
