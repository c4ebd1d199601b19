"""Who may see and do what with reports: one rule, asked two ways.

A report belongs to its neighbourhood (``area``) and its district (``district``); a grant over
either covers it. ``reports_for`` (the queryset) and ``may`` (the instance check) are built
on the same fields, so they cannot disagree.
"""

from __future__ import annotations

from django.db.models import QuerySet

from qurb.accounts.access import Actor, Capability, grant
from qurb.core.errors import NotFound, Refused
from qurb.reports.models import Report

AREA_FIELDS = ("area_id", "district_id")


def reports_for(user: Actor, capability: Capability = Capability.REPORT_READ) -> QuerySet[Report]:
    """The reports on which ``user`` may do ``capability``."""
    return Report.objects.filter(grant(user, capability).q(*AREA_FIELDS))


def may(user: Actor, capability: Capability, report: Report) -> bool:
    """Whether ``user`` may do ``capability`` on ``report``."""
    return grant(user, capability).covers(report.area_id, report.district_id)


def require(user: Actor, capability: Capability, report: Report) -> None:
    if not may(user, capability, report):
        raise Refused("out_of_scope")


def access_report(
    user: Actor, report_id: int, capability: Capability = Capability.REPORT_READ
) -> Report:
    """The report if ``user`` may do ``capability`` on it; NotFound (404) otherwise
    (existence does not leak)."""
    report = (
        reports_for(user, capability)
        .select_related("district", "area", "assigned_to")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise NotFound
    return report
