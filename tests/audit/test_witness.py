"""The C2SP witness: cosignatures in the cosignature/v1 format (checked against a real witness's
cosignature), and a witness that cosigns only signed, consistent, forward-moving checkpoints."""

from __future__ import annotations

import base64
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from tests.audit.conftest import fill, search_event
from trustlpr.audit import AuditService, open_audit
from trustlpr.audit.witness import LOGS_FILE, verify_cosignature
from trustlpr.core.errors import (
    ConflictError,
    ForbiddenError,
    FormatError,
    InputError,
    NotFoundError,
    VerificationError,
)
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

# A real checkpoint of a public CT log, cosigned by the public witness remora.n621.de.
REAL_TEXT = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
)
REAL_NOTE = REAL_TEXT + (
    "\n— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobW"
    "X9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
)
REMORA = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def test_real_cosignature_verifies() -> None:
    assert verify_cosignature(REMORA, REAL_NOTE) == 1779573024
    with pytest.raises(VerificationError):
        verify_cosignature(REMORA, REAL_NOTE.replace("1432088532", "1432088533"))
    with pytest.raises(FormatError):
        verify_cosignature("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                           REAL_NOTE)  # fmt: skip


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[AuditService, AuditService]]:
    """Another agency's log, and this node witnessing it."""
    other = open_audit(tmp_path / "other", agency_id="ma-bpd")
    ours = open_audit(tmp_path / "ours", agency_id="ct-nhpd")
    (ours.directory / LOGS_FILE).write_text(f"# partners\n{other.vkey}\n")
    yield other, ours
    other.close()
    ours.close()


def request(old: int, proof: list[bytes], note: str) -> str:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return "\n".join(lines) + "\n\n" + note


def test_witness_cosigns_forward_and_refuses_the_rest(
    pair: tuple[AuditService, AuditService],
) -> None:
    other, ours = pair
    witness = ours.witness
    assert stat.S_IMODE((ours.directory / "witness.key").stat().st_mode) == 0o600
    fill(other, 10)
    first = other.checkpoint().note
    line = witness.add_checkpoint(request(0, [], first))
    assert line.startswith("— trustlpr/ct-nhpd/witness ")
    assert verify_cosignature(witness.cosigner.vkey, first + line) > 0
    fill(other, 15)
    second = other.checkpoint().note
    proof = other.log.consistency_proof(10, 25)
    witness.add_checkpoint(request(10, proof, second))
    assert witness.latest_size("trustlpr/ma-bpd/log") == 25
    with pytest.raises(ConflictError):
        witness.add_checkpoint(request(10, proof, second))  # stale: the witness is at 25
    assert witness.size_for(request(10, proof, second)) == 25
    witness.add_checkpoint(request(25, [], second))  # the same checkpoint again is fine
    with pytest.raises(InputError):
        witness.add_checkpoint(request(30, [], second))  # smaller than old
    with pytest.raises(ForbiddenError):
        witness.add_checkpoint(request(25, [], second.replace("\n25\n", "\n26\n")))
    with pytest.raises(NotFoundError):
        witness.add_checkpoint(request(0, [], ours.checkpoint().note))
    for bad in ("nonsense", "old x\n\n" + second, "old 1\n!!\n\n" + second, "old 01\n\n" + second):
        with pytest.raises(InputError):
            witness.add_checkpoint(bad)


def test_witness_refuses_a_fork(pair: tuple[AuditService, AuditService], tmp_path: Path) -> None:
    other, ours = pair
    fill(other, 10)
    ours.witness.add_checkpoint(request(0, [], other.checkpoint().note))
    # the same key signs a different history: a split view
    shutil.copy(other.directory / "log.key", tmp_path / "key")
    fork_dir = tmp_path / "fork"
    (fork_dir / "audit").mkdir(parents=True)
    shutil.copy(tmp_path / "key", fork_dir / "audit" / "log.key")
    with open_audit(fork_dir, agency_id="ma-bpd") as fork:
        fork.append_many([search_event(1000 + i) for i in range(20)])
        forked = fork.checkpoint().note
        proof = fork.log.consistency_proof(10, 20)
    with pytest.raises(VerificationError):
        ours.witness.add_checkpoint(request(10, proof, forked))
    assert ours.witness.latest_size("trustlpr/ma-bpd/log") == 10


def test_witness_over_http(pair: tuple[AuditService, AuditService]) -> None:
    other, ours = pair
    fill(other, 5)
    note = other.checkpoint().note
    with TestClient(create_app(SimpleNamespace(audit=ours, settings=Settings()))) as client:
        vkey = client.get("/log/witness/vkey").text.strip()
        answer = client.post("/log/witness/add-checkpoint", content=request(0, [], note))
        assert answer.status_code == 200
        assert verify_cosignature(vkey, note + answer.text) > 0
        stale = client.post("/log/witness/add-checkpoint", content=request(3, [], note))
        assert stale.status_code == 409 and stale.text == "5\n"
        assert stale.headers["content-type"].startswith("text/x.tlog.size")
        assert client.post("/log/witness/add-checkpoint", content="junk").status_code == 400
        forged = note.replace("\n5\n", "\n6\n")
        assert client.post("/log/witness/add-checkpoint",
                           content=request(5, [], forged)).status_code == 403  # fmt: skip
        unknown = client.post("/log/witness/add-checkpoint",
                              content=request(0, [], ours.checkpoint().note))  # fmt: skip
        assert unknown.status_code == 404
        fill(other, 5)
        bad_proof = client.post(
            "/log/witness/add-checkpoint",
            content=request(5, [bytes(32)] * 3, other.checkpoint().note),
        )
        assert bad_proof.status_code == 422
        too_big = client.post("/log/witness/add-checkpoint", content="x" * 70_000)
        assert too_big.status_code == 413
