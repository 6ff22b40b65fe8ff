"""``plate.html``: the answer to "was my plate searched?", to hand to the person who asked.

Plates are always masked here, whatever was asked on the command line: the page is made to be
passed on, and a partial or similar plate belongs to someone else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from jinja2 import Environment

from ... import __version__
from ...core.plates import mask_plate
from ..plate import PlateAnswer
from ..reading.importer import ImportResult


def write_plate_html(path: Path, answer: PlateAnswer, result: ImportResult) -> None:
    info = answer.to_json(show_plates=False)
    matches = [m.to_json(show_plates=False) for m in answer.matches]
    for m in matches:  # similar plates are masked by to_json; exact and partial ones here
        m["plate"] = mask_plate(str(m["plate"] or ""))
    template = resources.files(__package__).joinpath("plate_template.html").read_text("utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    html = env.from_string(template).render(
        plate=mask_plate(answer.plate),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        files=result.files,
        searches=answer.searches,
        matches=matches,
        by_kind=info["by_kind"],
        masked=answer.masked_plate_searches,
    )
    path.write_text(html, encoding="utf-8")
