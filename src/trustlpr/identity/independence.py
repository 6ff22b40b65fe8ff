"""Who could be behind a signature, and whether two signatures come from two people.

Every two-person rule — a sharing agreement widened, an admin appointed, a held search
approved — needs its second signature from someone the first signer does not control. One
admin with a second account whose password they set, or with a token they minted for an
officer, must not count as two. Two records decide it, both kept in ``identity.db``:

*Signers* of a credential: its holder, plus everyone who could be using it. A password set by
someone else names the setter (and whoever could be behind the setter's own credential at that
moment); a token minted by someone else names the minter likewise. Console sessions inherit the
signers of the password they were opened with. One step clears them: the holder changing their
own password with a password (or a session opened with it) drops the one who *set* that
password — the usual first sign-in hand-over, which the real holder would notice if someone
else made it. A token minted by another person never loses its minter.

*Links* (never removed): who created an account, proposed its admin grant, set its password or
minted its token. ``ancestors`` follows them transitively: an admin made by an admin made by
Alice descends from Alice.

The first signature (signers ``F``) and the second (signers ``S``) are independent when no
signer of one is a signer of the other or one of its ancestors:
``S ∩ (F ∪ ancestors(F)) = ∅`` and ``F ∩ (S ∪ ancestors(S)) = ∅``. The node's set-up (the
unsigned path that creates its first two admins) is trusted and links nobody.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..core.errors import AuthError, ForbiddenError
from ..core.identity import User
from ._db import to_us

PASSWORD_CREDENTIAL = "password"
"""``User.credential`` of a user signed in by password (``verify_password``)."""

LINK_KINDS = frozenset({"created", "admin_granted", "password_set", "token_issued"})


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature: who signed, and everyone who could be behind it (``user_id`` included)."""

    user_id: str
    signers: frozenset[str]


def encode_signers(signers: Iterable[str]) -> str:
    return json.dumps(sorted(set(signers)))


def decode_signers(text: str | None, holder: str) -> frozenset[str]:
    """Stored signers (always including the holder); none stored means the holder alone."""
    return frozenset(json.loads(text) if text else ()) | {holder}


def signature(conn: sqlite3.Connection, user: User) -> Signature:
    """The signature ``user`` makes with the credential that signed them in.

    A user built by hand or read from the store (no credential) signs as themself alone; a
    credential that is not (or no longer) the user's is an ``AuthError``.
    """
    if user.credential is None:
        return Signature(user.id, frozenset({user.id}))
    if user.credential == PASSWORD_CREDENTIAL:
        row = conn.execute("SELECT password_signers FROM users WHERE id = ?", (user.id,))
    else:
        row = conn.execute(
            "SELECT signers FROM credentials WHERE id = ? AND user_id = ?",
            (user.credential, user.id),
        )
    found = row.fetchone()
    if found is None:
        raise AuthError("the credential that signed this user in is unknown")
    return Signature(user.id, decode_signers(found[0], user.id))


def issued_signers(conn: sqlite3.Connection, holder_id: str, issuer: User | None) -> frozenset[str]:
    """Signers of a credential (token or password) ``issuer`` makes for ``holder_id``."""
    if issuer is None:  # the node's set-up
        return frozenset({holder_id})
    return signature(conn, issuer).signers | {holder_id}


def own_password_signers(conn: sqlite3.Connection, holder: User) -> frozenset[str]:
    """Signers of a password ``holder`` sets for themself (the hand-over rule above)."""
    signers = signature(conn, holder).signers
    if holder.credential is None:
        return frozenset({holder.id})
    by_password = holder.credential == PASSWORD_CREDENTIAL or _is_session(conn, holder.credential)
    if by_password:
        setter = conn.execute(
            "SELECT password_set_by FROM users WHERE id = ?", (holder.id,)
        ).fetchone()
        if setter and setter[0] and setter[0] != holder.id:
            signers = signers - {setter[0]}
    return signers | {holder.id}


def _is_session(conn: sqlite3.Connection, credential: str) -> bool:
    row = conn.execute("SELECT kind FROM credentials WHERE id = ?", (credential,)).fetchone()
    return bool(row) and row[0] == "session"


def add_link(
    conn: sqlite3.Connection, subject_id: str, actor_id: str | None, kind: str, at: datetime
) -> None:
    """Records that ``actor_id`` created or credentialed ``subject_id`` (set-up: nobody)."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    if actor_id is None or actor_id == subject_id:
        return
    conn.execute(
        "INSERT INTO links (subject, actor, kind, at) VALUES (?, ?, ?, ?)",
        (subject_id, actor_id, kind, to_us(at)),
    )


def ancestors(conn: sqlite3.Connection, user_ids: Iterable[str]) -> frozenset[str]:
    """Everyone who created or credentialed any of ``user_ids``, transitively."""
    found: set[str] = set()
    frontier = set(user_ids)
    while frontier:
        marks = ",".join("?" * len(frontier))
        rows = conn.execute(
            f"SELECT DISTINCT actor FROM links WHERE subject IN ({marks})", tuple(frontier)
        ).fetchall()
        frontier = {r[0] for r in rows} - found - set(user_ids)
        found |= frontier
    return frozenset(found)


def require_independent(
    conn: sqlite3.Connection, first: Signature, second: Signature, *, what: str
) -> None:
    """Refuses unless ``second`` comes from someone ``first``'s signers do not control, and the
    other way round. ``what`` names the rule in the message (e.g. "approving a held search")."""
    if first.user_id == second.user_id:
        raise ForbiddenError(f"two-person rule ({what}): the second person must be someone else")
    first_reach = first.signers | ancestors(conn, first.signers)
    second_reach = second.signers | ancestors(conn, second.signers)
    shared = (second.signers & first_reach) | (first.signers & second_reach)
    if shared:
        names = ", ".join(repr(s) for s in sorted(shared)[:3])
        raise ForbiddenError(
            f"two-person rule ({what}): {first.user_id!r} and {second.user_id!r} are not "
            f"independent — {names} created or credentialed the other's account, or holds a "
            "credential of both; ask someone outside that chain"
        )
