"""Plates with a realistic issuing-state mix, and the make/colour/body vocabularies.

Formats are common passenger series per state (``@`` a letter, ``#`` a digit), after the
OpenALPR ``us.patterns`` list; letters I, O, Q and U are left out as most series do, so that
every O/0 or I/1 in a read is a camera's confusion, not the plate. Plates are unique in text
across the whole fleet, which keeps the ground truth unambiguous.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError
from ..core.plates import REGIONS

PLATE_WIDTH = 8
PlateArray = npt.NDArray[np.bytes_]

_FORMATS: dict[str, tuple[tuple[str, float], ...]] = {
    "CT": (("@@#####", 0.55), ("###@@@", 0.25), ("#@@@@#", 0.20)),
    "NY": (("@@@####", 0.85), ("@@@###", 0.15)),
    "MA": (("#@@###", 0.50), ("#@@@##", 0.30), ("###@@#", 0.20)),
    "RI": (("######", 0.35), ("@@###", 0.35), ("#####", 0.30)),
    "NJ": (("@##@@@", 0.75), ("@@@##@", 0.25)),
    "NH": (("#######", 0.60), ("@@@###", 0.40)),
    "VT": (("@@@###", 1.0),),
    "ME": (("####@@", 1.0),),
    "VA": (("@@@####", 0.80), ("@@####", 0.20)),
    "MD": (("#@@####", 1.0),),
    "DC": (("@@####", 1.0),),
    "NC": (("@@@####", 1.0),),
    "PA": (("@@@####", 1.0),),
    "FL": (("@@@@##", 0.50), ("###@@@", 0.50)),
    "TX": (("@@@####", 1.0),),
    "CA": (("#@@@###", 1.0),),
    "GA": (("@@@####", 1.0),),
    "OH": (("@@@####", 1.0),),
    "WV": (("#@@###", 1.0),),
    "TN": (("@@@####", 1.0),),
}
_DEFAULT_FORMAT = (("@@@####", 1.0),)
_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "CT": ("NY", "MA", "RI", "NJ"),
    "MA": ("NH", "RI", "CT", "NY", "VT", "ME"),
    "RI": ("MA", "CT", "NY"),
    "NY": ("NJ", "CT", "PA", "MA", "VT"),
    "NH": ("MA", "VT", "ME", "NY"),
    "VA": ("MD", "NC", "DC", "WV", "TN", "PA"),
}
_FAR = ("FL", "TX", "CA", "PA", "NC", "GA", "OH")
LETTERS = np.frombuffer(b"ABCDEFGHJKLMNPRSTVWXYZ", dtype=np.uint8)
DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)

MAKES = (
    "Toyota Honda Ford Chevrolet Nissan Hyundai Subaru Jeep Kia Volkswagen BMW Tesla Mazda "
    "Mercedes-Benz Ram GMC Dodge Lexus Audi Volvo"
).split()
MAKE_WEIGHTS = np.array([14, 11, 11, 10, 7, 6, 6, 5, 5, 4, 3, 3, 3, 3, 2, 2, 2, 1.5, 1.5, 1])
COLOURS = "white black gray silver blue red green brown beige orange".split()
COLOUR_WEIGHTS = np.array([24, 22, 18, 13, 10, 8, 2, 1.5, 1, 0.5])
VEHICLE_TYPES = "sedan suv pickup van hatchback coupe truck motorcycle".split()
TYPE_WEIGHTS = np.array([33, 36, 13, 6, 6, 2, 3, 1])


def state_codes(home: str) -> tuple[str, ...]:
    """The issuing states a city's fleet can carry: home first, then neighbours, then far."""
    ordered = [home, *_NEIGHBOURS.get(home, ("NY", "NJ", "PA")), *_FAR]
    return tuple(dict.fromkeys(code for code in ordered if code in REGIONS))


def state_mix(codes: tuple[str, ...], *, resident: bool) -> npt.NDArray[np.float64]:
    """Probabilities over ``codes``: residents are ~90% home-state, through traffic ~10%."""
    home = codes[0]
    near = [c for c in codes[1:] if c in _NEIGHBOURS.get(home, ("NY", "NJ", "PA"))]
    far = [c for c in codes[1:] if c not in near]
    shares = (0.9, 0.08, 0.02) if resident else (0.1, 0.6, 0.3)
    probs = np.zeros(len(codes))
    probs[0] = shares[0]
    for group, share in ((near, shares[1]), (far, shares[2])):
        for code in group:
            probs[codes.index(code)] += share / len(group)
    return np.asarray(probs / probs.sum(), dtype=np.float64)


def _from_pattern(pattern: str, count: int, rng: np.random.Generator) -> PlateArray:
    chars = np.zeros((count, PLATE_WIDTH), dtype=np.uint8)
    for i, kind in enumerate(pattern):
        pool = LETTERS if kind == "@" else DIGITS
        chars[:, i] = pool[rng.integers(0, pool.size, count)]
    return chars.view(f"S{PLATE_WIDTH}").ravel()


def _plates_for(state: str, count: int, rng: np.random.Generator) -> PlateArray:
    formats = _FORMATS.get(state, _DEFAULT_FORMAT)
    weights = np.array([w for _, w in formats])
    which = rng.choice(len(formats), size=count, p=weights / weights.sum())
    out = np.empty(count, dtype=f"S{PLATE_WIDTH}")
    for index, (pattern, _) in enumerate(formats):
        mask = which == index
        out[mask] = _from_pattern(pattern, int(mask.sum()), rng)
    return out


def make_plates(
    states: npt.NDArray[np.int8], codes: tuple[str, ...], rng: np.random.Generator
) -> PlateArray:
    """One plate per vehicle in its state's formats, unique in text across the fleet."""
    plates = np.empty(states.size, dtype=f"S{PLATE_WIDTH}")
    todo = np.arange(states.size)
    for _ in range(50):
        for code_index in np.unique(states[todo]).tolist():
            mask = states[todo] == code_index
            plates[todo[mask]] = _plates_for(codes[code_index], int(mask.sum()), rng)
        _, first = np.unique(plates.view(np.uint64), return_index=True)  # 8 bytes = 1 int
        duplicate = np.ones(states.size, dtype=bool)
        duplicate[first] = False
        todo = np.flatnonzero(duplicate)
        if todo.size == 0:
            return plates
    raise InputError("too many vehicles for the plate formats of their states", field="vehicles")


def pick(
    weights: npt.NDArray[np.float64], count: int, rng: np.random.Generator
) -> npt.NDArray[np.int8]:
    """``count`` indices drawn with the given relative weights."""
    return rng.choice(weights.size, size=count, p=weights / weights.sum()).astype(np.int8)
