"""Camera ingest: adapters for real systems, the checking service, the batching pipeline."""

from .adapters import ADAPTERS, register_adapter
from .mqtt import FrigateSubscriber
from .parsing import Adapter, FormPayload, Parsed
from .pipeline import HitHook, IngestPipeline, IngestResult, NonHitBuffer
from .service import IngestLimits, IngestService, Submission

__all__ = [
    "ADAPTERS",
    "Adapter",
    "FormPayload",
    "FrigateSubscriber",
    "HitHook",
    "IngestLimits",
    "IngestPipeline",
    "IngestResult",
    "IngestService",
    "NonHitBuffer",
    "Parsed",
    "Submission",
    "register_adapter",
]
