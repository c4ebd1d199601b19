"""The web edge of reports: the resident's form and tracking page, and the staff triage queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qurb.areas.selectors import area_points, neighbourhood_choices
from qurb.core.params import id_param
from qurb.insights.selectors import hexagon_name
from qurb.reports import services
from qurb.reports.models import Channel, Report, Status
from qurb.reports.selectors import (
    QueueFilters,
    can_see_triage,
    duplicate_candidates,
    duplicate_groups,
    merged_into,
    next_statuses,
    officers_for_assignment,
    photo_for_staff,
    public_history,
    queue_area_choices,
    report_by_tracking_code,
    report_for_staff,
    report_notes,
    report_photos,
    response_template,
    response_templates,
    status_history,
    triage_queue,
)
from qurb.reports.services import NOW_WORDS, tracking_code_normalise
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.forms import add_service_errors
from qurb.web.common.responses import private_file
from qurb.web.guards.intake import (
    device_cookie,
    intake_limited,
    intake_trace_seconds,
    pow_accept,
    pow_challenge,
    remember_device,
)
from qurb.web.reports.forms import (
    NoteForm,
    OutcomeForm,
    QueueFilterForm,
    ReportForm,
    StatusForm,
    TrackForm,
    TriageForm,
)


def _area_choices() -> list[tuple[Any, list[tuple[Any, float, float]]]]:
    """The neighbourhood list, grouped by district, each with a point inside it (where the
    marker goes when a neighbourhood is picked)."""
    groups = neighbourhood_choices()
    points = area_points(a.pk for _parent, items in groups for a in items)
    return [
        (parent, [(a, *points[a.pk]) for a in items if a.pk in points]) for parent, items in groups
    ]


def _form_context(request: HttpRequest, form: ReportForm) -> dict[str, Any]:
    return {
        "form": form,
        "area_choices": _area_choices(),
        "now_words": NOW_WORDS,
        "max_photos": settings.REPORT_PHOTOS_MAX,
        "photo_mb": settings.REPORT_PHOTO_MAX_BYTES // (1024 * 1024),
        # "1 hour" in the page's language: how long abuse limits remember a connection.
        "trace_kept": timesince(
            timezone.now() - timedelta(seconds=intake_trace_seconds()), depth=1
        ),
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """The resident's form. A refused submission comes back with everything typed kept."""
    if request.method == "GET":
        initial: dict[str, Any] = {"idempotency_key": uuid.uuid4().hex}
        for name in ("lat", "lon", "area"):
            if name in request.GET:
                initial[name] = request.GET[name]
        form = ReportForm(initial=initial)
        return remember_device(
            request, render(request, "reports/new.html", _form_context(request, form))
        )
    form = ReportForm(request.POST)
    photos = request.FILES.getlist("photos")
    status = 400
    if intake_limited(request):
        form.add_error(
            None,
            _(
                "Too many reports from this connection or device. Please try again later, "
                "or call %(number)s in an emergency."
            )
            % {"number": settings.EMERGENCY_NUMBER},
        )
        status = 429
    elif form.is_valid():
        if not pow_accept(form.cleaned_data["altcha"]):
            form.add_error(
                None,
                _(
                    "The anti-spam check did not complete. "
                    "Wait a moment for it to finish, then send again."
                ),
            )
        else:
            data = form.cleaned_data
            anonymous = data["anonymity"] == "anonymous"
            # An anonymous member of an association reports as anyone else: the channel
            # would otherwise name the association.
            channel = (
                Channel.ASSOCIATION
                if getattr(request.user, "association_id", None) and not anonymous
                else Channel.WEB
            )
            try:
                report, _created = services.report_submit(
                    data=services.ReportInput(
                        category=data["category"],
                        description=data["description"],
                        lat=data["lat"],
                        lon=data["lon"],
                        channel=channel,
                        flags=data["flags"],
                        address=data["address"],
                        when=data["when"],
                        occurred_at=data["occurred_at"],
                        recurrence_days=data["recurrence_days"],
                        recurrence_from=data["recurrence_from"],
                        recurrence_to=data["recurrence_to"],
                        anonymous=anonymous,
                        contact_name=data["contact_name"],
                        contact_phone=data["contact_phone"],
                        contact_email=data["contact_email"],
                        updates_email=data["updates_email"],
                        language=get_language() or "ar",
                        # The form's key counts within this browser only (its device
                        # cookie): another browser sending it gets no report of this one.
                        idempotency_key=services.idempotency_scope(
                            f"w:{device_cookie(request)}", data["idempotency_key"]
                        )
                        if data["idempotency_key"] and device_cookie(request)
                        else "",
                        photos=photos,
                    ),
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _sent_redirect(report.tracking_code)
    if photos:
        form.add_error(
            None,
            _(
                "For your safety, photos are not kept when a form is refused: "
                "please choose them again."
            ),
        )
    # A fresh challenge is issued by the page; the idempotency key stays the same.
    return render(request, "reports/new.html", _form_context(request, form), status=status)


# The confirmation page is shown only to the browser that sent the report. Its code travels in
# a short-lived signed cookie rather than in the session: a signed-in resident's session row
# names their account, and must never name their anonymous report.
SENT_COOKIE = "qurb_sent"
SENT_SECONDS = 15 * 60


def _sent_redirect(code: str) -> HttpResponse:
    response = redirect("reports:sent", code=code)
    response.set_signed_cookie(
        SENT_COOKIE,
        code,
        salt=SENT_COOKIE,
        max_age=SENT_SECONDS,
        path=reverse("reports:sent", args=[code]),
        httponly=True,
        samesite="Lax",
        secure=settings.HTTPS,
    )
    return response


@require_safe
def pow_challenge_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(pow_challenge())
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_safe
def report_sent(request: HttpRequest, code: str) -> HttpResponse:
    report = report_by_tracking_code(code)
    shown = request.get_signed_cookie(
        SENT_COOKIE, default="", salt=SENT_COOKIE, max_age=SENT_SECONDS
    )
    if report is None or shown != code:
        raise Http404
    return render(request, "reports/sent.html", {"report": report})


@never_cache
@require_safe
def track_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = tracking_code_normalise(form.cleaned_data["code"])
        if code and report_by_tracking_code(code) is not None:
            return redirect("reports:track", code=code)
        form.add_error("code", _("No report has this tracking code. Check it and try again."))
    return render(
        request, "reports/track_lookup.html", {"form": form}, status=404 if form.errors else 200
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def track(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter's page: status and public notes, without an account."""
    report = report_by_tracking_code(code)
    if report is None:
        raise Http404
    outcome_form = OutcomeForm(request.POST or None)
    if request.method == "POST" and outcome_form.is_valid():
        try:
            services.report_outcome_record(
                report=report, outcome=outcome_form.cleaned_data["outcome"]
            )
        except ValidationError as exc:
            outcome_form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Thank you: your answer is recorded."))
            return redirect("reports:track", code=code)
    response = render(
        request,
        "reports/track.html",
        {"report": report, "history": public_history(report), "outcome_form": outcome_form},
        status=400 if outcome_form.errors else 200,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


# --- staff --------------------------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> None:
    if not can_see_triage(request.user):
        raise Http404


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    areas = queue_area_choices(request.user)
    form = QueueFilterForm(request.GET or None, areas=areas)
    filters = QueueFilters()
    if form.is_bound and not form.is_valid():
        # A filter that cannot be read lists nothing rather than the whole queue.
        return render(
            request, "reports/queue.html", {"form": form, "reports": [], "total": 0}, status=400
        )
    if form.is_valid():
        d = form.cleaned_data
        filters = QueueFilters(
            category=d["category"] or "",
            status=d["status"] or "open",
            flag=d["flag"] or "",
            area_id=d["area"],
            since=d["since"],
            until=d["until"],
            assigned=d["assigned"] or "",
            cell=d["cell"],
        )
    rows = list(triage_queue(request.user, filters)[:200])
    groups = duplicate_groups(rows)
    for row in rows:
        row.similar_group = groups.get(row.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "reports/queue.html",
        {
            "form": form,
            "reports": rows,
            "total": triage_queue(request.user, filters).count(),
            "place": hexagon_name(filters.cell) if filters.cell is not None else "",
        },
    )


@login_required
@require_safe
def detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    templates = response_templates(report)
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "history": status_history(report),
            "notes": report_notes(report),
            "photos": report_photos(report),
            "status_form": StatusForm(initial={"to_status": ""}),
            "next_statuses": next_statuses(report),
            "templates": templates,
            "templates_json": {
                str(t.pk): {"status": t.status, "text": t.text(report.language)} for t in templates
            },
            "note_form": NoteForm(),
            "triage_form": TriageForm(initial={"category": report.category, "flags": report.flags}),
            "officers": officers_for_assignment(report),
            "candidates": duplicate_candidates(report, reader=request.user),
            "merged": merged_into(request.user, report),
        },
    )


def _back(report_id: int) -> HttpResponse:
    return redirect("reports:detail", report_id=report_id)


def _act(request: HttpRequest, report: Report, action: Callable[[], str]) -> HttpResponse:
    """A triage service: the message ``action`` returns, its reasons on refusal, 404 when the
    role does not allow it; back to the report either way."""
    return run_service(request, action, back=_back(report.pk))


@login_required
@require_POST
def change_status(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a new status."))
        return _back(report.pk)
    public_note = form.cleaned_data["public_note"]
    template_id = form.cleaned_data["template"]
    if template_id and not public_note.strip():
        template = response_template(report, template_id)
        public_note = template.text(report.language) if template else ""

    def action() -> str:
        services.report_status_change(
            report=report,
            to_status=form.cleaned_data["to_status"],
            actor=acting(request),
            public_note=public_note,
            staff_note=form.cleaned_data["staff_note"],
        )
        return _("Status changed to “%(status)s”.") % {"status": Status(report.status).label}

    return _act(request, report, action)


@login_required
@require_POST
def assign(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    officer = None
    raw = request.POST.get("officer", "")
    if raw:
        officer = next((o for o in officers_for_assignment(report) if str(o.pk) == raw), None)
        if officer is None:
            messages.error(request, _("This officer does not serve this area."))
            return _back(report.pk)

    def action() -> str:
        services.report_assign(report=report, officer=officer, actor=acting(request))
        return _("Assignment saved.")

    return _act(request, report, action)


@login_required
@require_POST
def add_note(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    form = NoteForm(request.POST)
    text = request.POST.get("text", "") if form.is_valid() else ""

    def action() -> str:
        services.report_note_add(report=report, text=text, actor=acting(request))
        return _("Note added.")

    return _act(request, report, action)


@login_required
@require_POST
def classify(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    form = TriageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a category."))
        return _back(report.pk)

    def action() -> str:
        services.report_triage_confirm(
            report=report,
            category=form.cleaned_data["category"],
            flags=form.cleaned_data["flags"],
            actor=acting(request),
        )
        return _("Category and flags saved.")

    return _act(request, report, action)


@login_required
@require_POST
def merge(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    into_id = id_param(request.POST.get("into"))
    if into_id is None:
        raise Http404
    into = report_for_staff(request.user, into_id)

    def action() -> str:
        services.report_merge(duplicate=report, into=into, actor=acting(request))
        return _("Merged into report #%(id)s.") % {"id": into.pk}

    return _act(request, report, action)


@login_required
@never_cache
@require_safe
def contact(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_staff(request.user, report_id)
    found = services.contact_read(report=report, actor=acting(request))
    return render(request, "reports/contact.html", {"report": report, "contact": found})


@login_required
@require_safe
def photo(request: HttpRequest, report_id: int, photo_id: int) -> FileResponse:
    found = photo_for_staff(request.user, report_id, photo_id)
    return private_file(found.file, "image/jpeg")
