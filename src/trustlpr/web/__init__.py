"""The web face: one FastAPI app (JSON API, public portal, staff console)."""

from .app import create_app

__all__ = ["create_app"]
