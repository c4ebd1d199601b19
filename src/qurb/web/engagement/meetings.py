"""Meetings on the web: the public page (registration, closing report, rating), the staff
pages (plan with a drafted agenda, hold, proposals, action items) and association feeds."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signing import BadSignature, Signer
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qurb.accounts.access import Capability
from qurb.accounts.models import Association
from qurb.accounts.selectors import (
    access_area,
    active_member,
    association_public,
    invitable_associations,
)
from qurb.areas.selectors import area_public
from qurb.core.params import id_param, id_params, int_param
from qurb.core.text import field_language
from qurb.engagement import services
from qurb.engagement.models import Meeting, MeetingMode, Priority, ProposalAnswer
from qurb.engagement.policy import (
    access_managed_meeting,
    access_managed_priority,
    access_managed_proposal,
    access_meeting,
    online_link_for,
)
from qurb.engagement.selectors import (
    association_meetings,
    meeting_action_item,
    meeting_action_items,
    meeting_proposal,
    meeting_proposals,
    meeting_registrations,
    public_priority,
    registration_of,
)
from qurb.neighbourhoods.selectors import meeting_agenda_draft, meetings_icalendar
from qurb.reports.limits import Limit
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.forms import (
    DirectedForm,
    TextsForm,
    add_service_errors,
    errors_as_messages,
    text_fields,
)
from qurb.web.guards.intake import (
    client_address,
    device_bucket,
    limit_hit,
    quota_give_back,
    quota_take,
    remember_device,
    respondent,
)

RATE_LIMIT = Limit(30, 3600)  # priority ratings per address and hour


class MeetingForm(TextsForm):
    required_texts = {"title": gettext_lazy("Give the meeting a title in at least one language.")}

    title_ar, title_fr, title_en = text_fields(gettext_lazy("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    mode = forms.ChoiceField(label=gettext_lazy("Format"), choices=MeetingMode.choices)
    location_ar, location_fr, location_en = text_fields(gettext_lazy("Place"), max_length=300)
    online_url = forms.URLField(label=gettext_lazy("Online link"), required=False)
    capacity = forms.IntegerField(label=gettext_lazy("Places"), required=False, min_value=1)
    is_public = forms.BooleanField(
        label=gettext_lazy("Open to residents (otherwise invited associations only)"),
        required=False,
        initial=True,
    )
    invited: forms.ModelMultipleChoiceField[Association] = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Invited associations"),
        queryset=None,  # verified ones of the area (accounts.selectors.invitable_associations)
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agenda_ar, agenda_fr, agenda_en = text_fields(gettext_lazy("Agenda"), rows=8)


class PriorityForm(TextsForm):
    required_texts = {"title": gettext_lazy("Give the problem in at least one language.")}

    title_ar, title_fr, title_en = text_fields(gettext_lazy("The problem"), max_length=200)
    description_ar, description_fr, description_en = text_fields(
        gettext_lazy("Description"), rows=3
    )


class PriorityActionForm(TextsForm):
    required_texts = {"description": gettext_lazy("Say what was done, in at least one language.")}

    description_ar, description_fr, description_en = text_fields(
        gettext_lazy("What was done"), max_length=2000
    )


class RegisterForm(DirectedForm):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail (for the reminder)"), required=False)


def _public_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    """The meeting if the visitor may see it (engagement.policy), not cancelled, in an area on
    the map; 404 otherwise."""
    meeting = access_meeting(request.user, meeting_id)
    if meeting.cancelled or area_public(meeting.area_id) is None:
        raise Http404
    return meeting


def _place_buckets(request: HttpRequest, meeting: Meeting) -> list[tuple[str, str]]:
    """The counters an anonymous registration takes a place from: the client's address and
    its device (or its address's "no device" bucket), for this meeting."""
    device_scope, device = device_bucket(request)
    return [
        (f"meeting-places:{meeting.pk}:addr", client_address(request)),
        (f"meeting-places:{meeting.pk}:{device_scope}", device),
    ]


def _places_ttl(meeting: Meeting) -> int:
    """Until the meeting starts (registration closes then), and an hour more."""
    return max(int((meeting.starts_at - timezone.now()).total_seconds()), 0) + 3600


def _places_take(request: HttpRequest, meeting: Meeting) -> list[tuple[str, str]] | None:
    """Take one of the client's places at the meeting (settings.MEETING_PLACES_PER_CLIENT, per
    address and per device, until the meeting starts); None, nothing taken, when it has none
    left. What was taken is given back if the registration then fails."""
    ttl = _places_ttl(meeting)
    taken: list[tuple[str, str]] = []
    for scope, identity in _place_buckets(request, meeting):
        if not quota_take(scope, identity, settings.MEETING_PLACES_PER_CLIENT, ttl):
            for back_scope, back_identity in taken:
                quota_give_back(back_scope, back_identity, ttl)
            return None
        taken.append((scope, identity))
    return taken


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(request, meeting_id)
    user = request.user if request.user.is_authenticated else None
    association = getattr(user, "association", None)
    form = RegisterForm(request.POST or None, initial={"name": str(user) if user else ""})
    status = 200
    if request.method == "POST" and form.is_valid():
        # An account holds one registration; an anonymous client a few places (a companion).
        taken = [] if user else _places_take(request, meeting)
        if taken is None:
            status = 429
            form.add_error(
                None,
                _(
                    "This connection has already registered the places it may take at this "
                    "meeting (%(places)s)."
                )
                % {"places": settings.MEETING_PLACES_PER_CLIENT},
            )
        else:
            try:
                registration = services.meeting_register(
                    meeting=meeting,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    user=user,
                    association=association,
                    language=get_language() or "ar",
                )
            except ValidationError as exc:
                for scope, identity in taken:
                    quota_give_back(scope, identity, _places_ttl(meeting))
                add_service_errors(form, exc)
            else:
                messages.success(request, registration.get_status_display())
                return remember_device(
                    request, redirect("neighbourhoods:meeting", meeting_id=meeting.pk)
                )
    mine = registration_of(meeting, user) if user else None
    response = render(
        request,
        "neighbourhoods/meeting.html",
        {
            "meeting": meeting,
            "online_link": online_link_for(request.user, meeting),
            "form": form,
            "mine": mine,
            "proposals": meeting_proposals(meeting),
            "items": meeting_action_items(meeting),
            "can_rate": bool(
                mine and mine.attended and meeting.held_at and not hasattr(mine, "rating")
            ),
        },
        status=status,
    )
    return remember_device(request, response)


@login_required
@require_POST
def meeting_rate(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(request, meeting_id)
    mine = registration_of(meeting, request.user)
    if mine is None:
        raise Http404
    try:
        services.rating_record(
            registration=mine,
            meeting_score=int_param(request.POST.get("meeting_score")) or 0,
            performance_score=int_param(request.POST.get("performance_score")) or 0,
            comment=request.POST.get("comment", ""),
        )
    except (ValidationError, ValueError) as exc:
        text = (
            "; ".join(exc.messages)
            if isinstance(exc, ValidationError)
            else _("Give a score from 1 to 5.")
        )
        messages.error(request, text)
    else:
        messages.success(request, _("Thank you: your rating is recorded."))
    return redirect("neighbourhoods:meeting", meeting_id=meeting.pk)


FEED_SALT = "qurb.association-meetings-feed"


def association_feed_key(user: Any) -> str:
    """A member's personal key to the association's feed, for calendar apps (which send no
    session). It names the member, so it stops working once they leave the association."""
    return Signer(salt=FEED_SALT).sign(f"{user.association_id}.{user.pk}")


def _feed_reader(request: HttpRequest, association: Association) -> Any:
    """Whom the feed is read as: the member whose key it carries, or the visitor."""
    key = request.GET.get("key", "")
    if key:
        try:
            association_id, _sep, user_id = Signer(salt=FEED_SALT).unsign(key).partition(".")
        except BadSignature:
            return None
        member_id = id_param(user_id)
        if association_id == str(association.pk) and member_id is not None:
            return active_member(association, member_id)
        return None
    return request.user


@require_safe
def association_meetings_ics(request: HttpRequest, association_id: int) -> HttpResponse:
    """The meetings an association is invited to, and the public ones of its area.

    Anyone may fetch it, so it holds only what its reader may see (engagement.policy): the
    public meetings for a stranger, the invitation-only ones too for a member signed in or
    using their personal key. It never carries the online link."""
    association = association_public(association_id)
    if association is None:
        raise Http404
    meetings = association_meetings(association, _feed_reader(request, association))
    body = meetings_icalendar(association.area, meetings, request.get_host(), name=association.name)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# --- staff ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_new(request: HttpRequest, area_id: int) -> HttpResponse:
    area = access_area(request.user, area_id, Capability.MEETING_MANAGE)
    # The agenda drafted from the data is in the page's language: it goes to that field.
    draft = {f"agenda_{field_language(get_language())}": meeting_agenda_draft(area)}
    form = MeetingForm(request.POST or None, initial=draft)
    field = form.fields["invited"]
    field.queryset = invitable_associations(area)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = services.meeting_create(
                area=area,
                title=form.texts("title"),
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                location=form.texts("location"),
                mode=d["mode"],
                online_url=d["online_url"] or "",
                capacity=d["capacity"],
                is_public=d["is_public"],
                invited=list(d["invited"]),
                agenda=form.texts("agenda"),
                actor=acting(request),
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("neighbourhoods:meeting_manage", meeting_id=meeting.pk)
    return render(request, "neighbourhoods/meeting_new.html", {"area": area, "form": form})


def _staff_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    return access_managed_meeting(request.user, meeting_id)  # 404 outside


@login_required
@require_safe
def meeting_manage(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)
    return render(
        request,
        "neighbourhoods/meeting_manage.html",
        {
            "meeting": meeting,
            "registrations": meeting_registrations(meeting),
            "proposals": meeting_proposals(meeting),
            "items": meeting_action_items(meeting),
            "answers": [
                (ProposalAnswer.ACCEPTED, ProposalAnswer.ACCEPTED.label),
                (ProposalAnswer.UNDER_STUDY, ProposalAnswer.UNDER_STUDY.label),
                (ProposalAnswer.REJECTED, ProposalAnswer.REJECTED.label),
            ],
        },
    )


def _act(request: HttpRequest, meeting: Meeting, action: Any, done: str) -> HttpResponse:
    return run_service(
        request,
        action,
        done=done,
        back=redirect("neighbourhoods:meeting_manage", meeting_id=meeting.pk),
    )


@login_required
@require_POST
def meeting_hold(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)
    attended = id_params(request.POST.getlist("attended"))
    return _act(
        request,
        meeting,
        lambda: services.meeting_hold(
            meeting=meeting,
            attended=attended,
            minutes=request.POST.get("minutes", ""),
            actor=acting(request),
        ),
        _("The meeting is recorded as held."),
    )


@login_required
@require_POST
def proposal_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)
    return _act(
        request,
        meeting,
        lambda: services.proposal_add(
            meeting=meeting, text=request.POST.get("text", ""), actor=acting(request)
        ),
        _("Proposal recorded."),
    )


@login_required
@require_POST
def proposal_answer(request: HttpRequest, meeting_id: int, proposal_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)
    proposal = meeting_proposal(meeting, proposal_id)
    if proposal is None:
        raise Http404
    return _act(
        request,
        meeting,
        lambda: services.proposal_answer(
            proposal=proposal,
            answer=request.POST.get("answer", ""),
            reason=request.POST.get("reason", ""),
            actor=acting(request),
        ),
        _("Answer recorded."),
    )


@login_required
@require_POST
def action_item_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)

    def record() -> None:
        services.action_item_add(
            meeting=meeting,
            text=request.POST.get("text", ""),
            owner=request.POST.get("owner", ""),
            due_on=forms.DateField().clean(request.POST.get("due_on", "")),
            actor=acting(request),
        )

    return _act(request, meeting, record, _("Action item recorded."))


# --- priorities (SARA) ---------------------------------------------------------------------------


@login_required
@require_POST
def priority_new(request: HttpRequest, area_id: int) -> HttpResponse:
    """Set a priority for the area or one of its neighbourhoods (as agreed with residents),
    with the reports and hotspots that show the problem."""
    area = access_area(request.user, area_id, Capability.PRIORITY_MANAGE)
    target = area
    chosen = request.POST.get("area", "")
    chosen_id = id_param(chosen)
    if chosen_id is not None and chosen_id != area.pk:
        target = access_area(request.user, chosen_id, Capability.PRIORITY_MANAGE)
    back = redirect("neighbourhoods:staff_area", area_id=area.pk)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return errors_as_messages(request, form, back)
    return run_service(
        request,
        lambda: services.priority_set(
            area=target,
            title=form.texts("title"),
            description=form.texts("description"),
            category=request.POST.get("category", ""),
            set_on=timezone.localdate(),
            evidence_reports=_report_numbers(request.POST.get("evidence_reports", "")),
            hotspot_cells=request.POST.getlist("hotspot_cells"),
            actor=acting(request),
        ),
        done=_("The priority is published on the neighbourhood page."),
        back=back,
    )


def _report_numbers(text: str) -> list[int]:
    """Report numbers typed as staff see them in the queue ("12, #15 18")."""
    return id_params(re.findall(r"[0-9]+", text), limit=500)


def _staff_priority(request: HttpRequest, priority_id: int) -> Priority:
    return access_managed_priority(request.user, priority_id)  # 404 outside


def _back_to_area(request: HttpRequest, fallback: int) -> HttpResponse:
    back = request.POST.get("back", "")
    return redirect("neighbourhoods:staff_area", area_id=id_param(back) or fallback)


@login_required
@require_POST
def priority_evidence(request: HttpRequest, priority_id: int) -> HttpResponse:
    priority = _staff_priority(request, priority_id)
    return run_service(
        request,
        lambda: services.priority_evidence_add(
            priority=priority,
            evidence_reports=_report_numbers(request.POST.get("evidence_reports", "")),
            hotspot_cells=request.POST.getlist("hotspot_cells"),
            actor=acting(request),
        ),
        done=_("The evidence is linked to the priority."),
        back=_back_to_area(request, priority.area_id),
    )


@require_POST
def priority_rate(request: HttpRequest, priority_id: int) -> HttpResponse:
    """A resident rates how a priority is dealt with, anonymously, once per person."""
    priority = public_priority(priority_id)
    if priority is None:
        raise Http404
    back = request.POST.get("back", "")
    area_id = id_param(back) or priority.area_id
    response = redirect(reverse("neighbourhoods:detail", args=[area_id]) + "#priorities")
    if limit_hit("priority-rate", client_address(request), RATE_LIMIT):
        messages.error(request, _("Too many answers from this connection; try again later."))
        return response
    try:
        services.priority_rate(
            priority=priority,
            score=int_param(request.POST.get("score")) or 0,
            identity=respondent(request),
        )
    except ValueError:
        messages.error(request, _("Give a score from 1 to 5."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Thank you: your rating is recorded, anonymously."))
    remember_device(request, response)
    return response


@login_required
@require_POST
def area_proposal_answer(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Answer a proposal an association sent between meetings."""
    proposal = access_managed_proposal(request.user, proposal_id)  # 404 outside
    return run_service(
        request,
        lambda: services.proposal_answer(
            proposal=proposal,
            answer=request.POST.get("answer", ""),
            reason=request.POST.get("reason", ""),
            actor=acting(request),
        ),
        done=_("Answer recorded."),
        back=_back_to_area(request, proposal.area_id),
    )


@login_required
@require_POST
def priority_action(request: HttpRequest, priority_id: int) -> HttpResponse:
    priority = _staff_priority(request, priority_id)
    form = PriorityActionForm(request.POST)
    if not form.is_valid():
        return errors_as_messages(request, form, _back_to_area(request, priority.area_id))

    def record() -> None:
        services.priority_action_add(
            priority=priority,
            description=form.texts("description"),
            done_on=forms.DateField().clean(request.POST.get("done_on", "")),
            progress=request.POST.get("progress", "done"),
            actor=acting(request),
        )

    return run_service(
        request, record, done=_("Action recorded."), back=_back_to_area(request, priority.area_id)
    )


@login_required
@require_POST
def action_item_done(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)
    item = meeting_action_item(meeting, item_id)
    if item is None:
        raise Http404
    return _act(
        request,
        meeting,
        lambda: services.action_item_done(item=item, actor=acting(request)),
        _("Action item marked done."),
    )
