"""``trustlpr audit ...`` driven like an operator would, and its output checked like a
skeptical member of the public would: proofs against the signed checkpoint."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.audit.conftest import PLATE, REASON, fill
from trustlpr.audit import (
    NoteVerifier,
    SignedCheckpoint,
    open_audit,
    verify_consistency,
    verify_inclusion,
)
from trustlpr.audit.export import FLOCK_COLUMNS
from trustlpr.cli.main import app

runner = CliRunner()


class Operator:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __call__(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), "audit", *args])
        assert result.exit_code == code, (args, result.output)
        return result.stdout


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    with open_audit(tmp_path, agency_id="ct-nhpd") as audit:
        fill(audit, 300, every=100)
    return Operator(tmp_path)


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_proofs_check_out_against_the_signed_checkpoint(op: Operator) -> None:
    verifier = NoteVerifier(op("vkey").strip())
    signed = SignedCheckpoint.from_note(op("checkpoint"), verifier)
    assert signed.size == 300
    proof = json.loads(op("prove", "--index", "123"))
    assert set(proof) == {"index", "tree_size", "leaf_hash", "hashes"}
    assert proof["tree_size"] == 300
    verify_inclusion(123, 300, b64(proof["leaf_hash"]), [b64(h) for h in proof["hashes"]],
                     signed.root)  # fmt: skip
    with open_audit(op.data_dir, readonly=True) as reader:
        stored = [c for c in reader.checkpoints() if c.size == 100]
    old = SignedCheckpoint.from_note(stored[0].note, verifier)
    cons = json.loads(op("consistency", "--old", "100"))
    assert set(cons) == {"old_size", "new_size", "hashes"} and cons["new_size"] == 300
    verify_consistency(100, 300, [b64(h) for h in cons["hashes"]], old.root, signed.root)
    at_200 = json.loads(op("prove", "--index", "5", "--size", "200"))
    assert at_200["tree_size"] == 200


def test_entry_shows_exact_bytes_and_detail_on_request(op: Operator) -> None:
    shown = json.loads(op("entry", "7"))
    assert json.loads(b64(shown["leaf_b64"])) == shown["leaf"]
    assert PLATE not in json.dumps(shown)
    detailed = json.loads(op("entry", "7", "--detail"))
    assert detailed["detail"]["private"]["plate"] == PLATE
    assert detailed["detail"]["commitment_opens"] is True


def test_verify_passes_then_names_the_first_bad_index(op: Operator, tmp_path: Path) -> None:
    report = json.loads(op("verify"))
    assert report["ok"] and report["size"] == 300 and report["first_bad_index"] is None
    saved = tmp_path / "seen.note"
    saved.write_text(op("checkpoint"))
    vkey = tmp_path / "vkey.txt"
    vkey.write_text(op("vkey"))
    assert json.loads(op("verify", "--from-checkpoint", str(saved), "--vkey", f"@{vkey}"))["ok"]
    index = (op.data_dir / "audit" / "entries.idx").read_bytes()
    offset = int.from_bytes(index[42 * 40 : 42 * 40 + 8], "big")
    with open(op.data_dir / "audit" / "entries.bin", "r+b") as handle:
        handle.seek(offset + 12)
        handle.write(b"!")
    result = runner.invoke(app, ["--data-dir", str(op.data_dir), "audit", "verify"])
    assert result.exit_code == 2
    assert json.loads(result.stdout.splitlines()[0])["first_bad_index"] == 42
    assert "first bad index 42" in result.output


def test_verify_with_another_key_fails(op: Operator, tmp_path: Path) -> None:
    other = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    result = runner.invoke(
        app, ["--data-dir", str(op.data_dir), "audit", "verify", "--vkey", other]
    )
    assert result.exit_code == 2 and "no signature by PeterNeumann" in result.output


def test_exports(op: Operator, tmp_path: Path) -> None:
    lines = op("export", "--format", "jsonl").splitlines()
    assert len(lines) == 300 and json.loads(lines[5])["index"] == 5
    rows = list(csv.DictReader(io.StringIO(op("export", "--format", "csv", "--start", "10",
                                              "--end", "20"))))  # fmt: skip
    assert [int(r["index"]) for r in rows] == list(range(10, 20))
    assert rows[0]["purpose"] == "stolen_vehicle" and rows[0]["reasons"].startswith("[")
    for text in (op("export", "--format", "jsonl"), op("export", "--format", "csv")):
        assert PLATE not in text and REASON not in text
    out = tmp_path / "flock.csv"
    op("export", "--format", "flock-csv", "--out", str(out))
    with open(out, newline="") as handle:
        flock = list(csv.reader(handle))
    assert tuple(flock[0]) == FLOCK_COLUMNS and len(FLOCK_COLUMNS) == 13
    assert len(flock) == 301
    row = dict(zip(flock[0], flock[1], strict=True))
    assert row["ID"] == "req-0" and row["License Plate"] == PLATE and row["Reason"] == REASON
    assert row["Case #"] == "2026-00000" and row["Search Type"] == "exact"
    assert row["Time Frame"].count("\n") == 1  # two lines in one cell, as Flock has it
    assert row["Moderation"].startswith("deny: ")


def test_bad_input_gives_precise_errors(op: Operator, tmp_path: Path) -> None:
    assert (
        "field 'index'"
        in runner.invoke(
            app, ["--data-dir", str(op.data_dir), "audit", "prove", "--index", "300"]
        ).output
    )
    op("prove", "--index", "300", code=65)
    op("prove", "--index", "3", "--size", "301", code=65)
    op("consistency", "--old", "301", code=65)
    op("export", "--format", "xml", code=65)
    op("entry", "9999", code=66)
    op("prove", "--index", "-1", code=2)  # rejected by the option parser
    Operator(tmp_path / "empty")("entry", "0", code=66)


def test_checkpoint_while_the_service_holds_the_log(op: Operator) -> None:
    with open_audit(op.data_dir) as service:
        fill(service, 5)
        latest = service.checkpoint()
        fill(service, 5)
        result = runner.invoke(app, ["--data-dir", str(op.data_dir), "audit", "checkpoint"])
        assert result.exit_code == 0
        assert result.stdout == latest.note  # the service's latest, not a second signer
        assert json.loads(op("verify"))["ok"]  # readers work beside the writer


def test_help_on_every_command() -> None:
    for command in ("checkpoint", "prove", "consistency", "entry", "verify", "export", "vkey"):
        result = runner.invoke(app, ["audit", command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
