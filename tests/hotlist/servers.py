"""Real local servers for delivery tests: a webhook receiver and uvicorn running the app."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records POSTs; the first ``fail_first`` get a 503.

    With ``hold``, requests that arrive before ``released`` is set are recorded and never
    answered (in flight when their sender dies); ``acknowledged`` lists the alert ids of the
    requests answered with a 2xx.
    """

    def __init__(self, fail_first: int = 0, status: int = 503, *, hold: bool = False) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.acknowledged: list[str] = []
        self.fail_first = fail_first
        self.status = status
        self.released = threading.Event()
        self.arrived = threading.Event()
        if not hold:
            self.released.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((dict(self.headers.items()), body))
                receiver.arrived.set()
                if not receiver.released.is_set():
                    receiver.released.wait(30)
                    return  # its sender died meanwhile: nothing to answer
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(receiver.status if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if not failing:
                    receiver.acknowledged.append(self.headers.get("X-TrustLPR-Alert-Id", ""))

            def log_message(self, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # a connection reset by a sender that was killed

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class AppServer:
    """uvicorn serving ``app`` on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
