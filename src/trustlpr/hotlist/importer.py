"""From an uploaded file to the entries that may go on a list, under the jurisdiction policy.

An import is all or nothing by default: one faulty line, or one entry of a category the policy
does not allow, and nothing changes (an operator fixes the file and imports again; the list in
force stays as it was). ``skip_invalid`` imports the good lines and reports the bad ones.
Expired entries are skipped and counted, never an error: old extracts still carry them. A
file with no usable entry at all is refused, so a truncated download cannot empty a list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..core.errors import FormatError, InputError, PolicyDenied
from ..core.search import Reason
from .parse import ParsedEntry, decode_text, iter_csv, iter_ncic

ReasonCheck = Callable[[str], Sequence[Reason]]
"""What the policy finds wrong with an entry's reason (a prohibited purpose); empty = none."""

FORMATS = ("ncic", "csv")
_MAX_REPORTED = 20


@dataclass
class ImportReport:
    """What an import did; ``errors`` lists the first faulty lines when they were skipped."""

    list_id: str
    format: str
    replaced: bool
    accepted: int = 0
    expired: int = 0
    refused: int = 0
    invalid: int = 0
    errors: list[str] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    generation: int = 0
    sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def agreement_check(sharing: Any, grantee: Any) -> Callable[[str], bool]:
    """``sharing_agreement`` from ``trustlpr.identity``: True when an agreement in force, owned by
    the source agency, covers ``grantee`` (this node's ``Agency``). ``sharing`` is the identity
    store's ``SharingQueries`` (``agreements(owner)``; each agreement has ``covers(agency)``)."""

    def check(source: str) -> bool:
        return any(a.covers(grantee) is True for a in sharing.agreements(source))

    return check


def read_file(
    data: bytes,
    *,
    fmt: str,
    list_id: str,
    now: datetime,
    valid_for: timedelta,
    max_validity: timedelta,
) -> Iterable[ParsedEntry | InputError]:
    """Every entry of the file, or the error of its line; NCIC entries expire after
    ``valid_for`` (an extract carries no expiry)."""
    if fmt not in FORMATS:
        raise InputError(f"must be one of {', '.join(FORMATS)}", field="format")
    text = decode_text(data, f"the {fmt} file")
    if fmt == "csv":
        return iter_csv(text, list_id=list_id, now=now, max_validity=max_validity)
    if valid_for <= timedelta(0) or valid_for > max_validity:
        raise InputError("must be positive and within the maximum validity", field="valid_for")
    return iter_ncic(text, list_id=list_id, now=now, expires_at=now + valid_for)


def screen(
    items: Iterable[ParsedEntry | InputError],
    report: ImportReport,
    *,
    allowed: Callable[[str], bool],
    now: datetime,
    skip_invalid: bool,
    progress: Callable[[int], None] | None = None,
    reason_check: ReasonCheck | None = None,
) -> list[ParsedEntry]:
    """The entries to store; counts the rest in ``report``; raises as the docstring says.
    An entry whose reason ``reason_check`` objects to is refused like a category the policy
    does not allow: it would raise an alert on every read of the plate."""
    entries: list[ParsedEntry] = []
    first_error: InputError | None = None
    first_refusal: PolicyDenied | None = None
    categories = report.categories
    now_ts = now.timestamp()
    checked: dict[str, Sequence[Reason]] = {}  # an extract repeats a handful of reasons
    n = 0
    for n, item in enumerate(items, start=1):
        if progress is not None and n % 10_000 == 0:
            progress(n)
        if isinstance(item, InputError):
            report.invalid += 1
            first_error = first_error or item
            if len(report.errors) < _MAX_REPORTED:
                report.errors.append(item.message)
            continue
        refusal = None
        if not allowed(item.category):
            refusal = refuse_category(item.category, item.line)
        elif reason_check is not None:
            found = checked.get(item.reason)
            if found is None:
                found = checked[item.reason] = reason_check(item.reason)
            if found:
                refusal = refuse_reason(found, item.line)
        if refusal is not None:
            report.refused += 1
            first_refusal = first_refusal or refusal
        elif item.expires_ts <= now_ts:
            report.expired += 1
        else:
            entries.append(item)
            categories[item.category] = categories.get(item.category, 0) + 1
    if progress is not None:
        progress(n)  # the last count, not the last multiple of 10,000
    if not entries and not report.expired and not report.refused:
        detail = f" ({report.errors[0]})" if report.errors else ""
        raise FormatError(
            f"the file holds no usable {report.format} entry{detail}; nothing was changed"
        )
    if not skip_invalid and first_error is not None:
        more = report.invalid - 1
        suffix = f" ({more} more faulty line(s))" if more else ""
        raise type(first_error)(
            f"{first_error.reason}{suffix}; nothing was imported",
            field=first_error.field,
            line=first_error.line,
        )
    if first_refusal is not None and (not skip_invalid or not (entries or report.expired)):
        raise PolicyDenied(
            f"{first_refusal.message} ({report.refused} entries refused); nothing was imported",
            reasons=first_refusal.reasons,
        )
    report.accepted = len(entries)
    return entries


def refuse_category(category: str, line: int | None) -> PolicyDenied:
    where = f"line {line}: " if line is not None else ""
    return PolicyDenied(
        f"{where}category {category!r} is not allowed by the jurisdiction policy",
        reasons=["hotlist.category_not_allowed"],
    )


def refuse_reason(found: Sequence[Reason], line: int | None) -> PolicyDenied:
    where = f"line {line}: " if line is not None else ""
    return PolicyDenied(
        f"{where}the entry's reason is refused: {'; '.join(r.text for r in found)}",
        reasons=[str(r) for r in found],
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
