"""The simulated city (cameras, vehicles with routines, OCR noise) and the exposure analysis.

Drives ``make demo`` and the benchmarks, and measures what an ALPR network's retained reads
reveal about residents. Real camera positions are © OpenStreetMap contributors (ODbL).
"""

from .city import ReadBatch, Simulation
from .config import STATE, TOWN, CameraSite, CityConfig, OcrNoise
from .exposure import Method
from .output import NATIVE_FIELDS, ReadFormatter, iter_reads, write_jsonl
from .report import ExposureFigures, Retention, measure, network_exposure, plot
from .stream import ReadStreamer, load_keys

__all__ = [
    "NATIVE_FIELDS",
    "STATE",
    "TOWN",
    "CameraSite",
    "CityConfig",
    "ExposureFigures",
    "Method",
    "OcrNoise",
    "ReadBatch",
    "ReadFormatter",
    "ReadStreamer",
    "Retention",
    "Simulation",
    "iter_reads",
    "load_keys",
    "measure",
    "network_exposure",
    "plot",
    "write_jsonl",
]
