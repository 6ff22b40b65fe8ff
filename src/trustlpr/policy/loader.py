"""Reads policy files (TOML) into typed policies, refusing anything it does not understand.

A policy that silently ignores a misspelt key is a policy that silently allows: an unknown
key, a wrong type, an unknown purpose, offense, state or hot-list code is a ``PolicyError``
naming the file and the key. A file that parses is then compiled to Cedar and validated
against the schema before it is returned (see :mod:`.cedar`).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from ..core.errors import NotFoundError, PolicyError
from ..core.hotlist import NCIC_CATEGORIES
from ..core.plates import US_REGIONS
from ..core.protected import ProtectedCategory, ProtectedHandling
from ..core.search import LegalBasis, Purpose, SearchType
from .model import (
    Access,
    Approvals,
    Collection,
    ExtraRule,
    JurisdictionPolicy,
    NoStateMatch,
    RuleEffect,
    SearchTypeRule,
    SensitiveLocations,
    Sharing,
    Statute,
    Warrants,
    WarrantStep,
)
from .offenses import OFFENSES
from .sources import parse_sources
from .tables import Table as _Table
from .tables import enum_value as _enum

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
SENSITIVE_CATEGORIES = frozenset(
    "reproductive_health_clinic gender_affirming_care_clinic medical_facility place_of_worship "
    "school immigration_facility courthouse shelter food_bank union_hall political_office".split()
)
DEFAULT_OFFENSE_REQUIRED = ("felony_investigation", "violent_felony", "misdemeanor_investigation")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def list_policies() -> list[str]:
    """Names of the policy files shipped in ``policies/``, sorted."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.toml"))


def policy_path(name_or_path: str | Path) -> Path:
    """The file of a shipped policy name, or the given path; ``NotFoundError`` if neither."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or text.endswith(".toml"):
        path = Path(text)
        if not path.is_file():
            raise NotFoundError(f"policy file {path} does not exist")
        return path
    path = POLICY_DIR / f"{text}.toml"
    if not _NAME.fullmatch(text) or not path.is_file():
        raise NotFoundError(
            f"no policy named {text[:64]!r}; shipped policies: {', '.join(list_policies())}"
        )
    return path


def load_policy(name_or_path: str | Path) -> JurisdictionPolicy:
    """Loads, checks, compiles and schema-validates a policy; ``PolicyError`` on any problem."""
    from .cedar import compile_policy  # compile imports the model; keep the cycle one-way

    path = policy_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
    policy = parse_policy(data, path)
    compile_policy(policy)
    return policy


def parse_policy(data: dict[str, Any], where: Path | str) -> JurisdictionPolicy:
    """Turns parsed TOML into a :class:`JurisdictionPolicy`; every key is checked."""
    root = _Table(where, "", data)
    head = root.table("policy")
    name = head.text("name")
    if not _NAME.fullmatch(name):
        raise head.error("name", "must be lower-case letters, digits and dashes")
    if isinstance(where, Path) and where.stem != name:
        raise head.error("name", f"must match the file name ({where.stem!r})")
    jurisdiction = head.text("jurisdiction").upper()
    if jurisdiction and jurisdiction not in US_REGIONS:
        raise head.error("jurisdiction", f"{jurisdiction!r} is not a US state code")
    effective_text = head.text("effective")
    try:
        effective = date.fromisoformat(effective_text)
    except ValueError:
        raise head.error("effective", "must be a date like 2026-10-01") from None
    statute = Statute(
        citation=head.text("citation"),
        url=head.text("url"),
        effective=effective,
        notes=tuple(head.strings("notes", ())),
        cite_as=head.text("cite_as", "") or name,
    )
    title = head.text("title")
    head.finish()

    ret = root.table("retention")
    nonhit, hit = ret.duration("nonhit"), ret.duration("hit")
    hit_only = ret.flag("hit_only", False)
    if hit < nonhit:
        raise ret.error("hit", "must be at least as long as the non-hit retention")
    ret.finish()

    pur = root.table("purposes")
    permitted = pur.choices("permitted", Purpose)
    prohibited = pur.choices("prohibited", Purpose)
    both = sorted(permitted & prohibited)
    if both:
        raise pur.error("prohibited", f"{both[0]!r} is also listed as permitted")
    offense_required = pur.choices("offense_required", Purpose, DEFAULT_OFFENSE_REQUIRED)
    min_length = pur.number("min_reason_length", 1, 200, 12)
    min_words = pur.number("min_reason_words", 1, 20, 2)
    pur.finish()

    win = root.table("windows")
    default_window = win.duration("default")
    windows = {p: default_window for p in permitted}
    for key in list(win.data):
        if key == "default":
            continue
        purpose = _enum(win, key, Purpose, key)
        if purpose not in permitted:
            raise win.error(key, "sets a window for a purpose that is not permitted")
        windows[purpose] = win.duration(key)
    win.finish()

    search_types = _search_types(root.table("search_types"))
    hot = root.table("hotlist")
    categories = set(hot.strings("allowed_categories"))
    unknown = sorted(categories - set(NCIC_CATEGORIES))
    if unknown:
        raise hot.error("allowed_categories", f"{unknown[0]!r} is not an NCIC hot-list code")
    no_state_match = hot.choice("no_state_match", NoStateMatch, NoStateMatch.POSSIBLE)
    hot.finish()

    sharing = _sharing(root.table("sharing"), jurisdiction)
    app = root.table("approvals", required=False)
    approvals = Approvals(
        window_over=app.duration("window_over", "7d"),
        partial_plate=app.flag("partial_plate", True),
        protected_plate=app.flag("protected_plate", True),
        convoy=app.flag("convoy", True),
    )
    app.finish()
    sens = root.table("sensitive_locations", required=False)
    sensitive = SensitiveLocations(
        categories=frozenset(_categories(sens, "categories")),
        searches=sens.choice("searches", RuleEffect, RuleEffect.APPROVAL),
        no_cameras=frozenset(_categories(sens, "no_cameras")),
        camera_distance_m=sens.number("camera_distance_m", 0, 5000, 0),
    )
    sens.finish()
    col = root.table("collection", required=False)
    collection = Collection(
        mobile_only=col.flag("mobile_only", False), attended=col.flag("attended", False)
    )
    col.finish()
    war = root.table("warrants", required=False)
    warrants = Warrants(
        scope_governs=war.flag("scope_governs", True),
        approval=war.choice("approval", WarrantStep, WarrantStep.SUPERVISOR),
    )
    war.finish()
    prot = root.table("protected_plates", required=False)
    protected = {
        c: prot.choice(c.value, ProtectedHandling, ProtectedHandling.NOT_RECORDED)
        for c in ProtectedCategory
    }
    prot.finish()
    extra = _extra_rules(root)
    cited = root.table("sources")
    root.finish()  # an unknown table is named as such before its missing citation is
    sources = parse_sources(cited, data)
    return JurisdictionPolicy(
        name=name, title=title, jurisdiction=jurisdiction, statute=statute,
        retention_nonhit=nonhit, retention_hit=hit, hit_only=hit_only,
        permitted_purposes=frozenset(permitted), prohibited_purposes=frozenset(prohibited),
        offense_required=frozenset(offense_required), min_reason_length=min_length,
        min_reason_words=min_words, max_window=windows, search_types=search_types,
        allowed_hotlist_categories=frozenset(categories), sharing=sharing, approvals=approvals,
        sensitive_locations=sensitive, collection=collection, extra_rules=extra,
        no_state_match=no_state_match,
        protected_plates=protected, warrants=warrants, sources=sources,
        source=where if isinstance(where, Path) else None,
    )  # fmt: skip


def _search_types(table: _Table) -> dict[SearchType, SearchTypeRule]:
    result: dict[SearchType, SearchTypeRule] = {}
    for key in list(table.data):
        stype = _enum(table, key, SearchType, key)
        spec = table.table(key)
        rule = SearchTypeRule(
            legal_basis=frozenset(spec.choices("legal_basis", LegalBasis)),
            max_window=spec.duration("max_window") if "max_window" in spec.data else None,
            max_cameras=spec.number("max_cameras", 1, 100000)
            if "max_cameras" in spec.data
            else None,
            require_cameras=spec.flag("require_cameras", False),
            max_area_km2=spec.number("max_area_km2", 1, 2000)
            if "max_area_km2" in spec.data
            else None,
            min_known_characters=spec.number(
                "min_known_characters", 1, 10, 3 if stype is SearchType.PARTIAL else 1
            ),
            purposes=frozenset(spec.choices("purposes", Purpose))
            if "purposes" in spec.data
            else None,
            approval_without_warrant=spec.flag("approval_without_warrant", False),
        )
        if rule.purposes is not None and not rule.purposes:
            raise spec.error("purposes", "must list at least one purpose (or be left out)")
        if not rule.legal_basis:
            raise spec.error("legal_basis", "must list at least one legal basis")
        spec.finish()
        result[stype] = rule
    if not result:
        raise table.error("", "must allow at least one search type")
    table.finish()
    return result


def _sharing(table: _Table, jurisdiction: str) -> Sharing:
    states = set(table.strings("attestation_states"))
    bad = sorted(s for s in states if s != "*" and s not in US_REGIONS)
    if bad:
        raise table.error("attestation_states", f"{bad[0]!r} is not a US state code")
    if jurisdiction in states:
        raise table.error("attestation_states", "must not list the policy's own state")
    sharing = Sharing(
        in_state=table.choice("in_state", Access),
        attestation_states=frozenset(states),
        out_of_state=table.choice("out_of_state", Access),
        federal=table.choice("federal", Access),
        warrant_offenses=frozenset(table.strings("warrant_offenses", ())),
        attestation_covers=frozenset(table.choices("attestation_covers", Purpose, ())),
    )
    unknown = sorted(sharing.warrant_offenses - set(OFFENSES))
    if unknown:
        raise table.error("warrant_offenses", f"{unknown[0]!r} is not a known offense code")
    if sharing.out_of_state is Access.ALLOW or sharing.federal is Access.ALLOW:
        key = "out_of_state" if sharing.out_of_state is Access.ALLOW else "federal"
        raise table.error(key, "may be 'warrant' or 'never'; unconditional access is refused")
    uses_warrant = Access.WARRANT in (sharing.in_state, sharing.out_of_state, sharing.federal)
    if uses_warrant and not sharing.warrant_offenses:
        raise table.error("warrant_offenses", "must list offenses when any access is 'warrant'")
    table.finish()
    return sharing


def _categories(table: _Table, key: str) -> set[str]:
    values = set(table.strings(key, ()))
    unknown = sorted(values - SENSITIVE_CATEGORIES)
    if unknown:
        raise table.error(key, f"{unknown[0]!r} is not a sensitive-location category")
    return values


def _extra_rules(root: _Table) -> tuple[ExtraRule, ...]:
    raw = root.raw("rules", False) or []
    if not isinstance(raw, list):
        raise root.error("rules", "must be an array of tables ([[rules]])")
    rules: list[ExtraRule] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise root.error(f"rules[{index}]", "must be a table")
        table = _Table(root.where, f"rules[{index}]", item)
        rule = ExtraRule(
            id=table.text("id"), text=table.text("text"),
            effect=table.choice("effect", RuleEffect), when=table.text("when"),
        )  # fmt: skip
        if not _RULE_ID.fullmatch(rule.id) or any(r.id == rule.id for r in rules):
            raise table.error("id", "must be a unique id of lower-case letters, digits, dashes")
        if not rule.text or not rule.when:
            raise table.error("text" if not rule.text else "when", "must not be empty")
        table.finish()
        rules.append(rule)
    return tuple(rules)
