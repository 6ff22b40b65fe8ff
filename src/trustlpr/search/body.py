"""A search request as JSON: the one body the search API and the federated search parse.

Who asks never comes from here: the API takes it from the credential, the federation from the
request's signature.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..core.clock import as_utc
from ..core.errors import InputError
from ..core.search import LegalBasis, Purpose, Query, SearchType, search_vehicle
from ..core.vehicle import VehicleAttributes
from ..geo import parse_area
from ..policy import warrant_scope_from_json, warrant_scope_to_json
from .service import SearchForm


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: SearchType
    plate: str | None = Field(None, max_length=20)
    pattern: str | None = Field(None, max_length=24)
    cameras: list[str] | None = Field(None, max_length=200)
    window_start: AwareDatetime
    window_end: AwareDatetime
    include_variants: bool = False
    make: str | None = Field(None, max_length=40)
    colour: str | None = Field(None, max_length=40)
    vehicle_type: str | None = Field(None, max_length=40)
    area: dict[str, Any] | None = None
    """A GeoJSON Polygon, or a Point with ``radius_m`` (``trustlpr.geo.parse_area``)."""

    def vehicle(self) -> VehicleAttributes | None:
        """The canonical attributes of an attribute search (``InputError`` listing the
        accepted values for an unknown one); attributes on another search type are refused."""
        return search_vehicle(
            self.type, make=self.make, colour=self.colour, vehicle_type=self.vehicle_type
        )

    @field_validator("window_start", "window_end")
    @classmethod
    def _in_range(cls, moment: datetime, info: ValidationInfo) -> datetime:
        try:
            return as_utc(moment, field=str(info.field_name))
        except InputError as exc:  # pydantic reports a ValueError as this field's 422
            raise ValueError(exc.reason) from None


class WarrantScopeBody(BaseModel):
    """What the warrant or court order authorises (docs/policy.md, "Warrants as legal
    authority"); read by the same parser as ``policy evaluate``'s ``warrant_scope``."""

    model_config = ConfigDict(extra="forbid")
    court: str = Field(min_length=1, max_length=200)
    window_start: AwareDatetime
    window_end: AwareDatetime
    cameras: list[str] | None = Field(None, max_length=200)
    plates: list[str] | None = Field(None, min_length=1, max_length=100)


class SearchBody(BaseModel):
    """A search request's declarations: purpose, case, basis, reason and the query."""

    model_config = ConfigDict(extra="forbid")
    purpose: Purpose
    case_number: str | None = Field(None, max_length=64)
    legal_basis: LegalBasis
    reason: str  # capped by SearchForm (policy.screening.check_reason_length), as everywhere
    offense_code: str | None = Field(None, max_length=64)
    warrant_id: str | None = Field(None, max_length=128)
    protected_plate: bool = False
    warrant_scope: WarrantScopeBody | None = None
    query: QueryBody

    def form(self) -> SearchForm:
        q = self.query
        return SearchForm(
            purpose=self.purpose,
            case_number=self.case_number,
            legal_basis=self.legal_basis,
            reason=self.reason,
            offense_code=self.offense_code,
            warrant_id=self.warrant_id,
            protected_plate=self.protected_plate,
            warrant_scope=warrant_scope_from_json(
                None if self.warrant_scope is None else self.warrant_scope.model_dump(mode="json")
            ),
            query=Query(
                type=q.type,
                plate=q.plate,
                pattern=q.pattern,
                cameras=tuple(q.cameras) if q.cameras is not None else None,
                window_start=q.window_start,
                window_end=q.window_end,
                include_variants=q.include_variants,
                vehicle=q.vehicle(),
                area=None if q.area is None else parse_area(q.area),
            ),
        )


def body_of(form: SearchForm) -> SearchBody:
    """The body that parses back into ``form`` (what a node sends its partners)."""
    q = form.query
    scope = warrant_scope_to_json(form.warrant_scope)
    return SearchBody(
        purpose=form.purpose,
        case_number=form.case_number,
        legal_basis=form.legal_basis,
        reason=form.reason,
        offense_code=form.offense_code,
        warrant_id=form.warrant_id,
        protected_plate=form.protected_plate,
        warrant_scope=None if scope is None else WarrantScopeBody.model_validate(scope),
        query=QueryBody(
            type=q.type,
            plate=q.plate,
            pattern=q.pattern,
            cameras=list(q.cameras) if q.cameras is not None else None,
            window_start=q.window_start,
            window_end=q.window_end,
            include_variants=q.include_variants,
            make=q.vehicle.make if q.vehicle else None,
            colour=q.vehicle.colour if q.vehicle else None,
            vehicle_type=q.vehicle.vehicle_type if q.vehicle else None,
            area=None if q.area is None else q.area.to_geojson(),
        ),
    )
