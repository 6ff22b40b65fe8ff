"""A minimal ingest node for process-level tests: real registry, audit log, store, pipeline,
served by uvicorn. ``python -m tests.ingest.node DATA_DIR PORT`` (the data dir must hold a
``root.key``; ``prepare`` makes one and registers a camera)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType, SimpleNamespace

import uvicorn

from trustlpr.audit import open_audit
from trustlpr.cameras import CameraRegistry
from trustlpr.ingest import IngestLimits, IngestPipeline, IngestService
from trustlpr.keys import create_root_key, load_root_key
from trustlpr.settings import Settings
from trustlpr.store.factory import open_read_store
from trustlpr.web.app import create_app


def prepare(data_dir: Path, camera_id: str = "cam1") -> str:
    """A fresh data dir with a root key and one camera; returns the camera's key."""
    data_dir.mkdir(parents=True, exist_ok=True)
    create_root_key(data_dir)
    with open_audit(data_dir, agency_id="nhpd") as audit:
        registry = CameraRegistry(data_dir, audit=audit)
        try:
            return registry.add("Bench", 41.3, -72.9, agency_id="nhpd", camera_id=camera_id)[1]
        finally:
            registry.close()


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(data_dir: Path, port: int) -> None:
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it; with the default handler
    # the process would die before the ``finally`` below drains the pipeline.
    signal.signal(signal.SIGTERM, _exit)
    audit = open_audit(data_dir, agency_id="nhpd")
    store = open_read_store(data_dir, load_root_key(data_dir))
    registry = CameraRegistry(data_dir, audit=audit)
    pipeline = IngestPipeline(store, audit=audit)
    limits = IngestLimits(rate_per_s=1e6, burst=1e6)
    system = SimpleNamespace(
        ingest_service=IngestService(registry, pipeline, limits=limits), settings=Settings()
    )
    try:
        uvicorn.run(create_app(system), host="127.0.0.1", port=port, log_level="warning")
    finally:
        pipeline.close()  # graceful shutdown drains the queue before the store closes
        registry.close()
        store.close()
        audit.close()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
