"""Public communication on the web: events and open days (programme, tickets with QR codes,
offline programme), news and its Atom feed, the newsletter (subscribing with its areas, the
preferences); and the communication cells' pages (events, the gate, figures, school sessions,
news workflow, the editions of the newsletter, publishing the yearly report)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from qurb.accounts.access import Capability, has, require_any
from qurb.areas.models import Area
from qurb.areas.selectors import area_boundary, area_public, areas_at
from qurb.communication import pagecache, policy, selectors, services
from qurb.communication.models import (
    Article,
    ArticleStatus,
    Event,
    ItemKind,
    NewsletterItem,
    Venue,
)
from qurb.core.charts import bars, site_map
from qurb.core.links import uid_domain
from qurb.core.params import id_param, id_params, int_param
from qurb.core.qr import qr_svg
from qurb.messaging.editions import edition_draft
from qurb.reports.limits import Limit
from qurb.web.common import responses
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.feeds import StandardAtom, tag_uri
from qurb.web.common.forms import add_service_errors, errors_as_messages
from qurb.web.communication.forms import (
    EditionAreasForm,
    EventForm,
    NewsletterForm,
    ProgrammeForm,
    SessionForm,
    StandForm,
    TicketForm,
    VenueForm,
)
from qurb.web.guards.intake import client_address, limit_hit

SERVICE_WORKER = Path(__file__).parents[1] / "static" / "qurb" / "js" / "events-sw.js"
TICKET_LIMIT = Limit(20, 3600)  # tickets per address and hour
NEWSLETTER_LIMIT = Limit(10, 3600)


# --- events: public ----------------------------------------------------------------------------


@require_safe
def events(request: HttpRequest) -> HttpResponse:
    return render(request, "communication/events.html", {"events": selectors.upcoming_events()})


def _public_event(slug: str) -> Event:
    event = selectors.public_event(slug)
    if event is None:
        raise Http404
    return event


PROGRAMME_SECONDS = pagecache.SHARED_SECONDS


@require_safe
@cache_control(public=True, max_age=PROGRAMME_SECONDS)
def programme(request: HttpRequest, slug: str) -> HttpResponse:
    """The programme and map of an event, for crowds of phones: for visitors without a
    session the whole page is rendered once per language and served from the two-tier page
    cache (dropped by the services when the programme changes), with an ETag for conditional
    requests; the service worker keeps it for offline use once opened."""
    # Only a visitor with nothing of their own to see (no session, no pending message) gets
    # the shared copy; the page carries no form token.
    anonymous = not {settings.SESSION_COOKIE_NAME, "messages"} & request.COOKIES.keys()
    key = pagecache.programme_key(slug, get_language() or "ar") if anonymous else ""
    cached = pagecache.get(key) if key else None
    if cached is None:
        event = _public_event(slug)
        items = selectors.event_programme(event)
        days: dict[Any, list[Any]] = {}
        for item in items:
            days.setdefault(timezone.localtime(item.starts_at).date(), []).append(item)
        venues = list(selectors.event_venues(event))
        body = render(
            request,
            "communication/programme.html",
            {
                "event": event,
                "days": sorted(days.items()),
                "venues": venues,
                "plan": _plan(venues),
            },
        ).content
        cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        if key:
            pagecache.put(key, cached)
    body, etag = cached
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body)
    response["ETag"] = etag
    return response


def _plan(venues: list[Venue]) -> dict[str, Any] | None:
    """The venues on the outline of the area they stand in (no tiles: it works offline)."""
    placed = [v for v in venues if v.lat is not None and v.lon is not None]
    if not placed:
        return None
    found = areas_at(lat=placed[0].lat, lon=placed[0].lon)  # type: ignore[arg-type]
    outline: list[list[list[float]]] = []
    if found:
        feature = area_boundary(found[-1])
        geometry = feature["geometry"] if feature else None
        if geometry:
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            outline = [polygon[0] for polygon in polygons]
    return site_map(outline, [(v.lon, v.lat, v.name) for v in placed])  # type: ignore[misc]


@require_http_methods(["GET", "HEAD", "POST"])
def ticket_new(request: HttpRequest, slug: str) -> HttpResponse:
    event = _public_event(slug)
    form = TicketForm(request.POST or None)
    if request.method == "POST":
        if limit_hit("ticket", client_address(request), TICKET_LIMIT):
            form.add_error(None, _("Too many tickets from this connection; try again later."))
        elif form.is_valid():
            try:
                found = services.ticket_register(
                    event=event, language=get_language() or "ar", **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("communication:ticket", slug=event.slug, code=found.code)
    return render(
        request,
        "communication/ticket_new.html",
        {"event": event, "form": form},
        status=400 if form.errors else 200,
    )


@never_cache
@require_safe
def ticket(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    event = _public_event(slug)
    found = selectors.ticket_for_code(event, code)
    if found is None:
        raise Http404
    if found.code != code:  # typed by hand: the ticket's own address
        return redirect("communication:ticket", slug=slug, code=found.code)
    link = request.build_absolute_uri(reverse("communication:ticket", args=[slug, found.code]))
    response = render(
        request,
        "communication/ticket.html",
        {"event": event, "ticket": found, "qr": qr_svg(link, box_size=6), "link": link},
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def events_ics(request: HttpRequest) -> HttpResponse:
    cal = Calendar()
    cal.add("prodid", "-//Qurb//Police events//AR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Police events"))
    for event in selectors.upcoming_events():
        entry = CalendarEvent()
        entry.add("uid", f"event-{event.pk}@{uid_domain()}")
        entry.add("dtstamp", datetime.now(UTC))
        entry.add("summary", event.title)
        entry.add("dtstart", event.starts_on)
        entry.add("dtend", event.ends_on + timedelta(days=1))  # DTEND of a date is exclusive
        entry.add(
            "url", request.build_absolute_uri(reverse("communication:programme", args=[event.slug]))
        )
        if event.description:
            entry.add("description", event.description)
        cal.add_component(entry)
        for item in selectors.event_programme(event):
            talk = CalendarEvent()
            talk.add("uid", f"session-{item.pk}@{uid_domain()}")
            talk.add("dtstamp", datetime.now(UTC))
            talk.add("summary", f"{event.title}: {item.title}")
            # In UTC ("Z"): no TZID, so no VTIMEZONE needed (RFC 5545 §3.3.5).
            talk.add("dtstart", item.starts_at.astimezone(UTC))
            talk.add("dtend", item.ends_at.astimezone(UTC))
            if item.place:
                talk.add("location", item.place)
            cal.add_component(talk)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")


@require_safe
@cache_control(max_age=300)
def service_worker(request: HttpRequest) -> HttpResponse:
    return responses.service_worker(SERVICE_WORKER, "/events/")


@require_safe
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": _("Qurb — police open days"),
            "short_name": "Qurb",
            "start_url": reverse("communication:events"),
            "scope": "/events/",
            "display": "standalone",
            "background_color": "#faf9f6",
            "theme_color": "#0b5d3b",
            "lang": get_language() or "ar",
            "dir": "rtl" if (get_language() or "ar").startswith("ar") else "ltr",
            "icons": [{"src": "/static/qurb/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
    )


# --- news ---------------------------------------------------------------------------------------


@require_safe
def news(request: HttpRequest) -> HttpResponse:
    return render(
        request, "communication/news.html", {"articles": selectors.public_articles()[:30]}
    )


@require_safe
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.public_article(slug)
    if found is None:
        if selectors.article_withdrawn(slug):
            return render(request, "communication/withdrawn.html", status=410)
        raise Http404
    return render(request, "communication/article.html", {"article": found})


class NewsFeed(StandardAtom, Feed[Article, None]):
    feed_type = Atom1Feed
    tag = "news"

    def title(self) -> str:
        return _("Police news")

    def link(self) -> str:
        return reverse("communication:news")

    def items(self) -> list[Article]:
        return list(selectors.public_articles()[:30])

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.summary or item.body[:300]

    def item_link(self, item: Article) -> str:
        return reverse("communication:article", args=[item.slug])

    def item_guid(self, item: Article) -> str:
        return tag_uri(f"news/{item.pk}")

    item_guid_is_permalink = False

    def item_pubdate(self, item: Article) -> Any:
        return item.publish_at

    def item_updateddate(self, item: Article) -> Any:
        # Never before its publication (an article written ahead waits for its date).
        return max(d for d in (item.updated_at, item.publish_at) if d is not None)


def _area_groups(chosen: set[int]) -> list[tuple[Area, bool, list[tuple[Area, bool]]]]:
    """The prefectures and their districts, each with whether it is chosen (a pick-list that
    keeps what was ticked when the form comes back with an error)."""
    return [
        (top, top.pk in chosen, [(a, a.pk in chosen) for a in inside])
        for top, inside in selectors.edition_area_choices()
    ]


def _ticked(form: Any, initial: list[Area]) -> set[int]:
    if form.is_bound:
        return set(id_params(form.data.getlist("areas")))
    return {a.pk for a in initial}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def newsletter(request: HttpRequest) -> HttpResponse:
    """Subscribe, choosing areas (a neighbourhood's page links here with ``?area=``, which
    ticks its district); none chosen: the national edition."""
    start = selectors.edition_area_for(request.GET.get("area"))
    initial = [start] if start is not None else []
    form = NewsletterForm(request.POST or None)
    if request.method == "POST":
        if limit_hit("newsletter", client_address(request), NEWSLETTER_LIMIT):
            form.add_error(None, _("Too many subscriptions from this connection; try again later."))
        elif form.is_valid():
            try:
                services.newsletter_subscribe(
                    email=form.cleaned_data["email"],
                    language=get_language() or "ar",
                    areas=form.cleaned_data["areas"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Almost done: open the link we sent to your e-mail to confirm.")
                )
                return redirect("communication:news")
    return render(
        request,
        "communication/newsletter.html",
        {"form": form, "groups": _area_groups(_ticked(form, initial))},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def newsletter_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The areas whose newsletter a subscriber receives, by the link in every newsletter."""
    subscriber = selectors.subscriber_for_token(token)
    if subscriber is None:
        raise Http404
    # Bound on every POST: unticking every area (the national edition) sends no field.
    form = EditionAreasForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.newsletter_preferences_set(token=token, areas=form.cleaned_data["areas"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your choice is saved."))
            return redirect("communication:newsletter_preferences", token=token)
    response = render(
        request,
        "communication/newsletter_preferences.html",
        {
            "form": form,
            "token": token,
            "groups": _area_groups(_ticked(form, selectors.subscriber_areas(subscriber))),
        },
        status=400 if form.errors else 200,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def newsletter_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if services.newsletter_confirm(token) is None:
            raise Http404
        return render(
            request, "communication/newsletter_state.html", {"state": "confirmed", "token": token}
        )
    return render(request, "communication/newsletter_state.html", {"state": "confirm"})


@never_cache
@csrf_exempt  # one-click unsubscribe (RFC 8058)
@require_http_methods(["GET", "HEAD", "POST"])
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if services.newsletter_unsubscribe(token) is None:
            raise Http404
        return render(request, "communication/newsletter_state.html", {"state": "left"})
    return render(request, "communication/newsletter_state.html", {"state": "leave"})


# --- staff ------------------------------------------------------------------------------------


def _cell_events(request: HttpRequest) -> Any:
    """Events whose gate the user staffs (held in an area they work in, or above one: a
    prefecture's open day is staffed by its districts' officers)."""
    require_any(request.user, Capability.EVENT_GATE)
    return selectors.gate_events(request.user)


def _staff_event(request: HttpRequest, event_id: int) -> Event:
    return policy.access_event(request.user, event_id, Capability.EVENT_GATE)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_events(request: HttpRequest) -> HttpResponse:
    visible = _cell_events(request)
    can_create = has(request.user, Capability.EVENT_MANAGE)
    form = EventForm(request.POST or None)
    areas = _cell_areas(request)
    if request.method == "POST" and can_create and form.is_valid():
        area = selectors.event_area(request.user, request.POST.get("area", ""))
        if area is None:
            form.add_error(None, _("Choose where the event takes place."))
        else:
            d = form.cleaned_data
            try:
                event = services.event_create(
                    actor=acting(request),
                    area=area,
                    kind=d["kind"],
                    title=form.texts("title"),
                    description=form.texts("description"),
                    starts_on=d["starts_on"],
                    ends_on=d["ends_on"],
                    capacity=d["capacity"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("communication:staff_event", event_id=event.pk)
    return render(
        request,
        "communication/staff_events.html",
        {
            "events": visible[:50],
            "form": form,
            "can_create": can_create,
            "areas": areas,
        },
        status=400 if form.errors else 200,
    )


def _cell_areas(request: HttpRequest) -> Any:
    return selectors.event_areas(request.user)


def _coordinate(raw: str, limit: float) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if -limit <= value <= limit else None


@login_required
@require_safe
def staff_event(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _staff_event(request, event_id)
    figures = selectors.attendance(event)
    return render(
        request,
        "communication/staff_event.html",
        {
            "event": event,
            "figures": figures,
            "day_chart": bars([n for _d, n in figures.by_day]),
            "hour_charts": [
                (d, bars(h, width=360, height=60)) for d, h in sorted(figures.by_hour.items())
            ],
            "programme_form": ProgrammeForm(),
            "venue_form": VenueForm(auto_id="venue-%s"),
            "stand_form": StandForm(auto_id="stand-%s"),
            "venues": selectors.event_venues(event),
            "can_edit": policy.may_event(request.user, Capability.EVENT_MANAGE, event),
        },
    )


@login_required
@require_POST
def staff_event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _staff_event(request, event_id)
    back = redirect("communication:staff_event", event_id=event.pk)
    what = request.POST.get("what", "")
    if what == "venue":
        venue_form = VenueForm(request.POST)
        if not venue_form.is_valid():
            return errors_as_messages(request, venue_form, back)
        return run_service(
            request,
            lambda: services.venue_add(
                actor=acting(request),
                event=event,
                name=venue_form.texts("name"),
                address=venue_form.texts("address"),
                lat=_coordinate(request.POST.get("lat", ""), 90),
                lon=_coordinate(request.POST.get("lon", ""), 180),
            ),
            done=_("Venue added."),
            back=back,
        )
    if what == "stand":
        stand_venue = selectors.event_venue(event, request.POST.get("venue"))
        if stand_venue is None:
            raise Http404
        stand_form = StandForm(request.POST)
        if not stand_form.is_valid():
            return errors_as_messages(request, stand_form, back)
        return run_service(
            request,
            lambda: services.stand_add(
                actor=acting(request),
                venue=stand_venue,
                name=stand_form.texts("name"),
                description=stand_form.texts("description"),
            ),
            done=_("Stand added."),
            back=back,
        )
    if what == "programme":
        form = ProgrammeForm(request.POST)
        if not form.is_valid():
            return errors_as_messages(request, form, back)
        venue = selectors.event_venue(event, request.POST.get("venue"))
        return run_service(
            request,
            lambda: services.programme_add(
                actor=acting(request),
                event=event,
                venue=venue,
                title=form.texts("title"),
                place=form.texts("place"),
                speakers=form.texts("speakers"),
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
            ),
            done=_("Session added to the programme."),
            back=back,
        )
    if what in {"publish", "unpublish"}:
        return run_service(
            request,
            lambda: services.event_publish(
                actor=acting(request), event=event, published=what == "publish"
            ),
            done=_("The event is published.")
            if what == "publish"
            else _("The event is withdrawn."),
            back=back,
        )
    raise Http404


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def gate(request: HttpRequest, event_id: int) -> HttpResponse:
    """Check-in from a phone: the camera scans the ticket's QR code where the browser can
    (BarcodeDetector), or the code is typed; visitors without a ticket are counted by kind."""
    event = _staff_event(request, event_id)
    outcome: dict[str, Any] | None = None
    if request.method == "POST":
        try:
            entry = services.check_in(
                actor=acting(request),
                event=event,
                code=request.POST.get("code", ""),
                visitor_kind=request.POST.get("visitor_kind", ""),
            )
        except ValidationError as exc:
            outcome = {"ok": False, "text": " ".join(exc.messages)}
        else:
            outcome = {
                "ok": True,
                "text": (entry.ticket.name if entry.ticket else entry.get_visitor_kind_display()),
            }
    from qurb.communication.models import VisitorKind

    return render(
        request,
        "communication/gate.html",
        {
            "event": event,
            "outcome": outcome,
            "figures": selectors.attendance(event),
            "kinds": VisitorKind.choices,
        },
        status=400 if outcome and not outcome["ok"] else 200,
    )


@login_required
@never_cache
@require_safe
def live(request: HttpRequest, event_id: int) -> JsonResponse:
    event = _staff_event(request, event_id)
    figures = selectors.attendance(event)
    return JsonResponse(
        {
            "total": figures.total,
            "today": figures.today,
            "last_hour": figures.last_hour,
            "by_kind": figures.by_kind,
        }
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_sessions(request: HttpRequest) -> HttpResponse:
    require_any(request.user, Capability.SCHOOL_SESSION_RECORD)
    schools = selectors.session_schools(request.user)
    form = SessionForm(request.POST or None)
    form.fields["school"].widget.choices = [(s.pk, s.name) for s in schools]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        school = selectors.session_school(request.user, d.pop("school"))
        existing = selectors.staff_session(request.user, request.POST.get("session"), school)
        if school is None:
            form.add_error(None, _("Choose a school."))
        else:
            try:
                services.school_session_save(
                    actor=acting(request), school=school, session=existing, **d
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Session saved."))
                return redirect("communication:staff_sessions")
    sessions = selectors.school_sessions(request.user)
    reach = selectors.school_reach_for(request.user)
    return render(
        request,
        "communication/staff_sessions.html",
        {"form": form, "sessions": sessions, "reach": reach},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_news(request: HttpRequest) -> HttpResponse:
    """A cell writes its area's articles (the outermost area it works in); national
    communication writes the force's. The newsletters have their own page."""
    require_any(request.user, Capability.ARTICLE_MANAGE)
    articles = _visible_articles(request)
    if request.method == "POST":
        texts = {
            lang: {
                "title": request.POST.get(f"title_{lang}", ""),
                "summary": request.POST.get(f"summary_{lang}", ""),
                "body": request.POST.get(f"body_{lang}", ""),
            }
            for lang in ("ar", "fr", "en")
        }
        existing = None
        if request.POST.get("article"):
            existing = selectors.staff_article(request.user, request.POST.get("article"))
            if existing is None:
                raise Http404
        try:
            saved = services.article_save(
                actor=acting(request),
                texts=texts,
                article=existing,
                area=_home_area(request),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(reverse("communication:staff_news") + f"?article={saved.pk}")
    editing = selectors.staff_article(request.user, request.GET.get("article"))
    return render(
        request,
        "communication/staff_news.html",
        {
            "articles": articles[:50],
            "editing": editing,
            "statuses": ArticleStatus.choices,
            "newsletters": has(request.user, Capability.NEWSLETTER_SEND),
        },
    )


def _visible_articles(request: HttpRequest) -> Any:
    return policy.articles_for(request.user)


def _home_area(request: HttpRequest) -> Area | None:
    """Where a new article belongs: the force for national communication, otherwise the
    outermost area the cell works in."""
    if policy.is_national(request.user):
        return None
    return selectors.article_home_area(request.user)


@login_required
@require_POST
def staff_article_move(request: HttpRequest, article_id: int) -> HttpResponse:
    require_any(request.user, Capability.ARTICLE_MANAGE)
    found = selectors.staff_article(request.user, article_id)
    if found is None:
        raise Http404
    raw = request.POST.get("publish_at", "")
    try:
        when = parse_datetime(raw) if raw else None
    except ValueError:  # well formed, but no such date: the service says a date is needed
        when = None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when)
    return run_service(
        request,
        lambda: services.article_move(
            actor=acting(request),
            article=found,
            status=request.POST.get("status", ""),
            publish_at=when,
        ),
        done=_("Article moved: %(status)s.")
        % {"status": dict(ArticleStatus.choices).get(request.POST.get("status", ""), "")},
        back=redirect(reverse("communication:staff_news") + f"?article={found.pk}"),
    )


# --- the newsletter: editions by area ------------------------------------------------------


def _newsletter_staff(request: HttpRequest) -> None:
    if not has(request.user, Capability.NEWSLETTER_SEND):
        raise Http404


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_newsletter(request: HttpRequest) -> HttpResponse:
    """The editions the user composes, and a new draft for one of their areas (the national
    edition for national communication): made from what the area published since its last
    edition, then edited on its own page. Also last year's reports of the user's areas, each
    published from its page."""
    _newsletter_staff(request)
    national = policy.may_newsletter(request.user, None)
    areas = selectors.newsletter_areas_for(request.user)
    if request.method == "POST":
        raw = request.POST.get("area", "")
        area = None
        if raw:
            area = next((a for a in areas if a.pk == id_param(raw)), None)
            if area is None:
                raise Http404  # not one of theirs: as if it did not exist
        try:
            draft = edition_draft(actor=acting(request), area=area)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("communication:staff_newsletter")
        messages.success(request, _("A draft is ready: check it, change it, then send it."))
        return redirect("communication:staff_edition", newsletter_id=draft.pk)
    return render(
        request,
        "communication/staff_newsletter.html",
        {
            "national": national,
            "areas": areas,
            "editions": selectors.staff_newsletters(request.user),
            "yearly_year": timezone.localdate().year - 1,
            "yearly": selectors.yearly_reports_for(request.user, timezone.localdate().year - 1),
        },
    )


def _posted_texts(request: HttpRequest, stem: str, suffix: str = "") -> dict[str, str]:
    return {lang: request.POST.get(f"{stem}_{lang}{suffix}", "") for lang in ("ar", "fr", "en")}


def _posted_subject(request: HttpRequest) -> dict[str, str]:
    return {lang: request.POST.get(f"subject_{lang}", "") for lang in ("ar", "fr", "en")}


def _posted_note(request: HttpRequest) -> dict[str, dict[str, str]]:
    return {
        "title": {lang: request.POST.get(f"note_title_{lang}", "") for lang in ("ar", "fr", "en")},
        "body": {lang: request.POST.get(f"note_body_{lang}", "") for lang in ("ar", "fr", "en")},
    }


def _item_changes(request: HttpRequest, items: list[Any]) -> list[services.ItemChange]:
    """The items as the page sent them back (an item the page did not carry is left as it
    is); a place that is not a small number keeps the item's place."""
    changes = []
    for item in items:
        key = f"-{item.pk}"
        if f"position{key}" not in request.POST:
            continue
        changes.append(
            services.ItemChange(
                item_id=item.pk,
                position=int_param(request.POST.get(f"position{key}"), maximum=10_000)
                or item.position,
                titles=_posted_texts(request, "title", key),
                bodies=_posted_texts(request, "body", key),
                remove=request.POST.get(f"remove{key}") == "1",
            )
        )
    return changes


@dataclass
class _ItemShown:
    """An item on its edition's page: as stored, or as typed when the page comes back with
    an error (nothing typed is lost)."""

    item: NewsletterItem
    position: str
    removing: bool
    titles: dict[str, str]
    bodies: dict[str, str]


def _edition_page(
    request: HttpRequest, newsletter: Any, *, posted: bool = False, status: int = 200
) -> HttpResponse:
    items = []
    for item in selectors.edition_items(newsletter):
        shown = _ItemShown(
            item, str(item.position), False, item.translations("title"), item.translations("body")
        )
        key = f"-{item.pk}"
        if posted and f"position{key}" in request.POST:  # what was typed comes back
            shown.position = request.POST.get(f"position{key}", "")
            shown.removing = request.POST.get(f"remove{key}") == "1"
            shown.titles = _posted_texts(request, "title", key)
            shown.bodies = _posted_texts(request, "body", key)
        items.append(shown)
    return render(
        request,
        "communication/staff_edition.html",
        {
            "edition": newsletter,
            "items": items,
            "subject": _posted_subject(request) if posted else newsletter.translations("subject"),
            "note": _posted_note(request) if posted else None,
            "readers": selectors.edition_readers(newsletter.area).count()
            if newsletter.is_draft
            else None,
            "copies": None if newsletter.is_draft else selectors.edition_copies(newsletter),
            "kinds": dict(ItemKind.choices),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_edition(request: HttpRequest, newsletter_id: int) -> HttpResponse:
    """A draft edition: its subject, its items (texts in three languages, their order, removed
    or kept) and a note of one's own; then send it or discard it. A sent edition shows its
    copies."""
    _newsletter_staff(request)
    newsletter = policy.access_newsletter(request.user, newsletter_id)
    if request.method != "POST":
        return _edition_page(request, newsletter)
    what = request.POST.get("what", "save")
    back = redirect("communication:staff_edition", newsletter_id=newsletter.pk)
    if what == "send":
        return run_service(
            request,
            lambda: services.newsletter_edition_send(actor=acting(request), newsletter=newsletter),
            done=_("The newsletter is being sent to the confirmed subscribers."),
            back=back,
        )
    if what == "discard":
        return run_service(
            request,
            lambda: services.newsletter_discard(actor=acting(request), newsletter=newsletter),
            done=_("The draft is discarded."),
            back=redirect("communication:staff_newsletter"),
        )
    if what != "save":
        raise Http404
    posted_note = _posted_note(request)
    note = services.ItemDraft(kind="note", titles=posted_note["title"], bodies=posted_note["body"])
    try:
        services.newsletter_edit(
            actor=acting(request),
            newsletter=newsletter,
            subject=_posted_subject(request),
            changes=_item_changes(request, selectors.edition_items(newsletter)),
            note=note,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in dict.fromkeys(exc.messages):
            messages.error(request, message)
        return _edition_page(request, newsletter, posted=True, status=400)
    messages.success(request, _("Draft saved."))
    return back


# --- the yearly report --------------------------------------------------------------------------


@login_required
@require_POST
def yearly_publish(request: HttpRequest, area_id: int, year: int) -> HttpResponse:
    """Publish an area's yearly report (its communication cell): its residents who chose
    figures are told."""
    area = area_public(area_id)
    if area is None:
        raise Http404
    return run_service(
        request,
        lambda: services.yearly_report_publish(actor=acting(request), area=area, year=year),
        done=_("The yearly report is published; the residents who asked for figures are told."),
        back=redirect("insights:yearly", area_id=area.pk, year=year),
    )
