"""The staff home: the work waiting for the signed-in staff member, block by block.

Each block shows only when the user holds its capability, and counts only over the areas of
that capability's grant: a person who validates alerts over a prefecture and triages reports
in one district sees the prefecture's cases and the district's reports, never more.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from qurb.accounts.access import Capability, grant, has
from qurb.accounts.selectors import associations_to_verify, grant_area_names, overview_areas
from qurb.alerts.selectors import cases_in_hand, cases_to_validate
from qurb.audit.selectors import audit_events_since
from qurb.communication.selectors import (
    articles_in_progress,
    events_coming,
    gates_today,
    sessions_coming,
)
from qurb.engagement.selectors import (
    meetings_coming,
    meetings_to_close,
    priorities_without_action,
    proposals_to_answer,
)
from qurb.messaging.selectors import review_queue
from qurb.reports.selectors import report_work
from qurb.web.common.navigation import has_insights, holds_staff_capability

C = Capability
SHOWN = 5  # items listed per block; the block's link leads to the rest


def _listed(qs: QuerySet[Any]) -> tuple[list[Any], int]:
    """The first items of a queryset and how many there are in all."""
    items = list(qs[: SHOWN + 1])
    total = len(items) if len(items) <= SHOWN else qs.count()
    return items[:SHOWN], total


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not holds_staff_capability(user):
        raise Http404
    now = timezone.now()

    def scope(capability: Capability) -> list[str]:
        return grant_area_names(grant(user, capability))

    context: dict[str, Any] = {"now": now}
    context["reports"] = report_work(user)
    if has(user, C.ALERT_VALIDATE):
        context["to_validate"] = _listed(cases_to_validate(user))
        context["to_validate_scope"] = scope(C.ALERT_VALIDATE)
    if has(user, C.ALERT_MANAGE):
        context["alerts_in_hand"] = _listed(cases_in_hand(user, now))
        context["alerts_scope"] = scope(C.ALERT_MANAGE)
    if has(user, C.ASSOCIATION_VERIFY):
        context["associations"] = _listed(associations_to_verify(user))
        context["associations_scope"] = scope(C.ASSOCIATION_VERIFY)
    if has(user, C.MEETING_MANAGE):
        context["meetings"] = _listed(meetings_coming(user, now=now))
        context["to_close"] = _listed(meetings_to_close(user, now=now))
        context["proposals"] = _listed(proposals_to_answer(user))
        context["meetings_scope"] = scope(C.MEETING_MANAGE)
    if has(user, C.PRIORITY_MANAGE):
        context["priorities"] = _listed(priorities_without_action(user))
        context["priorities_scope"] = scope(C.PRIORITY_MANAGE)
    if has(user, C.EVENT_GATE):
        context["gates"] = _listed(gates_today(user))
        context["events"] = _listed(events_coming(user))
        context["events_scope"] = scope(C.EVENT_GATE)
    if has(user, C.SCHOOL_SESSION_RECORD):
        context["sessions"] = _listed(sessions_coming(user))
        context["sessions_scope"] = scope(C.SCHOOL_SESSION_RECORD)
    if has(user, C.ARTICLE_MANAGE):
        context["articles"] = _listed(articles_in_progress(user, now))
        context["articles_scope"] = scope(C.ARTICLE_MANAGE)
    if has(user, C.MESSAGE_REVIEW):
        context["messages_to_review"] = _listed(review_queue(user))
        context["messages_scope"] = scope(C.MESSAGE_REVIEW)
    context["areas"] = overview_areas(user)
    context["insights"] = has_insights(user)
    if grant(user, C.AUDIT_READ).everywhere:
        context["audit_today"] = audit_events_since(user, now - timedelta(days=1))
    return render(request, "staff/home.html", context)
