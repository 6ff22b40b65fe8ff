"""Token hashing: new tokens stored as ``sha256$<hex>``, legacy argon2 hashes still accepted."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from argon2 import PasswordHasher

from trustlpr.core.errors import AuthError
from trustlpr.identity import IdentityStore, TokenVerifier, issue_token, split_token

from .conftest import ListSink, Node

# The parameters earlier versions stored tokens with.
_LEGACY = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def test_a_new_token_is_stored_as_its_sha256_and_verifies() -> None:
    issued = issue_token("tlpr")
    digest = hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.secret_hash == f"sha256${digest}"
    assert issued.plaintext.split("_", 2)[2] not in issued.secret_hash
    TokenVerifier().verify(issued.plaintext, issued.secret_hash, issued.token_id)


def test_a_wrong_secret_is_refused() -> None:
    issued = issue_token("tlpr")
    wrong = issued.plaintext[:-1] + ("A" if issued.plaintext[-1] != "A" else "B")
    with pytest.raises(AuthError):
        TokenVerifier().verify(wrong, issued.secret_hash, issued.token_id)


def test_a_tampered_id_is_refused() -> None:
    """The digest covers the id: the same secret under another id does not match."""
    issued = issue_token("tlpr")
    other = issue_token("tlpr")
    secret = issued.plaintext.split("_", 2)[2]
    forged = f"tlpr_{other.token_id}_{secret}"
    assert split_token(forged, "tlpr") == other.token_id
    with pytest.raises(AuthError):
        TokenVerifier().verify(forged, issued.secret_hash, other.token_id)
    with pytest.raises(AuthError):
        TokenVerifier().verify(forged, other.secret_hash, other.token_id)


@pytest.mark.parametrize("stored", ["", "sha256$", "sha256$00", "md5$abc", "$argon2id$junk"])
def test_a_malformed_stored_hash_refuses(stored: str) -> None:
    issued = issue_token("tlpr")
    with pytest.raises(AuthError):
        TokenVerifier().verify(issued.plaintext, stored, issued.token_id)


def test_a_legacy_argon2_hash_verifies_and_refuses_a_wrong_secret() -> None:
    issued = issue_token("cam")
    legacy = _LEGACY.hash(issued.plaintext)
    verifier = TokenVerifier()
    verifier.verify(issued.plaintext, legacy, issued.token_id)
    verifier.verify(issued.plaintext, legacy, issued.token_id)  # the cached path
    with pytest.raises(AuthError):
        verifier.verify(issued.plaintext + "x", legacy, issued.token_id)


def test_a_database_holding_a_legacy_argon2_token_keeps_working(node: Node) -> None:
    created = node.store.create_token("olivia", actor=node.olivia)
    with sqlite3.connect(node.store.path) as conn:
        (stored,) = conn.execute(
            "SELECT hash FROM credentials WHERE id = ?", (created.info.id,)
        ).fetchone()
        assert stored.startswith("sha256$")
        conn.execute(
            "UPDATE credentials SET hash = ? WHERE id = ?",
            (_LEGACY.hash(created.plaintext), created.info.id),
        )
    conn.close()
    sink = ListSink()
    with IdentityStore(node.store.path, sink, node.clock) as reopened:
        user, _ = reopened.authenticate(created.plaintext)
        assert user.id == "olivia"
        with pytest.raises(AuthError):
            reopened.authenticate(created.plaintext[:-2])
