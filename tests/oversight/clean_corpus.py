"""A month and a half of realistic *clean* traffic: searches as departments really write them.

Reasons come in the shapes seen in real releases — a bare case number, the 2026 offense
drop-down (``Category - detail``), free text naming an offence with or without a case number,
"stolen vehicle", "BOLO …", "ATL …", hot-list alerts, the odd bare "BOLO" or "ATL" — searched
by officers on day, evening and night shifts, with the patterns innocent work makes: a
detective following a stolen car a few times in a week, a canvass of many plates after a
shooting, nationwide lookups for serious offences, a busy day after a major incident
(which ``S21.volume-spike`` is documented to flag), night call-outs. No row
is misuse. Every name, agency and plate is invented; IDs start with ``K``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .synth import HOME_ORG, START, Search

DROPDOWN = [
    "Motor Vehicle Theft", "Burglary/Breaking & Entering", "Robbery", "Aggravated Assault",
    "Drug/Narcotic Violations", "Weapon Law Violations", "Fraud - Credit Card",
    "Kidnapping/Abduction", "Stolen Property Offenses", "Larceny/Theft", "Hit and Run",
    "Missing Person",
]  # fmt: skip
FREE_TEXT = [
    "stolen vehicle", "Stolen Vehicle", "BOLO stolen vehicle", "BOLO armed robbery suspect",
    "ATL missing juvenile", "ATL armed robbery suspect", "Attempt to locate missing adult",
    "Burglary", "Residential burglary", "Robbery", "Armed robbery", "Carjacking", "Shots fired",
    "Aggravated assault", "Homicide", "Hit and run", "Felony eluding", "Retail theft",
    "Theft from vehicle", "Catalytic converter theft", "Identity theft", "Narcotics",
    "Domestic violence suspect vehicle", "Wanted person - felony warrant", "Runaway juvenile",
    "Endangered missing adult", "Stolen plate", "Fraud", "Shoplifting", "Weapons violation",
]  # fmt: skip
RARE_VAGUE = ["BOLO", "ATL", "Investigation"]
ALERTS = ["Hotlist alert - stolen vehicle", "LPR hit stolen plate", "NCIC hit - stolen vehicle"]
SHIFTS = {"day": 7, "evening": 15, "night": 23}  # shift start, UTC hour


def realistic_clean(users: int = 24, days: int = 42, seed: int = 11) -> list[Search]:
    rng = random.Random(seed)
    out: list[Search] = []
    serial = 0

    def add(
        name: str, at: datetime, reason: str, plate: str, case: str = "", nets: int = 1
    ) -> None:
        nonlocal serial
        serial += 1
        out.append(
            Search(f"K{serial:06d}", name, at, reason, plate=plate, case=case, networks=nets)
        )

    def case_no() -> str:
        return f"25-{rng.randint(1000, 99999):05d}"

    def plate() -> str:
        return "".join(rng.choice("ABCDEFGHJKLMNPRTUVWXY") for _ in range(3)) + str(
            rng.randint(1000, 9999)
        )

    for u in range(users):
        name = f"Officer Real{u:02d}"
        shift = list(SHIFTS.values())[u % 3]
        off = {(u % 7), (u + 1) % 7}
        for day in range(days):
            if day % 7 in off:
                continue
            moment = START + timedelta(days=day, hours=shift, minutes=rng.randint(0, 90))
            for _ in range(rng.randint(2, 8)):
                roll = rng.random()
                case = case_no()
                nets = rng.choice([1, 1, 2, 3])
                if roll < 0.30:  # a bare case number, typed into Reason or the Case # column
                    reason, col = (case, "") if rng.random() < 0.5 else ("", case)
                    if not reason:
                        reason = rng.choice(FREE_TEXT)
                elif roll < 0.55:
                    reason, col = f"{rng.choice(DROPDOWN)} - {case}", ""
                elif roll < 0.88:
                    text = rng.choice(FREE_TEXT)
                    reason, col = (f"{text} {case}", "") if rng.random() < 0.5 else (text, case)
                elif roll < 0.96:
                    reason, col = rng.choice(ALERTS), ""
                else:
                    reason, col = rng.choice(RARE_VAGUE), case
                if any(w in reason.lower() for w in ("homicide", "robbery", "kidnap", "missing")):
                    nets = rng.choice([3, 50, 1500])  # serious offences go wide
                add(name, moment, reason, plate(), col, nets)
                moment += timedelta(minutes=rng.randint(4, 70))
    # A detective follows one stolen car: four lookups over nine days, one case.
    stolen, case = plate(), "25-70001"
    for d in (2, 4, 7, 11):
        add("Detective Real90", START + timedelta(days=d, hours=9), f"stolen vehicle {case}",
            stolen, "", 2)  # fmt: skip
    # A canvass after a shooting: 30 plates in an hour under one case number.
    for k in range(30):
        add("Detective Real91", START + timedelta(days=20, hours=10, minutes=2 * k),
            "Shots fired - canvass", plate(), "25-70002", 3)  # fmt: skip
    # A major incident: a sergeant's busiest day (usual days have 3-6 searches).
    for day in range(0, days, 2):
        for k in range(rng.randint(3, 6)):
            add("Sergeant Real92", START + timedelta(days=day, hours=8, minutes=11 * k),
                f"{rng.choice(DROPDOWN)} - {case_no()}", plate(), "", 1)  # fmt: skip
    for k in range(45):
        add("Sergeant Real92", START + timedelta(days=27, hours=9, minutes=4 * k),
            "Homicide - 25-70003", plate(), "", 3)  # fmt: skip
    # Call-outs: a day-shift officer searches at night, for a serious offence with a case.
    for k, day in enumerate((9, 23, 34)):
        add("Officer Real00", START + timedelta(days=day, hours=3, minutes=k),
            f"Armed robbery {case_no()}", plate(), "", 2)  # fmt: skip
    for s in out:
        s.org = HOME_ORG
    return out
