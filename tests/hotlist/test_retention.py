"""Possible matches are non-hits: they leave ``alerts.db`` with the non-hit retention, bytes
and all; a possible an officer confirmed is a hit and stays as long as hits do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trustlpr.core import Read
from trustlpr.hotlist import AlertKind
from trustlpr.runtime import System

NOW = datetime.now(UTC).replace(microsecond=0)


def _read(plate: str, minutes: int, camera: str = "cam-1") -> Read:
    return Read(plate, "CT", 0.9, NOW - timedelta(minutes=minutes), camera, "nhpd", 41.3, -72.9)


def _alert_files(node: System) -> list[bytes]:
    data = node.settings.data_dir
    return [p.read_bytes() for p in (data / "alerts.db", data / "alerts.db-wal") if p.exists()]


def test_possible_matches_go_with_the_non_hit_retention(node: System) -> None:
    # three confusion siblings of the listed AB1234 and the listed plate itself
    images = {i: f"JPEG-{i}-of-an-innocent-car".encode() for i in range(3)}
    reads = [_read("A81234", 9), _read("A8I234", 8), _read("AB1Z34", 7), _read("AB1234", 6)]
    assert node.ingest(reads, {**images, 3: b"JPEG-of-the-listed-car"}) == 4
    by_plate = {a.read["plate"]: a for a in node.alerts.list_alerts()}
    assert [by_plate[p].kind for p in ("A81234", "A8I234", "AB1Z34")] == [AlertKind.POSSIBLE] * 3
    node.alerts.verify(by_plate["A8I234"].id, "confirmed", note="image shows AB1234", user="o")
    node.alerts.verify(by_plate["AB1Z34"].id, "misread", note="another car", user="o")

    node.purge(NOW + node.retention.nonhit - timedelta(hours=1))
    assert len(node.alerts.list_alerts()) == 4  # nothing is due yet

    node.purge(NOW + node.retention.nonhit + timedelta(minutes=1))
    left = {(a.read["plate"], a.kind.value, a.status) for a in node.alerts.list_alerts()}
    assert left == {("A8I234", "possible", "confirmed"), ("AB1234", "alert", "unverified")}
    blobs = _alert_files(node)
    assert any(b"A8I234" in b for b in blobs), "positive control: the confirmed possible stays"
    assert any(b"JPEG-1-of-an-innocent-car" in b for b in blobs)
    for gone in (b"A81234", b"JPEG-0-of-an-innocent-car", b"JPEG-2-of-an-innocent-car"):
        assert not any(gone in b for b in blobs), f"{gone!r} outlived the non-hit retention"

    # the confirmed possible and the alert go with the hit retention
    node.purge(NOW + node.retention.hit + timedelta(minutes=1))
    assert node.alerts.list_alerts() == []
    for gone in (b"A8I234", b"AB1234", b"JPEG-1-of-an-innocent-car", b"JPEG-of-the-listed-car"):
        assert not any(gone in b for b in _alert_files(node))
