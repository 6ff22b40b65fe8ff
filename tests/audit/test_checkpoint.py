"""Signed notes and checkpoints: byte-exact with Go's note package, and a checkpointer that
signs only growth, keeps every checkpoint, and refuses a log that lost signed entries."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from tests.audit.conftest import fill
from trustlpr.audit import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    SignedCheckpoint,
    open_audit,
    parse_checkpoint,
)
from trustlpr.audit.note import key_id, load_or_create_signer, split_note
from trustlpr.core.errors import ConfigError, FormatError, VerificationError

# golang.org/x/mod/sumdb/note test vector (Ed25519 is deterministic, so signatures must match)
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_go_note_vector_round_trip() -> None:
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert signer.sign(GO_TEXT) == GO_NOTE
    assert NoteVerifier(GO_VKEY).verify(GO_NOTE) == GO_TEXT


def test_key_id_is_the_standard_one() -> None:
    signer = NoteSigner.generate("example.org/log")
    expected = hashlib.sha256(b"example.org/log\n\x01" + signer.public_key).digest()[:4]
    assert signer.key_id == expected == key_id("example.org/log", signer.public_key)
    name, hex_id, material = signer.vkey.split("+", 2)
    assert (name, hex_id) == ("example.org/log", expected.hex())
    assert base64.b64decode(material) == b"\x01" + signer.public_key


def test_tampered_or_foreign_notes_fail() -> None:
    verifier = NoteVerifier(GO_VKEY)
    with pytest.raises(VerificationError, match="invalid"):
        verifier.verify(GO_NOTE.replace("cryptography", "cryptographY"))
    other = NoteSigner.generate("PeterNeumann")
    with pytest.raises(VerificationError, match="no signature"):
        verifier.verify(other.sign(GO_TEXT))
    cosigned = GO_NOTE + other.signature_line(GO_TEXT)
    assert verifier.verify(cosigned) == GO_TEXT  # extra (witness) signatures are fine
    for broken in ("no blank line\n", GO_TEXT + "\nsignature without dash\n",
                   GO_TEXT + "\n— PeterNeumann !!!\n"):  # fmt: skip
        with pytest.raises(FormatError):
            split_note(broken)
    for bad_key in ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                    "PeterNeumann+c74f20a3+AAAA"):  # fmt: skip
        with pytest.raises((FormatError, ConfigError)):
            NoteVerifier(bad_key)
    with pytest.raises(ConfigError):
        NoteSigner.from_skey(GO_SKEY.replace("c74f20a3", "00000000"))


def test_checkpoint_body_round_trip() -> None:
    checkpoint = Checkpoint("example.org/log", 1234, bytes(range(32)))
    body = checkpoint.body()
    assert body == f"example.org/log\n1234\n{base64.b64encode(bytes(range(32))).decode()}\n"
    assert parse_checkpoint(body) == checkpoint
    assert parse_checkpoint(body + "extension line\n") == checkpoint
    for bad in ("example.org/log\n12\n", "o\n012\nAAAA\n", "o\n-1\n" + body.split("\n")[2] + "\n",
                "o\n5\nAAAA\n", "\n5\n" + body.split("\n")[2] + "\n"):  # fmt: skip
        with pytest.raises(FormatError):
            parse_checkpoint(bad)


def test_signing_key_made_once_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    first = load_or_create_signer(path, "trustlpr/x/log")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("PRIVATE+KEY+trustlpr/x/log+")
    os.chmod(path, 0o644)
    again = load_or_create_signer(path, "ignored-name")
    assert again.vkey == first.vkey
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_checkpointer_signs_growth_only_and_keeps_all(tmp_path: Path) -> None:
    with open_audit(tmp_path, agency_id="ct-nhpd") as audit:
        first = audit.checkpoint()  # an empty tree still gets a checkpoint
        assert first.size == 0
        assert audit.maybe_checkpoint() is None
        fill(audit, 10)
        signed = audit.maybe_checkpoint()
        assert signed is not None and signed.size == 10
        assert audit.maybe_checkpoint() is None
        assert audit.checkpoint() == signed
        verified = SignedCheckpoint.from_note(signed.note, audit.verifier)
        assert verified.checkpoint == Checkpoint("trustlpr/ct-nhpd/log", 10, audit.log.root())
        fill(audit, 5)
        audit.maybe_checkpoint()
        assert [c.size for c in audit.checkpoints()] == [0, 10, 15]
    lines = (tmp_path / "audit" / "checkpoints.jsonl").read_text().splitlines()
    assert [json.loads(line)["size"] for line in lines] == [0, 10, 15]


def test_torn_checkpoint_line_is_dropped(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 3)
        audit.maybe_checkpoint()
    path = tmp_path / "audit" / "checkpoints.jsonl"
    with open(path, "a") as handle:
        handle.write('{"note": "half a li')
    with open_audit(tmp_path) as audit:
        assert audit.checkpoint().size == 3
        assert path.read_text().endswith("}\n")


def test_log_that_lost_signed_entries_is_refused(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 300)
        audit.maybe_checkpoint()
    directory = tmp_path / "audit"
    os.truncate(directory / "entries.idx", 299 * 40)  # the last signed entry is gone
    with pytest.raises(VerificationError, match="signed entries are missing"):
        open_audit(tmp_path)


def test_log_whose_signed_prefix_changed_is_refused(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 20)
        audit.maybe_checkpoint()
    with open(tmp_path / "audit" / "entries.idx", "r+b") as handle:
        handle.seek(5 * 40 + 8)
        handle.write(bytes(32))  # a forged leaf hash: the right edge is rebuilt from these
    with pytest.raises(VerificationError, match="do not match the latest signed checkpoint"):
        open_audit(tmp_path)


def test_readonly_service_shows_the_latest_checkpoint(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 4)
        signed = audit.checkpoint()
        with open_audit(tmp_path, readonly=True) as reader:
            assert reader.checkpoint() == signed
            assert reader.maybe_checkpoint() is None
            assert reader.vkey == audit.vkey
