"""The package's public face stays small, and docs/sim.md documents every option."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

import trustlpr.sim
from trustlpr.cli import app

DOC = Path(__file__).parents[2] / "docs" / "sim.md"


def test_exported_members() -> None:
    assert sorted(trustlpr.sim.__all__) == sorted([
        "NATIVE_FIELDS", "STATE", "TOWN", "CameraSite", "CityConfig", "ExposureFigures",
        "Method", "OcrNoise", "ReadBatch", "ReadFormatter", "ReadStreamer", "Retention",
        "Simulation", "iter_reads", "load_keys", "measure", "network_exposure", "plot",
        "write_jsonl",
    ])  # fmt: skip
    for name in trustlpr.sim.__all__:
        assert hasattr(trustlpr.sim, name)


def test_every_command_and_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in ("sim", "exposure"):
        assert re.search(rf"trustlpr {name}\b", text), name
        for param in commands[name].params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in text, f"{name} {option} is not in docs/sim.md"


def test_every_native_field_and_place_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in trustlpr.sim.NATIVE_FIELDS:
        assert f"`{name}`" in text, name
    from trustlpr.sim.places import PlaceKind

    for kind in PlaceKind:
        assert f"`{kind.value}`" in text, kind
