"""One TOML table of a policy file being read: typed getters that name the dotted key on error.

Every getter records the key as used, and ``finish`` refuses whatever was left unread, so a
misspelt key is a ``PolicyError`` naming the file and the key rather than a silent default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from ..core.clock import parse_duration
from ..core.errors import InputError, PolicyError

E = TypeVar("E", bound=StrEnum)


@dataclass
class Table:
    """One TOML table being read: tracks the dotted key path and which keys were used."""

    where: Path | str
    prefix: str
    data: dict[str, Any]
    used: set[str] = field(default_factory=set)

    def error(self, key: str, message: str) -> PolicyError:
        dotted = f"{self.prefix}.{key}" if self.prefix and key else self.prefix or key
        return PolicyError(f"{self.where}: key '{dotted}': {message}")

    def raw(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, "is required")
            return None
        return self.data[key]

    def table(self, key: str, required: bool = True) -> Table:
        value = self.raw(key, required)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, not {type(value).__name__}")
        prefix = f"{self.prefix}.{key}" if self.prefix else key
        return Table(self.where, prefix, value)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, default is None)
        if value is None:
            return default or ""
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {type(value).__name__}")
        return value.strip()

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self.raw(key, default is None)
        if value is None:
            return bool(default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {value!r}")
        return value

    def number(self, key: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw(key, default is None)
        if value is None:
            return int(default or 0)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(key, f"must be a whole number from {low} to {high}, not {value!r}")
        return value

    def strings(self, key: str, default: tuple[str, ...] | None = None) -> list[str]:
        value = self.raw(key, default is None)
        if value is None:
            return list(default or ())
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return [v.strip() for v in value]

    def choice(self, key: str, kind: type[E], default: E | None = None) -> E:
        text = self.text(key, None if default is None else default.value)
        return enum_value(self, key, kind, text)

    def choices(self, key: str, kind: type[E], default: tuple[str, ...] | None = None) -> set[E]:
        return {enum_value(self, key, kind, v) for v in self.strings(key, default)}

    def duration(self, key: str, default: str | None = None) -> timedelta:
        text = self.text(key, default)
        try:
            return parse_duration(text, field=key)
        except InputError as exc:
            raise self.error(key, exc.reason) from exc

    def day(self, key: str, default: date | None = None) -> date:
        """A date written as a TOML date (``2026-12-02``) or ISO text."""
        value = self.raw(key, default is None)
        if value is None and default is not None:
            return default
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(key, f"must be a date like 2026-12-02, not {value!r}")

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.error(unknown[0], "unknown key (check the spelling; see docs/policy.md)")


def enum_value(table: Table, key: str, kind: type[E], text: str) -> E:
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise table.error(key, f"{text!r} is not one of: {allowed}") from None
