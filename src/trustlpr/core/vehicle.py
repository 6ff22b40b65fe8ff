"""The vehicle-attribute vocabulary: make, colour and body type in one canonical spelling.

Cameras name the same thing many ways ("chevy", "Chevrolet", "CHEVROLET"; "grey", "gray";
"pickup", "truck"). Reads keep what the camera sent; the store indexes, and an attribute
search asks for, the canonical value here, so "chevy" finds a read sent as "Chevrolet". A
read whose value is not in the vocabulary is stored as sent but gets no index for it (it is
never lost at ingest); a search naming an unknown value is refused with the accepted values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import InputError

MAKES: dict[str, tuple[str, ...]] = {
    "acura": (),
    "audi": (),
    "bmw": ("bmw", "b.m.w."),
    "buick": (),
    "cadillac": ("caddy",),
    "chevrolet": ("chevy", "chev"),
    "chrysler": (),
    "dodge": (),
    "fiat": (),
    "ford": (),
    "gmc": ("gm", "general motors"),
    "honda": (),
    "hyundai": (),
    "infiniti": ("infinity",),
    "jaguar": (),
    "jeep": (),
    "kia": (),
    "land rover": ("landrover", "range rover"),
    "lexus": (),
    "lincoln": (),
    "mazda": (),
    "mercedes-benz": ("mercedes", "benz", "mercedes benz", "mb"),
    "mini": (),
    "mitsubishi": (),
    "nissan": ("datsun",),
    "porsche": (),
    "ram": (),
    "subaru": (),
    "tesla": (),
    "toyota": (),
    "volkswagen": ("vw", "volks wagen"),
    "volvo": (),
}
COLOURS: dict[str, tuple[str, ...]] = {
    "black": (),
    "blue": ("navy", "dark blue", "light blue"),
    "brown": ("tan", "beige", "bronze", "brown-beige"),
    "gold": ("gold-yellow",),
    "green": ("dark green",),
    "grey": ("gray", "charcoal", "dark grey", "dark gray"),
    "orange": (),
    "purple": ("violet",),
    "red": ("maroon", "burgundy", "dark red"),
    "silver": ("silver-gray", "silver-grey"),
    "white": ("pearl",),
    "yellow": (),
}
BODY_TYPES: dict[str, tuple[str, ...]] = {
    "sedan": (
        "sedan-standard",
        "sedan-compact",
        "sedan-sports",
        "sedan-wagon",
        "car",
        "saloon",
        "coupe",
    ),
    "suv": ("suv-standard", "suv-crossover", "crossover", "sport utility"),
    "pickup": ("pickup-truck", "pickup truck", "truck-standard", "truck"),
    "van": ("van-mini", "van-full", "minivan", "van-cargo"),
    "hatchback": ("hatch",),
    "wagon": ("estate", "station wagon"),
    "motorcycle": ("motorbike", "moto"),
    "bus": (),
    "heavy truck": ("semi", "tractor-trailer", "big-truck", "lorry"),
    "convertible": ("sedan-convertible", "cabriolet"),
}


def _table(vocabulary: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {}
    for canonical, aliases in vocabulary.items():
        for spelling in (canonical, *aliases):
            table[_key(spelling)] = canonical
    return table


def _key(text: str) -> str:
    """Case, spacing and ``_``/``-``/``.`` differences do not matter."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


KINDS = ("make", "colour", "vehicle_type")
"""The attributes, by the names requests, bodies and the store use."""
_LOOKUP = {"make": _table(MAKES), "colour": _table(COLOURS), "vehicle_type": _table(BODY_TYPES)}
_ACCEPTED = {"make": MAKES, "colour": COLOURS, "vehicle_type": BODY_TYPES}
ACCEPTED: dict[str, tuple[str, ...]] = {kind: tuple(words) for kind, words in _ACCEPTED.items()}
"""The canonical values of each attribute, for the forms that offer them as choices."""


def canonical(kind: str, value: str | None) -> str | None:
    """The canonical spelling of a sent value, or None when absent or not in the vocabulary."""
    if value is None:
        return None
    return _canonical(kind, value)


@lru_cache(maxsize=4096)
def _canonical(kind: str, value: str) -> str | None:
    """Memoised: ingest and every decrypted search row ask it of a few dozen spellings."""
    return _LOOKUP[kind].get(_key(value))


def checked(kind: str, value: str) -> str:
    """The canonical spelling of a searched value; ``InputError`` listing accepted values."""
    found = canonical(kind, value)
    if found is None:
        accepted = ", ".join(_ACCEPTED[kind])
        raise InputError(f"{value[:40]!r} is not a known {kind}; accepted: {accepted}", field=kind)
    return found


@dataclass(frozen=True, slots=True)
class VehicleAttributes:
    """What an attribute search asks for; every given value is canonical (``checked``)."""

    make: str | None = None
    colour: str | None = None
    vehicle_type: str | None = None

    @classmethod
    def parse(
        cls, *, make: str | None = None, colour: str | None = None, vehicle_type: str | None = None
    ) -> VehicleAttributes:
        """Canonical attributes from a request's words; at least one must be given."""
        given = {
            kind: checked(kind, value.strip())
            for kind, value in (("make", make), ("colour", colour), ("vehicle_type", vehicle_type))
            if value is not None and value.strip()
        }
        if not given:
            raise InputError(
                "an attribute search names at least one of make, colour, vehicle_type",
                field="make",
            )
        return cls(**given)

    def items(self) -> list[tuple[str, str]]:
        """The given ``(kind, canonical value)`` pairs."""
        pairs = (("make", self.make), ("colour", self.colour), ("vehicle_type", self.vehicle_type))
        return [(kind, value) for kind, value in pairs if value is not None]

    def matches(self, make: str | None, colour: str | None, vehicle_type: str | None) -> bool:
        """Whether a read's sent values mean what this search asks for."""
        sent = {"make": make, "colour": colour, "vehicle_type": vehicle_type}
        return all(canonical(kind, sent[kind]) == value for kind, value in self.items())
