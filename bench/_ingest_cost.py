"""What the protected-plates check and the three attribute indexes add to ingest.

Both through the real ``IngestPipeline`` into a fresh ``SQLiteReadStore`` per round and side
(synchronous=FULL, as a node runs), rates in reads/s; per round both sides' pipelines are
open at once and fed the same-sized chunks in alternating order (``_paired``):

- ``protected``: the pipeline with the registry (``ProtectedPlates``, ``--protected-entries``
  active entries approved by two admins, half of them ``not_recorded``) against the same
  pipeline without one, on the same reads, one in 2,000 of them a protected plate (dropped on
  the checked side only, so that side also stores 0.05 % fewer rows);
- ``attributes``: reads carrying make, colour and body type (three blind indexes each)
  against the same reads without them.

``ratio`` is checked / unchecked (with / without attributes): 1 - ratio is the cost. On a
loaded machine that ratio's spread is wider than 5 %, so the check is also timed alone on the
same batches: ``protected_check_share_pct`` is its µs per read over the checked side's µs per
read (median rate), its share of ingest.
"""

from __future__ import annotations

import gc
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _rounds import Rounds
from _vehicles import Vehicle, day_reads
from trustlpr.audit import open_audit
from trustlpr.core import AgencyType, Read, Role
from trustlpr.core.protected import ProtectedCategory, ProtectedHandling
from trustlpr.identity import IdentityStore
from trustlpr.ingest.pipeline import IngestPipeline, Unrecorded
from trustlpr.keys import StandingKeys
from trustlpr.protected import ProtectedPlates
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

BATCH = 1000
HANDLING = {
    ProtectedCategory.ADDRESS_CONFIDENTIALITY: ProtectedHandling.NOT_RECORDED,
    ProtectedCategory.SURVIVOR: ProtectedHandling.NOT_RECORDED,
    ProtectedCategory.PROTECTED_OFFICIAL: ProtectedHandling.SECOND_SUPERVISOR,
    ProtectedCategory.UNDERCOVER: ProtectedHandling.SECOND_SUPERVISOR,
}


def _registry(root: Path, plates: Sequence[str]) -> tuple[ProtectedPlates, Callable[[], None]]:
    audit = open_audit(root, agency_id="nhpd")
    identity = IdentityStore.open(root, audit)
    identity.add_agency("nhpd", "New Haven PD", "CT", AgencyType.LOCAL, actor=None)
    first = identity.add_user("adm1", "nhpd", Role.ADMIN, "First Admin", actor=None)
    second = identity.add_user("adm2", "nhpd", Role.ADMIN, "Second Admin", actor=None)
    registry = ProtectedPlates(
        root, StandingKeys(root / "keys", secrets.token_bytes(32), "protected"),
        agency_id="nhpd", people=identity, audit=audit, handling=HANDLING,
    )  # fmt: skip
    expires = datetime.now(UTC) + timedelta(days=365)
    for i, plate in enumerate(plates):
        category = "address_confidentiality" if i % 2 == 0 else "undercover"
        entry = registry.propose(plate, category=category, expires_at=expires, actor=first)
        registry.approve(entry.id, actor=second)

    def close() -> None:
        registry.close()
        identity.close()
        audit.close()

    return registry, close


class _Side:
    """A pipeline into a fresh store; ``feed`` times one chunk until it is durable."""

    def __init__(self, root: Path, protected: Unrecorded | None) -> None:
        root.mkdir()
        self.root = root
        self.audit = open_audit(root, agency_id="nhpd")
        self.store = SQLiteReadStore(root / "reads", key_rings(root, secrets.token_bytes(32)))
        self.pipeline = IngestPipeline(self.store, audit=self.audit, protected=protected)
        self.seconds = 0.0

    def feed(self, reads: Sequence[Read]) -> None:
        start = time.perf_counter()
        self.pipeline.submit(reads).result(300)
        self.seconds += time.perf_counter() - start

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()
        self.audit.close()
        shutil.rmtree(self.root)


Feed = tuple[Callable[[int], list[Read]], Unrecorded | None]


def _paired(root: Path, name: str, ours: Feed, baseline: Feed, rounds: int) -> Rounds:
    """Per round, both sides' pipelines open at once, fed the round's reads chunk by chunk
    in alternating order (A B, B A, ...), so a change in the machine's load falls on both;
    the round's figure of each side is its reads / its summed seconds."""
    result = Rounds()
    for k in range(-1, rounds):  # round -1 warms up, unrecorded
        gc.collect()
        a = _Side(root / f"{name}-a{k + 1}", ours[1])
        b = _Side(root / f"{name}-b{k + 1}", baseline[1])
        reads_a, reads_b = ours[0](k), baseline[0](k)
        for j, i in enumerate(range(0, len(reads_a), BATCH)):
            first, second = (a, reads_a), (b, reads_b)
            for side, reads in (first, second) if (j + k) % 2 == 0 else (second, first):
                side.feed(reads[i : i + BATCH])
        if k >= 0:
            result.ours.append(len(reads_a) / a.seconds)
            result.baseline.append(len(reads_b) / b.seconds)
        a.close()
        b.close()
    return result


def ingest_costs(
    root: Path, vehicles: list[Vehicle], t0: datetime, *, reads: int, rounds: int, entries: int
) -> dict[str, float | int]:
    protected_plates = [v.plate for v in vehicles[-entries:]]
    registry, close = _registry(root / "registry", protected_plates)

    def stream(k: int) -> list[Read]:
        out = list(day_reads(vehicles[:-entries], t0 + timedelta(days=k + 2), reads, seed=k))
        for i in range(0, len(out), 2000):  # one protected plate in 2,000 reads
            out[i] = replace(out[i], plate=protected_plates[i % len(protected_plates)])
        return out

    streams = {k: stream(k) for k in range(-1, rounds)}
    bare = {k: [replace(r, make=None, colour=None, vehicle_type=None) for r in s]
            for k, s in streams.items()}  # fmt: skip

    of, without = streams.__getitem__, bare.__getitem__
    checked = _paired(root, "protected", (of, registry), (of, None), rounds)
    attributes = _paired(root, "attributes", (of, None), (without, None), rounds)
    check_s = 0.0  # the check alone, on the same batches: its share of the checked ingest
    for k in range(rounds):
        batches = [streams[k][i : i + BATCH] for i in range(0, reads, BATCH)]
        start = time.perf_counter()
        for batch in batches:
            registry.not_recorded(batch)
        check_s += time.perf_counter() - start
    close()
    check_us = check_s / (rounds * reads) * 1e6
    out: dict[str, float | int] = {
        "ingest_reads_per_round": reads,
        "protected_entries": entries,
        "protected_check_us_per_read": round(check_us, 2),
        "protected_check_share_pct": round(check_us * checked.medians()[0] / 1e4, 2),
    }
    for name, result in (("protected_check", checked), ("attribute_indexes", attributes)):
        ratio = result.ratio()
        ours, base = result.medians()
        out |= {
            f"{name}_ratio": ratio["ratio"],
            f"{name}_ratio_min": ratio["ratio_min"],
            f"{name}_ratio_max": ratio["ratio_max"],
            f"{name}_cost_pct": round((1 - ratio["ratio"]) * 100, 1),
            f"{name}_reads_per_s": round(ours),
            f"{name}_baseline_reads_per_s": round(base),
        }
    return out
