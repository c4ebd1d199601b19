"""The neighbourhood JSON API, modelled on data.police.uk's neighbourhood endpoints."""

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Query, Router, Schema
from pydantic import Field

from qurb.accounts.selectors import officers_serving
from qurb.areas.models import Area
from qurb.areas.selectors import (
    area_ancestors,
    area_boundary,
    area_properties,
    area_public,
    areas_at,
)
from qurb.neighbourhoods.selectors import (
    meeting_public,
    neighbourhood_meetings,
    neighbourhood_priorities,
    officer_public,
    priority_public,
)
from qurb.web.common.apierrors import errors

router = Router(tags=["neighbourhoods"])


class AreaOut(Schema):
    id: int
    code: str
    type: str
    name: str
    names: dict[str, str]
    parent: str | None
    demo: bool = Field(description="True for generated demo areas, which are not real boundaries.")
    source: str


class NeighbourhoodOut(AreaOut):
    ancestors: list[AreaOut]
    url: str
    boundary_url: str


class PersonOut(Schema):
    name: str
    rank: str
    contact_details: dict[str, str]
    bio: str


class EventOut(Schema):
    id: int
    title: str = Field(description="In the request's language (Accept-Language), with fallback")
    start_date: str
    end_date: str
    address: str = Field(description="In the request's language, with fallback")
    type: str
    title_ar: str = Field("", description="The title in Arabic (empty if not given)")
    title_fr: str = Field("", description="The title in French (empty if not given)")
    title_en: str = Field("", description="The title in English (empty if not given)")


class PriorityActionOut(Schema):
    action: str
    action_date: str
    progress: str


class HotspotAssessmentOut(Schema):
    reports_before: int
    reports_after: int
    p_value: float
    significant: bool


class RatingOut(Schema):
    n: int
    mean: float
    ci95: list[float] | None = Field(description="95% interval (Student's t), from 2 ratings")


class EvidenceOut(Schema):
    reports: int = Field(description="How many reports staff linked (the reports stay private)")
    hotspot_cells: list[str] = Field(description="H3 cells of the hotspot analysis")


class AssessmentOut(Schema):
    before_from: str
    after_from: str
    after_until: str
    days: int
    reports_before: int
    reports_after: int
    change_percent: int | None
    p_value: float
    significant: bool
    hotspots: HotspotAssessmentOut | None = Field(
        description="The same measure inside the priority's hotspot hexagons"
    )
    residents_rating: RatingOut | None = Field(
        description="Residents' ratings of how the priority is dealt with, 1 to 5"
    )


class PriorityOut(Schema):
    id: int
    issue: str = Field(description="In the request's language (Accept-Language), with fallback")
    issue_ar: str = Field("", description="The issue in Arabic (empty if not given)")
    issue_fr: str = Field("", description="The issue in French (empty if not given)")
    issue_en: str = Field("", description="The issue in English (empty if not given)")
    description: str = Field(description="In the request's language, with fallback")
    issue_date: str
    status: str
    category: str | None
    action: str | None = Field(description="The latest action, as data.police.uk's `action`")
    action_date: str | None
    progress: str | None
    actions: list[PriorityActionOut]
    assessment: AssessmentOut | None = Field(
        description="Reports of the priority's category in the area, over equal periods before "
        "and after the response began; exact two-sided test of equal rates"
    )
    evidence: EvidenceOut


class LocateQuery(Schema):
    lat: float = Field(ge=-90, le=90, description="Latitude, WGS 84")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS 84")


GEOJSON_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]}},
        },
        "properties": {"type": "object"},
    },
}


def _area(area_id: int) -> Area:
    area = area_public(area_id)
    if area is None:
        raise Http404
    return area


@router.get(
    "/areas/locate",
    response={200: list[AreaOut], **errors(400, 422)},
    summary="Areas containing a point, outermost first",
)
def locate(request: HttpRequest, query: Query[LocateQuery]) -> list[dict[str, Any]]:
    return [area_properties(a) for a in areas_at(lat=query.lat, lon=query.lon)]


@router.get(
    "/neighbourhoods/{area_id}",
    response={200: NeighbourhoodOut, **errors(400, 404, 422)},
    summary="A neighbourhood (or any area)",
)
def neighbourhood(request: HttpRequest, area_id: int) -> dict[str, Any]:
    area = _area(area_id)
    out = area_properties(area)
    out["ancestors"] = [area_properties(a) for a in area_ancestors(area)]
    out["url"] = request.build_absolute_uri(area.get_absolute_url())
    out["boundary_url"] = request.build_absolute_uri(f"/api/v1/neighbourhoods/{area.pk}/boundary")
    return out


@router.get(
    "/neighbourhoods/{area_id}/boundary",
    summary="The boundary as a GeoJSON Feature",
    response={200: None, **errors(400, 404, 422)},
    openapi_extra={
        "responses": {
            200: {
                "description": "GeoJSON Feature (RFC 7946)",
                "content": {"application/geo+json": {"schema": GEOJSON_FEATURE}},
            }
        }
    },
)
def boundary(request: HttpRequest, area_id: int) -> JsonResponse:
    feature = area_boundary(_area(area_id))
    if feature is None:
        raise Http404
    return JsonResponse(feature, content_type="application/geo+json")


@router.get(
    "/neighbourhoods/{area_id}/people",
    response={200: list[PersonOut], **errors(400, 404, 422)},
    summary="Officers serving the area",
)
def people(request: HttpRequest, area_id: int) -> list[dict[str, Any]]:
    return [officer_public(p) for p in officers_serving(_area(area_id))]


@router.get(
    "/neighbourhoods/{area_id}/events",
    response={200: list[EventOut], **errors(400, 404, 422)},
    summary="Upcoming meetings",
    description="The public meetings; with a signed-in session, also the invitation-only "
    "meetings the caller may see (their district's staff, members of an invited association).",
)
def events(request: HttpRequest, area_id: int) -> list[dict[str, Any]]:
    return [meeting_public(m) for m in neighbourhood_meetings(_area(area_id), request.user)]


@router.get(
    "/neighbourhoods/{area_id}/priorities",
    response={200: list[PriorityOut], **errors(400, 404, 422)},
    summary="Current priorities",
)
def priorities(request: HttpRequest, area_id: int) -> list[dict[str, Any]]:
    return [priority_public(p) for p in neighbourhood_priorities(_area(area_id))]
