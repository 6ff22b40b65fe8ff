"""Every fenced ``sh`` and ``python`` block of README.md and docs/ runs as written (issue 25
item 8): a sample that stops working fails the suite. The convention (markers, placeholders,
what a block runs in) is in docs/contributing.md, "Samples that run"."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.docs_samples.blocks import Block, blocks, sample_files, stray_commands

PASSWORD = "correct horse battery staple"
BIN = Path(sys.executable).parent
# Password prompts (`--password`, `--as USER`) read the answers file when the sample gives the
# command no input of its own, as a person would type them; every user has the one password.
PRELUDE = """set -eu
trustlpr() {
    if [ "$(readlink /proc/self/fd/0)" = /dev/null ]; then
        command trustlpr "$@" < "$SAMPLE_ANSWERS"
    else
        command trustlpr "$@"
    fi
}
"""
ALL = [b for path in sample_files() for b in blocks(path)]
# The fixture node of blocks marked `node` or `portal`: Hartford's, with two independent set-up
# admins and an officer who replaced the password an admin typed; each mints their own token.
# Built once per session with the CLI, as a person would; each block runs on its own copy.
NODE_SETUP = """
trustlpr init --policy ct-pa-26-14 --agency-id hartford-pd --agency-name "Hartford Police" \\
    --state CT
trustlpr user add alice --agency hartford-pd --role admin --name "Alice Ng" --password
trustlpr user add bob --agency hartford-pd --role admin --name "Bob Ruiz" --password
trustlpr user add olivia --agency hartford-pd --role officer --name Olivia --password --as alice
trustlpr user set-password olivia --as olivia
for who in alice bob olivia; do trustlpr token create --user $who --as $who > ../.token-$who; done
"""


def _run(
    code: str, language: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = ["sh", "-c", PRELUDE + code] if language == "sh" else [sys.executable, "-c", code]
    return subprocess.run(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="session")
def fixture_node(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The fixture node (its data directory) and its placeholders, built once."""
    base = tmp_path_factory.mktemp("fixture-node")
    work = base / "setup"
    work.mkdir()
    env = {**_env(base), "TRUSTLPR_DATA_DIR": str(base / "node")}
    done = _run(NODE_SETUP, "sh", work, env)
    assert done.returncode == 0, f"the fixture node failed:\n{done.stderr[-3000:]}"
    tokens = {who: (base / f".token-{who}").read_text().strip() for who in ("alice", "bob")}
    officer = (base / ".token-olivia").read_text().strip()
    return base / "node", {"ALICE": tokens["alice"], "BOB": tokens["bob"], "OFFICER": officer}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[str]:
    """``trustlpr serve`` on the node of ``env`` at a free port, up (it answers ``/healthz``)
    while the block runs; the URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["trustlpr", "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                assert process.stderr is not None
                pytest.fail(f"trustlpr serve exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("trustlpr serve did not come up within 300 s")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(60)


def _env(tmp_path: Path) -> dict[str, str]:
    answers = tmp_path / ".answers"
    answers.write_text(f"{PASSWORD}\n" * 8)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
    shared = os.environ.get("TRUSTLPR_SHARED_DIR")
    if shared:
        env["TRUSTLPR_SHARED_DIR"] = shared
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path),
        SAMPLE_ANSWERS=str(answers),
        COLUMNS="80",
    )
    return env


@pytest.mark.slow
@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_sample_runs(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if block.skip is not None:
        # a marked block is not run; its reason is what the reader is told instead
        assert len(block.skip) >= 10, f"{block.id}: say why it does not run"
        return
    env = _env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    if not block.node:
        done = _run(block.code, block.language, work, env)
    else:
        built, placeholders = request.getfixturevalue("fixture_node")
        shutil.copytree(built, work / "node", symlinks=True)  # `--data-dir node` names it too
        env = {**env, **placeholders, "TRUSTLPR_DATA_DIR": str(work / "node")}
        if block.kind == "portal":
            with _serving(env) as url:
                done = _run(block.code, block.language, work, {**env, "PORTAL": url})
        else:
            done = _run(block.code, block.language, work, env)
    assert done.returncode == 0, (
        f"{block.id} exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}"
        f"\n--- stderr\n{done.stderr[-3000:]}"
    )


def test_no_command_hides_in_a_block_that_is_not_run() -> None:
    """A ``trustlpr`` command shown in an unlabelled (or ``bash``, ``console``, ``shell``)
    block would never run here: label it ``sh`` (and make it run, or mark why it cannot)."""
    stray = [b.id for path in sample_files() for b in stray_commands(path)]
    assert stray == [], f"label these blocks `sh`: {stray}"


def test_every_sample_file_has_blocks_found() -> None:
    """The extractor sees the README's and the docs' samples (a broken fence regex would
    make the test above pass on nothing)."""
    files = {b.path.name for b in ALL}
    assert {"README.md", "identity.md", "hotlist.md"} <= files
    assert len(ALL) >= 10


def test_the_check_finds_commands_under_labels_that_are_not_run(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```\ntrustlpr stats\n```\n\n```console\n$ trustlpr --data-dir node stats\n```\n\n"
        "- a list item:\n\n  ```bash\n  T=$(trustlpr token create --user o)\n  ```\n\n"
        "```\ntrustlpr/ct-nhpd/log\n4213\n```\n\n```sh\ntrustlpr stats\n```\n\n"
        '```json\n{"cmd": "trustlpr stats"}\n```\n'
    )
    assert [b.line for b in stray_commands(page)] == [1, 5, 11]
