"""Key material: the root secret and the per-day data and blind-index keys. Nothing else
in TrustLPR touches keys."""

from .ring import DayKeys, KeyRing, ReadKeys, StandingKeys, pseudonymiser
from .root import ROOT_KEY_ENV, create_root_key, load_root_key

__all__ = [
    "ROOT_KEY_ENV",
    "DayKeys",
    "KeyRing",
    "ReadKeys",
    "StandingKeys",
    "create_root_key",
    "load_root_key",
    "pseudonymiser",
]
