"""Fixtures of the recognition tests: one recognizer per session, labelled shared photos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from trustlpr.recognize import Box, ModelFiles, Recognizer


@dataclass(frozen=True)
class Labelled:
    """One labelled photo of the shared data: its path, plate and box."""

    path: Path
    plate: str
    box: Box


def labelled(folder: Path) -> list[Labelled]:
    out = []
    for label in sorted(folder.glob("*.txt")):
        name, x, y, w, h, plate = label.read_text().split("\t")
        box = Box(float(x), float(y), float(x) + float(w), float(y) + float(h), 1.0)
        out.append(Labelled(folder / name, plate.strip(), box))
    return out


@pytest.fixture(scope="session")
def models(shared_dir: Path) -> Path:
    return shared_dir / "models"


@pytest.fixture(scope="session")
def recognizer(models: Path) -> Recognizer:
    return Recognizer(ModelFiles(models))


@pytest.fixture(scope="session")
def us_photos(shared_dir: Path) -> list[Labelled]:
    return labelled(shared_dir / "data" / "plates" / "us_photos")
