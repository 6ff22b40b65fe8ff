"""One row of a search export → one appended record, or a precise, located rejection.

Shared by the CSV and XLSX readers so both accept and refuse exactly the same rows. A bad row
is reported with its physical line (or sheet row) number and skipped; rows that carry no data
at all (blank, formula-only, a totals line) are counted as skipped, not rejected. Messages
never quote a cell.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_plus

from ...core.errors import InputError
from ..records import ImportIssue
from ..table.chunk import FLAG_MASKED, FLAG_MOBILE, ChunkBuilder
from ..table.ids import ID_NONE, ID_OTHER, NO_TIME, pack_id
from .cells import (
    DISPLAY,
    frame_cell,
    is_masked,
    parse_count,
    parse_time,
    plate_text,
    search_type,
    split_frame,
)
from .layout import Layout

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
        self.feed = self._compile()

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

    def _bad_width(self, line: int, row: list[str], n: int) -> None:
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

    def _bad_time(self, line: int, row: list[str], exc: InputError) -> None:
        if self._non_data(row):
            self.builder.skipped += 1
        elif row[self.i_time].strip():
            self.reject(line, exc.message)
        else:
            self.reject(line, "field 'Search Time' is empty")

    def _frame(self, line: int, row: list[str], t: int) -> tuple[int, int]:
        """The searched time window: one two-line cell, or start and end columns."""
        try:
            if self.i_tf >= 0:
                return frame_cell(row[self.i_tf], row[self.i_time], t)
            return split_frame(row[self.i_tfs], row[self.i_tfe] if self.i_tfe >= 0 else "")
        except InputError as exc:
            self.warn(line, f"{exc.message}; the time frame is left out")
            return NO_TIME, NO_TIME

    def extra_columns(self) -> list[tuple[int, str]]:
        """(row index, pool) of the optional text columns this layout fills."""
        extra = list(self.optional)
        if self.i_mod >= 0:
            extra.append((self.i_mod, "moderation"))
        return extra

    def _compile(self) -> Callable[[int, list[str]], None]:
        """The per-row function, with every index and append bound as a local: this is the
        hot loop of a ten-million-row import."""
        b = self.builder
        num = b.numeric
        a_line, a_t, a_tfs, a_tfe = (num[k].append for k in ("line", "t", "tf_start", "tf_end"))
        a_nets, a_devs, a_flags = (num[k].append for k in ("networks", "devices", "flags"))
        a_kind, a_hi, a_lo = (num[k].append for k in ("id_kind", "id_hi", "id_lo"))
        others = b.other_ids
        maps, pooled = b.maps, b.pooled
        fixed = [
            (self.i_user, maps["user"], pooled["user"].append),
            (self.i_org, maps["org"], pooled["org"].append),
            (self.i_case, maps["case"], pooled["case"].append),
        ]
        extra = [(i, maps[pool], pooled[pool].append) for i, pool in self.optional]
        if self.i_mod >= 0:
            extra.append((self.i_mod, maps["moderation"], pooled["moderation"].append))
        m_plate, a_plate = maps["plate"], pooled["plate"].append
        m_reason, a_reason = maps["reason"], pooled["reason"].append
        m_type, a_type = maps["stype"], pooled["stype"].append
        need, width, portal = self.need, self.width, self.portal
        i_time, i_nets, i_devs, i_plate = self.i_time, self.i_nets, self.i_devs, self.i_plate
        i_reason, i_type, i_id = self.i_reason, self.i_type, self.i_id
        has_frame = self.i_tf >= 0 or self.i_tfs >= 0
        nets_name, devs_name = DISPLAY["networks"], DISPLAY["devices"]
        bad_width, bad_time, frame, reject = (
            self._bad_width,
            self._bad_time,
            self._frame,
            self.reject,
        )

        def feed(line: int, row: list[str]) -> None:
            n = len(row)
            if n < need or (n > width and any(c.strip() for c in row[width:])):
                bad_width(line, row, n)
                return
            try:
                t = parse_time(row[i_time], "Search Time")
            except InputError as exc:
                bad_time(line, row, exc)
                return
            try:
                nets = parse_count(row[i_nets], nets_name) if i_nets >= 0 else -1
                devs = parse_count(row[i_devs], devs_name) if i_devs >= 0 else -1
            except InputError as exc:
                reject(line, exc.message)
                return
            tf_start, tf_end = frame(line, row, t) if has_frame else (NO_TIME, NO_TIME)
            flags = 0
            for index, pool, append in fixed:
                text = row[index].strip() if index >= 0 else ""
                if not text:
                    append(0)
                    continue
                if text[0] == "*" and is_masked(text):
                    flags |= FLAG_MASKED
                    append(0)
                    continue
                append(pool[text])
            plate = row[i_plate] if i_plate >= 0 else ""
            if plate:
                if plate.lstrip()[:1] == "*" and is_masked(plate):
                    plate, flags = "", flags | FLAG_MASKED
                else:
                    plate = plate_text(plate)
            if plate:
                a_plate(m_plate[plate])
            else:
                a_plate(0)
            reason = row[i_reason].strip()
            if portal and "+" in reason and " " not in reason:
                reason = unquote_plus(reason).strip()
            if reason:
                a_reason(m_reason[reason])
            else:
                a_reason(0)
            stype = ""
            if i_type >= 0 and row[i_type].strip():
                stype, mobile = search_type(row[i_type])
                if mobile:
                    flags |= FLAG_MOBILE
            if stype:
                a_type(m_type[stype])
            else:
                a_type(0)
            for index, pool, append in extra:
                text = row[index].strip()
                if text:
                    append(pool[text])
                else:
                    append(0)
            row_id = row[i_id] if i_id >= 0 else ""
            kind, hi, lo = pack_id(row_id) if row_id else (ID_NONE, 0, 0)
            if kind == ID_OTHER:
                lo = len(others)
                others.append(row_id.strip())
            a_kind(kind)
            a_hi(hi)
            a_lo(lo)
            a_line(line)
            a_t(t)
            a_tfs(tf_start)
            a_tfe(tf_end)
            a_nets(nets)
            a_devs(devs)
            a_flags(flags)

        return feed


def optional_pools(layout: Layout) -> list[str]:
    """The optional text columns this layout fills (others stay absent, costing nothing)."""
    pools = [pool for f, pool in _OPTIONAL.items() if f in layout.columns]
    if "moderation" in layout.columns:
        pools.append("moderation")
    return pools
