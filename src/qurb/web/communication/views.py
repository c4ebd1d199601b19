"""Public communication on the web: events and open days (programme, tickets with QR codes,
offline programme), news and its Atom feed, the newsletter; and the communication cells'
pages (events, the gate, figures, school sessions, news workflow, newsletter)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
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
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from qurb.accounts.access import Capability, grant, has, require_any
from qurb.areas.models import Area, Place, PlaceKind
from qurb.areas.selectors import area_boundary, areas_at
from qurb.communication import pagecache, policy, selectors, services
from qurb.communication.models import Article, ArticleStatus, Event, SchoolSession, Venue
from qurb.core.charts import bars, site_map
from qurb.core.qr import qr_svg
from qurb.reports.limits import Limit
from qurb.web.common import responses
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.forms import add_service_errors
from qurb.web.communication.forms import (
    EventForm,
    NewsletterForm,
    ProgrammeForm,
    SessionForm,
    TicketForm,
)
from qurb.web.guards.intake import client_address, limit_hit

SERVICE_WORKER = Path(__file__).parents[1] / "static" / "qurb" / "js" / "events-sw.js"
TICKET_LIMIT = Limit(20, 3600)  # tickets per address and hour
NEWSLETTER_LIMIT = Limit(10, 3600)


# --- events: public ----------------------------------------------------------------------------


@require_GET
def events(request: HttpRequest) -> HttpResponse:
    return render(request, "communication/events.html", {"events": selectors.upcoming_events()})


def _public_event(slug: str) -> Event:
    event = selectors.public_events().filter(slug=slug).first()
    if event is None:
        raise Http404
    return event


PROGRAMME_SECONDS = pagecache.SHARED_SECONDS


@require_GET
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
        items = list(event.programme.select_related("venue"))
        days: dict[Any, list[Any]] = {}
        for item in items:
            days.setdefault(timezone.localtime(item.starts_at).date(), []).append(item)
        venues = list(event.venues.prefetch_related("stands"))
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


@require_http_methods(["GET", "POST"])
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
@require_GET
def ticket(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    event = _public_event(slug)
    found = event.tickets.filter(code=code).first()
    if found is None:
        raise Http404
    link = request.build_absolute_uri(reverse("communication:ticket", args=[slug, code]))
    response = render(
        request,
        "communication/ticket.html",
        {"event": event, "ticket": found, "qr": qr_svg(link, box_size=6), "link": link},
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def events_ics(request: HttpRequest) -> HttpResponse:
    cal = Calendar()
    cal.add("prodid", "-//Qurb//Police events//AR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Police events"))
    host = request.get_host()
    for event in selectors.upcoming_events():
        entry = CalendarEvent()
        entry.add("uid", f"event-{event.pk}@{host}")
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
        for item in event.programme.all():
            talk = CalendarEvent()
            talk.add("uid", f"session-{item.pk}@{host}")
            talk.add("dtstamp", datetime.now(UTC))
            talk.add("summary", f"{event.title}: {item.title}")
            talk.add("dtstart", item.starts_at)
            talk.add("dtend", item.ends_at)
            if item.place:
                talk.add("location", item.place)
            cal.add_component(talk)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")


@require_GET
@cache_control(max_age=300)
def service_worker(request: HttpRequest) -> HttpResponse:
    return responses.service_worker(SERVICE_WORKER, "/events/")


@require_GET
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


@require_GET
def news(request: HttpRequest) -> HttpResponse:
    return render(
        request, "communication/news.html", {"articles": selectors.public_articles()[:30]}
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.public_articles().filter(slug=slug).first()
    if found is None:
        if Article.objects.filter(slug=slug, status=ArticleStatus.WITHDRAWN).exists():
            return render(request, "communication/withdrawn.html", status=410)
        raise Http404
    return render(request, "communication/article.html", {"article": found})


class NewsFeed(Feed[Article, None]):
    feed_type = Atom1Feed

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

    def item_pubdate(self, item: Article) -> Any:
        return item.publish_at

    def item_updateddate(self, item: Article) -> Any:
        return item.updated_at


@never_cache
@require_http_methods(["GET", "POST"])
def newsletter(request: HttpRequest) -> HttpResponse:
    form = NewsletterForm(request.POST or None)
    if request.method == "POST":
        if limit_hit("newsletter", client_address(request), NEWSLETTER_LIMIT):
            form.add_error(None, _("Too many subscriptions from this connection; try again later."))
        elif form.is_valid():
            try:
                services.newsletter_subscribe(
                    email=form.cleaned_data["email"], language=get_language() or "ar"
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Almost done: open the link we sent to your e-mail to confirm.")
                )
                return redirect("communication:news")
    return render(
        request, "communication/newsletter.html", {"form": form}, status=400 if form.errors else 200
    )


@never_cache
@require_http_methods(["GET", "POST"])
def newsletter_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if services.newsletter_confirm(token) is None:
            raise Http404
        return render(request, "communication/newsletter_state.html", {"state": "confirmed"})
    return render(request, "communication/newsletter_state.html", {"state": "confirm"})


@never_cache
@csrf_exempt  # one-click unsubscribe (RFC 8058)
@require_http_methods(["GET", "POST"])
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
    return policy.events_for(request.user, Capability.EVENT_GATE).select_related("area")


def _staff_event(request: HttpRequest, event_id: int) -> Event:
    return policy.access_event(request.user, event_id, Capability.EVENT_GATE)


@login_required
@require_http_methods(["GET", "POST"])
def staff_events(request: HttpRequest) -> HttpResponse:
    visible = _cell_events(request)
    can_create = has(request.user, Capability.EVENT_MANAGE)
    form = EventForm(request.POST or None)
    areas = _cell_areas(request)
    if request.method == "POST" and can_create and form.is_valid():
        area = (
            areas.filter(pk=request.POST.get("area", "")).first()
            if request.POST.get("area", "").isdigit()
            else None
        )
        if area is None:
            form.add_error(None, _("Choose where the event takes place."))
        else:
            try:
                event = services.event_create(
                    actor=acting(request),
                    area=area,
                    language=get_language() or "ar",
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("communication:staff_event", event_id=event.pk)
    return render(
        request,
        "communication/staff_events.html",
        {
            "events": visible.order_by("-starts_on")[:50],
            "form": form,
            "can_create": can_create,
            "areas": areas,
        },
        status=400 if form.errors else 200,
    )


def _cell_areas(request: HttpRequest) -> Any:
    from qurb.areas.selectors import areas_in_active_generation

    g = grant(request.user, Capability.EVENT_MANAGE)
    return areas_in_active_generation().order_by("type__level", "name_ar").filter(g.q("pk"))


def _coordinate(raw: str, limit: float) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if -limit <= value <= limit else None


@login_required
@require_GET
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
            "venues": event.venues.prefetch_related("stands"),
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
        return run_service(
            request,
            lambda: services.venue_add(
                actor=acting(request),
                event=event,
                name=request.POST.get("name", ""),
                address=request.POST.get("address", ""),
                lat=_coordinate(request.POST.get("lat", ""), 90),
                lon=_coordinate(request.POST.get("lon", ""), 180),
            ),
            done=_("Venue added."),
            back=back,
        )
    if what == "stand":
        stand_venue = Venue.objects.filter(event=event, pk=request.POST.get("venue") or 0).first()
        if stand_venue is None:
            raise Http404
        return run_service(
            request,
            lambda: services.stand_add(
                actor=acting(request), venue=stand_venue, name=request.POST.get("name", "")
            ),
            done=_("Stand added."),
            back=back,
        )
    if what == "programme":
        form = ProgrammeForm(request.POST)
        if not form.is_valid():
            for error in form.errors.values():
                messages.error(request, " ".join(str(e) for e in error))
            return back
        venue = Venue.objects.filter(event=event, pk=request.POST.get("venue") or 0).first()
        return run_service(
            request,
            lambda: services.programme_add(
                actor=acting(request), event=event, venue=venue, **form.cleaned_data
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
@require_http_methods(["GET", "POST"])
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
@require_GET
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
@require_http_methods(["GET", "POST"])
def staff_sessions(request: HttpRequest) -> HttpResponse:
    g = require_any(request.user, Capability.SCHOOL_SESSION_RECORD)
    schools = Place.objects.filter(kind=PlaceKind.SCHOOL, area__isnull=False).select_related("area")
    schools = schools.filter(g.q("area_id"))
    form = SessionForm(request.POST or None)
    form.fields["school"].widget.choices = [(s.pk, s.name) for s in schools]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        school = schools.filter(pk=d.pop("school")).first()
        existing = None
        if request.POST.get("session", "").isdigit():
            existing = (
                policy.sessions_for(request.user)
                .filter(pk=int(request.POST["session"]), school=school)
                .first()
            )
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
    sessions = SchoolSession.objects.filter(school__in=schools).select_related("school", "area")[
        :100
    ]
    from qurb.areas.selectors import areas_in_active_generation

    # The outermost areas the user works in (the whole force: the top-level areas).
    areas = areas_in_active_generation()
    tops = areas.filter(parent__isnull=True) if g.everywhere else areas.filter(pk__in=g.roots)
    reach = [r for top in tops for r in selectors.school_reach(top)]
    return render(
        request,
        "communication/staff_sessions.html",
        {"form": form, "sessions": sessions, "reach": reach},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_news(request: HttpRequest) -> HttpResponse:
    """A cell writes its area's articles (the outermost area it works in); national
    communication writes the force's and sends the newsletter."""
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
            existing = articles.filter(pk=request.POST.get("article")).first()
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
    editing = articles.filter(pk=request.GET.get("article") or 0).first()
    return render(
        request,
        "communication/staff_news.html",
        {
            "articles": articles[:50],
            "editing": editing,
            "statuses": ArticleStatus.choices,
            "national": policy.is_national(request.user, Capability.NEWSLETTER_SEND),
            "published": Article.objects.filter(status=ArticleStatus.PUBLISHED)[:20],
        },
    )


def _visible_articles(request: HttpRequest) -> Any:
    return policy.articles_for(request.user)


def _home_area(request: HttpRequest) -> Area | None:
    """Where a new article belongs: the force for national communication, otherwise the
    outermost area the cell works in."""
    if policy.is_national(request.user):
        return None
    roots = grant(request.user, Capability.ARTICLE_MANAGE).roots
    return Area.objects.filter(pk__in=roots).order_by("pk").first()


@login_required
@require_POST
def staff_article_move(request: HttpRequest, article_id: int) -> HttpResponse:
    require_any(request.user, Capability.ARTICLE_MANAGE)
    found = _visible_articles(request).filter(pk=article_id).first()
    if found is None:
        raise Http404
    raw = request.POST.get("publish_at", "")
    when = parse_datetime(raw) if raw else None
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


@login_required
@require_POST
def staff_newsletter(request: HttpRequest) -> HttpResponse:
    if not policy.is_national(request.user, Capability.NEWSLETTER_SEND):
        raise Http404
    chosen = Article.objects.filter(
        pk__in=[int(p) for p in request.POST.getlist("articles") if p.isdigit()]
    )
    return run_service(
        request,
        lambda: services.newsletter_send(
            actor=acting(request), subject=request.POST.get("subject", ""), articles=list(chosen)
        ),
        done=_("The newsletter is being sent to the confirmed subscribers."),
        back=redirect("communication:staff_news"),
    )
