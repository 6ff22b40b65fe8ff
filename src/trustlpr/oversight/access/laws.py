"""The maintained table of state laws on abortion and gender-affirming care.

It ships as ``state_laws.toml`` (each entry with its source and the date it was read); a
user's own table (``--state-laws FILE``, the same format) replaces entries state by state, so a
journalist can bring a current tracker without editing the package. Anything malformed is a
``ConfigError`` naming the key: a typo must never leave a state silently "unknown".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ...core.errors import ConfigError
from ...core.plates import US_REGIONS

LAWS_NAME = "state_laws.toml"
STATUSES = ("criminalised", "protected")
TOPICS = ("abortion", "gender_affirming_care")
_FIELDS = {*TOPICS, "notes", "source", "as_of"}


@dataclass(frozen=True, slots=True)
class StateLaw:
    """One state's entry. A topic is ``None`` when the table does not say (unknown)."""

    state: str
    abortion: str | None
    gender_affirming_care: str | None
    notes: str
    source: str
    as_of: str

    @property
    def criminalises(self) -> tuple[str, ...]:
        """The topics this state's law makes a crime (its agencies may investigate them)."""
        return tuple(t for t in TOPICS if getattr(self, t) == "criminalised")


@dataclass(frozen=True, slots=True)
class StateLaws:
    """Every entry, and where the table as a whole comes from (for the report's footnote)."""

    states: dict[str, StateLaw]
    sources: tuple[tuple[str, str], ...]  # (source, as_of) of the shipped table, then the user's

    def get(self, state: str | None) -> StateLaw | None:
        return self.states.get(state) if state else None


def _read(text: str, where: str) -> tuple[tuple[str, str], dict[str, StateLaw]]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"meta", "states"}
    if unknown:
        raise ConfigError(f"{where}: unknown section {sorted(unknown)[0]!r} (meta, states)")
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(k), str) and meta[k].strip() for k in ("source", "as_of")
    ):
        raise ConfigError(f"{where}: [meta] needs source and as_of (text)")
    states = data.get("states", {})
    if not isinstance(states, dict):
        raise ConfigError(f"{where}: states must be a table ([states.XX])")
    out = {}
    for code, entry in states.items():
        key = f"states.{code}"
        if code not in US_REGIONS:
            raise ConfigError(f"{where}: {key}: not a two-letter US state code")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: {key} must be a table")
        extra = set(entry) - _FIELDS
        if extra:
            raise ConfigError(f"{where}: unknown setting {key}.{sorted(extra)[0]}")
        for name in _FIELDS:
            if name in entry and not isinstance(entry[name], str):
                raise ConfigError(f"{where}: {key}.{name} must be text")
        for topic in TOPICS:
            if topic in entry and entry[topic] not in STATUSES:
                raise ConfigError(f"{where}: {key}.{topic} must be one of {', '.join(STATUSES)}")
        for name in ("source", "as_of"):
            if not entry.get(name, "").strip():
                raise ConfigError(f"{where}: {key} needs {name}: every entry says where it is from")
        out[code] = StateLaw(
            code,
            entry.get("abortion"),
            entry.get("gender_affirming_care"),
            entry.get("notes", ""),
            entry["source"],
            entry["as_of"],
        )
    return (meta["source"], meta["as_of"]), out


def load_state_laws(path: Path | None = None) -> StateLaws:
    """The shipped table, with ``path``'s entries (if given) replacing it state by state."""
    shipped = resources.files(__package__).joinpath(LAWS_NAME).read_text(encoding="utf-8")
    meta, states = _read(shipped, LAWS_NAME)
    sources = [meta]
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the state-laws table ({exc})") from exc
        own_meta, own = _read(text, str(path))
        states = {**states, **own}
        sources.append(own_meta)
    return StateLaws(states, tuple(sources))
