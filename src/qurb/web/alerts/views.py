"""Alerts on the web: the public pages, feeds, CAP messages and subscriptions, and the staff
pages where an officer opens a case and the validation unit decides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qurb.accounts.access import Capability, has, require_any
from qurb.alerts import policy, selectors, services
from qurb.alerts.models import AlertCase, CaseStatus, Channel, EndReason
from qurb.alerts.push import application_server_key
from qurb.core.bidi import isolated
from qurb.core.errors import Refused
from qurb.core.params import float_param
from qurb.reports.limits import Limit
from qurb.web.alerts.forms import CaseForm, SubscribeForm
from qurb.web.common import responses
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.feeds import StandardAtom, tag_uri
from qurb.web.common.forms import add_service_errors
from qurb.web.common.responses import private_file
from qurb.web.guards.intake import client_address, limit_hit

SUBSCRIBE_LIMIT = Limit(10, 3600)  # subscriptions per address and hour
SERVICE_WORKER = Path(__file__).parents[1] / "static" / "qurb" / "js" / "alerts-sw.js"


# --- public ----------------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "alerts/index.html", {"alerts": selectors.live_alerts()})


@require_safe
@cache_control(max_age=30)
def page(request: HttpRequest, public_id: str) -> HttpResponse:
    case = selectors.public_case(public_id)
    if case is None:
        raise Http404
    if not selectors.is_live(case):
        # Ended: 410 Gone, no personal data, not indexed.
        return render(request, "alerts/ended.html", {"case": case}, status=410)
    return render(
        request,
        "alerts/page.html",
        {"case": case, "share_url": request.build_absolute_uri()},
    )


@require_safe
@cache_control(max_age=30)
def photo(request: HttpRequest, public_id: str) -> HttpResponseBase:
    case = selectors.public_case(public_id)
    if case is None or not case.photo or not selectors.is_live(case):
        raise Http404
    try:
        stored = default_storage.open(case.photo, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@cache_control(max_age=30)
def cap(request: HttpRequest, public_id: str) -> HttpResponse:
    """The alert's latest CAP message (the Cancel once it has ended)."""
    case = selectors.public_case(public_id)
    message = selectors.latest_message(case) if case else None
    if case is None or message is None or not message.xml:
        raise Http404
    if not selectors.is_live(case) and message.msg_type != "Cancel":
        raise Http404  # expired, and the expiry job has not yet written its Cancel
    return HttpResponse(message.xml, content_type="application/cap+xml; charset=utf-8")


class CapAtom1Feed(Atom1Feed):
    """Atom, with each entry linking its CAP message as an alternate."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement(
            "link", "", {"rel": "alternate", "type": "application/cap+xml", "href": item["cap"]}
        )


class AlertsFeed(StandardAtom, Feed[AlertCase, None]):
    feed_type = CapAtom1Feed
    tag = "alerts"

    def title(self) -> str:
        return _("Missing-child alerts")

    def link(self) -> str:
        return reverse("alerts:index")

    def subtitle(self) -> str:
        return _("Current alerts; each entry links its CAP 1.2 message.")

    def items(self) -> list[AlertCase]:
        return list(selectors.live_alerts()[:50])

    def item_title(self, item: AlertCase) -> str:
        prefix = _("EXERCISE — ") if item.is_exercise else ""
        return prefix + _("Missing child: %(name)s, %(age)s years old") % isolated(
            {"name": item.child_first_name, "age": item.child_age}
        )

    def item_description(self, item: AlertCase) -> str:
        return _(
            "Last seen: %(place)s. If you see this child, do not intervene: call %(number)s."
        ) % isolated({"place": item.last_seen_place, "number": item.call_number})

    def item_link(self, item: AlertCase) -> str:
        return reverse("alerts:page", args=[item.public_id])

    def item_guid(self, item: AlertCase) -> str:
        return tag_uri(f"alert/{item.public_id}")

    item_guid_is_permalink = False

    def item_pubdate(self, item: AlertCase) -> Any:
        return item.published_at

    def item_updateddate(self, item: AlertCase) -> Any:
        message = selectors.latest_message(item)
        return message.sent if message else item.published_at

    def item_extra_kwargs(self, item: AlertCase) -> dict[str, Any]:
        return {
            "cap": self.request.build_absolute_uri(reverse("alerts:cap", args=[item.public_id]))
        }

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.request = request
        return super().__call__(request, *args, **kwargs)


def _districts() -> list[tuple[int, str]]:
    return [(a.pk, a.name) for a in selectors.subscription_districts()]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """Alerts near a place, by e-mail (confirmed by a link) or as notifications on this
    device (the page's script subscribes the browser and posts to ``subscribe_push``)."""
    form = SubscribeForm(request.POST or None)
    form.fields["district"].choices = [("", "—"), *_districts()]  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        status = 400
        if limit_hit("alert-subscribe", client_address(request), SUBSCRIBE_LIMIT):
            form.add_error(None, _("Too many subscriptions from this connection; try again later."))
        elif form.is_valid():
            d = form.cleaned_data
            try:
                services.subscription_create(
                    channel=Channel.EMAIL,
                    email=d["email"],
                    language=get_language() or "ar",
                    district=selectors.subscription_district(d["district"]),
                    lat=d["lat"],
                    lon=d["lon"],
                    radius_km=d["radius_km"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Almost done: open the link we sent to your e-mail to confirm."),
                )
                return redirect("alerts:index")
    return render(
        request,
        "alerts/subscribe.html",
        {"form": form, "vapid_key": application_server_key(), "radius": 50},
        status=status,
    )


@require_POST
def subscribe_push(request: HttpRequest) -> JsonResponse:
    """The page's script posts the browser's PushSubscription and the chosen area."""

    def _number(data: dict[str, Any], name: str) -> float | None:
        """A number of the body: absent, or a finite number (JSON, or ASCII text as a form
        field gives it); ``ValueError`` for anything else (words, 10**400, NaN, an infinity,
        a list), answered as unreadable."""
        value = data.get(name)
        if value in (None, ""):
            return None
        found = float_param(value) if isinstance(value, int | float | str) else None
        if found is None:
            raise ValueError(name)
        return found

    if limit_hit("alert-subscribe", client_address(request), SUBSCRIBE_LIMIT):
        return JsonResponse(
            {"errors": [_("Too many subscriptions from this connection; try again later.")]},
            status=429,
        )
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("subscription", {}).get("keys", {})
        district_id = data.get("district")
        district = selectors.subscription_district(district_id) if district_id else None
        if district_id and district is None:
            raise ValueError("not a district")  # answered as a request that cannot be read
        subscription = services.subscription_create(
            channel=Channel.PUSH,
            endpoint=str(data.get("subscription", {}).get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            language=get_language() or "ar",
            district=district,
            lat=_number(data, "lat"),
            lon=_number(data, "lon"),
            radius_km=_number(data, "radius_km"),
        )
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"errors": [_("The request could not be read.")]}, status=400)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)
    except Refused:
        # A known endpoint without its browser's keys: the same answer, nothing changed,
        # and no unsubscribe link for whoever is not that browser.
        subscription = None
    body: dict[str, Any] = {
        "ok": True,
        "message": _("This device will be notified of alerts near the place you chose."),
    }
    if subscription is not None:
        body["unsubscribe"] = reverse("alerts:unsubscribe", args=[subscription.token])
    return JsonResponse(body, status=201)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in: the link shows a button, so that a mail scanner cannot confirm."""
    if request.method == "POST":
        if services.subscription_confirm(token) is None:
            raise Http404
        return render(request, "alerts/subscription.html", {"state": "confirmed"})
    return render(request, "alerts/subscription.html", {"state": "confirm", "token": token})


@never_cache
@csrf_exempt  # one-click unsubscribe (RFC 8058): mail clients post without a form token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if services.subscription_cancel(token) is None:
            raise Http404
        return render(request, "alerts/subscription.html", {"state": "left"})
    return render(request, "alerts/subscription.html", {"state": "leave", "token": token})


@require_safe
@cache_control(max_age=300)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Shows pushed alerts and opens their page when tapped."""
    return responses.service_worker(SERVICE_WORKER, "/alerts/")


# --- staff -------------------------------------------------------------------------------------


@login_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    can_open = has(request.user, Capability.ALERT_MANAGE)
    if not can_open and not has(request.user, Capability.ALERT_VALIDATE):
        raise Http404
    cases = selectors.staff_cases(request.user)
    return render(
        request,
        "alerts/staff_list.html",
        {
            "pending": cases.pending,
            "live": cases.live,
            "recent": cases.recent,
            "can_open": can_open,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_new(request: HttpRequest) -> HttpResponse:
    require_any(request.user, Capability.ALERT_MANAGE)
    form = CaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.case_open(
                actor=acting(request),
                child_first_name=d["child_first_name"],
                child_age=d["child_age"],
                description=d["description"],
                clothing=d["clothing"] or "",
                places=d["places"] or "",
                photo=d["photo"],
                last_seen_at=d["last_seen_at"],
                lat=d["lat"],
                lon=d["lon"],
                last_seen_place=d["last_seen_place"],
                radius_km=d["radius_km"],
                guardian_name=d["guardian_name"],
                guardian_relation=d["guardian_relation"],
                guardian_document=d["guardian_document"],
                guardian_document_number=d["guardian_document_number"],
                guardian_phone=d["guardian_phone"],
                guardian_checked=d["guardian_checked"],
                language=get_language() or "ar",
                is_exercise=d["is_exercise"],
            )
        except Refused:
            form.add_error("lat", _("This place is outside the areas you serve."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The case is open; the validation unit has been asked."))
            return redirect("alerts:staff_case", case_id=case.pk)
    return render(
        request,
        "alerts/staff_new.html",
        {"form": form, "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def staff_case(request: HttpRequest, case_id: int) -> HttpResponse:
    case = services.case_read(actor=acting(request), case_id=case_id)
    return render(
        request,
        "alerts/staff_case.html",
        {
            "case": case,
            "live": selectors.is_live(case),
            "can_validate": case.status == CaseStatus.PENDING
            and policy.may(request.user, Capability.ALERT_VALIDATE, case),
            "can_manage": policy.may(request.user, Capability.ALERT_MANAGE, case),
            "criteria": services.CRITERIA,
            "messages_sent": selectors.case_messages(case),
            "reach": selectors.reach(case) if case.purged_at is None else case.reached,
            "end_reasons": [
                (EndReason.FOUND, EndReason.FOUND.label),
                (EndReason.WITHDRAWN, EndReason.WITHDRAWN.label),
            ],
        },
    )


@login_required
@require_safe
def staff_photo(request: HttpRequest, case_id: int) -> HttpResponseBase:
    case = services.case_photo_read(actor=acting(request), case_id=case_id)
    return private_file(case.photo, "image/jpeg")


@login_required
@require_POST
def staff_validate(request: HttpRequest, case_id: int) -> HttpResponse:
    case = policy.access_case(request.user, case_id)
    approve = request.POST.get("decision") == "approve"
    return run_service(
        request,
        lambda: services.case_validate(
            actor=acting(request),
            case=case,
            approve=approve,
            criteria={name: request.POST.get(name) == "on" for name in services.CRITERIA},
            reason=request.POST.get("reason", ""),
        ),
        done=_("The alert is published and being sent.")
        if approve
        else _("The alert is refused; the reason is recorded."),
        back=redirect("alerts:staff_case", case_id=case.pk),
    )


@login_required
@require_POST
def staff_update(request: HttpRequest, case_id: int) -> HttpResponse:
    case = policy.access_case(request.user, case_id)
    return run_service(
        request,
        lambda: services.case_update(
            actor=acting(request),
            case=case,
            description=request.POST.get("description"),
            clothing=request.POST.get("clothing"),
            places=request.POST.get("places"),
            last_seen_place=request.POST.get("last_seen_place"),
        ),
        done=_("The update is published and being sent."),
        back=redirect("alerts:staff_case", case_id=case.pk),
    )


@login_required
@require_POST
def staff_close(request: HttpRequest, case_id: int) -> HttpResponse:
    case = policy.access_case(request.user, case_id)
    return run_service(
        request,
        lambda: services.case_close(
            actor=acting(request), case=case, reason=request.POST.get("reason", "")
        ),
        done=_("The alert has ended; subscribers are being told."),
        back=redirect("alerts:staff_case", case_id=case.pk),
    )
