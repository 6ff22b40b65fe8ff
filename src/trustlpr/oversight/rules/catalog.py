"""The rule catalogue: every rule's id, misuse signal, title, needed columns and why it matters.

Rule ids are ``S<signal>.<name>`` after the numbered misuse signals of REFERENCE.md section 3,
so a finding can be traced to the signal it implements; ``MOD.vendor-flag`` surfaces the
vendor's own moderation. The ``why`` text is appended to every finding of the rule, so it is
written for a journalist or a council member, not for engineers. A rule with a ``policy`` text
can describe a *department practice* (``practices``): when it holds for a large share of
searches or users it is reported once, with that text saying which law or policy it conflicts
with, instead of as one finding per officer.
"""

from __future__ import annotations

from dataclasses import dataclass


def _reason_policy(what: str) -> str:
    return (
        "Audit-trail laws ask for the purpose of every access (e.g. California Civil Code "
        "§ 1798.90.52), and model policies ask for an offence from an allowed list plus a case "
        f"number; {what} cannot be checked against the purposes the agency's policy permits."
    )


@dataclass(frozen=True)
class RuleInfo:
    rule: str
    signal: int  # the misuse signal of REFERENCE.md section 3 (0: the vendor's own flag)
    title: str
    needs: str  # the columns the rule reads
    why: str  # why it matters, in plain language, appended to every finding
    policy: str = ""  # what it conflicts with when a department does it as a rule (practice)


_CATALOG = (
    RuleInfo(
        "S1.immigration",
        1,
        "Reason points to immigration enforcement",
        "Reason",
        "Several states bar sharing plate data for civil immigration enforcement (California, "
        "Illinois, Washington; Connecticut's Trust Act). Ask for the case and legal basis.",
    ),
    RuleInfo(
        "S1.reproductive-care",
        1,
        "Reason points to reproductive health care",
        "Reason",
        "Shield laws (e.g. Connecticut PA 22-19, Illinois) bar helping investigations of care "
        "that is legal in the state.",
    ),
    RuleInfo(
        "S1.gender-affirming-care",
        1,
        "Reason points to gender-affirming care",
        "Reason",
        "Shield laws bar helping investigations of gender-affirming care; a bare 'gender' may "
        "also be a description, so read each row.",
    ),
    RuleInfo(
        "S1.protest",
        1,
        "Reason points to a protest or protesters",
        "Reason",
        "Tracking people for protected First Amendment activity is a prohibited use in most "
        "ALPR policies.",
    ),
    RuleInfo(
        "S1.religion",
        1,
        "Reason names a religion or worship",
        "Reason",
        "Searches keyed to religion suggest targeting of a protected group.",
    ),
    RuleInfo(
        "S1.press",
        1,
        "Reason names journalists or the press",
        "Reason",
        "Tracking journalists threatens press freedom; a witness described as a reporter can "
        "also match.",
    ),
    RuleInfo(
        "S1.civil-matter",
        1,
        "Reason is a civil matter (custody, debt, eviction)",
        "Reason",
        "ALPR use is limited to criminal investigations almost everywhere; 'in custody' (an "
        "arrest) is not counted here.",
    ),
    RuleInfo(
        "S1.personal-use",
        1,
        "Reason suggests personal use",
        "Reason",
        "Personal use of police databases is misuse and, in many states, a crime.",
    ),
    RuleInfo(
        "S2.vague-reason",
        2,
        "Vague reason, no offence stated",
        "Reason",
        "Policies require an offence and a case number; a generic word lets any search through.",
        policy=_reason_policy("a vague reason"),
    ),
    RuleInfo(
        "S2.blank-reason",
        2,
        "No reason given",
        "Reason",
        "A search without a reason cannot be checked against any purpose.",
        policy=_reason_policy("a search without a reason"),
    ),
    RuleInfo(
        "S2.case-number-only",
        2,
        "Only a case number, no purpose stated",
        "Reason",
        "A case number alone does not say what offence justified searching the network.",
        policy=_reason_policy("a bare case number"),
    ),
    RuleInfo(
        "S2.no-offense-type",
        2,
        "No offense type named",
        "Offense Type, Reason",
        "Flock requires an offense type on every search; without one the search cannot be "
        "checked against the offences the agency's policy permits.",
        policy=(
            "Flock requires an offense type on every search (2026), from the FBI's NIBRS offense "
            "list; Washington SB 6002 (2026) requires access logs to record the purpose and the "
            "offense type of each search, and California Civil Code 1798.90.5–.55 the purpose. "
            "A search that names no offense cannot be checked against the offences the policy "
            "permits."
        ),
    ),
    RuleInfo(
        "S2.pii-in-reason",
        2,
        "Personal data typed into the reason",
        "Reason",
        "Audit logs are released to the public; personal data does not belong in them.",
    ),
    RuleInfo(
        "S3.case-reuse",
        3,
        "One case number for many plates or a long period",
        "Case # (or case numbers typed into Reason), License Plate",
        "One case number covering many unrelated plates or a long period can hide searches "
        "that have nothing to do with the case; big investigations can also do this, so "
        "compare with the case file.",
    ),
    RuleInfo(
        "S4.repeat-plate",
        4,
        "One user searching one plate repeatedly",
        "Name, License Plate",
        "Repeated searches of one plate by one person are the pattern of stalking cases (a "
        "Kansas chief searched his ex-partner 164 times); check for a hot-list entry, warrant "
        "or active case.",
    ),
    RuleInfo(
        "S5.linked-plates",
        5,
        "Plates searched together again and again",
        "Name, License Plate",
        "A small set of plates searched together again and again is the pattern of tracking a "
        "person and their circle (an ex-partner, her parents, a new partner).",
    ),
    RuleInfo(
        "S7.isolated-burst",
        7,
        "Burst of searches after long inactivity",
        "Name, Search Time",
        "Isolated bursts are how personal misuse usually looks; call-outs and shift changes "
        "explain many, so read the reasons.",
    ),
    RuleInfo(
        "S7.off-hours",
        7,
        "Isolated searches at the user's unusual hours",
        "Name, Search Time",
        "Off-shift, isolated sessions are how personal misuse usually looks; overtime and "
        "call-outs explain many, so read the reasons.",
    ),
    RuleInfo(
        "S8.wide-scope",
        8,
        "Nationwide or all-network search without a serious offence",
        "Total Networks Searched, Reason",
        "Nationwide or all-network searches should need a felony and a supervisor's approval.",
        policy=(
            "Searching every network by default exposes the travel of people far from the case; "
            "model policies (ACLU, EFF) keep nationwide or all-network searches for serious "
            "offences, with a supervisor's approval."
        ),
    ),
    RuleInfo(
        "S9.out-of-state",
        9,
        "Search by an agency of another state",
        "Org Name",
        "Check that a sharing agreement and an attestation (no immigration or reproductive-care "
        "use) are on file; an audit export cannot show them.",
    ),
    RuleInfo(
        "S10.federal-requester",
        10,
        "Search by a federal agency",
        "Org Name",
        "Federal access to local plate data is barred or limited in several states; "
        "immigration use is barred in most.",
    ),
    RuleInfo(
        "S10.on-behalf-of-federal",
        10,
        "Search on behalf of a federal agency",
        "Reason",
        "Local searches for federal agents bypass sharing limits; HSI or DHS named without an "
        "offence may be immigration work.",
    ),
    RuleInfo(
        "S10.federal-followup",
        10,
        "Local search of a plate a federal search touched",
        "License Plate, Org Name or Reason",
        "Local look-ups right after a federal one can be the federal request carried out "
        "through local access.",
    ),
    RuleInfo(
        "S12.sensitive-place",
        12,
        "Search aimed at a sensitive place",
        "Reason",
        "Washington bars cameras near such places; searches aimed at them can reveal protected "
        "activity.",
    ),
    RuleInfo(
        "S14.plateless-search",
        14,
        "Convoy, visual, freeform or multi-area search",
        "Search Type",
        "Searches by feature, company or area sweep in everyone nearby; they should need a "
        "warrant.",
        policy=(
            "Searches without a plate (convoy, visual, free text, area) sweep up every similar "
            "car; model policies require a warrant for them."
        ),
    ),
    RuleInfo(
        "S14.feature-search",
        14,
        "Vehicle-feature search without a plate",
        "License Plate",
        "A search without a plate returns every vehicle that matches: far wider than a lookup.",
        policy=(
            "Searches by vehicle features or a time window alone sweep up every similar car; "
            "model policies require a warrant or a serious offence for them."
        ),
    ),
    RuleInfo(
        "S15.minor-use",
        15,
        "Non-criminal or minor use (parking, residency, traffic)",
        "Reason",
        "ALPR policies limit searches to criminal investigations and hot-list alerts.",
        policy=(
            "ALPR policies limit use to criminal investigations; parking, code enforcement and "
            "similar uses fall outside most of them."
        ),
    ),
    RuleInfo(
        "S15.test-use",
        15,
        "Test, training or demo search on live data",
        "Reason",
        "Tests on live data expose real people's movements; they belong on synthetic data.",
    ),
    RuleInfo(
        "S16.undocumented-entry",
        16,
        "Hot-list entry without case number or reason",
        "admin event log",
        "Every camera alerts on hot-list plates; an entry no one can tie to a case is how "
        "personal or political watch lists start.",
        policy=(
            "Every hot-list entry alerts on every camera; policies ask for the case number and "
            "reason of each entry."
        ),
    ),
    RuleInfo(
        "S16.no-expiry",
        16,
        "Hot-list entry that never expires",
        "admin event log",
        "Entries should lapse when the case or warrant does.",
        policy=(
            "Entries that never expire keep alerting long after the case is closed; policies ask "
            "for an expiry or a periodic review of each entry."
        ),
    ),
    RuleInfo(
        "S21.volume-spike",
        21,
        "A day far above the user's usual volume",
        "Name, Search Time",
        "Spikes can be a major incident, or bulk searching that no case explains.",
    ),
    RuleInfo(
        "S21.shared-reason",
        21,
        "Same reason text used by many agencies",
        "Org Name, Reason",
        "One request circulated to many agencies (a federal ask, a regional bulletin) can reach "
        "data none of them could share directly.",
    ),
    RuleInfo(
        "S22.unverifiable-claim",
        22,
        "Urgent claim with no case number to check",
        "Reason",
        "Without a case or report number the claim cannot be matched to any record.",
        policy=(
            "An urgent claim (missing person, stolen car) without a case number cannot be matched "
            "to a report; policies that require a case number for every search exist for this."
        ),
    ),
    RuleInfo(
        "MOD.vendor-flag",
        0,
        "The vendor's moderation flagged the search",
        "Moderation",
        "The vendor screens reasons for banned words; a block or warning means the reason "
        "itself raised concern.",
    ),
)
RULES: dict[str, RuleInfo] = {r.rule: r for r in _CATALOG}
