import json

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qurb.accounts.access import Capability
from qurb.accounts.selectors import access_area, associations_in, descendants_of, officers_serving
from qurb.areas.selectors import (
    active_generation,
    area_boundary,
    area_properties,
    area_public,
    areas_in_active_generation,
    leaf_boundaries,
    neighbourhood_choices,
)
from qurb.engagement.models import (
    ActionProgress,
    Priority,
    PriorityStatus,
    Proposal,
    ProposalAnswer,
)
from qurb.engagement.policy import meetings_visible_to
from qurb.neighbourhoods.selectors import (
    area_hotspots,
    innermost_area_at,
    meetings_icalendar,
    neighbourhood_meetings,
    neighbourhood_summary,
)
from qurb.reports.models import Category
from qurb.web.guards.intake import remember_device
from qurb.web.neighbourhoods.forms import LocateForm, PickForm


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Find your neighbourhood: a map, your phone's location, or a list."""
    locate = LocateForm(request.GET if "lat" in request.GET or "lon" in request.GET else None)
    status = 200
    not_covered = False
    if locate.is_bound:
        if locate.is_valid():
            area = innermost_area_at(lat=locate.cleaned_data["lat"], lon=locate.cleaned_data["lon"])
            if area is not None:
                return HttpResponseRedirect(area.get_absolute_url())
            not_covered = True
            status = 404
        else:
            status = 400
    pick = PickForm(request.GET if "area" in request.GET else None)
    if pick.is_bound and pick.is_valid():
        area = area_public(pick.cleaned_data["area"])
        if area is not None:
            return HttpResponseRedirect(area.get_absolute_url())
        pick.add_error("area", _("This area is not on the map."))
        status = 404
    return render(
        request,
        "neighbourhoods/home.html",
        {
            "locate": locate,
            "pick": pick,
            "not_covered": not_covered,
            "choices": neighbourhood_choices(),
        },
        status=status,
    )


@require_GET
def detail(request: HttpRequest, area_id: int) -> HttpResponse:
    area = area_public(area_id)
    if area is None:
        raise Http404
    response = render(
        request,
        "neighbourhoods/detail.html",
        {"summary": neighbourhood_summary(area, request.user)},
    )
    return remember_device(request, response)  # residents rate priorities once per device


@require_GET
def boundary(request: HttpRequest, area_id: int) -> HttpResponse:
    area = area_public(area_id)
    feature = area_boundary(area) if area else None
    if feature is None:
        raise Http404
    return JsonResponse(feature, content_type="application/geo+json")


@require_GET
def meetings_ics(request: HttpRequest, area_id: int) -> HttpResponse:
    area = area_public(area_id)
    if area is None:
        raise Http404
    # The meetings the reader may see: a calendar app signed in nowhere gets the public ones.
    meetings = neighbourhood_meetings(area, request.user)
    body = meetings_icalendar(area, meetings, request.get_host())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@require_GET
def map_areas(request: HttpRequest) -> HttpResponse:
    """The finest areas of the active generation as one GeoJSON collection (for the map)."""
    generation = active_generation()
    key = f"qurb:map-areas:{generation.pk if generation else 0}:{request.LANGUAGE_CODE}"
    body = cache.get(key)
    if body is None:
        features = []
        for row in leaf_boundaries():
            props = area_properties(row.area)
            props["url"] = row.area.get_absolute_url()
            features.append(
                {
                    "type": "Feature",
                    "id": row.area.code,
                    "properties": props,
                    "geometry": row.geometry,
                }
            )
        body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
        cache.set(key, body, 300)
    return HttpResponse(body, content_type="application/geo+json")


@login_required
@require_GET
def staff_area(request: HttpRequest, area_id: int) -> HttpResponse:
    """A district's staff overview; staff outside the district get 404."""
    area = access_area(request.user, area_id, Capability.AREA_OVERVIEW)
    children = areas_in_active_generation().filter(parent=area)
    return render(
        request,
        "neighbourhoods/staff_area.html",
        {
            "area": area,
            "children": children,
            "officers": officers_serving(area),
            "associations": associations_in(descendants_of({area.pk})),
            "priorities": Priority.objects.filter(
                area_id__in=descendants_of({area.pk}), status=PriorityStatus.CURRENT
            )
            .select_related("area")
            .prefetch_related("actions", "evidence_reports"),
            "hotspots": area_hotspots(area),
            "proposals": Proposal.objects.filter(
                area_id__in=descendants_of({area.pk}),
                meeting__isnull=True,
                answer=ProposalAnswer.PENDING,
            ).select_related("area", "association"),
            "answers": [
                (value, label)
                for value, label in ProposalAnswer.choices
                if value != ProposalAnswer.PENDING
            ],
            "meetings": meetings_visible_to(request.user)
            .filter(area_id__in=descendants_of({area.pk}))
            .order_by("-starts_at")[:20],
            "categories": Category.choices,
            "progress": ActionProgress.choices,
            "today": timezone.localdate(),
        },
    )
