"""One row of a search export → one appended record, or a precise, located rejection.

Shared by the CSV and XLSX readers so both accept and refuse exactly the same rows. A bad row
is reported with its physical line (or sheet row) number and skipped; rows that carry no data
at all (blank, formula-only, a totals line) are counted as skipped, not rejected. Messages
never quote a cell.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from ..core.errors import InputError
from .cells import DISPLAY, NO_TIME, is_masked, parse_count, parse_time, plate_text, search_type
from .layout import Layout
from .records import ImportIssue
from .table import FLAG_MASKED, FLAG_MOBILE, ChunkBuilder

MAX_ISSUES_PER_CHUNK = 200
_OPTIONAL = {"offense": "offense", "filters": "filters", "text_prompt": "prompt"}


class RowParser:
    """Validates and normalises rows of one layout into a ``ChunkBuilder``."""

    def __init__(self, layout: Layout, source: str, builder: ChunkBuilder) -> None:
        self.layout = layout
        self.source = source
        self.builder = builder
        ix = layout.index
        self.i_time, self.i_reason, self.i_user = ix("search_time"), ix("reason"), ix("user")
        self.i_org, self.i_plate, self.i_case = ix("org"), ix("plate"), ix("case")
        self.i_id, self.i_nets, self.i_devs = ix("id"), ix("networks"), ix("devices")
        self.i_tf, self.i_tfs, self.i_tfe = ix("time_frame"), ix("tf_start"), ix("tf_end")
        self.i_type, self.i_mod = ix("search_type"), ix("moderation")
        self.optional = [(ix(f), pool) for f, pool in _OPTIONAL.items() if ix(f) >= 0]
        self.need = layout.needed
        self.width = max(layout.width, self.need)
        self.portal = layout.portal

    # -- issues -----------------------------------------------------------------------------

    def _issue(self, line: int, message: str, kind: str) -> None:
        b = self.builder
        if kind == "rejected":
            b.rejected += 1
        else:
            b.warnings += 1
        if len(b.issues) < MAX_ISSUES_PER_CHUNK:
            b.issues.append(ImportIssue(self.source, line, message, kind))

    def reject(self, line: int, message: str) -> None:
        self._issue(line, message, "rejected")

    def warn(self, line: int, message: str) -> None:
        self._issue(line, message, "warning")

    def _non_data(self, row: list[str]) -> bool:
        """Blank, formula-only or summary rows: nothing that identifies a search."""
        filled = [c for c in row if c.strip()]
        if not filled or all(c.lstrip().startswith("=") for c in filled):
            return True
        keys = (self.i_user, self.i_reason, self.i_plate, self.i_id, self.i_tf, self.i_tfs)
        return not any(0 <= i < len(row) and row[i].strip() for i in keys)

    # -- the row ------------------------------------------------------------------------------

    def feed(self, line: int, row: list[str]) -> None:
        n = len(row)
        if n < self.need or (n > self.width and any(c.strip() for c in row[self.width :])):
            if self._non_data(row):
                self.builder.skipped += 1
            elif n < self.need:
                self.reject(
                    line,
                    f"{n} field(s) where the header has {self.layout.width}; "
                    "the row is truncated or misaligned",
                )
            else:
                self.reject(
                    line,
                    f"{n} fields where the header has {self.layout.width}; "
                    "an unquoted comma or a shifted row",
                )
            return
        cell = row[self.i_time]
        try:
            t = parse_time(cell, "Search Time")
        except InputError as exc:
            if self._non_data(row):
                self.builder.skipped += 1
            else:
                self.reject(line, exc.message if cell.strip() else "field 'Search Time' is empty")
            return
        try:
            networks = (
                parse_count(row[self.i_nets], DISPLAY["networks"]) if self.i_nets >= 0 else -1
            )
            devices = parse_count(row[self.i_devs], DISPLAY["devices"]) if self.i_devs >= 0 else -1
        except InputError as exc:
            self.reject(line, exc.message)
            return
        tf_start = tf_end = NO_TIME
        if self.i_tf >= 0:
            frame = row[self.i_tf].strip()
            if frame and not is_masked(frame):
                first, _, second = frame.partition("\n")
                try:
                    tf_start = parse_time(first, "Time Frame")
                    tf_end = parse_time(second, "Time Frame") if second.strip() else NO_TIME
                except InputError as exc:
                    tf_start = tf_end = NO_TIME
                    self.warn(line, f"{exc.message}; the time frame is left out")
        elif self.i_tfs >= 0:
            try:
                start, end = (
                    row[self.i_tfs].strip(),
                    row[self.i_tfe].strip() if self.i_tfe >= 0 else "",
                )
                tf_start = parse_time(start, "Time Frame Start") if start else NO_TIME
                tf_end = parse_time(end, "Time Frame End") if end else NO_TIME
            except InputError as exc:
                tf_start = tf_end = NO_TIME
                self.warn(line, f"{exc.message}; the time frame is left out")
        flags = 0
        user = row[self.i_user].strip() if self.i_user >= 0 else ""
        if user and is_masked(user):
            user, flags = "", flags | FLAG_MASKED
        org = row[self.i_org].strip() if self.i_org >= 0 else ""
        if org and is_masked(org):
            org, flags = "", flags | FLAG_MASKED
        plate = row[self.i_plate] if self.i_plate >= 0 else ""
        if plate:
            if is_masked(plate):
                plate, flags = "", flags | FLAG_MASKED
            else:
                plate = plate_text(plate)
        reason = row[self.i_reason].strip()
        if self.portal and "+" in reason and " " not in reason:
            reason = unquote_plus(reason).strip()
        stype = ""
        if self.i_type >= 0 and row[self.i_type].strip():
            stype, mobile = search_type(row[self.i_type])
            if mobile:
                flags |= FLAG_MOBILE
        texts = {
            "user": user,
            "org": org,
            "plate": plate,
            "reason": reason,
            "case": row[self.i_case].strip() if self.i_case >= 0 else "",
            "stype": stype,
        }
        if self.i_mod >= 0:
            texts["moderation"] = row[self.i_mod].strip()
        for index, pool in self.optional:
            texts[pool] = row[index].strip()
        row_id = row[self.i_id] if self.i_id >= 0 else ""
        self.builder.add(line, t, tf_start, tf_end, networks, devices, row_id, flags, texts)


def optional_pools(layout: Layout) -> list[str]:
    """The optional text columns this layout fills (others stay absent, costing nothing)."""
    pools = [pool for f, pool in _OPTIONAL.items() if f in layout.columns]
    if "moderation" in layout.columns:
        pools.append("moderation")
    return pools
