"""Trust and satisfaction surveys on the web: answer (anonymously, once), read the results."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qurb.accounts.access import Capability
from qurb.accounts.selectors import access_area
from qurb.engagement import services
from qurb.engagement.models import Survey
from qurb.engagement.selectors import (
    survey_by_id,
    survey_questions,
    survey_response_count,
    survey_results,
)
from qurb.reports.limits import Limit
from qurb.web.common.actors import acting
from qurb.web.guards.intake import client_address, limit_hit, remember_device, respondent

SURVEY_LIMIT = Limit(30, 3600)  # answers per address and hour


def _survey(survey_id: int) -> Survey:
    survey = survey_by_id(survey_id)
    if survey is None:
        raise Http404
    return survey


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    errors: list[str] = []
    if request.method == "POST":
        if limit_hit("survey", client_address(request), SURVEY_LIMIT):
            errors.append(_("Too many answers from this connection; try again later."))
        else:
            answers = {q.pk: request.POST.get(f"q{q.pk}", "") for q in survey_questions(survey)}
            try:
                services.survey_answer(survey=survey, answers=answers, identity=respondent(request))
            except ValidationError as exc:
                errors += exc.messages
            else:
                messages.success(request, _("Thank you: your answers are recorded, anonymously."))
                return redirect("neighbourhoods:survey_results", survey_id=survey.pk)
    today = timezone.localdate()
    response = render(
        request,
        "neighbourhoods/survey.html",
        {
            "survey": survey,
            "questions": survey_questions(survey),
            "errors": errors,
            "open": survey.opens_on <= today <= survey.closes_on,
            "answered": request.POST,
        },
        status=400 if errors else 200,
    )
    return remember_device(request, response)


@require_safe
def survey_results_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    return render(
        request,
        "neighbourhoods/survey_results.html",
        {
            "survey": survey,
            "results": survey_results(survey),
            "responses": survey_response_count(survey),
        },
    )


@login_required
@require_POST
def survey_open(request: HttpRequest, area_id: int) -> HttpResponse:
    area = access_area(request.user, area_id, Capability.SURVEY_OPEN)
    today = timezone.localdate()
    try:
        services.survey_open(
            area=area, opens_on=today, closes_on=today + timedelta(days=30), actor=acting(request)
        )
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("The survey is open for 30 days."))
    return redirect("neighbourhoods:staff_area", area_id=area.pk)
