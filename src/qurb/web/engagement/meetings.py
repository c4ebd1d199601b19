"""Meetings on the web: the public page (registration, closing report, rating), the staff
pages (plan with a drafted agenda, hold, proposals, action items) and association feeds."""

from __future__ import annotations

import re
from typing import Any

from django import forms
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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qurb.accounts.access import Capability
from qurb.accounts.models import Association, User
from qurb.accounts.selectors import access_area, associations_in, descendants_of
from qurb.areas.models import Area
from qurb.areas.selectors import area_public
from qurb.engagement import services
from qurb.engagement.models import Meeting, MeetingMode, Priority, Proposal, ProposalAnswer
from qurb.engagement.policy import access_meeting, online_link_for
from qurb.engagement.selectors import agenda_draft, association_meetings
from qurb.neighbourhoods.selectors import area_hotspots, meetings_icalendar
from qurb.reports.limits import Limit
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.forms import add_service_errors
from qurb.web.guards.intake import client_address, limit_hit, remember_device, respondent

RATE_LIMIT = Limit(30, 3600)  # priority ratings per address and hour


class MeetingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    mode = forms.ChoiceField(label=gettext_lazy("Format"), choices=MeetingMode.choices)
    location = forms.CharField(label=gettext_lazy("Place"), max_length=300, required=False)
    online_url = forms.URLField(label=gettext_lazy("Online link"), required=False)
    capacity = forms.IntegerField(label=gettext_lazy("Places"), required=False, min_value=1)
    is_public = forms.BooleanField(
        label=gettext_lazy("Open to residents (otherwise invited associations only)"),
        required=False,
        initial=True,
    )
    invited = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Invited associations"),
        queryset=Association.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda (drafted from the data; edit it)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
    )


def _agenda(area: Area) -> str:
    """The engagement draft, with the area's hotspots inserted after the top concerns (Gi*
    over the last 90 days, see insights)."""
    draft = agenda_draft(area)
    lines = [
        "   - "
        + _("%(place)s: %(count)s reports in one hexagon (%(cell)s), a hotspot")
        % {"place": spot.place, "count": spot.stat.count, "cell": spot.stat.h3}
        for spot in area_hotspots(area, per_district=3)
    ]
    if not lines:
        return draft
    block = "\n".join(["", _("Hotspots of the last 90 days"), *lines])
    marker = "\n\n2."
    return draft.replace(marker, block + marker, 1) if marker in draft else draft + "\n" + block


class RegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail (for the reminder)"), required=False)


def _public_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    """The meeting if the visitor may see it (engagement.policy), not cancelled, in an area on
    the map; 404 otherwise."""
    meeting = access_meeting(request.user, meeting_id)
    if meeting.cancelled or area_public(meeting.area_id) is None:
        raise Http404
    return meeting


@require_http_methods(["GET", "POST"])
def meeting_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(request, meeting_id)
    user = request.user if request.user.is_authenticated else None
    association = getattr(user, "association", None)
    form = RegisterForm(request.POST or None, initial={"name": str(user) if user else ""})
    if request.method == "POST" and form.is_valid():
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
            add_service_errors(form, exc)
        else:
            messages.success(request, registration.get_status_display())
            return redirect("neighbourhoods:meeting", meeting_id=meeting.pk)
    mine = (
        meeting.registrations.filter(user=user).exclude(status="cancelled").first()
        if user
        else None
    )
    return render(
        request,
        "neighbourhoods/meeting.html",
        {
            "meeting": meeting,
            "online_link": online_link_for(request.user, meeting),
            "form": form,
            "mine": mine,
            "proposals": meeting.proposals.all(),
            "items": meeting.action_items.all(),
            "can_rate": bool(
                mine and mine.attended and meeting.held_at and not hasattr(mine, "rating")
            ),
        },
    )


@login_required
@require_POST
def meeting_rate(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(request, meeting_id)
    mine = meeting.registrations.filter(user_id=int(request.user.pk or 0)).first()
    if mine is None:
        raise Http404
    try:
        services.rating_record(
            registration=mine,
            meeting_score=int(request.POST.get("meeting_score", "0") or 0),
            performance_score=int(request.POST.get("performance_score", "0") or 0),
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
        if association_id == str(association.pk) and user_id.isdigit():
            return (
                User.objects.select_related("association")
                .filter(pk=int(user_id), is_active=True, association=association)
                .first()
            )
        return None
    return request.user


@require_GET
def association_meetings_ics(request: HttpRequest, association_id: int) -> HttpResponse:
    """The meetings an association is invited to, and the public ones of its area.

    Anyone may fetch it, so it holds only what its reader may see (engagement.policy): the
    public meetings for a stranger, the invitation-only ones too for a member signed in or
    using their personal key. It never carries the online link."""
    association = Association.objects.select_related("area").filter(pk=association_id).first()
    if association is None:
        raise Http404
    meetings = association_meetings(association, _feed_reader(request, association))
    body = meetings_icalendar(association.area, meetings, request.get_host(), name=association.name)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# --- staff ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, area_id: int) -> HttpResponse:
    area = access_area(request.user, area_id, Capability.MEETING_MANAGE)
    form = MeetingForm(request.POST or None, initial={"agenda": _agenda(area)})
    field = form.fields["invited"]
    field.queryset = associations_in(descendants_of({area.pk}))  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = services.meeting_create(
                area=area,
                title=d["title"],
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                location=d["location"] or "",
                mode=d["mode"],
                online_url=d["online_url"] or "",
                capacity=d["capacity"],
                is_public=d["is_public"],
                invited=list(d["invited"]),
                agenda=d["agenda"] or "",
                language=get_language() or "ar",
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
    meeting = Meeting.objects.select_related("area").filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404
    access_area(request.user, meeting.area_id, Capability.MEETING_MANAGE)  # 404 outside
    return meeting


@login_required
@require_GET
def meeting_manage(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _staff_meeting(request, meeting_id)
    return render(
        request,
        "neighbourhoods/meeting_manage.html",
        {
            "meeting": meeting,
            "registrations": meeting.registrations.select_related("association"),
            "proposals": meeting.proposals.all(),
            "items": meeting.action_items.all(),
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
    attended = [int(v) for v in request.POST.getlist("attended") if v.isdigit()]
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
    proposal = Proposal.objects.filter(pk=proposal_id, meeting=meeting).first()
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
    if chosen.isdigit() and int(chosen) != area.pk:
        target = access_area(request.user, int(chosen), Capability.PRIORITY_MANAGE)
    return run_service(
        request,
        lambda: services.priority_set(
            area=target,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            category=request.POST.get("category", ""),
            set_on=timezone.localdate(),
            language=get_language() or "ar",
            evidence_reports=_report_numbers(request.POST.get("evidence_reports", "")),
            hotspot_cells=request.POST.getlist("hotspot_cells"),
            actor=acting(request),
        ),
        done=_("The priority is published on the neighbourhood page."),
        back=redirect("neighbourhoods:staff_area", area_id=area.pk),
    )


def _report_numbers(text: str) -> list[int]:
    """Report numbers typed as staff see them in the queue ("12, #15 18")."""
    return [int(n) for n in re.findall(r"\d+", text)][:500]


def _staff_priority(request: HttpRequest, priority_id: int) -> Priority:
    priority = Priority.objects.select_related("area").filter(pk=priority_id).first()
    if priority is None:
        raise Http404
    access_area(request.user, priority.area_id, Capability.PRIORITY_MANAGE)
    return priority


def _back_to_area(request: HttpRequest, fallback: int) -> HttpResponse:
    back = request.POST.get("back", "")
    return redirect("neighbourhoods:staff_area", area_id=int(back) if back.isdigit() else fallback)


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
    priority = Priority.objects.select_related("area").filter(pk=priority_id).first()
    if priority is None or area_public(priority.area_id) is None:
        raise Http404
    back = request.POST.get("back", "")
    area_id = int(back) if back.isdigit() else priority.area_id
    response = redirect(reverse("neighbourhoods:detail", args=[area_id]) + "#priorities")
    if limit_hit("priority-rate", client_address(request), RATE_LIMIT):
        messages.error(request, _("Too many answers from this connection; try again later."))
        return response
    try:
        services.priority_rate(
            priority=priority,
            score=int(request.POST.get("score", "0") or 0),
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
    proposal = Proposal.objects.select_related("area").filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    access_area(request.user, proposal.area_id, Capability.MEETING_MANAGE)
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

    def record() -> None:
        services.priority_action_add(
            priority=priority,
            description=request.POST.get("description", ""),
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
    item = meeting.action_items.filter(pk=item_id).first()
    if item is None:
        raise Http404
    return _act(
        request,
        meeting,
        lambda: services.action_item_done(item=item, actor=acting(request)),
        _("Action item marked done."),
    )
