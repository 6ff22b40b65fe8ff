"""The fenced ``sh`` and ``python`` blocks of README.md and docs/*.md, with their markers.

A block is opened by a line of three backticks and an info string (``sh``, ``python``), also
when indented in a list item, and closed by three backticks at the same indent. The line
before the fence may carry a marker (docs/contributing.md, "Samples that run"):

- ``<!-- sample: skip REASON -->``: not run (a REASON is required: e.g. it needs a camera).
- ``<!-- sample: node -->``: run against the fixture node (``TRUSTLPR_DATA_DIR`` and the
  placeholders ``$ALICE``, ``$BOB``, ``$OFFICER``: tests/docs_samples/test_samples.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("sh", "python")
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*sample:\s*(?P<kind>\w+)\s*(?P<arg>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None  # the reason, when marked ``skip``
    node: bool = False  # marked ``node``: runs on the fixture node

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def sample_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path`` in one of ``LANGUAGES``; ``ValueError`` on an unclosed
    fence or a marker that is not understood (a typo must not silently skip a sample)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opened = _FENCE.match(lines[i])
        if opened is None:
            i += 1
            continue
        indent, info = opened["indent"], opened["info"]
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].rstrip() == f"{indent}```"), None
        )
        if end is None:
            raise ValueError(f"{path.name}:{i + 1}: fence never closed")
        marker = _MARKER.match(lines[i - 1]) if i else None
        skip, node = None, False
        if marker is not None:
            if marker["kind"] == "skip" and marker["arg"]:
                skip = marker["arg"]
            elif marker["kind"] == "node" and not marker["arg"]:
                node = True
            else:
                raise ValueError(f"{path.name}:{i}: unknown marker {lines[i - 1].strip()!r}")
        if info in LANGUAGES:
            body = [
                line[len(indent) :] if line.startswith(indent) else line
                for line in lines[i + 1 : end]
            ]
            found.append(Block(path, i + 1, info, "\n".join(body) + "\n", skip, node))
        i = end + 1
    return found
