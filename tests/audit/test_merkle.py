"""RFC 9162 hashing and proofs: published vectors, hand-computed trees, pymerkle roots, and
verifier round trips for every (index, size) and (old, new) up to 70 leaves."""

from __future__ import annotations

import hashlib

import pytest
from pymerkle import InmemoryTree

from trustlpr.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    list_subtree,
    node_hash,
    perfect_pieces,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from trustlpr.core.errors import InputError, VerificationError

h = bytes.fromhex
# RFC 6962 test vectors (certificate-transparency / Go sumdb tlog): leaves and the root of
# every prefix of the 8-leaf tree.
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
          "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
VECTOR_HASHES = [leaf_hash(h(x)) for x in LEAVES]


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_empty_tree_and_prefixes() -> None:
    assert root_of([]) == EMPTY_ROOT == sha(b"")
    assert leaf_hash(b"x") == sha(b"\x00x")
    assert node_hash(b"a" * 32, b"b" * 32) == sha(b"\x01" + b"a" * 32 + b"b" * 32)


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_roots(size: int) -> None:
    assert root_of(VECTOR_HASHES[:size]).hex() == ROOTS[size - 1]


def test_rfc6962_proof_vectors() -> None:
    sub = list_subtree(VECTOR_HASHES)
    proof = inclusion_proof(5, 8, sub)
    assert [p.hex() for p in proof] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    verify_inclusion(5, 8, VECTOR_HASHES[5], proof, h(ROOTS[7]))
    assert inclusion_proof(2, 3, sub) == [h(ROOTS[1])]
    assert [p.hex() for p in consistency_proof(6, 8, sub)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert [p.hex() for p in consistency_proof(2, 5, sub)] == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]
    verify_consistency(2, 5, consistency_proof(2, 5, sub), h(ROOTS[1]), h(ROOTS[4]))


def test_hand_computed_small_trees() -> None:
    a, b, c, d, e = (sha(b"\x00" + bytes([i])) for i in range(5))
    n = lambda left, right: sha(b"\x01" + left + right)  # noqa: E731
    leaves = [a, b, c, d, e]
    assert root_of(leaves[:1]) == a
    assert root_of(leaves[:2]) == n(a, b)
    assert root_of(leaves[:3]) == n(n(a, b), c)
    assert root_of(leaves[:4]) == n(n(a, b), n(c, d))
    assert root_of(leaves[:5]) == n(n(n(a, b), n(c, d)), e)
    sub = list_subtree(leaves)
    # leaf 2 of 5: sibling d, then n(a, b), then e
    assert inclusion_proof(2, 5, sub) == [d, n(a, b), e]
    # tree 3 inside tree 5: c, d, n(a, b), e
    assert consistency_proof(3, 5, sub) == [c, d, n(a, b), e]
    # a power-of-two old tree omits its own root
    assert consistency_proof(2, 5, sub) == [n(c, d), e]


def test_perfect_pieces_cover_range() -> None:
    assert perfect_pieces(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert perfect_pieces(8, 13) == [(2, 2), (0, 12)]
    assert perfect_pieces(5, 5) == []


def test_pymerkle_agrees_on_roots() -> None:
    tree = InmemoryTree(algorithm="sha256")
    leaves = [f"entry-{i}".encode() for i in range(600)]
    hashes = [leaf_hash(x) for x in leaves]
    for leaf in leaves:
        tree.append_entry(leaf)
    for size in [*range(1, 70), 255, 256, 257, 511, 512, 513, 600]:
        assert tree.get_root(size) == root_of(hashes[:size]), size


HASHES = [leaf_hash(f"leaf {i}".encode()) for i in range(70)]
SUB = list_subtree(HASHES)
ROOTS_70 = [root_of(HASHES[:n]) for n in range(71)]


@pytest.mark.parametrize("size", range(1, 71))
def test_inclusion_round_trip_every_index(size: int) -> None:
    root = ROOTS_70[size]
    for index in range(size):
        proof = inclusion_proof(index, size, SUB)
        verify_inclusion(index, size, HASHES[index], proof, root)
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, HASHES[(index + 1) % 70], proof, root)
        if size > 1:
            with pytest.raises(VerificationError):
                verify_inclusion((index + 1) % size, size, HASHES[index], proof, root)
            with pytest.raises(VerificationError):
                verify_inclusion(index, size, HASHES[index], proof[:-1], root)
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, HASHES[index], [*proof, HASHES[0]], root)


@pytest.mark.parametrize("new", range(1, 71))
def test_consistency_round_trip_every_pair(new: int) -> None:
    for old in range(new + 1):
        proof = consistency_proof(old, new, SUB)
        verify_consistency(old, new, proof, ROOTS_70[old], ROOTS_70[new])
        if 0 < old < new:
            with pytest.raises(VerificationError):
                verify_consistency(old, new, proof, ROOTS_70[old - 1], ROOTS_70[new])
            with pytest.raises(VerificationError):
                verify_consistency(old, new, proof, ROOTS_70[old], ROOTS_70[new - 1])
            with pytest.raises(VerificationError):
                verify_consistency(old, new, proof[:-1], ROOTS_70[old], ROOTS_70[new])
            flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            with pytest.raises(VerificationError):
                verify_consistency(old, new, flipped, ROOTS_70[old], ROOTS_70[new])


def test_verifier_refuses_nonsense() -> None:
    root = ROOTS_70[5]
    with pytest.raises(VerificationError, match="not inside"):
        verify_inclusion(5, 5, HASHES[0], [], root)
    with pytest.raises(VerificationError, match="32 bytes"):
        verify_inclusion(0, 5, HASHES[0], [b"short"], root)
    with pytest.raises(VerificationError, match="backwards"):
        verify_consistency(6, 5, [], root, root)
    with pytest.raises(VerificationError, match="empty proof"):
        verify_consistency(5, 5, [HASHES[0]], root, root)
    with pytest.raises(VerificationError, match="two different roots"):
        verify_consistency(5, 5, [], root, ROOTS_70[6])
    with pytest.raises(VerificationError, match="empty proof"):
        verify_consistency(3, 5, [], ROOTS_70[3], root)
    with pytest.raises(InputError):
        inclusion_proof(5, 5, SUB)
    with pytest.raises(InputError):
        consistency_proof(6, 5, SUB)
