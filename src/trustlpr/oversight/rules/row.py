"""Rules that judge each search on its own row, grouped into one finding per user.

Signals 1, 2, 8, 9, 10 (requester and wording), 12, 14, 15, 22 and the vendor's own moderation
flag. Each finding collects every matching search of one user (or of one agency when the export
names no user), so a council member reads "officer X: 37 searches with only 'investigation' as
the reason", with the 37 rows as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..table.chunk import FLAG_MASKED
from ..table.grouping import distinct
from ..text import Tag
from .catalog import RULES
from .context import Context, Finding, by_actor

Mask = np.ndarray[Any, Any]
Severity = str | Callable[[int, Mask], str]
_OFFENCE = Tag.SERIOUS | Tag.ALERT | Tag.WARRANT


def span_text(ctx: Context, rows: Mask) -> str:
    t = ctx.table.cols["t"][rows]
    first = str(np.datetime64(int(t.min()), "s"))[:10]
    last = str(np.datetime64(int(t.max()), "s"))[:10]
    return f"on {first}" if first == last else f"between {first} and {last}"


def _per_actor(ctx: Context, rule: str, mask: Mask, severity: Severity, what: str) -> list[Finding]:
    findings = []
    for actor, rows in by_actor(ctx, mask):
        grade = severity if isinstance(severity, str) else severity(len(rows), rows)
        name = ctx.actor_name(actor)
        count = f"{len(rows)} search{'' if len(rows) == 1 else 'es'}"
        text = f"{name} ran {count} {span_text(ctx, rows)} {what}. {RULES[rule].why}"
        findings.append(Finding(rule, grade, name, text, rows))
    return findings


# -- signal 1: banned purposes -------------------------------------------------------------

_BANNED = (
    ("S1.immigration", Tag.IMMIGRATION, "high",
     "whose reason points to immigration enforcement (ICE, ERO, CBP, deportation, 287(g), ...)"),
    ("S1.reproductive-care", Tag.REPRODUCTIVE, "high",
     "whose reason points to abortion or reproductive health care"),
    ("S1.gender-affirming-care", Tag.GENDER_CARE, "high",
     "whose reason mentions gender or gender-affirming care"),
    ("S1.protest", Tag.PROTEST, "high",
     "whose reason points to a protest, protesters or activists"),
    ("S1.religion", Tag.RELIGION, "medium", "whose reason names a religion or worship"),
    ("S1.press", Tag.PRESS, "medium",
     "whose reason names journalists, reporters, the press or media"),
    ("S1.civil-matter", Tag.CIVIL, "medium",
     "whose reason is a civil matter (child custody, repossession, debt, eviction, divorce)"),
    ("S1.personal-use", Tag.PERSONAL, "high",
     "whose reason suggests personal use ('personal', 'my ex', 'curious')"),
)  # fmt: skip


def banned(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for rule, tag, severity, what in _BANNED:
        out += _per_actor(ctx, rule, ctx.has(tag), severity, what)
    return out


# -- signal 2: vague, blank, case-only, personal data ---------------------------------------


def vague(ctx: Context) -> list[Finding]:
    cfg = ctx.config
    medium_at = cfg.get_int("vague_reason", "medium_at")
    high_at = cfg.get_int("vague_reason", "high_at")
    has_case = ctx.has(Tag.HAS_CASE)

    def grade(count: int, rows: Mask) -> str:
        if count >= high_at:
            return "high"
        if count >= medium_at or (count >= 3 and not has_case[rows].all()):
            return "medium"
        return "low"

    blank = ctx.has(Tag.BLANK)
    what = "with a vague reason and no offence stated ('investigation', 'other', 'per agent', ...)"
    out = _per_actor(ctx, "S2.vague-reason", ctx.has(Tag.VAGUE) & ~blank, grade, what)
    moderated = ctx.table.cols["moderation"] >= 0
    for finding in _per_actor(ctx, "S2.blank-reason", blank, "medium", "with no reason at all"):
        notes = int(moderated[finding.rows].sum())
        if notes:
            finding.explanation += f" {notes} of them carry a vendor moderation note."
        out.append(finding)
    what = "whose reason is only a case number"
    out += _per_actor(ctx, "S2.case-number-only", ctx.has(Tag.CASE_ONLY), "low", what)
    what = "with personal data in the reason (date of birth, phone, e-mail, licence or SSN)"
    out += _per_actor(ctx, "S2.pii-in-reason", ctx.has(Tag.PII), "low", what)
    return out


def no_offense(ctx: Context) -> list[Finding]:
    """No ``Offense Type`` cell (blank, or a layout without the column) and a reason naming no
    offence: low per user, a department practice when common (``practices``)."""
    pools, column = ctx.table.pools["offense"], ctx.table.cols["offense"]
    stated = np.array([bool(o.strip()) for o in pools] + [False])[column]
    mask = ~stated & ~ctx.has(Tag.OFFENCE | Tag.SERIOUS)
    what = "with no offense type and no offence named in the reason"
    return _per_actor(ctx, "S2.no-offense-type", mask, "low", what)


# -- signals 8, 9, 10, 12, 14, 15, 22, moderation -------------------------------------------


def wide_scope(ctx: Context) -> list[Finding]:
    limit = ctx.config.get_int("wide_scope", "min_networks")
    nets = ctx.table.cols["networks"]
    mask = (nets >= limit) & ~ctx.has(_OFFENCE)
    most = int(nets[mask].max()) if mask.any() else 0
    what = (
        f"across {limit} or more networks (up to {most}) with no serious offence, warrant or "
        "hot-list alert in the reason"
    )
    return _per_actor(ctx, "S8.wide-scope", mask, "medium", what)


def out_of_state(ctx: Context) -> list[Finding]:
    cfg = ctx.config
    banned_states = {s.upper() for s in cfg.get_strings("out_of_state", "banned")}
    attest = {s.upper() for s in cfg.get_strings("out_of_state", "attestation")}
    partners = cfg.partners()
    home = ctx.home_state
    mask = (ctx.org_state >= 0) & (home >= 0) & (ctx.org_state != home) & ~ctx.federal
    out = []
    for h in distinct(home[mask]):
        state = ctx.state_names[int(h)]
        what = f"on {state} data as an agency of another state"
        for finding in _per_actor(ctx, "S9.out-of-state", mask & (home == h), "medium", what):
            states = sorted({ctx.state_names[int(s)] for s in ctx.org_state[finding.rows]})
            finding.explanation += f" Requesting state(s): {', '.join(states)}."
            allowed = set(partners.get(state, []))
            if state in banned_states or (state in attest and not set(states) <= allowed):
                finding.severity = "high"
                finding.explanation += f" {state} law bars this sharing or needs an attestation."
            out.append(finding)
    return out


def federal(ctx: Context) -> list[Finding]:
    imm = ctx.has(Tag.IMMIGRATION)
    ambiguous = ctx.has(Tag.FEDERAL_AMBIGUOUS)

    def by_imm(_n: int, rows: Mask) -> str:
        return "high" if imm[rows].any() else "medium"

    def by_ambiguity(_n: int, rows: Mask) -> str:
        return "high" if ambiguous[rows].any() else "medium"

    out = _per_actor(ctx, "S10.federal-requester", ctx.federal, by_imm, "as a federal agency")
    what = "whose reason says it was for a federal agency or agent ('TFO', 'per agent', 'for HSI')"
    mask = ctx.has(Tag.FEDERAL_ASSIST) & ~ctx.federal & ~imm
    out += _per_actor(ctx, "S10.on-behalf-of-federal", mask, by_ambiguity, what)
    return out


def sensitive_place(ctx: Context) -> list[Finding]:
    mask = ctx.has(Tag.SENSITIVE_PLACE) & ~ctx.has(_OFFENCE)
    what = (
        "whose reason names a sensitive place (place of worship, clinic, shelter, immigration "
        "court, food bank) with no offence stated"
    )
    return _per_actor(ctx, "S12.sensitive-place", mask, "medium", what)


def plateless(ctx: Context) -> list[Finding]:
    c, pools = ctx.table.cols, ctx.table.pools
    wanted = {t.lower() for t in ctx.config.get_strings("plateless", "types")}
    type_hit = np.array([t in wanted for t in pools["stype"]] + [False])[c["stype"]]
    lookup = np.array([t == "lookup" for t in pools["stype"]] + [False])[c["stype"]]
    no_warrant = ~ctx.has(Tag.WARRANT)
    what = "of convoy, visual, freeform or multi-area type with no warrant mentioned"
    out = _per_actor(ctx, "S14.plateless-search", type_hit & no_warrant, "medium", what)
    masked = (c["flags"] & FLAG_MASKED) != 0
    feature = (c["plate"] < 0) & ctx.file_has("plate") & ~masked & ~type_hit & ~lookup
    what = "without any plate (vehicle features or a time window only) and no warrant mentioned"
    out += _per_actor(ctx, "S14.feature-search", feature & no_warrant, "low", what)
    return out


def minor(ctx: Context) -> list[Finding]:
    what = "for a minor or non-criminal matter (parking, residency, traffic analysis, code)"
    out = _per_actor(ctx, "S15.minor-use", ctx.has(Tag.MINOR) & ~ctx.has(Tag.SERIOUS), "low", what)
    what = "labelled as a test, training or demo"
    out += _per_actor(ctx, "S15.test-use", ctx.has(Tag.TEST), "low", what)
    return out


def unverifiable(ctx: Context) -> list[Finding]:
    mask = ctx.has(Tag.URGENT) & ~ctx.has(Tag.HAS_CASE) & ~ctx.has(Tag.ALERT)
    what = "claiming a missing person, stolen vehicle, kidnapping or homicide with no case number"
    return _per_actor(ctx, "S22.unverifiable-claim", mask, "low", what)


_BENIGN_MODERATION = frozenset({"allow", "allowed", "approved", "pass", "passed", "ok", "none"})


def moderation(ctx: Context) -> list[Finding]:
    pool = ctx.table.pools["moderation"]
    column = ctx.table.cols["moderation"]
    mask = np.array([m.strip().lower() not in _BENIGN_MODERATION for m in pool] + [False])[column]
    blocked = np.array([m.strip().lower().startswith("block") for m in pool] + [False])[column]

    def grade(_n: int, rows: Mask) -> str:
        return "high" if blocked[rows].any() else "medium"

    what = "that the vendor's moderation warned about or blocked"
    return _per_actor(ctx, "MOD.vendor-flag", mask, grade, what)


Check = Callable[[Context], str | None]


def _needs(column: str, *, pooled: bool = True) -> Check:
    def check(ctx: Context) -> str | None:
        if ctx.table.n == 0:
            return "no searches were imported"
        present = (
            bool(ctx.table.pools[column]) if pooled else bool((ctx.table.cols[column] >= 0).any())
        )
        return None if present else f"the exports hold no '{column}' values"

    return check


def _needs_rows(ctx: Context) -> str | None:
    return None if ctx.table.n else "no searches were imported"


ROW_RULES: list[tuple[tuple[str, ...], Check, Callable[[Context], list[Finding]]]] = [
    (tuple(r[0] for r in _BANNED), _needs_rows, banned),
    (
        ("S2.vague-reason", "S2.blank-reason", "S2.case-number-only", "S2.pii-in-reason"),
        _needs_rows,
        vague,
    ),
    (("S2.no-offense-type",), _needs_rows, no_offense),
    (("S8.wide-scope",), _needs("networks", pooled=False), wide_scope),
    (("S9.out-of-state",), _needs("org"), out_of_state),
    (("S10.federal-requester", "S10.on-behalf-of-federal"), _needs_rows, federal),
    (("S12.sensitive-place",), _needs_rows, sensitive_place),
    (("S14.plateless-search", "S14.feature-search"), _needs_rows, plateless),
    (("S15.minor-use", "S15.test-use"), _needs_rows, minor),
    (("S22.unverifiable-claim",), _needs_rows, unverifiable),
    (("MOD.vendor-flag",), _needs("moderation"), moderation),
]
