"""The public ``/log`` routes: a client with nothing but HTTP and the RFC 9162 / C2SP rules can
check the log, and nothing personal is served."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from tests.audit.conftest import PLATE, REASON, USER, fill
from trustlpr.audit import (
    AuditService,
    NoteVerifier,
    SignedCheckpoint,
    leaf_hash,
    open_audit,
    verify_consistency,
    verify_inclusion,
)
from trustlpr.audit.merkle import root_of
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

SIZE = 70_000 // 100  # 700: two full level-0 tiles and a partial one


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, AuditService]]:
    audit = open_audit(tmp_path, agency_id="ct-nhpd")
    fill(audit, SIZE, every=350)
    with TestClient(create_app(SimpleNamespace(audit=audit, settings=Settings()))) as client:
        yield client, audit
    audit.close()


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def checkpoint(client: TestClient) -> SignedCheckpoint:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    vkey = client.get("/log/vkey").text.strip()
    return SignedCheckpoint.from_note(response.text, NoteVerifier(vkey))


def test_checkpoint_and_proofs_verify(served: tuple[TestClient, AuditService]) -> None:
    client, audit = served
    signed = checkpoint(client)
    assert signed.size == SIZE
    proof = client.get("/log/proof/inclusion", params={"index": 400}).json()
    verify_inclusion(400, SIZE, b64(proof["leaf_hash"]), [b64(h) for h in proof["hashes"]],
                     signed.root)  # fmt: skip
    first = next(c for c in audit.checkpoints() if c.size == 350)
    cons = client.get("/log/proof/consistency", params={"old": 350}).json()
    verify_consistency(350, SIZE, [b64(h) for h in cons["hashes"]], first.root, signed.root)
    fill(audit, 10)
    assert checkpoint(client).size == SIZE  # the periodic task signs, not every GET
    audit.maybe_checkpoint()
    assert checkpoint(client).size == SIZE + 10


def test_tiles_alone_rebuild_the_signed_root(served: tuple[TestClient, AuditService]) -> None:
    client, _ = served
    signed = checkpoint(client)
    full = [client.get(f"/log/tile/0/00{n}") for n in range(2)]
    assert all(r.status_code == 200 for r in full)
    assert full[0].headers["cache-control"].startswith("public")
    width = SIZE % 256
    partial = client.get(f"/log/tile/0/002.p/{width}")
    assert partial.status_code == 200 and len(partial.content) == width * 32
    hashes = [r.content[i : i + 32] for r in full for i in range(0, 8192, 32)]
    hashes += [partial.content[i : i + 32] for i in range(0, width * 32, 32)]
    assert root_of(hashes) == signed.root
    # the level-1 partial tile holds the roots of the two full level-0 tiles
    level1 = client.get("/log/tile/1/000.p/2").content
    assert level1 == root_of(hashes[:256]) + root_of(hashes[256:512])
    bundle = client.get("/log/tile/entries/000").content
    size = int.from_bytes(bundle[:2], "big")
    assert leaf_hash(bundle[2 : 2 + size]) == hashes[0]


def test_entries_and_download(served: tuple[TestClient, AuditService]) -> None:
    client, _ = served
    page = client.get("/log/entries", params={"start": 690}).json()
    assert [e["index"] for e in page] == list(range(690, SIZE))
    assert json.loads(b64(page[0]["leaf_b64"])) == page[0]["leaf"]
    assert len(client.get("/log/entries").json()) == SIZE
    assert client.get("/log/entries", params={"start": SIZE}).json() == []
    download = client.get("/log/download.jsonl")
    assert download.headers["content-type"].startswith("application/x-ndjson")
    lines = download.text.splitlines()
    assert len(lines) == SIZE and json.loads(lines[-1])["index"] == SIZE - 1


def test_nothing_personal_is_served(served: tuple[TestClient, AuditService]) -> None:
    client, _ = served
    bodies = [
        client.get("/log/download.jsonl").content,
        client.get("/log/entries").content,
        client.get("/log/tile/entries/001").content,
        client.get("/log/checkpoint").content,
    ]
    for body in bodies:
        for secret in (PLATE, USER, REASON):
            assert secret.encode() not in body


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/log/entries", {"start": -1}, 422),
        ("/log/entries", {"start": SIZE + 1}, 422),
        ("/log/entries", {"start": 10, "end": 5}, 422),
        ("/log/entries", {"start": 0, "end": 1001}, 422),
        ("/log/entries", {"start": "ten"}, 422),
        ("/log/proof/inclusion", {}, 422),
        ("/log/proof/inclusion", {"index": SIZE}, 422),
        ("/log/proof/inclusion", {"index": 1, "size": SIZE + 1}, 422),
        ("/log/proof/consistency", {"old": SIZE + 1}, 422),
        ("/log/proof/consistency", {"old": 1, "new": 0}, 422),
        ("/log/tile/0/1", {}, 422),
        ("/log/tile/9/000", {}, 422),
        ("/log/tile/0/000.p/0", {}, 422),
        ("/log/tile/0/002", {}, 404),
        ("/log/tile/0/002.p/255", {}, 404),
        ("/log/tile/entries/005", {}, 404),
    ],
)
def test_bad_parameters_answer_clearly(
    served: tuple[TestClient, AuditService], path: str, params: dict[str, object], status: int
) -> None:
    client, _ = served
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.json().get("detail")
