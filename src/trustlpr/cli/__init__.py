"""The command-line face: thin Typer commands that parse, call the library, and render."""

from .main import app, main

__all__ = ["app", "main"]
