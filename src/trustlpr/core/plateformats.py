"""US state plate formats: which states' series a plate text fits.

The recogniser uses them to prefer a reading a state actually issues; the hot-list matcher to
tell whether a read's plate fits the state it was read as (if not, the state read is doubtful).
Patterns are OpenALPR's ``us.patterns`` notation: ``#`` a digit, ``@`` a letter, ``[...]`` one
of a set; one ``<state> <pattern>`` per line, ``#`` or ``;`` starting a comment line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .errors import ConfigError

_TOKEN = re.compile(r"\[[^\]]*\]|.")


class PlateFormats:
    """State plate formats (``BASE`` for OpenALPR's generic ones), grouped by length."""

    def __init__(self, formats: Sequence[tuple[str, str]]) -> None:
        by_length: dict[int, list[tuple[str, re.Pattern[str]]]] = {}
        for state, pattern in formats:
            regex, length = _regex(pattern)
            by_length.setdefault(length, []).append((state, re.compile(regex)))
        self._by_length = by_length
        self.count = len(formats)
        self.regions = frozenset(state for state, _ in formats)

    @classmethod
    def parse(cls, text: str, source: str) -> PlateFormats:
        """Formats from the text of a patterns file; ``ConfigError`` naming ``source`` if bad."""
        formats: list[tuple[str, str]] = []
        for number, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts or parts[0].startswith(("#", ";")):
                continue
            if len(parts) != 2:
                raise ConfigError(f"{source} line {number}: expected '<state> <pattern>'")
            formats.append((parts[0].upper(), parts[1]))
        try:
            return cls(formats)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance per process part, bounded
    def states(self, plate: str) -> tuple[str, ...]:
        """The states (``BASE`` for the generic formats) whose formats ``plate`` fits."""
        found = (s for s, rx in self._by_length.get(len(plate), ()) if rx.fullmatch(plate))
        return tuple(dict.fromkeys(found))

    def fits(self, plate: str, state: str) -> bool | None:
        """Whether ``plate`` fits one of ``state``'s formats; None if no format of it is known."""
        if state not in self.regions:
            return None
        return state in self.states(plate)


def _regex(pattern: str) -> tuple[str, int]:
    """A pattern as a regular expression, and how many characters it matches."""
    out: list[str] = []
    for token in _TOKEN.findall(pattern):
        if token == "#":
            out.append("[0-9]")
        elif token == "@":
            out.append("[A-Z]")
        elif re.fullmatch(r"\[[A-Z0-9-]+\]|[A-Z0-9]", token):
            out.append(token)
        else:
            raise ValueError(f"unknown symbol {token!r} in pattern {pattern!r}")
    return "".join(out), len(out)
