"""docs/ingest.md documents every option of the camera and mqtt commands, every answer status
of the ingest routes, and what the senders really send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from trustlpr.cli import app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")


def _options(*path: str) -> list[str]:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    found: list[str] = []
    if getattr(command, "commands", None):
        for sub in command.commands:
            found += _options(*path, sub)
        return found
    for param in command.params:
        if param.param_type_name == "option":
            found += [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
    return found


def test_every_camera_and_mqtt_option_is_documented() -> None:
    ignored = {"--help"}
    missing = [
        o for o in _options("camera") + _options("mqtt") if o not in ignored and o not in DOC
    ]
    assert not missing, missing


def test_the_answers_and_the_senders_real_formats_are_documented() -> None:
    for fact in (
        "| 207 |",  # partly accepted
        "getEpochTimeMs",  # alprd's epoch_time is milliseconds
        "`[plate, score]`",  # Frigate's code publishes the pair
        "`ignored`",  # empty results
        "mqtt.qos",  # Frigate's QoS must be 1
        "detection_mode = vehicle",
        "--timezone",
        "`ca` Canada",
    ):
        assert fact in DOC, fact
