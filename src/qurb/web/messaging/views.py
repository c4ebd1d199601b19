"""Neighbourhood messages on the web: subscribing from a neighbourhood page (e-mail, SMS or
this device), confirming, leaving in one click, preferences by token; a message's page and an
area's Atom feed; the staff's pages to write, review and follow their messages."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qurb.accounts.access import Capability, has
from qurb.areas.models import Area
from qurb.core.errors import Refused
from qurb.core.params import id_param
from qurb.core.webpush import application_server_key
from qurb.messaging import policy, selectors, services
from qurb.messaging.models import Channel, DistrictMessage, MessageStatus, Rhythm, Topic
from qurb.reports.limits import Limit
from qurb.web.common import responses
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.feeds import StandardAtom, tag_uri
from qurb.web.common.forms import add_service_errors
from qurb.web.guards.intake import client_address, limit_hit
from qurb.web.messaging.forms import CodeForm, MessageForm, PreferencesForm, SubscribeForm

SUBSCRIBE_LIMIT = Limit(10, 3600)  # subscriptions per address and hour
CODE_LIMIT = Limit(10, 3600)  # codes tried per address and hour
SERVICE_WORKER = Path(__file__).parents[1] / "static" / "qurb" / "js" / "messages-sw.js"


def _area(area_id: int) -> Area:
    area = selectors.message_area(area_id)
    if area is None:
        raise Http404
    return area


def subscribe_context(area: Area, form: SubscribeForm | None = None) -> dict[str, Any]:
    """What the subscription form needs (the neighbourhood page includes it too)."""
    return {
        "subscribe_form": form or SubscribeForm(),
        "subscribe_area": area,
        "vapid_key": application_server_key(),
    }


# --- subscribing -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest, area_id: int) -> HttpResponse:
    """Messages of this neighbourhood by e-mail (confirmed by a link) or SMS (confirmed by a
    code); the page's script subscribes this device instead (``subscribe_push``)."""
    area = _area(area_id)
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if limit_hit("message-subscribe", client_address(request), SUBSCRIBE_LIMIT):
            form.add_error(None, _("Too many subscriptions from this connection; try again later."))
        elif form.is_valid():
            d = form.cleaned_data
            try:
                subscription = services.subscription_create(
                    channel=d["channel"],
                    areas=[area],
                    topics=d["topics"],
                    rhythm=d["rhythm"],
                    quiet_start=d["quiet_start"],
                    quiet_end=d["quiet_end"],
                    language=get_language() or "ar",
                    email=d["email"] if d["channel"] == Channel.EMAIL else "",
                    number=d["number"] if d["channel"] == Channel.SMS else "",
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if subscription.channel == Channel.SMS:
                    return redirect("messaging:code", subscription.token)
                messages.success(
                    request, _("Almost done: open the link we sent to your e-mail to confirm.")
                )
                return redirect("neighbourhoods:detail", area.pk)
    return render(request, "messaging/subscribe.html", subscribe_context(area, form), status=status)


def _time(value: Any) -> time | None:
    """A time of the JSON body ("22:00"), or None; ``ValueError`` for anything else."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 8:
        raise ValueError("time")
    return time.fromisoformat(value)


@require_POST
def subscribe_push(request: HttpRequest, area_id: int) -> JsonResponse:
    """The page's script posts the browser's PushSubscription and the choices."""
    area = _area(area_id)
    if limit_hit("message-subscribe", client_address(request), SUBSCRIBE_LIMIT):
        return JsonResponse(
            {"errors": [_("Too many subscriptions from this connection; try again later.")]},
            status=429,
        )
    try:
        data = json.loads(request.body or b"{}")
        info = data.get("subscription", {})
        keys = info.get("keys", {})
        topics = data.get("topics") or [t.value for t in Topic]
        if not isinstance(topics, list):
            raise ValueError("topics")
        subscription = services.subscription_create(
            channel=Channel.PUSH,
            areas=[area],
            endpoint=str(info.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            topics=[str(t) for t in topics],
            rhythm=str(data.get("rhythm") or Rhythm.NOW),
            quiet_start=_time(data.get("quiet_start")),
            quiet_end=_time(data.get("quiet_end")),
            language=get_language() or "ar",
        )
    except (ValueError, TypeError, AttributeError, RecursionError):
        return JsonResponse({"errors": [_("The request could not be read.")]}, status=400)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)
    except Refused:
        subscription = None  # a known endpoint without its keys: nothing changed or told
    body: dict[str, Any] = {
        "ok": True,
        "message": _("This device will receive the messages of this neighbourhood."),
    }
    if subscription is not None:
        body["unsubscribe"] = reverse("messaging:unsubscribe", args=[subscription.token])
        body["preferences"] = reverse("messaging:preferences", args=[subscription.token])
    return JsonResponse(body, status=201)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in: the link shows a button, so that a mail scanner cannot confirm."""
    if request.method == "POST":
        if services.subscription_confirm(token) is None:
            raise Http404
        return render(request, "messaging/subscription.html", {"state": "confirmed"})
    return render(request, "messaging/subscription.html", {"state": "confirm", "token": token})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def code(request: HttpRequest, token: str) -> HttpResponse:
    """An SMS subscription confirmed with the code texted to the number."""
    subscription = selectors.subscription_by_token(token)
    if subscription is None or subscription.channel != Channel.SMS or not subscription.active:
        raise Http404
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if limit_hit("message-code", client_address(request), CODE_LIMIT):
            form.add_error(None, _("Too many attempts from this connection; try again later."))
        elif form.is_valid():
            try:
                services.subscription_confirm_code(token, form.cleaned_data["code"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return render(request, "messaging/subscription.html", {"state": "confirmed"})
    return render(request, "messaging/code.html", {"form": form}, status=status)


@never_cache
@csrf_exempt  # one-click unsubscribe (RFC 8058): mail clients post without a form token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if services.subscription_cancel(token) is None:
            raise Http404
        return render(request, "messaging/subscription.html", {"state": "left"})
    return render(request, "messaging/subscription.html", {"state": "leave", "token": token})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """What a subscriber receives, how often and when not, from the link in every message."""
    subscription = selectors.subscription_by_token(token)
    if subscription is None or not subscription.active:
        raise Http404
    areas = selectors.areas_of(subscription)
    initial = {
        "topics": subscription.topic_list,
        "rhythm": subscription.rhythm,
        "quiet_start": subscription.quiet_start,
        "quiet_end": subscription.quiet_end,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        kept = [a for a in areas if str(a.pk) in request.POST.getlist("areas")]
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.subscription_update(
                    token=token,
                    areas=kept,
                    topics=d["topics"],
                    rhythm=d["rhythm"],
                    quiet_start=d["quiet_start"],
                    quiet_end=d["quiet_end"],
                    language=get_language() or subscription.language,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your choices are saved."))
                return redirect("messaging:preferences", token)
    return render(
        request,
        "messaging/preferences.html",
        {"form": form, "areas": areas, "subscription": subscription, "token": token},
        status=status,
    )


@require_safe
@cache_control(max_age=300)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Shows pushed messages and opens their page when tapped."""
    return responses.service_worker(SERVICE_WORKER, "/messages/")


# --- reading -----------------------------------------------------------------------------------


@require_safe
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    found = selectors.published_message(message_id)
    if found is None:
        raise Http404
    reference = request.GET.get("r", "")
    if reference and len(reference) < 200:
        services.delivery_opened(reference)  # the copy's link was followed
    return render(request, "messaging/message.html", {"message": found})


class AreaMessagesFeed(StandardAtom, Feed[DistrictMessage, Area]):
    """The published messages of a neighbourhood (and of the district and prefecture around
    it), newest first."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, area_id: int) -> Area:
        return _area(area_id)

    def feed_guid(self, obj: Area) -> str:  # type: ignore[override]
        return tag_uri(f"areas/{obj.pk}/messages")

    def title(self, obj: Area) -> str:
        return _("Messages from the police: %(area)s") % {"area": obj.name}

    def link(self, obj: Area) -> str:
        return reverse("neighbourhoods:detail", args=[obj.pk])

    def subtitle(self, obj: Area) -> str:
        return _("What the district team tells residents: information, meetings, appeals.")

    def items(self, obj: Area) -> list[DistrictMessage]:
        return selectors.area_messages(obj, current=False, limit=50)

    def item_title(self, item: DistrictMessage) -> str:
        return f"{item.get_kind_display()}: {item.title}"

    def item_description(self, item: DistrictMessage) -> str:
        return item.body

    def item_link(self, item: DistrictMessage) -> str:
        return reverse("messaging:message", args=[item.pk])

    def item_guid(self, item: DistrictMessage) -> str:
        return tag_uri(f"message/{item.pk}")

    item_guid_is_permalink = False

    def item_pubdate(self, item: DistrictMessage) -> Any:
        return item.published_at

    def item_updateddate(self, item: DistrictMessage) -> Any:
        return item.published_at


# --- staff -------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> None:
    if not (
        has(request.user, Capability.MESSAGE_WRITE) or has(request.user, Capability.MESSAGE_REVIEW)
    ):
        raise Http404


@login_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """The review queue, and the messages of the user's areas with their counts."""
    _staff(request)
    rows = [(m, selectors.message_counts(m)) for m in selectors.staff_messages(request.user)]
    return render(
        request,
        "messaging/staff_list.html",
        {
            "queue": list(selectors.review_queue(request.user)),
            "rows": rows,
            "may_write": has(request.user, Capability.MESSAGE_WRITE),
        },
    )


def _area_choices(request: HttpRequest) -> list[tuple[int, str]]:
    return [(a.pk, f"{a.type.name}: {a.name}") for a in selectors.writable_areas(request.user)]


def _editing(request: HttpRequest) -> DistrictMessage | None:
    """The draft named by ``?message=`` (a message returned by its reviewer, or not yet sent)."""
    raw = request.POST.get("message") or request.GET.get("message")
    if not raw:
        return None
    message_id = id_param(raw)
    if message_id is None:
        raise Http404
    found = policy.staff_message(request.user, message_id)
    if found.status != MessageStatus.DRAFT:
        raise Http404
    return found


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_new(request: HttpRequest) -> HttpResponse:
    """Write a message, or change a draft (``?message=``)."""
    if not has(request.user, Capability.MESSAGE_WRITE):
        raise Http404
    editing = _editing(request)
    initial: dict[str, Any] = {}
    if editing is not None:
        initial = {
            "area": editing.area_id,
            "kind": editing.kind,
            "ends_on": editing.ends_on,
            **{
                f"{stem}_{code}": getattr(editing, f"{stem}_{code}")
                for stem in ("title", "body")
                for code in ("ar", "fr", "en")
            },
        }
    form = MessageForm(request.POST or None, initial=initial)
    form.fields["area"].choices = _area_choices(request)  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            area = selectors.message_area(d["area"])
            try:
                if area is None:
                    raise Refused("out_of_scope")
                saved = services.message_save(
                    actor=acting(request),
                    area=area,
                    kind=d["kind"],
                    titles=form.texts("title"),
                    bodies=form.texts("body"),
                    ends_on=d["ends_on"],
                    message=editing,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except Refused:
                form.add_error("area", _("You cannot write to this area."))
            else:
                messages.success(request, _("Draft saved."))
                return redirect("messaging:staff_message", saved.pk)
    return render(
        request, "messaging/staff_new.html", {"form": form, "editing": editing}, status=status
    )


@login_required
@require_safe
def staff_message(request: HttpRequest, message_id: int) -> HttpResponse:
    found = policy.staff_message(request.user, message_id)
    user = request.user
    draft = found.status == MessageStatus.DRAFT
    writer = policy.may_write(user, found.area)
    return render(
        request,
        "messaging/staff_message.html",
        {
            "message": found,
            "counts": selectors.message_counts(found),
            "may_submit": draft and writer,
            "may_publish": draft and writer and not found.needs_review,
            "may_review": found.status == MessageStatus.REVIEW and policy.may_review(user, found),
            "may_withdraw": found.status == MessageStatus.PUBLISHED and writer,
        },
    )


ACTIONS = ("submit", "publish", "approve", "return", "withdraw")


@login_required
@require_POST
def staff_action(request: HttpRequest, message_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    found = policy.staff_message(request.user, message_id)
    actor = acting(request)
    calls = {
        "submit": (
            lambda: services.message_submit(actor=actor, message=found),
            _("Sent for review."),
        ),
        "publish": (
            lambda: services.message_publish(actor=actor, message=found),
            _("Published: the subscribers are being told."),
        ),
        "approve": (
            lambda: services.message_review(actor=actor, message=found, approve=True),
            _("Approved and published: the subscribers are being told."),
        ),
        "return": (
            lambda: services.message_review(
                actor=actor, message=found, approve=False, note=request.POST.get("note", "")
            ),
            _("Returned to its author."),
        ),
        "withdraw": (
            lambda: services.message_withdraw(actor=actor, message=found),
            _("Withdrawn."),
        ),
    }
    call, done = calls[action]
    return run_service(
        request, call, done=done, back=redirect("messaging:staff_message", message_id)
    )
