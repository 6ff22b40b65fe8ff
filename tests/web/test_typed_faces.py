"""The faces name their components with types: no ``system: Any`` and no ``getattr`` probe of
the composed system, so a component the node lacks is a type error (mypy strict), not a
silent default at run time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import trustlpr

SOURCE = Path(trustlpr.__file__).parent
FACES = sorted(
    [*SOURCE.joinpath("web").glob("*.py"), *SOURCE.joinpath("ingest").glob("*.py"),
     *SOURCE.joinpath("cli").glob("*.py"), SOURCE / "runtime.py"]
)  # fmt: skip
SYSTEM_NAMES = {"system", "node", "state", "app"}


def _subject(node: ast.expr) -> str:
    """The last name of ``a.b.c`` (``c``), or of a plain name."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):  # get_system(request), node(request)
        return "system" if _subject(node.func) in ("get_system", "node") else ""
    return node.id if isinstance(node, ast.Name) else ""


@pytest.mark.parametrize("path", FACES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_untyped_system_and_no_getattr_probes(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for found in ast.walk(tree):
        if isinstance(found, ast.arg) and found.arg in SYSTEM_NAMES:
            annotation = ast.unparse(found.annotation) if found.annotation else "Any"
            assert "Any" not in annotation, f"{path.name}:{found.lineno}: {found.arg}: Any"
        if (
            isinstance(found, ast.Call)
            and isinstance(found.func, ast.Name)
            and found.func.id in ("getattr", "hasattr")
            and found.args
        ):
            probed = ast.unparse(found.args[0])
            of_system = _subject(found.args[0]) in ("system", "node")
            of_app = probed == "app" or probed.endswith((".app", "app.state"))
            assert not (of_system or of_app), f"{path.name}:{found.lineno}: probes {probed}"


def test_the_web_faces_depend_on_the_typed_system() -> None:
    from trustlpr.runtime import System
    from trustlpr.web import deps

    assert deps.node.__annotations__["return"] in ("System", System)
