"""C2SP tile paths and the tile store: roots from tiles equal roots from leaves, at any size,
after reopening, after tiles were lost, and as served over HTTP."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trustlpr.audit.merkle import inclusion_proof, leaf_hash, list_subtree, root_of
from trustlpr.audit.tiles import (
    TILE_BYTES,
    TileRef,
    TileStore,
    encode_index,
    parse_tile_path,
    tile_path,
)
from trustlpr.core.errors import AuditError, InputError, NotFoundError

N = 66_000  # past one level-1 tile (65 536 leaves), so three tile levels are in play
HASHES = [leaf_hash(i.to_bytes(4, "big")) for i in range(N)]


def source(start: int, end: int) -> list[bytes]:
    return HASHES[start:end]


def test_index_encoding_matches_c2sp() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 7, 12) == "tile/1/007.p/12"
    assert tile_path(None, 3) == "tile/entries/003"
    assert tile_path(2, 3, 256) == "tile/2/003"


def test_parse_tile_path() -> None:
    assert parse_tile_path("0/x001/x234/067") == TileRef(0, 1234067, None)
    assert parse_tile_path("tile/1/007.p/12") == TileRef(1, 7, 12)
    assert parse_tile_path("entries/000.p/1") == TileRef(None, 0, 1)
    for bad in ("6/000", "0/1", "0/0001", "0/001/002", "0/000.p/0", "0/000.p/256",
                "0/000.p/012", "../000", "0/x000", "0/000\n"):  # fmt: skip
        with pytest.raises(InputError):
            parse_tile_path(bad)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TileStore]:
    root = tmp_path_factory.mktemp("tiles")
    store = TileStore(root)
    store.open(0, source)
    for start in range(0, N, 1000):
        store.append(HASHES[start : start + 1000])
    store.sync()
    return root, store


def test_roots_from_tiles_equal_roots_from_leaves(filled: tuple[Path, TileStore]) -> None:
    _, store = filled
    assert store.size == N
    for size in (1, 2, 255, 256, 257, 4097, 65535, 65536, 65537, N):
        assert store.root(size) == root_of(HASHES[:size]), size


def test_proofs_from_tiles_equal_proofs_from_leaves(filled: tuple[Path, TileStore]) -> None:
    _, store = filled
    reference = list_subtree(HASHES)
    for index in (0, 255, 256, 65535, 65536, N - 1):
        assert inclusion_proof(index, N, store.subtree) == inclusion_proof(index, N, reference)


def test_full_tiles_on_disk_in_c2sp_layout(filled: tuple[Path, TileStore]) -> None:
    root, store = filled
    tile0 = (root / "tile/0/000").read_bytes()
    assert tile0 == b"".join(HASHES[:256])
    assert (root / "tile/0/256").stat().st_size == TILE_BYTES
    assert (root / "tile/1/000").stat().st_size == TILE_BYTES
    assert store.tile(1, 0) == b"".join(root_of(HASHES[i : i + 256]) for i in range(0, 65536, 256))
    width = N % 256
    assert store.tile(0, N // 256, width) == b"".join(HASHES[N - width :])
    with pytest.raises(NotFoundError):
        store.tile(0, N // 256)
    with pytest.raises(NotFoundError):
        store.tile(0, N // 256, width + 1)


def test_reopen_reads_no_leaves_below_the_sync_mark(filled: tuple[Path, TileStore]) -> None:
    root, _ = filled
    asked: list[tuple[int, int]] = []

    def counting(start: int, end: int) -> list[bytes]:
        asked.append((start, end))
        return source(start, end)

    again = TileStore(root)
    again.open(N, counting, synced=N)
    assert again.root() == root_of(HASHES)
    assert sum(end - start for start, end in asked) < 256
    assert again.rebuilt == 0


def test_lost_and_garbled_tiles_are_rebuilt(tmp_path: Path) -> None:
    store = TileStore(tmp_path)
    store.open(0, source)
    store.append(HASHES[:3000])
    last = tmp_path / tile_path(0, 3000 // 256 - 1)
    last.unlink()  # a crash before the newest tile reached the disk
    garbled = tmp_path / tile_path(0, 3000 // 256 - 2)
    garbled.write_bytes(os.urandom(TILE_BYTES))
    again = TileStore(tmp_path)
    again.open(3000, source, synced=1024)
    assert again.rebuilt == 2
    assert last.read_bytes() == b"".join(HASHES[2560:2816])
    assert again.root() == root_of(HASHES[:3000])


def test_readonly_store_never_writes(tmp_path: Path) -> None:
    store = TileStore(tmp_path)
    store.open(0, source)
    store.append(HASHES[:600])
    (tmp_path / tile_path(0, 1)).unlink()
    reader = TileStore(tmp_path, readonly=True)
    reader.open(600, source)
    assert reader.root() == root_of(HASHES[:600])
    assert not (tmp_path / tile_path(0, 1)).exists()


def test_deleted_trusted_tile_is_rebuilt_from_the_index(tmp_path: Path) -> None:
    store = TileStore(tmp_path)
    store.open(0, source)
    store.append(HASHES[:600])
    store.sync()
    (tmp_path / tile_path(0, 0)).write_bytes(b"cut")
    again = TileStore(tmp_path)
    again.open(600, source, synced=600)
    assert again.rebuilt == 1
    assert again.root(300) == root_of(HASHES[:300])
    assert (tmp_path / tile_path(0, 0)).read_bytes() == b"".join(HASHES[:256])


def test_sizes_beyond_the_tree_are_refused(filled: tuple[Path, TileStore]) -> None:
    _, store = filled
    with pytest.raises(InputError):
        store.root(N + 1)
    with pytest.raises(AuditError, match="not complete"):
        store.node(8, N // 256)
