"""Open data: the aggregated figures only, never an individual report or personal data.

Every count below QURB_PUBLIC_MIN_COUNT is withheld (an empty cell, "<5" in the dictionary's
words); no totals stand beside withheld cells; text cells that a spreadsheet could run are
neutralised. Each dataset has its dictionary (column, type, meaning) on /open-data/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from qurb.communication.models import CheckIn, SchoolSession
from qurb.engagement.models import Priority, Rating
from qurb.engagement.policy import meetings_published
from qurb.engagement.selectors import priority_assessment
from qurb.insights.exports import _csv, public_csv
from qurb.insights.selectors import public_counts

LESS = "<5"


def _small(n: int) -> int | str:
    return n if n >= settings.PUBLIC_MIN_COUNT else LESS


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    meaning: Any


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: Any
    description: Any
    columns: list[Column]
    build: Callable[[], str]


def reports_csv() -> str:
    return public_csv(public_counts())


def events_csv() -> str:
    rows = (
        CheckIn.objects.filter(event__is_published=True)
        .values("event__slug", "event__area__code", "day", "visitor_kind")
        .annotate(n=Count("pk"))
        .order_by("event__slug", "day", "visitor_kind")
    )
    return _csv(
        ["event", "area_code", "day", "visitor_kind", "entries"],
        (
            [
                r["event__slug"],
                r["event__area__code"],
                r["day"].isoformat(),
                r["visitor_kind"],
                _small(r["n"]),
            ]
            for r in rows
        ),
    )


def sessions_csv() -> str:
    rows = (
        SchoolSession.objects.filter(pupils__isnull=False)
        .annotate(month=TruncMonth("held_on"))
        .values("area__code", "topic", "month")
        .annotate(sessions=Count("pk"), pupils=Sum("pupils"))
        .order_by("area__code", "month", "topic")
    )
    return _csv(
        ["area_code", "month", "topic", "sessions", "pupils"],
        (
            [
                r["area__code"],
                r["month"].strftime("%Y-%m"),
                r["topic"],
                r["sessions"],
                _small(int(r["pupils"] or 0)),
            ]
            for r in rows
        ),
    )


def priorities_csv() -> str:
    out = []
    for p in Priority.objects.select_related("area").order_by("area__code", "set_on"):
        result = priority_assessment(p)
        out.append(
            [
                p.area.code,
                p.title,
                p.set_on.isoformat(),
                p.category,
                p.status,
                p.response_started_on.isoformat() if p.response_started_on else "",
                result.days if result else "",
                result.before if result else "",
                result.after if result else "",
                round(result.p, 6) if result else "",
            ]
        )
    return _csv(
        [
            "area_code",
            "issue",
            "issue_date",
            "category",
            "status",
            "response_from",
            "days",
            "reports_before",
            "reports_after",
            "p_value",
        ],
        out,
    )


def meetings_csv() -> str:
    """Public meetings only: an invitation-only meeting appears in no published document."""
    published = meetings_published()
    held = (
        published.filter(held_at__isnull=False)
        .annotate(month=TruncMonth("held_at"))
        .values("area__code", "month")
        .annotate(meetings=Count("pk"))
        .order_by("area__code", "month")
    )
    ratings = {
        (
            r["registration__meeting__area__code"],
            r["month"].date() if hasattr(r["month"], "date") else r["month"],
        ): r
        for r in Rating.objects.filter(registration__meeting__in=published)
        .annotate(month=TruncMonth("registration__meeting__held_at"))
        .values("registration__meeting__area__code", "month")
        .annotate(n=Count("pk"), mean=Avg("performance_score"))
    }
    rows = []
    for r in held:
        month = r["month"].date() if hasattr(r["month"], "date") else r["month"]
        rated = ratings.get((r["area__code"], month))
        n = int(rated["n"]) if rated else 0
        rows.append(
            [
                r["area__code"],
                month.strftime("%Y-%m"),
                r["meetings"],
                _small(n) if n else 0,
                round(float(rated["mean"]), 2) if rated and n >= settings.PUBLIC_MIN_COUNT else "",
            ]
        )
    return _csv(["area_code", "month", "meetings_held", "ratings", "mean_performance_rating"], rows)


WITHHELD = _("“<5”: fewer than 5, withheld.")

DATASETS = [
    Dataset(
        "reports",
        _("Concern reports"),
        _("Reports per neighbourhood, category and month over the last 12 months."),
        [
            Column("neighbourhood_code", "text", _("Code of the neighbourhood")),
            Column("neighbourhood", "text", _("Name of the neighbourhood")),
            Column("month", "YYYY-MM", _("Month the concern was seen")),
            Column("category", "text", _("Category of the concern")),
            Column("reports", "integer or <5", WITHHELD),
        ],
        reports_csv,
    ),
    Dataset(
        "events",
        _("Event attendance"),
        _("Entries at the gate per event, day and kind of visitor."),
        [
            Column("event", "text", _("Event identifier")),
            Column("area_code", "text", _("Code of the area")),
            Column("day", "YYYY-MM-DD", _("Day")),
            Column("visitor_kind", "pupil, resident, tourist, professional", _("Kind of visitor")),
            Column("entries", "integer or <5", WITHHELD),
        ],
        events_csv,
    ),
    Dataset(
        "school-sessions",
        _("School awareness sessions"),
        _("Sessions held and pupils reached per area, month and topic."),
        [
            Column("area_code", "text", _("Code of the school's area")),
            Column("month", "YYYY-MM", _("Month")),
            Column("topic", "citizenship, drugs, stadium, road, online", _("Topic")),
            Column("sessions", "integer", _("Sessions held")),
            Column("pupils", "integer or <5", _("Pupils reached")),
        ],
        sessions_csv,
    ),
    Dataset(
        "priorities",
        _("Neighbourhood priorities"),
        _(
            "Priorities and their assessment: reports of the category over equal periods "
            "before and after the response, with the exact test's p-value."
        ),
        [
            Column("area_code", "text", _("Code of the area")),
            Column("issue", "text", _("The problem")),
            Column("issue_date", "YYYY-MM-DD", _("Date set")),
            Column("category", "text", _("Category measured (empty: all)")),
            Column("status", "current, closed", _("Status")),
            Column("response_from", "YYYY-MM-DD", _("First action")),
            Column("days", "integer", _("Length of each period")),
            Column(
                "reports_before",
                "integer",
                _("Reports in the period before (published as on the neighbourhood page)"),
            ),
            Column("reports_after", "integer", _("Reports in the period after")),
            Column("p_value", "number", _("Two-sided exact test of equal rates")),
        ],
        priorities_csv,
    ),
    Dataset(
        "meetings",
        _("Meetings with residents"),
        _(
            "Public meetings held per area and month, and attendees' ratings of the police's "
            "work. Invitation-only meetings are not counted."
        ),
        [
            Column("area_code", "text", _("Code of the area")),
            Column("month", "YYYY-MM", _("Month")),
            Column("meetings_held", "integer", _("Meetings held")),
            Column("ratings", "integer or <5", WITHHELD),
            Column(
                "mean_performance_rating", "number 1–5", _("Mean rating; empty below 5 ratings")
            ),
        ],
        meetings_csv,
    ),
]
