"""A tiny stand-in for the ingest endpoint, served by real uvicorn on a free loopback port.

It checks what the real one will: a bearer key that belongs to a camera, reads of that camera
only, each read valid per ``core.read_from_mapping``. It can be told to be busy (503 with
Retry-After) for the first requests, and to refuse bodies over a number of reads (413).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from trustlpr.core import InputError, read_from_mapping


class Receiver:
    def __init__(self, keys: dict[str, str], *, busy: int = 0, max_reads: int = 10_000,
                 retry_after: str = "0") -> None:  # fmt: skip
        self.camera_of = {key: camera for camera, key in keys.items()}
        self.busy = busy
        self.max_reads = max_reads
        self.retry_after = retry_after
        self.requests = 0
        self.accepted: list[dict[str, Any]] = []
        self.batches: list[tuple[str, int]] = []
        app = FastAPI()

        @app.post("/api/v1/reads")
        async def reads(request: Request) -> JSONResponse:
            self.requests += 1
            if self.requests <= self.busy:
                busy = {"error": "OverloadedError", "detail": "queue full"}
                return JSONResponse(busy, 503, headers={"Retry-After": self.retry_after})
            auth = request.headers.get("authorization", "")
            camera = self.camera_of.get(auth.removeprefix("Bearer "))
            if camera is None:
                return JSONResponse({"error": "AuthError", "detail": "unknown key"}, 401)
            body = await request.json()
            batch = body["reads"]
            if len(batch) > self.max_reads:
                return JSONResponse({"error": "TooLargeError", "detail": "too many"}, 413)
            for raw in batch:
                if raw["camera_id"] != camera:
                    return JSONResponse({"error": "ForbiddenError", "detail": "not yours"}, 403)
                try:
                    read_from_mapping(raw)
                except InputError as exc:
                    return JSONResponse({"error": "InputError", "detail": exc.message}, 422)
            self.accepted.extend(batch)
            self.batches.append((camera, len(batch)))
            return JSONResponse({"accepted": len(batch)})

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
