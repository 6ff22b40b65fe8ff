"""RFC 9162 Merkle tree hashing, proofs and their verifiers, as pure functions.

Hashes follow RFC 9162 §2.1.1: ``leaf = SHA-256(0x00 || entry)``, ``node = SHA-256(0x01 || l
|| r)``, and the tree splits at the largest power of two below its size. Proof *generation*
takes a ``subtree`` oracle returning ``MTH(D[start:end])`` so storage decides where hashes come
from (tiles here, a list in tests); the *verifiers* are the RFC's own algorithms (§2.1.3.2,
§2.1.4.2) so any conformant client reaches the same verdict. Verifiers raise, never return bool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ..core.errors import InputError, VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""``subtree(start, end)`` → ``MTH(D[start:end])`` for the ranges the RFC recursion visits."""


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one leaf: ``SHA-256(0x00 || entry)``."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly below ``size`` (``size`` ≥ 2): where the RFC splits."""
    return 1 << ((size - 1).bit_length() - 1)


def root_of(hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of a list of leaf hashes (or of any row of equal-level node hashes).

    Folds pairwise level by level; an odd last hash is promoted unchanged, which yields exactly
    the RFC's left-heavy shape.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def perfect_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """Splits ``[start, end)`` into maximal aligned perfect subtrees, left to right.

    Each piece is ``(level, index)``: the node covering leaves ``[index << level, (index + 1) <<
    level)``. For the ranges RFC proofs use (start aligned to a power of two ≥ the range), the
    pieces shrink from left to right and ``fold_right`` of their hashes is ``MTH(D[start:end])``.
    """
    pieces: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        pieces.append((level, start >> level))
        start += 1 << level
    return pieces


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combines shrinking perfect-subtree hashes into one root, right to left."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for value in reversed(hashes[:-1]):
        acc = node_hash(value, acc)
    return acc


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """``PATH(index, D[size])`` of RFC 9162 §2.1.3.1, from the leaf upwards."""
    if not 0 <= index < size:
        raise InputError(f"index {index} is not inside a tree of size {size}", field="index")
    proof: list[bytes] = []
    _path(index, 0, size, subtree, proof)
    return proof


def _path(index: int, lo: int, hi: int, subtree: SubtreeHash, out: list[bytes]) -> None:
    if hi - lo <= 1:
        return
    k = split_point(hi - lo)
    if index < lo + k:
        _path(index, lo, lo + k, subtree, out)
        out.append(subtree(lo + k, hi))
    else:
        _path(index, lo + k, hi, subtree, out)
        out.append(subtree(lo, lo + k))


def consistency_proof(old: int, new: int, subtree: SubtreeHash) -> list[bytes]:
    """``PROOF(old, D[new])`` of RFC 9162 §2.1.4.1; empty when ``old`` is 0 or equals ``new``."""
    if not 0 <= old <= new:
        raise InputError(f"old size {old} must be between 0 and the new size {new}", field="old")
    if old in (0, new):
        return []
    proof: list[bytes] = []
    _subproof(old, 0, new, True, subtree, proof)
    return proof


def _subproof(
    m: int, lo: int, hi: int, complete: bool, subtree: SubtreeHash, out: list[bytes]
) -> None:
    if m == hi:
        if not complete:
            out.append(subtree(lo, hi))
        return
    k = split_point(hi - lo)
    if m - lo <= k:
        _subproof(m, lo, lo + k, complete, subtree, out)
        out.append(subtree(lo + k, hi))
    else:
        _subproof(m, lo + k, hi, False, subtree, out)
        out.append(subtree(lo, lo + k))


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: raises ``VerificationError`` unless ``leaf`` is at ``index`` of ``root``.

    ``leaf`` is the leaf *hash*.
    """
    if not 0 <= index < size:
        raise VerificationError(f"inclusion: index {index} is not inside a tree of size {size}")
    if any(len(p) != HASH_SIZE for p in proof) or len(leaf) != HASH_SIZE:
        raise VerificationError("inclusion: every hash must be 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion: proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion: proof is shorter than the tree is deep")
    if r != root:
        raise VerificationError(f"inclusion: leaf {index} does not lead to the tree-{size} root")


def verify_consistency(
    old: int, new: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: raises ``VerificationError`` unless tree ``old`` prefixes ``new``."""
    if not 0 <= old <= new:
        raise VerificationError(f"consistency: sizes {old} → {new} go backwards")
    if any(len(p) != HASH_SIZE for p in proof):
        raise VerificationError("consistency: every hash must be 32 bytes")
    if old == new:
        if proof:
            raise VerificationError("consistency: equal sizes need an empty proof")
        if old_root != new_root:
            raise VerificationError(f"consistency: two different roots for size {old}")
        return
    if old == 0:
        if proof:
            raise VerificationError("consistency: the empty tree needs an empty proof")
        return
    if not proof:
        raise VerificationError("consistency: empty proof for different sizes")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency: proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency: proof is shorter than the tree is deep")
    if fr != old_root:
        raise VerificationError(f"consistency: proof does not lead to the tree-{old} root")
    if sr != new_root:
        raise VerificationError(f"consistency: proof does not lead to the tree-{new} root")


def list_subtree(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    """A ``subtree`` oracle over an in-memory list of leaf hashes (tests, small trees)."""

    def subtree(start: int, end: int) -> bytes:
        return root_of(leaf_hashes[start:end])

    return subtree
