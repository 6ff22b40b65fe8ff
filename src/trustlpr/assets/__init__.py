"""The files TrustLPR ships so that its main job runs from the project alone.

The folder mirrors the layout of the shared models/data directory: ``models/<origin>/`` holds
the default recognition models (open-image-models detector, fast-plate-ocr OCR, OpenALPR
plate formats and cascade), ``data/cameras/`` the OpenStreetMap camera positions the demo and
the simulation use. Each folder carries its licence and an origin note; ``SHA256SUMS`` pins
every file (``sha256sum -c SHA256SUMS`` checks them by hand; ``THIRD_PARTY.md`` lists them).

Configuration overrides these copies (``TRUSTLPR_MODELS_DIR``, ``TRUSTLPR_SHARED_DIR``), but a
model file is always checked against its pin here, wherever it was found: the recognition
stages are tuned to these exact models.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from ..core.errors import ConfigError
from ..core.plateformats import PlateFormats

ROOT = Path(__file__).resolve().parent
MODELS_DIR = ROOT / "models"
CAMERAS_DIR = ROOT / "data" / "cameras"
SUMS_FILE = "SHA256SUMS"

__all__ = [
    "CAMERAS_DIR",
    "MODELS_DIR",
    "ROOT",
    "SUMS_FILE",
    "pinned",
    "plate_formats",
    "sha256_of",
    "verify",
]


@cache
def pinned() -> dict[str, str]:
    """Every packaged file (path relative to ``ROOT``) and its pinned SHA-256."""
    sums: dict[str, str] = {}
    for number, line in enumerate((ROOT / SUMS_FILE).read_text("utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ConfigError(f"{ROOT / SUMS_FILE} line {number}: not '<sha256>  <path>'")
        sums[name] = digest
    return sums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, pinned_as: str) -> Path:
    """``path`` if its SHA-256 is the one pinned for ``pinned_as`` (e.g.
    ``models/fast-plate-ocr/cct_xs_v2_global.onnx``); else a ``ConfigError`` naming it."""
    expected = pinned().get(pinned_as)
    if expected is None:
        raise ConfigError(f"no SHA-256 is pinned for {pinned_as}")
    if not path.is_file():
        raise ConfigError(f"model file {path} is missing (expected {pinned_as})")
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise ConfigError(f"model file {path} cannot be read: {exc.strerror}") from exc
    if actual != expected:
        raise ConfigError(
            f"model file {path} has SHA-256 {actual[:16]}…, not the pinned {expected[:16]}… "
            f"of {pinned_as}: it was altered or is another version"
        )
    return path


@cache
def plate_formats() -> PlateFormats:
    """The shipped US state plate formats (OpenALPR ``us.patterns``), parsed once."""
    path = MODELS_DIR / "openalpr" / "us.patterns"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"plate formats {path} cannot be read: {exc}") from exc
    return PlateFormats.parse(text, str(path))
