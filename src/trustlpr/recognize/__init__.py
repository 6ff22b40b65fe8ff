"""Plate recognition: images, video files and camera streams → plate reads.

Stages behind small interfaces (detector, OCR, candidates), model files from configuration,
each checked against its pinned SHA-256. Imports only ``trustlpr.core`` (and the packaged
``assets``) of the project.
"""

from .images import decode_image, encode_jpeg, load_image
from .models import ModelFiles, models_dir
from .pipeline import Recognizer, Tuning
from .types import Box, Candidate, FrameResult, PlateRead

__all__ = [
    "Box",
    "Candidate",
    "FrameResult",
    "ModelFiles",
    "PlateRead",
    "Recognizer",
    "Tuning",
    "decode_image",
    "encode_jpeg",
    "load_image",
    "models_dir",
]
