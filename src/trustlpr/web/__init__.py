"""The web face: one FastAPI app (JSON API, public portal, staff console)."""
