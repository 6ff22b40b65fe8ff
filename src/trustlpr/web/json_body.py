"""The one JSON decoding of request bodies: what no route may answer with a 500.

``parse_json`` refuses, as ``InputError`` on ``body`` (422), what ``json.loads`` raises on
(bad syntax, bad UTF-8, nesting past the recursion limit, an integer of more than 4,300
digits) and what it lets through but nothing downstream can store: a string holding a lone
UTF-16 surrogate (``"\\ud800"``), which no UTF-8 encoder will write. ``JsonRoute`` makes
FastAPI decode every JSON body of a router with it (the ``route_class`` of the routers that
take JSON); camera ingest calls it on the bytes it has read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import InputError

# A JSON escape of a UTF-16 surrogate; only bodies with one need the walk below.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_json(body: bytes) -> Any:
    """The decoded body; ``InputError`` naming where it is not acceptable JSON text."""
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", field="body"
        ) from None
    except (ValueError, RecursionError) as exc:  # bad UTF-8, an integer of 5,000 digits, …
        raise InputError(f"not valid JSON: {str(exc)[:80]}", field="body") from None
    if _SURROGATE_ESCAPE.search(body):
        _refuse_surrogates(value)
    return value


def _refuse_surrogates(value: Any) -> None:
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(
                    "holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), "
                    "which is not text",
                    field=path or "body",
                ) from None
        elif isinstance(item, dict):
            for key, inner in item.items():
                stack.append((f"{path}.{key}" if path else str(key), key))
                stack.append((f"{path}.{key}" if path else str(key), inner))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", inner) for i, inner in enumerate(item))


class _JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class JsonRoute(APIRoute):
    """An ``APIRoute`` whose JSON body is decoded by ``parse_json``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            return await handler(_JsonRequest(request.scope, request.receive))

        return checked
