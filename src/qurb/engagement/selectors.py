from django.db.models import QuerySet
from django.utils import timezone

from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors
from qurb.engagement.models import Meeting, Priority, PriorityStatus


def _area_and_ancestor_ids(area: Area) -> list[int]:
    return [a.pk for a in area_and_ancestors(area)]


def upcoming_meetings(area: Area) -> QuerySet[Meeting]:
    """Public meetings for the area or the district above it, soonest first."""
    return Meeting.objects.filter(
        area_id__in=_area_and_ancestor_ids(area),
        is_public=True,
        cancelled=False,
        ends_at__gte=timezone.now(),
    ).order_by("starts_at")


def current_priorities(area: Area) -> QuerySet[Priority]:
    return Priority.objects.filter(
        area_id__in=_area_and_ancestor_ids(area), status=PriorityStatus.CURRENT
    ).order_by("-set_on")
