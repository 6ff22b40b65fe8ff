"""The fenced ``sh`` and ``python`` blocks of README.md and docs/*.md, with their markers.

A block is opened by a line of three backticks and an info string (``sh``, ``python``), also
when indented in a list item, and closed by three backticks at the same indent. The line
before the fence may carry a marker (docs/contributing.md, "Samples that run"):

- ``<!-- sample: skip REASON -->``: not run (a REASON is required: e.g. it needs a camera).
- ``<!-- sample: node -->``: run against the fixture node (``TRUSTLPR_DATA_DIR`` and the
  placeholders ``$ALICE``, ``$BOB``, ``$OFFICER``: tests/docs_samples/test_samples.py).
- ``<!-- sample: portal -->``: the same, while ``trustlpr serve`` runs it at ``$PORTAL``.

Shell commands belong in ``sh`` blocks: ``stray_commands`` finds ``trustlpr`` commands in a
block that is unlabelled or labelled ``bash``, ``console`` or ``shell``, which would not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("sh", "python")
KINDS = ("node", "portal")  # markers without an argument: where the block runs
# labels under which a shell command would be shown but never run
UNRUN_SHELL = ("", "bash", "console", "shell", "zsh")
_COMMAND = re.compile(r"(?:^|[\s;&|($`])trustlpr\s+-{0,2}[a-z]", re.MULTILINE)
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*sample:\s*(?P<kind>\w+)\s*(?P<arg>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None  # the reason, when marked ``skip``
    kind: str | None = None  # ``node`` or ``portal``: runs on the fixture node (served)

    @property
    def node(self) -> bool:
        return self.kind is not None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def sample_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path`` in one of ``LANGUAGES``; ``ValueError`` on an unclosed
    fence or a marker that is not understood (a typo must not silently skip a sample)."""
    return [b for b in fenced(path) if b.language in LANGUAGES]


def stray_commands(path: Path) -> list[Block]:
    """The blocks of ``path`` that show a ``trustlpr`` command under a label that is not run."""
    return [b for b in fenced(path) if b.language in UNRUN_SHELL and _COMMAND.search(b.code)]


def fenced(path: Path) -> list[Block]:
    """Every fenced block of ``path``, whatever its label (``language`` is the info string)."""
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
        skip, kind = None, None
        if marker is not None:
            if marker["kind"] == "skip" and marker["arg"]:
                skip = marker["arg"]
            elif marker["kind"] in KINDS and not marker["arg"]:
                kind = marker["kind"]
            else:
                raise ValueError(f"{path.name}:{i}: unknown marker {lines[i - 1].strip()!r}")
        body = [
            line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]
        ]
        found.append(Block(path, i + 1, info, "\n".join(body) + "\n", skip, kind))
        i = end + 1
    return found
