"""The published sharing list (e.g. a transparency portal's "external organizations with
access"), and how organisation names are compared with the exports' ``Org Name``.

Portals and exports come from the same vendor, so names mostly agree; what differs is case,
punctuation and the usual abbreviations ("PD", "Police Dept", "Sheriff's Office", "SO").
``org_key`` folds those and nothing more: two agencies whose names differ in a word stay apart.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import FormatError, InputError

MAX_LIST_BYTES = 16 << 20
_HEADERS = {
    "orgname", "organization", "organisation", "organizationname", "agency", "agencyname",
    "name", "externalorganization", "externalorganizations", "org",
}  # fmt: skip
_ABBREVIATIONS = {
    "pd": "police department", "dept": "department", "dep": "department",
    "so": "sheriffs office", "sheriff": "sheriffs", "twp": "township", "univ": "university",
    "hwy": "highway", "ofc": "office",
}  # fmt: skip
_WORD = re.compile(r"[0-9a-z]+")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


def org_key(name: str) -> str:
    """The form two organisation names are compared in: NFKC, case-folded, "'s" and
    punctuation dropped, common abbreviations spelt out."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    text = text.replace("'s", "s").replace("\u2019s", "s")
    words = []
    for word in _WORD.findall(text):
        words.extend(_ABBREVIATIONS.get(word, word).split())
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class SharingList:
    """The organisations a department says may search its cameras."""

    path: str
    names: tuple[str, ...]

    def keys(self) -> dict[str, str]:
        """``org_key`` → the name as the list spells it (the first, for duplicates)."""
        out: dict[str, str] = {}
        for name in self.names:
            out.setdefault(org_key(name), name)
        return out


def _header_column(row: list[str]) -> int:
    for i, cell in enumerate(row):
        if re.sub(r"[^a-z]", "", cell.casefold()) in _HEADERS:
            return i
    return -1


def read_sharing_list(path: Path) -> SharingList:
    """Reads a list of organisations: a CSV with an organisation column (``Org Name``,
    ``Organization``, ``Agency``, ``Name``...; else its first column), or plain text, one
    name a line (bullets and numbering stripped; blank lines and ``#`` comments ignored)."""
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise InputError(
                f"{path}: sharing list is {size:,} bytes; at most {MAX_LIST_BYTES:,} are read",
                field="--sharing-list",
            )
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{path}: sharing list is not UTF-8 text (byte {exc.start})", field="--sharing-list"
        ) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})", field="--sharing-list") from exc
    names: list[str] = []
    if path.suffix.lower() == ".csv":
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        column = _header_column(rows[0]) if rows else -1
        body = rows[1:] if column >= 0 else rows
        names = [r[max(column, 0)].strip() for r in body if len(r) > max(column, 0)]
    else:
        for line in text.splitlines():
            line = _BULLET.sub("", line).strip()
            if line and not line.startswith("#"):
                names.append(line)
    names = [n for n in names if n]
    if not names:
        raise FormatError(f"{path}: the sharing list names no organisation", field="--sharing-list")
    return SharingList(str(path), tuple(names))
