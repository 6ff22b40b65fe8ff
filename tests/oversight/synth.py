"""Synthetic Flock audit exports in the real column layouts, with planted misuse.

Every person, agency and plate here is invented. Clean rows get export IDs starting with
``C``; each planted row's ID starts with ``P-<rule id>-`` so a test can check that every
planted case is found and that no finding cites a clean row.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

HEADER_13 = [
    "ID", "Name", "Org Name", "Total Networks Searched", "Time Frame", "License Plate",
    "Reason", "Case #", "Filters", "Search Time", "Search Type", "Text Prompt", "Moderation",
]  # fmt: skip
HOME_ORG = "Springfield CT PD"
START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday


def flock_time(moment: datetime, padded: bool = False) -> str:
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    clock = f"{hour:02d}:{moment:%M:%S}" if padded else f"{hour}:{moment:%M:%S}"
    date = f"{moment:%m/%d/%Y}" if padded else f"{moment.month}/{moment.day}/{moment.year}"
    return f"{date}, {clock} {half} UTC"


@dataclass
class Search:
    id: str
    name: str
    at: datetime
    reason: str
    plate: str = ""
    org: str = HOME_ORG
    networks: int = 1
    case: str = ""
    filters: str = ""
    type: str = "lookup"
    prompt: str = ""
    moderation: str = ""
    window: timedelta = field(default=timedelta(days=7))

    def row13(self) -> list[str]:
        frame = f"{flock_time(self.at - self.window)}\n{flock_time(self.at)}"
        return [
            self.id, self.name, self.org, str(self.networks), frame, self.plate, self.reason,
            self.case, self.filters, flock_time(self.at), self.type, self.prompt, self.moderation,
        ]  # fmt: skip


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    bom: bool = False,
    encoding: str = "utf-8",
    terminator: str = "\r\n",
) -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        if bom:
            handle.write("\ufeff")
        writer = csv.writer(handle, lineterminator=terminator)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_13(path: Path, searches: Iterable[Search], **kwargs: object) -> Path:
    return write_csv(path, HEADER_13, (s.row13() for s in searches), **kwargs)  # type: ignore[arg-type]


_OFFENCES = ["Burglary", "Robbery", "Stolen vehicle", "Armed robbery", "Shooting", "Carjacking"]


def clean_traffic(users: int = 10, days: int = 56, seed: int = 7) -> list[Search]:
    """Day-shift traffic: specific offences with case numbers, one plate per search, few
    networks, no user repeating a plate, each case number on at most three plates."""
    rng = random.Random(seed)
    out: list[Search] = []
    number = 0
    for u in range(users):
        name = f"Officer Clean{u:02d}"
        for day in range(days):
            if day % 7 in (5, 6):
                continue
            moment = START + timedelta(days=day, hours=14, minutes=rng.randint(0, 50))
            for k in range(rng.randint(3, 7)):
                number += 1
                case = f"25-{number // 3 + 10000:05d}"
                offence = rng.choice(_OFFENCES)
                out.append(
                    Search(
                        id=f"C{number:06d}",
                        name=name,
                        at=moment,
                        reason=f"{offence} {case}" if k % 2 else offence,
                        case="" if k % 2 else case,
                        plate=f"CL{number:05d}",
                        networks=rng.choice([1, 2, 3]),
                    )
                )
                moment += timedelta(minutes=rng.randint(5, 55))
    # anchors that flock_flag.py gets wrong and we must not flag
    anchors = [
        "Suspect in custody for assault, locate his vehicle 25-55501",  # names the offence
        "Taken into custody after robbery 25-55502",
        "Theft of ice machine from store 25-55503",
        "Burglary, press release pending 25-55504",
    ]
    for i, reason in enumerate(anchors):
        number += 1
        out.append(
            Search(
                id=f"C{number:06d}",
                name="Officer Clean00",
                at=START + timedelta(days=1, hours=15, minutes=10 * i),
                reason=reason,
                plate=f"CL{number:05d}",
            )
        )
    return out


def _p(rule: str, n: int) -> str:
    return f"P-{rule}-{n}"


def planted() -> dict[str, list[Search]]:
    """Rule id → the planted searches that must be found by that rule."""
    day = timedelta(days=1)
    t0 = START + timedelta(days=2, hours=15)
    p: dict[str, list[Search]] = {}

    def one(rule: str, reason: str, **kw: object) -> None:
        n = len(p.get(rule, []))
        name = f"Planted {rule.split('.')[1]}"
        at = t0 + n * timedelta(minutes=7)
        plate = f"PL{sum(len(v) for v in p.values()):05d}"
        base = Search(_p(rule, n), name, at, reason, plate=plate)
        p.setdefault(rule, []).append(replace(base, **kw))  # type: ignore[arg-type]

    one("S1.immigration", "ICE ERO assist")
    one("S1.immigration", "per 1CE agent, check vehicle")
    one("S1.reproductive-care", "possible abortion travel out of state")
    one("S1.gender-affirming-care", "gender affirming care clinic visit")
    one("S1.protest", "protester at city hall rally")
    one("S1.religion", "muslim community members")
    one("S1.press", "journalist following officers")
    one("S1.civil-matter", "child custody dispute, mother's car")
    one("S1.personal-use", "personal - my ex girlfriend")
    for _ in range(3):
        one("S2.vague-reason", "investigation")
    one("S2.blank-reason", "", moderation="warn")
    one("S2.case-number-only", "25-99999")
    one("S2.no-offense-type", "per sergeant, see 25-99990")
    one("S2.pii-in-reason", "Burglary 25-31111 owner DOB 01/02/1980")
    one("S8.wide-scope", "Theft of bicycle 25-32222", networks=1424)
    one("S10.on-behalf-of-federal", "per HSI agent, narcotics task force 25-34444")
    one("S12.sensitive-place", "vehicles seen at the mosque")
    one("S14.plateless-search", "Burglary series 25-36666", plate="", type="convoy")
    one("S14.feature-search", "Burglary 25-36667", plate="", type="search", filters="Sedan, black")
    one("S15.minor-use", "parking complaint")
    one("S15.test-use", "test")
    one("S22.unverifiable-claim", "missing child")
    one("MOD.vendor-flag", "Burglary 25-37777", moderation="block")
    # signal 9 and 10: requesters
    one("S9.out-of-state", "Robbery 25-40001", org="Lone Star TX SO", name="Deputy Faraway")
    one(
        "S10.federal-requester",
        "Narcotics trafficking 25-40002",
        org="HSI Hartford",
        name="Agent Federal",
        plate="FED1234",
    )
    one(
        "S10.federal-followup",
        "Narcotics 25-40003",
        plate="FED1234",
        at=t0 + timedelta(hours=5),
        name="Officer Follow",
    )
    # signal 3: one case number for 30 plates
    for n in range(30):
        one(
            "S3.case-reuse",
            "Robbery 25-77777",
            plate=f"CR{n:04d}",
            name="Planted Casework",
            at=t0 + day * 3 + n * timedelta(minutes=9),
        )
    # signal 4: one plate on six days
    for n in range(6):
        one(
            "S4.repeat-plate",
            "Robbery 25-70001",
            plate="STK1234",
            name="Planted Stalker",
            at=t0 + day * (2 * n + 1),
        )
    # signal 5: two plates in the same sittings on three days
    for n in range(3):
        for k, plate in enumerate(("LNK001", "LNK002")):
            one(
                "S5.linked-plates",
                f"Burglary 25-7100{n}",
                plate=plate,
                name="Planted Linker",
                at=t0 + day * (3 * n + 1) + k * timedelta(minutes=4),
            )
    # signal 21: the same reason from five agencies of the home state within two days
    for n in range(5):
        one(
            "S21.shared-reason",
            "Regional BOLO white van 25-79999",
            org=f"Town{n} CT PD",
            name=f"Officer Town{n}",
            plate=f"SH{n:03d}",
            at=t0 + n * timedelta(hours=5),
        )
    return p


def night_owl() -> tuple[list[Search], list[Search]]:
    """A user with a regular day shift (clean) and one isolated sitting at 03:00 UTC (planted)."""
    regular = [
        Search(
            f"C9{n:05d}",
            "Officer Nightowl",
            START + timedelta(days=d, hours=15, minutes=9 * k),
            f"Burglary 25-6{n:04d}",
            plate=f"NO{n:05d}",
        )
        for n, (d, k) in enumerate((d, k) for d in range(0, 40) if d % 7 < 5 for k in range(5))
    ]
    odd = [
        Search(
            _p("S7.off-hours", k),
            "Officer Nightowl",
            START + timedelta(days=12, hours=3, minutes=5 * k),
            f"Robbery 25-69{k:03d}",
            plate=f"OH{k:03d}",
        )
        for k in range(2)
    ]
    return regular, odd


def burst_and_spike() -> tuple[list[Search], list[Search], list[Search]]:
    """Regular traffic (clean), an isolated burst of vague searches on a day off, and a day
    (a Saturday, nothing else) with far more searches than usual (planted)."""
    regular = [
        Search(
            f"C8{n:05d}",
            "Officer Bursty",
            START + timedelta(days=d, hours=16, minutes=7 * k),
            f"Shooting 25-5{n:04d}",
            plate=f"BU{n:05d}",
        )
        for n, (d, k) in enumerate((d, k) for d in range(0, 30) if d % 7 < 5 for k in range(4))
    ]
    burst = [
        Search(
            _p("S7.isolated-burst", k),
            "Officer Bursty",
            START + timedelta(days=12, hours=16, minutes=2 * k),
            "inv",
            plate=f"BX{k:03d}",
        )
        for k in range(12)
    ]  # day 12 is a Saturday: nothing else that day
    spike = [
        Search(
            _p("S21.volume-spike", k),
            "Officer Bursty",
            START + timedelta(days=19, hours=14, seconds=50 * k),
            f"Armed robbery 25-8{k:04d}",
            plate=f"VS{k:04d}",
        )
        for k in range(60)  # day 19 is a Saturday too
    ]
    return regular, burst, spike
