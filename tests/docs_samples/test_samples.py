"""Every fenced ``sh`` and ``python`` block of README.md and docs/ runs as written (issue 25
item 8): a sample that stops working fails the suite. The convention (markers, placeholders,
what a block runs in) is in docs/contributing.md, "Samples that run"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs_samples.blocks import Block, blocks, sample_files

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
# The fixture node of blocks marked `node`: Hartford's, with two independent set-up admins and
# an officer who replaced the password an admin typed; each mints their own token.
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


def _fixture_node(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """Builds the fixture node in ``tmp_path/node``; the environment its blocks run in."""
    work = tmp_path / "setup"
    work.mkdir()
    env = {**env, "TRUSTLPR_DATA_DIR": str(tmp_path / "node")}
    done = _run(NODE_SETUP, "sh", work, env)
    assert done.returncode == 0, f"the fixture node failed:\n{done.stderr[-3000:]}"
    tokens = {who: (tmp_path / f".token-{who}").read_text().strip() for who in ("alice", "bob")}
    officer = (tmp_path / ".token-olivia").read_text().strip()
    return {**env, "ALICE": tokens["alice"], "BOB": tokens["bob"], "OFFICER": officer}


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
def test_sample_runs(block: Block, tmp_path: Path) -> None:
    if block.skip is not None:
        # a marked block is not run; its reason is what the reader is told instead
        assert len(block.skip) >= 10, f"{block.id}: say why it does not run"
        return
    env = _env(tmp_path)
    if block.node:
        env = _fixture_node(tmp_path, env)
    work = tmp_path / "work"
    work.mkdir()
    done = _run(block.code, block.language, work, env)
    assert done.returncode == 0, (
        f"{block.id} exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}"
        f"\n--- stderr\n{done.stderr[-3000:]}"
    )


def test_every_sample_file_has_blocks_found() -> None:
    """The extractor sees the README's and the docs' samples (a broken fence regex would
    make the test above pass on nothing)."""
    files = {b.path.name for b in ALL}
    assert {"README.md", "identity.md", "hotlist.md"} <= files
    assert len(ALL) >= 10
