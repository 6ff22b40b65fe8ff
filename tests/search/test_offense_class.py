"""The public ``search_decided`` entry carries the offense's class, never the code, case or
reason: what the annual report's searches by offense class count (issue 15 items 3 and 7)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from trustlpr.audit import parse_leaf
from trustlpr.transparency import compute_figures

from .conftest import World
from .test_service import form


@pytest.mark.parametrize(
    ("offense", "kind"),
    [
        ("240", "felony"),  # NIBRS Motor Vehicle Theft
        ("larceny of a motor vehicle", "felony"),  # a statute name
        ("larceny_motor_vehicle", "felony"),  # TrustLPR's code
        (None, "none"),
        ("9ZZ", "unknown"),  # refused, and counted as such
    ],
)
def test_the_public_entry_names_the_class_only(
    world: World, offense: str | None, kind: str
) -> None:
    out = world.service.request(world.officer, world.owner, replace(form(), offense_code=offense))
    leaves = [leaf for _, leaf in world.audit.log.entries()]
    public = parse_leaf(leaves[out.audit_index])["public"]
    assert public["offense_class"] == kind
    private = world.audit.log.detail(out.audit_index).private
    assert private["offense_code"] == offense  # the code itself stays private
    if offense:
        assert all(f'"{offense}"'.encode() not in leaf for leaf in leaves)
    assert b"26-004512" not in b"".join(leaves)  # nor the case number
    classes = compute_figures(world.audit.log.entries())["searches"]["by_offense_class"]
    assert sum(classes[kind].values()) == 1
