"""Who may see and do what with reports: one rule, asked two ways.

A report belongs to its neighbourhood (``area``) and its district (``district``); a grant over
either covers it. ``reports_for`` (the queryset) and ``may`` (the instance check) are built
on the same fields, so they cannot disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from qurb.accounts.access import Actor, Capability, grant
from qurb.core.errors import NotFound, Refused
from qurb.reports.models import Category, Report

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


# --- what anyone may know of a report (Open311 reads without a key) ---------------------------
#
# The public subset of a report: its public reference, category, status, latest public note,
# the agency (its district), its neighbourhood (the name, and a point the neighbourhood's
# outline chose, never the report's own point), and the local day it was received and last
# changed (never the hour: with the neighbourhood, the minute a report came could point at
# whoever was seen on a phone). Never the text, photos, address, flags, channel or anything of
# the reporter. Synthetic reports are not requests anyone made, and reports of these categories
# point at one person, who would learn of them: neither is listed. Whoever holds a tracking
# code still reads its report (it is theirs).
PUBLIC_WITHHELD_CATEGORIES = frozenset({Category.HARASSMENT})


def publicly_listed() -> Q:
    """The reports the public reads may list, as a filter."""
    return Q(is_synthetic=False, public_id__isnull=False) & ~Q(
        category__in=PUBLIC_WITHHELD_CATEGORIES
    )


def is_publicly_listed(report: Report) -> bool:
    return (
        not report.is_synthetic
        and bool(report.public_id)
        and report.category not in PUBLIC_WITHHELD_CATEGORIES
    )


def public_day(moment: datetime) -> datetime:
    """The start of the local day of ``moment``: as precise as a public read gets."""
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def public_day_end(moment: datetime) -> datetime:
    """The last instant of the local day of ``moment``. A public search spans whole days
    (from ``public_day(start)`` to ``public_day_end(end)``), so that narrowing it cannot tell
    the time of a report more precisely than its day."""
    following = timezone.localtime(public_day(moment) + timedelta(hours=26))
    return public_day(following) - timedelta(microseconds=1)
