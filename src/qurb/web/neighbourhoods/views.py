import json

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from qurb.accounts.access import Capability, grant
from qurb.accounts.selectors import access_area, associations_in, descendants_of, officers_serving
from qurb.alerts.selectors import live_alerts
from qurb.areas.search import MAX_QUERY_CHARS
from qurb.areas.selectors import (
    PlaceFound,
    active_generation,
    area_boundary,
    area_children,
    area_properties,
    area_public,
    leaf_boundaries,
    neighbourhood_choices,
)
from qurb.areas.selectors import place_search as places_named
from qurb.communication.selectors import public_articles, upcoming_events
from qurb.engagement.models import ActionProgress, ProposalAnswer
from qurb.engagement.selectors import area_meetings, area_priorities, association_proposals_waiting
from qurb.messaging.selectors import area_messages
from qurb.neighbourhoods.selectors import (
    area_hotspots,
    innermost_area_at,
    meetings_icalendar,
    neighbourhood_meetings,
    neighbourhood_summary,
)
from qurb.reports.limits import Limit
from qurb.reports.models import Category
from qurb.web.common.navigation import has_insights
from qurb.web.engagement.meetings import PriorityActionForm, PriorityForm
from qurb.web.guards.intake import client_address, limit_hit, remember_device
from qurb.web.messaging.views import subscribe_context
from qurb.web.neighbourhoods.forms import LocateForm, PickForm

# Searches per address and minute: a person types a few a second at most, and a phone
# network may put many people behind one address.
PLACE_SEARCH_LIMIT = Limit(300, 60)


def _search_refusal(request: HttpRequest, query: str) -> tuple[str, str, int] | None:
    """(message, code, status) when the search must not run, in the reader's language."""
    if limit_hit("place-search", client_address(request), PLACE_SEARCH_LIMIT):
        return (
            _("Too many searches from this connection. Wait a minute, then try again."),
            "rate_limited",
            429,
        )
    if len(query) > MAX_QUERY_CHARS:
        return (
            _("A place name may be at most %(n)s characters long. Type fewer words.")
            % {"n": MAX_QUERY_CHARS},
            "query_too_long",
            400,
        )
    return None


def _found_message(found: list[PlaceFound]) -> str:
    if not found:
        return _(
            "No place found with that name. Try another spelling, or pick your "
            "neighbourhood from the list."
        )
    return ngettext("%(n)s place found.", "%(n)s places found.", len(found)) % {"n": len(found)}


def _found_json(place: PlaceFound) -> dict[str, object]:
    return {
        "id": place.key,
        "name": place.name,
        "kind": place.kind,
        "kind_label": place.kind_label,
        "context": place.context,
        "area": place.area_id,
        "lat": place.lat,
        "lon": place.lon,
        "demo": place.is_demo,
        "matched": place.matched,
        "url": reverse("neighbourhoods:detail", args=[place.area_id]),
    }


@require_safe
def place_search(request: HttpRequest) -> JsonResponse:
    """Areas and places by name (offline: Qurb's own data), for the search boxes.

    ``?q=`` in Arabic, French or Darija in either script; the names come back in the
    request's language. A query over MAX_QUERY_CHARS characters is refused with 400.
    """
    query = request.GET.get("q", "")
    refusal = _search_refusal(request, query)
    if refusal is not None:
        message, code, status = refusal
        response = JsonResponse({"error": message, "code": code}, status=status)
    else:
        found = places_named(query)
        response = JsonResponse(
            {
                "query": query,
                "language": get_language(),
                "count": len(found),
                "message": _found_message(found) if query.strip() else "",
                "results": [_found_json(p) for p in found],
            },
            json_dumps_params={"ensure_ascii": False},
        )
    response["Cache-Control"] = "private, max-age=60"
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_safe
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
    # Searching by name without JavaScript: the same search, its answers as links.
    query = request.GET.get("q")
    found: list[PlaceFound] = []
    search_error = ""
    if query is not None:
        refusal = _search_refusal(request, query)
        if refusal is not None:
            search_error, _code, status = refusal
        else:
            found = places_named(query)
    return render(
        request,
        "neighbourhoods/home.html",
        {
            "locate": locate,
            "pick": pick,
            "not_covered": not_covered,
            "choices": neighbourhood_choices(),
            "query": (query or "")[:MAX_QUERY_CHARS],
            "searched": query is not None and not search_error and bool(query.strip()),
            "found": found,
            "found_message": _found_message(found),
            "search_error": search_error,
            # A live missing-child alert comes first; then what the police do next and say.
            "alerts": list(live_alerts()[:3]),
            "events": list(upcoming_events()[:3]),
            "articles": list(public_articles()[:3]),
        },
        status=status,
    )


@require_safe
def detail(request: HttpRequest, area_id: int) -> HttpResponse:
    area = area_public(area_id)
    if area is None:
        raise Http404
    response = render(
        request,
        "neighbourhoods/detail.html",
        {
            "summary": neighbourhood_summary(area, request.user),
            "area_messages": area_messages(area),
            **subscribe_context(area),
        },
    )
    return remember_device(request, response)  # residents rate priorities once per device


@require_safe
def boundary(request: HttpRequest, area_id: int) -> HttpResponse:
    area = area_public(area_id)
    feature = area_boundary(area) if area else None
    if feature is None:
        raise Http404
    return JsonResponse(feature, content_type="application/geo+json")


@require_safe
def meetings_ics(request: HttpRequest, area_id: int) -> HttpResponse:
    area = area_public(area_id)
    if area is None:
        raise Http404
    # The meetings the reader may see: a calendar app signed in nowhere gets the public ones.
    meetings = neighbourhood_meetings(area, request.user)
    body = meetings_icalendar(area, meetings, request.get_host())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@require_safe
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
@require_safe
def staff_area(request: HttpRequest, area_id: int) -> HttpResponse:
    """A district's staff overview; staff outside the district get 404."""
    area = access_area(request.user, area_id, Capability.AREA_OVERVIEW)
    children = area_children(area)
    return render(
        request,
        "neighbourhoods/staff_area.html",
        {
            "area": area,
            # The links and forms shown: only those of the user's capabilities over the area.
            "can": {
                name: grant(request.user, capability).covers(area.pk)
                for name, capability in (
                    ("reports", Capability.REPORT_READ),
                    ("priorities", Capability.PRIORITY_MANAGE),
                    ("meetings", Capability.MEETING_MANAGE),
                    ("surveys", Capability.SURVEY_OPEN),
                )
            }
            | {"insights": has_insights(request.user)},
            "children": children,
            "officers": officers_serving(area),
            "associations": associations_in(descendants_of({area.pk})),
            "priorities": area_priorities(area),
            "hotspots": area_hotspots(area),
            "proposals": association_proposals_waiting(area),
            "answers": [
                (value, label)
                for value, label in ProposalAnswer.choices
                if value != ProposalAnswer.PENDING
            ],
            "meetings": area_meetings(area, request.user),
            "categories": Category.choices,
            "progress": ActionProgress.choices,
            "today": timezone.localdate(),
            "priority_form": PriorityForm(auto_id="priority-%s"),
            "action_form": PriorityActionForm(auto_id=False),
        },
    )
