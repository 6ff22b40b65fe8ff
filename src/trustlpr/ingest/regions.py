"""Issuing region codes, read by the scheme of the system that sent them.

A region code is not a state: Plate Recognizer's ``ca`` is Canada, not California, and
OpenALPR's European ``de`` is Germany, not Delaware. Each sender documents its own scheme:

- **Plate Recognizer**: ISO 3166-1 alpha-2 countries (``ca``, ``de``, ``ng``) and ISO 3166-2
  subdivisions (``us-ct``, ``ca-on``, ``gb-eng``).
- **OpenALPR / Rekor**: a ``country`` (the recognition config: ``us``, ``eu``, ``au``, ``br``,
  ``gb``…) and a region inside it. The Rekor agent writes regions as ``us-mo``; the
  open-source ``alprd`` writes the bare region (``mo``; in the ``eu`` config, a country code
  such as ``de``) and names no country in its frames, so the camera's country decides.

The result is ``(state, country)``: ``state`` only for US states and territories and Canadian
provinces (what hot lists key on), ``country`` as ISO alpha-2 whenever it is known. A code
that names nothing known gives ``(None, None)``: a guessed region would make matches wrong.
"""

from __future__ import annotations

from typing import NamedTuple

import pycountry

from ..core.plates import CA_REGIONS, US_REGIONS

# OpenALPR recognition configs whose regions are subdivisions of one country (runtime_data/
# postprocess/*.patterns); "eu" regions are themselves countries.
_OPENALPR_COUNTRIES = {
    "us": "US",
    "au": "AU",
    "br": "BR",
    "brg": "BR",
    "gb": "GB",
    "in": "IN",
    "kr": "KR",
    "kr2": "KR",
    "mx": "MX",
    "sg": "SG",
    "cl": "CL",
}
_SUBDIVISIONS = {"US": US_REGIONS, "CA": CA_REGIONS}


class Region(NamedTuple):
    state: str | None
    country: str | None


NONE = Region(None, None)


def _country(code: str) -> str | None:
    code = code.upper()
    if len(code) != 2 or not code.isalpha():
        return None
    return code if pycountry.countries.get(alpha_2=code) is not None else None


def _in_country(country: str, subdivision: str) -> Region:
    """A subdivision of ``country``: a state when it is a US/Canadian one, else the country."""
    known = _SUBDIVISIONS.get(country)
    sub = subdivision.upper()
    if known is not None and sub in known:
        return Region(sub, country)
    if country == "US" and sub in CA_REGIONS:  # OpenALPR's "us" config reads all of North America
        return Region(sub, "CA")
    return Region(None, country)


def iso_region(code: object) -> Region:
    """Plate Recognizer's ``region.code``: ISO 3166-1 country or ISO 3166-2 subdivision."""
    if not isinstance(code, str) or not code.strip():
        return NONE
    text = code.strip()
    head, sep, tail = text.partition("-")
    country = _country(head)
    if country is None:
        return NONE
    return _in_country(country, tail) if sep and tail else Region(None, country)


def openalpr_region(
    region: object, country: object = None, camera_country: str | None = None
) -> Region:
    """OpenALPR's ``region`` (``us-mo``, ``mo``, ``de``) read in its ``country`` config; for a
    bare region without a country, the config is assumed from the camera's country (``US`` or
    no country: alprd's default ``us``; ``AU``…: that country's config; elsewhere ``eu``)."""
    if not isinstance(region, str) or not region.strip():
        return NONE
    text = region.strip().lower()
    head, sep, tail = text.partition("-")
    if sep and tail:  # Rekor: "us-mo"
        config, sub = head, tail
    else:
        given = country.strip().lower() if isinstance(country, str) and country.strip() else None
        config, sub = given or _config_for(camera_country), text
    if config == "eu":
        found = _country(sub)
        return Region(None, found) if found else NONE
    iso = _OPENALPR_COUNTRIES.get(config) or _country(config)
    if iso is None:
        return NONE
    return _in_country(iso, sub)


def _config_for(camera_country: str | None) -> str:
    if camera_country is None or camera_country in ("US", "CA"):
        return "us"
    for config, iso in _OPENALPR_COUNTRIES.items():
        if iso == camera_country:
            return config
    return "eu"
