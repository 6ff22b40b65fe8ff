"""Where each parameter of a policy comes from: a section of the law's text, or a TrustLPR default.

An agency adopting a template relies on its numbers, so a policy file must say, for every
parameter it sets, which section of which text it was taken from (``cite``) or that it is
TrustLPR's own choice (``default``), whether that was confirmed against the enacted text, and
when it was checked::

    [sources]
    checked = 2026-12-02                      # when the citations below were last checked
    checked_against = ["Va. Code § 2.2-5517 as shown on law.lis.virginia.gov", ...]

    [sources.cite]
    "retention.nonhit" = { cite = "Va. Code § 2.2-5517 (21 days)" }
    "retention.hit" = { default = "evidence belongs in the case file" }
    "sharing.federal" = { cite = "...", unconfirmed = true, checked = 2026-11-30 }
    "search_types.area" = { default = "..." }   # a table covers every parameter under it

A key may name a table (``search_types.area``) to cover every parameter beneath it; the most
specific key wins. A parameter with neither, or a key that names nothing in the file (a
misspelt citation would leave its parameter uncited while looking cited), is a
``PolicyError``. Parameters a file leaves out take the loader's defaults and are TrustLPR
defaults by definition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .tables import Table

# Tables of a policy file that describe it rather than set parameters.
_NOT_PARAMETERS = frozenset({"policy", "sources"})


@dataclass(frozen=True, slots=True)
class Citation:
    """The source of one parameter (or of every parameter under a table)."""

    key: str
    text: str
    is_default: bool
    unconfirmed: bool
    checked: date

    @property
    def status(self) -> str:
        """``default``, ``unconfirmed`` or ``cited``: how far the parameter can be relied on."""
        if self.is_default:
            return "default"
        return "unconfirmed" if self.unconfirmed else "cited"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.text,
            "status": self.status,
            "checked": self.checked.isoformat(),
            "cited_by": self.key,
        }


@dataclass(frozen=True, slots=True)
class Sources:
    """Every parameter of a policy file with its citation, and what was checked and when."""

    checked: date
    checked_against: tuple[str, ...]
    parameters: Mapping[str, Citation]
    values: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked.isoformat(),
            "checked_against": list(self.checked_against),
            "parameters": {
                key: {"value": self.values.get(key, ""), **c.to_dict()}
                for key, c in sorted(self.parameters.items())
            },
        }


def parameter_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter a policy file sets, by dotted key (its leaves; local rules by id)."""
    found: dict[str, Any] = {}

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for key, value in table.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(value, dotted)
            else:
                found[dotted] = value

    for section, value in data.items():
        if section in _NOT_PARAMETERS:
            continue
        if section == "rules" and isinstance(value, list):
            for index, rule in enumerate(value):
                if isinstance(rule, dict):
                    found[f"rules.{rule.get('id', index)}"] = rule.get("text", "")
        elif isinstance(value, dict):
            walk(value, section)
        else:
            found[section] = value
    return found


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def parse_sources(table: Table, data: Mapping[str, Any]) -> Sources:
    """Reads ``[sources]`` and gives every parameter of ``data`` its citation, or raises."""
    checked = table.day("checked")
    against = tuple(table.strings("checked_against"))
    if not against or not all(against):
        raise table.error("checked_against", "must list what was checked (non-empty strings)")
    cites = table.table("cite")
    raw: dict[str, Citation] = {}
    for key in list(cites.data):
        entry = cites.table(key)
        cite, default = entry.text("cite", ""), entry.text("default", "")
        if bool(cite) == bool(default):
            raise entry.error("", "needs exactly one of 'cite' (the section) or 'default' (why)")
        raw[key] = Citation(
            key=key,
            text=cite or default,
            is_default=bool(default),
            unconfirmed=entry.flag("unconfirmed", False),
            checked=entry.day("checked", checked),
        )
        if raw[key].is_default and raw[key].unconfirmed:
            raise entry.error("unconfirmed", "applies to a citation, not to a default")
        entry.finish()
    cites.finish()
    table.finish()
    values = parameter_values(data)
    params = list(values)
    for key in raw:
        if not any(p == key or p.startswith(f"{key}.") for p in params):
            raise cites.error(key, "names no parameter of this file (check the spelling)")
    resolved: dict[str, Citation] = {}
    for param in params:
        found = _most_specific(raw, param)
        if found is None:
            raise cites.error(
                param, "has no source: add a 'cite' (the section of the law) or a 'default'"
            )
        resolved[param] = found
    return Sources(
        checked=checked,
        checked_against=against,
        parameters=resolved,
        values={key: _shown(value) for key, value in values.items()},
    )


def _most_specific(raw: Mapping[str, Citation], param: str) -> Citation | None:
    parts = param.split(".")
    for end in range(len(parts), 0, -1):
        found = raw.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None
