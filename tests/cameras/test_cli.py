"""The ``camera`` commands, driven like an operator would, against a real initialised node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from trustlpr.audit import open_audit
from trustlpr.cameras import CameraRegistry
from trustlpr.cli.main import app

PASSWORD = "a long enough camera admin passphrase"
runner = CliRunner()


class Operator:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> str:
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), *args], input=input)
        assert result.exit_code == code, (args, result.output)
        return result.stdout if code == 0 else result.output


@pytest.fixture
def op(tmp_path: Path) -> tuple[Operator, str]:
    """A node of New Haven PD with admin alice; returns the operator and her token."""
    operator = Operator(tmp_path / "node")
    operator("init", "--agency-id", "nhpd", "--agency-name", "New Haven PD", "--state", "CT")
    operator(
        "user",
        "add",
        "alice",
        "--agency",
        "nhpd",
        "--role",
        "admin",
        "--name",
        "Alice",
        "--password",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    token = operator("token", "create", "--user", "alice", "--as", "alice", input=f"{PASSWORD}\n")
    return operator, token.strip()


def test_add_list_rotate_disable_and_export(op, tmp_path):
    run, token = op
    out = run(
        "camera",
        "add",
        "Elm St NB",
        "--lat",
        "41.31",
        "--lon",
        "-72.92",
        "--direction",
        "180",
        "--adapter",
        "openalpr",
        "--external-id",
        "Elm St NB",
        "--id",
        "elm",
        "--token",
        token,
        "--json",
    )
    key = json.loads(out)["key"]
    assert key.startswith("cam_")
    plain = run("camera", "add", "Oak Ave", "--lat", "41.32", "--lon", "-72.93", "--token", token)
    assert plain.strip().startswith("cam_")  # only the key on stdout
    listed = json.loads(run("camera", "list", "--json"))
    assert sorted(c["id"] for c in listed)[-1] == "elm" and len(listed) == 2
    assert "key" not in listed[0] and key not in json.dumps(listed)
    new_key = json.loads(run("camera", "rotate-key", "elm", "--token", token, "--json"))["key"]
    assert new_key != key
    run("camera", "disable", "elm", "--token", token)
    assert [
        c["enabled"] for c in json.loads(run("camera", "list", "--json")) if c["id"] == "elm"
    ] == [False]
    run("camera", "enable", "elm", "--token", token)
    geo = json.loads(run("camera", "export-geojson"))
    props = {f["id"]: f["properties"] for f in geo["features"]}
    assert props["elm"]["operator"] == "New Haven PD"
    assert props["elm"]["surveillance:type"] == "ALPR" and props["elm"]["direction"] == "180"
    target = tmp_path / "cameras.geojson"
    run("camera", "export-geojson", "--out", str(target))
    assert json.loads(target.read_text())["type"] == "FeatureCollection"
    with _registry(run.data_dir) as reg:
        assert reg.authenticate(new_key).id == "elm"


class _registry:
    """The node's registry, read-only, to check a printed key really works."""

    def __init__(self, data_dir: Path) -> None:
        self.audit = open_audit(data_dir, readonly=True)
        self.reg = CameraRegistry(data_dir, audit=self.audit)

    def __enter__(self) -> CameraRegistry:
        return self.reg

    def __exit__(self, *exc: object) -> None:
        self.reg.close()
        self.audit.close()


def test_changes_must_be_signed_by_an_admin(op):
    run, token = op
    out = run("camera", "add", "Elm", "--lat", "41", "--lon", "-72", code=77)
    assert "--token" in out
    run("camera", "add", "Elm", "--lat", "41", "--lon", "-72", "--token", "tlpr_bad_token", code=77)
    run(
        "user",
        "add",
        "olivia",
        "--agency",
        "nhpd",
        "--role",
        "officer",
        "--name",
        "Olivia",
        "--token",
        token,
    )
    officer = run("token", "create", "--user", "olivia", "--token", token).strip()
    out = run("camera", "add", "Elm", "--lat", "41", "--lon", "-72", "--token", officer, code=77)
    assert "admin" in out
    assert json.loads(run("camera", "list", "--json")) == []


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--lat", "95", "--lon", "-72"], 65, "lat"),
        (["--lat", "41", "--lon", "-72", "--direction", "400"], 65, "direction"),
        (["--lat", "41", "--lon", "-72", "--adapter", "genetec"], 65, "--adapter"),
        (["--lat", "41", "--lon", "-72", "--id", "no spaces"], 65, "id"),
        (["--lat", "41", "--lon", "-72", "--agency", "nobody"], 77, "nobody"),
    ],
)
def test_bad_input_gets_a_precise_error(op, args, code, needle):
    run, token = op
    out = run("camera", "add", "Elm", *args, "--token", token, code=code)
    assert needle in out and "Traceback" not in out


def test_unknown_camera_and_uninitialised_directory(op, tmp_path):
    run, token = op
    assert "nope" in run("camera", "disable", "nope", "--token", token, code=66)
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "none"), "camera", "list"])
    assert result.exit_code == 78 and "not initialised" in result.output


def _commands() -> list[tuple[str, object]]:
    root = get_command(app)
    group = root.commands["camera"]  # type: ignore[attr-defined]
    found = [(f"camera {name}", cmd) for name, cmd in group.commands.items()]
    return [*found, ("mqtt", root.commands["mqtt"])]  # type: ignore[attr-defined]


def test_every_command_and_option_has_help_and_is_documented():
    text = (Path(__file__).parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")
    names = {name for name, _ in _commands()}
    assert {
        "camera add",
        "camera list",
        "camera disable",
        "camera rotate-key",
        "camera export-geojson",
        "mqtt",
    } <= names
    for name, command in _commands():
        assert command.help, name  # type: ignore[attr-defined]
        assert f"trustlpr {name}" in text, name
        for param in command.params:  # type: ignore[attr-defined]
            assert getattr(param, "help", None), f"{name} {param.name}"
            if param.param_type_name == "option":
                assert any(opt in text for opt in param.opts), f"{name} {param.opts}"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
