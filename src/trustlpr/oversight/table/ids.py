"""How the table stores what is not text: row IDs packed into two 64-bit words, "no time".

Export IDs are mostly UUIDs (two uint64 words) or plain numbers; anything else goes to a side
list and the row keeps its position there. The readers pack, the table unpacks.
"""

from __future__ import annotations

NO_TIME = -(2**62)
"""Sentinel for a missing time in the int64 columns."""

ID_NONE, ID_UUID, ID_UUID_UPPER, ID_OTHER, ID_NUMBER = 0, 1, 2, 3, 4
_HEX = frozenset("0123456789abcdefABCDEF-")
_MASK64 = (1 << 64) - 1


def pack_id(text: str) -> tuple[int, int, int]:
    """(kind, hi, lo) for a row ID; ``ID_OTHER`` leaves ``lo`` for the caller's side table."""
    s = text.strip()
    if not s:
        return ID_NONE, 0, 0
    if len(s) == 36 and s[8] == "-" and s[23] == "-" and _HEX.issuperset(s):
        value = int(s.replace("-", ""), 16)
        kind = ID_UUID if s == s.lower() else ID_UUID_UPPER if s == s.upper() else ID_OTHER
        if kind != ID_OTHER:
            return kind, value >> 64, value & _MASK64
    if s.isdigit() and len(s) < 19 and (s == "0" or s[0] != "0"):
        return ID_NUMBER, 0, int(s)
    return ID_OTHER, 0, 0


def unpack_id(kind: int, hi: int, lo: int, others: list[str]) -> str | None:
    if kind == ID_NONE:
        return None
    if kind in (ID_UUID, ID_UUID_UPPER):
        h = f"{(hi << 64) | lo:032x}"
        text = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return text.upper() if kind == ID_UUID_UPPER else text
    if kind == ID_NUMBER:
        return str(lo)
    return others[lo]
