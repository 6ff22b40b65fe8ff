"""The one hook through which adapters are found: a dict of name → adapter, built-ins included.

A new source system is a class with a ``name`` and a pure ``parse(payload, camera)``; add it
with ``register_adapter`` (or pass your own mapping to ``IngestService``).
"""

from __future__ import annotations

from .frigate import FrigateAdapter
from .native import NativeCSVAdapter, NativeJSONAdapter
from .openalpr import OpenALPRAdapter
from .parsing import Adapter
from .platerecognizer import PlateRecognizerAdapter

BUILTIN_ADAPTERS: tuple[Adapter, ...] = (
    NativeJSONAdapter(),
    NativeCSVAdapter(),
    OpenALPRAdapter(),
    PlateRecognizerAdapter(),
    FrigateAdapter(),
)

ADAPTERS: dict[str, Adapter] = {adapter.name: adapter for adapter in BUILTIN_ADAPTERS}
"""Every adapter by name. Camera ``adapter`` types are these names (``native_csv`` aside)."""


def register_adapter(adapter: Adapter) -> None:
    """Makes ``adapter`` available under ``adapter.name`` (replacing one of that name)."""
    ADAPTERS[adapter.name] = adapter


def camera_adapter_types() -> list[str]:
    """The adapter names a camera may be registered with."""
    return sorted(name for name in ADAPTERS if name != NativeCSVAdapter.name)
