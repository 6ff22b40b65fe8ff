"""Mutation tests: change, drop, insert or reorder any entry, or truncate the log, and
``verify`` fails and names the first bad index."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.audit.conftest import fill, search_event
from trustlpr.audit import NoteSigner, NoteVerifier, open_audit, verify_log
from trustlpr.audit.entries import frame
from trustlpr.audit.leaf import prepare
from trustlpr.audit.merkle import leaf_hash
from trustlpr.audit.tiles import TileStore
from trustlpr.audit.verify import VerifyReport
from trustlpr.core.errors import VerificationError

SIZE = 700  # full tiles cover [0, 512); [512, 700) is the in-memory right edge
EVERY = 100  # a checkpoint every 100 entries


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    with open_audit(root) as audit:
        fill(audit, SIZE, batch=50, every=EVERY)
    return root


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(pristine, target)
    return target


def run_verify(data: Path, **kwargs: object) -> VerifyReport:
    with open_audit(data, readonly=True) as audit:
        verifier = kwargs.pop("verifier", audit.verifier)
        return verify_log(audit.log, verifier, audit.checkpoints(), **kwargs)  # type: ignore[arg-type]


def leaves_of(data: Path) -> list[bytes]:
    with open_audit(data, readonly=True) as audit:
        return [leaf for _, leaf in audit.log.entries()]


def rewrite(data: Path, leaves: list[bytes], *, retile: bool = False) -> None:
    """What an insider with file access would do: re-frame every record with a valid checksum
    and a matching index slot; optionally recompute every hash tile too."""
    directory = data / "audit"
    records, slots, offset = [], [], 0
    for leaf in leaves:
        records.append(frame(leaf))
        slots.append(offset.to_bytes(8, "big") + leaf_hash(leaf))
        offset += len(records[-1])
    (directory / "entries.bin").write_bytes(b"".join(records))
    (directory / "entries.idx").write_bytes(b"".join(slots))
    if retile:
        shutil.rmtree(directory / "tile")
        hashes = [leaf_hash(x) for x in leaves]
        store = TileStore(directory)
        store.open(0, lambda a, b: hashes[a:b])
        store.append(hashes)


def forged(k: int) -> bytes:
    return prepare(search_event(10_000 + k), bytes(32)).leaf


MUTATIONS: dict[str, Callable[[list[bytes], int], list[bytes]]] = {
    "change": lambda xs, k: [*xs[:k], forged(k), *xs[k + 1 :]],
    "drop": lambda xs, k: [*xs[:k], *xs[k + 1 :]],
    "insert": lambda xs, k: [*xs[:k], forged(k), *xs[k:]],
    "reorder": lambda xs, k: [*xs[:k], xs[k + 1], xs[k], *xs[k + 2 :]],
}


def test_pristine_log_verifies(pristine: Path) -> None:
    report = run_verify(pristine)
    assert report.ok, report.problems
    assert report.size == SIZE
    assert report.checkpoints_checked == SIZE // EVERY
    assert report.details_checked == SIZE
    assert report.tiles_checked == 2
    report.raise_for_problems()


@pytest.mark.parametrize("kind", MUTATIONS)
@pytest.mark.parametrize("k", [0, 1, 137, 255, 256, 511])
def test_mutation_in_tiled_region_names_exact_index(copy: Path, kind: str, k: int) -> None:
    rewrite(copy, MUTATIONS[kind](leaves_of(copy), k))
    report = run_verify(copy)
    assert not report.ok
    assert report.first_bad_index == k, report.problems
    with pytest.raises(VerificationError, match=f"first bad index {k}"):
        report.raise_for_problems()


@pytest.mark.parametrize("kind", MUTATIONS)
@pytest.mark.parametrize("k", [512, 600, 650, 698])
def test_mutation_in_right_edge(copy: Path, kind: str, k: int) -> None:
    """No full tile covers the newest entries: the private details' commitments still name the
    entry; the public checkpoints alone bound it to its checkpoint interval."""
    rewrite(copy, MUTATIONS[kind](leaves_of(copy), k))
    assert run_verify(copy).first_bad_index == k
    public_only = run_verify(copy, details=False)
    assert not public_only.ok
    assert public_only.first_bad_index == k - k % EVERY, public_only.problems


@pytest.mark.parametrize("kind", MUTATIONS)
@pytest.mark.parametrize("k", [0, 150, 400, 650])
def test_entries_file_alone_edited_names_exact_index(copy: Path, kind: str, k: int) -> None:
    """Editing entries.bin but not the index: the index's leaf hashes name the entry."""
    changed = MUTATIONS[kind](leaves_of(copy), k)
    original_index = (copy / "audit" / "entries.idx").read_bytes()
    rewrite(copy, changed)
    (copy / "audit" / "entries.idx").write_bytes(original_index)
    report = run_verify(copy)
    assert report.first_bad_index == k, report.problems


@pytest.mark.parametrize("k", [150, 420, 650])
def test_tiles_rewritten_too_still_caught_by_checkpoints(copy: Path, k: int) -> None:
    rewrite(copy, MUTATIONS["change"](leaves_of(copy), k), retile=True)
    report = run_verify(copy, details=False)
    assert not report.ok
    assert report.first_bad_index == k - k % EVERY
    assert any("signed root" in p for p in report.problems)
    assert run_verify(copy).first_bad_index == k


@pytest.mark.parametrize("keep", [0, 1, 300, 512, 699])
def test_truncation_names_the_first_missing_index(copy: Path, keep: int) -> None:
    rewrite(copy, leaves_of(copy)[:keep])
    report = run_verify(copy)
    assert report.first_bad_index == keep, report.problems


def test_raw_cut_through_a_record(copy: Path) -> None:
    data = copy / "audit" / "entries.bin"
    with open(data, "r+b") as handle:
        handle.truncate(data.stat().st_size // 2)
    report = run_verify(copy)
    assert report.torn_bytes > 0
    assert report.first_bad_index is not None and report.first_bad_index < SIZE // 2 + 1


def test_garbled_byte_names_its_entry(copy: Path) -> None:
    slot = (copy / "audit" / "entries.idx").read_bytes()[333 * 40 : 333 * 40 + 8]
    with open(copy / "audit" / "entries.bin", "r+b") as handle:
        handle.seek(int.from_bytes(slot, "big") + 10)
        handle.write(b"~")
    report = run_verify(copy)
    assert report.first_bad_index == 333
    assert "entry 333" in report.problems[0]


def test_resigned_checkpoints_fail_against_the_published_key(copy: Path, pristine: Path) -> None:
    with open_audit(pristine, readonly=True) as audit:
        published = audit.vkey
    rewrite(copy, MUTATIONS["change"](leaves_of(copy), 42), retile=True)
    impostor = NoteSigner.generate("trustlpr/local/log")
    (copy / "audit" / "log.key").write_text(impostor.skey + "\n")
    path = copy / "audit" / "checkpoints.jsonl"
    path.unlink()
    with open_audit(copy) as audit:  # a new history, signed with the new key, opens fine...
        audit.checkpoint()
    assert run_verify(copy, details=False).ok
    report = run_verify(copy, details=False, verifier=NoteVerifier(published))  # ...not publicly
    assert not report.ok and any("no signature by" in p for p in report.problems)


def test_saved_external_checkpoint(copy: Path, pristine: Path) -> None:
    with open_audit(pristine, readonly=True) as audit:
        saved = audit.checkpoint().note
    with open_audit(copy) as audit:
        fill(audit, 30)
    assert run_verify(copy, external=[("saved", saved)]).ok
    rewrite(copy, leaves_of(copy)[:650])  # shorter than what the public saw
    (copy / "audit" / "checkpoints.jsonl").write_text("")
    report = run_verify(copy, external=[("saved", saved)])
    assert report.first_bad_index == 650
    assert any(p.startswith("saved:") for p in report.problems)


def test_tampered_detail_names_its_entry(copy: Path) -> None:
    from trustlpr.audit.detail import DetailStore

    store = DetailStore(copy / "audit" / "detail.db")
    store.drop_from(0)
    entries = [prepare(search_event(i), bytes(32)) for i in range(SIZE)]
    store.insert_many(0, entries)  # plausible detail, but not what was committed to
    store.close()
    report = run_verify(copy)
    assert report.first_bad_index == 0
    assert run_verify(copy, details=False).ok


def test_the_json_report_names_every_count_under_its_own_key() -> None:
    """``trustlpr audit verify --json`` and the web face print this: each figure distinct, so a
    swapped, renamed or dropped key shows."""
    root = bytes(range(32))
    report = VerifyReport(
        size=700, root=root, first_bad_index=None, checkpoints_checked=7, details_checked=650,
        details_destroyed=3, details_sealed=5, tiles_checked=2, torn_bytes=11,
    )  # fmt: skip
    assert report.to_json() == {
        "ok": True, "size": 700, "root": base64.b64encode(root).decode("ascii"),
        "first_bad_index": None, "problems": [], "checkpoints_checked": 7,
        "details_checked": 650, "details_destroyed": 3, "details_sealed": 5,
        "tiles_checked": 2, "torn_bytes": 11,
    }  # fmt: skip
    report.fail("entry 42 does not match", index=42)
    failed = report.to_json()
    assert failed["ok"] is False and failed["first_bad_index"] == 42
    assert failed["problems"] == ["entry 42 does not match"]
    assert json.loads(json.dumps(failed)) == failed
