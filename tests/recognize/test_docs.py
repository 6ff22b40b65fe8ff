"""docs/recognition.md stays honest: both commands and every option are in it; the package's
public surface does not grow by accident."""

from __future__ import annotations

from pathlib import Path

import typer.main

import trustlpr.recognize as recognize
from trustlpr.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "recognition.md").read_text(encoding="utf-8")


def _command(*path: str) -> object:
    command: object = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


def test_every_option_of_both_commands_is_documented() -> None:
    sections = [
        (("recognize",), "## `trustlpr recognize PATH...`"),
        (("camera", "watch"), "## The camera agent: `trustlpr camera watch`"),
    ]
    for path, heading in sections:
        assert heading in DOC
        section = DOC[DOC.index(heading) :].split("\n## ", 1)[0]
        command = _command(*path)
        assert command.help  # type: ignore[attr-defined]
        for param in command.params:  # type: ignore[attr-defined]
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in section, f"{' '.join(path)}: {opt} not documented"


def test_the_output_fields_and_settings_are_documented() -> None:
    assert "SHA256SUMS" in DOC
    for word in ("file", "plate", "confidence", "box", "candidates", "region", "frame",
                 "TRUSTLPR_MODELS_DIR", "TRUSTLPR_CAMERA_KEY", "plate_crop_jpeg",
                 "uuid"):  # fmt: skip
        assert f"`{word}" in DOC or f'"{word}"' in DOC, word


def test_every_module_is_documented() -> None:
    for module in (ROOT / "src" / "trustlpr" / "recognize").glob("*.py"):
        if module.name != "__init__.py" and module.stem != "types":
            assert module.name in DOC, module.name


def test_public_surface() -> None:
    assert sorted(recognize.__all__) == [
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
    for name in recognize.__all__:
        assert getattr(recognize, name) is not None
