"""Writes for neighbourhood priorities (SARA): set one with its evidence, record what was
done, let residents rate the response, close it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import h3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability
from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.core.text import Texts, field_values, languages_of, texts_of
from qurb.engagement import policy, signals
from qurb.engagement.models import (
    ActionProgress,
    Priority,
    PriorityAction,
    PriorityRating,
    PriorityStatus,
)
from qurb.engagement.services.anonymity import keyed_hash
from qurb.reports.models import Category, Report
from qurb.reports.rollup import cell_range


@audited(AuditAction.ENGAGEMENT_SET_PRIORITY)
def priority_set(
    *,
    area: Area,
    title: Texts,
    description: Texts = "",
    category: str = "",
    set_on: date,
    language: str | None = None,
    evidence_reports: Sequence[int] = (),
    hotspot_cells: Sequence[str] = (),
    actor: User,
) -> Priority:
    """A neighbourhood priority, as agreed with residents (the SARA "scanning" step), with
    the reports and hotspots that show the problem (the "analysis"). ``title`` and
    ``description`` in one language (``language``) or as ``{"ar": …, "fr": …, "en": …}``."""
    policy.require(actor, Capability.PRIORITY_MANAGE, area.pk)
    titles, descriptions = texts_of(title, language), texts_of(description, language)
    errors: dict[str, list[Any]] = {}
    if not any(titles.values()):
        errors["title"] = [_("Give the priority a title.")]
    if category and category not in Category.values:
        errors["category"] = [_("Choose a category.")]
    reports, cells = _evidence(area, evidence_reports, hotspot_cells, errors)
    if errors:
        raise ValidationError(errors)
    priority = Priority.objects.create(
        area=area,
        category=category,
        set_on=set_on,
        hotspot_cells=cells,
        **field_values("title", titles, 200),
        **field_values("description", descriptions),
    )
    priority.evidence_reports.set(reports)
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_SET_PRIORITY,
        target=priority,
        area_id=area.pk,
        details={
            "reports": len(reports),
            "hotspots": len(cells),
            "languages": languages_of(titles),
        },
    )
    made = priority.pk
    transaction.on_commit(lambda: signals.priority_set.send(sender=Priority, priority_id=made))
    return priority


def _evidence(
    area: Area,
    report_ids: Sequence[int],
    cells: Sequence[str],
    errors: dict[str, list[Any]],
) -> tuple[list[Report], list[str]]:
    """Check the linked reports (in the area) and hexagons (at the hotspot resolution, with
    their centre in the area); record what is wrong in ``errors``."""
    wanted = set(report_ids)
    reports = list(
        Report.objects.filter(pk__in=wanted, area_id__in=descendants_of({area.pk})).only("pk")
    )
    missing = wanted - {r.pk for r in reports}
    if missing:
        errors["evidence_reports"] = [
            _("These reports are not in this area: %(ids)s")
            % {"ids": ", ".join(str(i) for i in sorted(missing))}
        ]
    clean: list[str] = []
    for cell in dict.fromkeys(c.strip().lower() for c in cells if c.strip()):
        if _hexagon_in(cell, area):
            clean.append(cell)
        else:
            errors.setdefault("hotspot_cells", []).append(
                _("The hexagon %(cell)s is not a hotspot hexagon of this area.") % {"cell": cell}
            )
    return reports, clean


def _hexagon_in(cell: str, area: Area) -> bool:
    """A hexagon at the hotspot resolution holding reports of the area."""
    try:
        valid = h3.is_valid_cell(cell) and h3.get_resolution(cell) == settings.HOTSPOT_H3_RESOLUTION
    except (ValueError, OverflowError, TypeError):  # not a hexadecimal cell index at all
        return False
    if not valid:
        return False
    low, high = cell_range(int(cell, 16))
    return Report.objects.filter(
        area_id__in=descendants_of({area.pk}), h3_cell__gte=low, h3_cell__lte=high
    ).exists()


@audited(AuditAction.ENGAGEMENT_ADD_EVIDENCE)
def priority_evidence_add(
    *,
    priority: Priority,
    evidence_reports: Sequence[int] = (),
    hotspot_cells: Sequence[str] = (),
    actor: User,
) -> Priority:
    """Link more reports or hotspot hexagons to a priority's evidence."""
    policy.require(actor, Capability.PRIORITY_MANAGE, priority.area_id)
    errors: dict[str, list[Any]] = {}
    reports, cells = _evidence(priority.area, evidence_reports, hotspot_cells, errors)
    if not errors and not reports and not cells:
        errors["evidence_reports"] = [_("Give report numbers or choose hotspots.")]
    if errors:
        raise ValidationError(errors)
    priority.evidence_reports.add(*reports)
    priority.hotspot_cells = list(dict.fromkeys([*priority.hotspot_cells, *cells]))
    priority.save(update_fields=["hotspot_cells"])
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ADD_EVIDENCE,
        target=priority,
        area_id=priority.area_id,
        details={"reports": len(reports), "hotspots": len(cells)},
    )
    return priority


def priority_rate(*, priority: Priority, score: int, identity: str) -> PriorityRating:
    """A resident says how well the priority is being dealt with (1 to 5), once, anonymously."""
    if priority.status != PriorityStatus.CURRENT or priority.response_started_on is None:
        raise ValidationError(
            {"score": [_("This priority can be rated once the police have acted on it.")]}
        )
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Give a score from 1 to 5.")]})
    if not identity:
        raise ValidationError({"score": [_("Your browser must accept cookies to answer.")]})
    try:
        with transaction.atomic():
            return PriorityRating.objects.create(
                priority=priority,
                score=score,
                respondent=keyed_hash(f"priority:{priority.pk}", identity),
            )
    except IntegrityError:
        raise ValidationError({"score": [_("You have already rated this priority.")]}) from None


@audited(AuditAction.ENGAGEMENT_ADD_PRIORITY_ACTION)
def priority_action_add(
    *,
    priority: Priority,
    description: Texts,
    done_on: date,
    progress: str = ActionProgress.DONE,
    language: str | None = None,
    actor: User,
) -> PriorityAction:
    """What was done (the "response"), in one language (``language``) or several; the first
    action starts the assessment's "after"."""
    policy.require(actor, Capability.PRIORITY_MANAGE, priority.area_id)
    descriptions = texts_of(description, language)
    errors: dict[str, list[Any]] = {}
    if not any(descriptions.values()):
        errors["description"] = [_("Say what was done.")]
    if progress not in ActionProgress.values:
        errors["progress"] = [_("Choose the progress.")]
    if done_on < priority.set_on:
        errors["done_on"] = [_("An action cannot come before the priority was set.")]
    if errors:
        raise ValidationError(errors)
    action = PriorityAction.objects.create(
        priority=priority,
        done_on=done_on,
        progress=progress,
        **field_values("description", descriptions, 2000),
    )
    if priority.response_started_on is None or done_on < priority.response_started_on:
        priority.response_started_on = done_on
        priority.save(update_fields=["response_started_on"])
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ADD_PRIORITY_ACTION,
        target=priority,
        area_id=priority.area_id,
        details={
            "done_on": done_on.isoformat(),
            "progress": progress,
            "languages": languages_of(descriptions),
        },
    )
    return action


@audited(AuditAction.ENGAGEMENT_CLOSE_PRIORITY)
def priority_close(*, priority: Priority, actor: User) -> Priority:
    policy.require(actor, Capability.PRIORITY_MANAGE, priority.area_id)
    before = priority.status
    priority.status = PriorityStatus.CLOSED
    priority.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_CLOSE_PRIORITY,
        target=priority,
        area_id=priority.area_id,
        details={"changes": {"status": change_of(before, priority.status)}},
    )
    closed = priority.pk
    transaction.on_commit(lambda: signals.priority_closed.send(sender=Priority, priority_id=closed))
    return priority
