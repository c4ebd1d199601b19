"""What messaging hears from the apps below it (signals), connected in ``MessagingConfig``:
STOP texted to the SMS gateway, and the automatic items (a public meeting planned, a priority
set or closed with its before/after figure, an article made public, a yearly report
published), each written once as a published message of the area, in Arabic, French and
English."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from qurb.areas.models import Area
from qurb.areas.selectors import areas_in_active_generation
from qurb.communication import signals as communication
from qurb.communication.models import Article, ArticleStatus
from qurb.core.bidi import isolate
from qurb.core.links import absolute
from qurb.core.text import FIELD_LANGUAGES, pick_translation
from qurb.engagement import signals as engagement
from qurb.engagement.models import Meeting, Priority
from qurb.engagement.selectors import priority_assessment
from qurb.messaging.models import MessageKind
from qurb.sms.signals import sms_stopped

log = logging.getLogger(__name__)


def _never_fails(receiver: Callable[..., None]) -> Callable[..., None]:
    """An automatic item runs after its cause committed: a failure here is logged, and never
    undoes nor breaks the meeting or priority that was saved."""

    @functools.wraps(receiver)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception:
            log.exception("automatic message not written (%s)", receiver.__name__)

    return run


def _stopped(sender: Any, number_hash: str = "", **kwargs: Any) -> None:
    """``STOP`` texted from a number (``qurb.sms``): its SMS subscriptions end."""
    from qurb.messaging.services import numbers_stopped

    if number_hash:
        numbers_stopped(number_hash)


def _texts(obj: Any, stem: str) -> dict[str, str]:
    return {code: getattr(obj, f"{stem}_{code}", "") for code in FIELD_LANGUAGES}


@_never_fails
def _meeting_planned(sender: Any, meeting_id: int = 0, **kwargs: Any) -> None:
    from qurb.messaging.services import message_automatic

    meeting = Meeting.objects.select_related("area").filter(pk=meeting_id).first()
    if meeting is None or not meeting.is_public:
        return
    titles, bodies = {}, {}
    names, places = _texts(meeting, "title"), _texts(meeting, "location")
    for code in FIELD_LANGUAGES:
        with translation.override(code):
            when = formats.date_format(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT")
            titles[code] = pick_translation(names, code)[:140]
            place = pick_translation(places, code)
            bodies[code] = (
                _("A meeting with residents: %(when)s, %(place)s. Come and say what matters.")
                % {"when": when, "place": place}
                if place
                else _("A meeting with residents, online: %(when)s.") % {"when": when}
            )
    message_automatic(
        source=f"meeting:{meeting.pk}",
        area=meeting.area,
        kind=MessageKind.MEETING,
        titles=titles,
        bodies=bodies,
        ends_on=timezone.localtime(meeting.ends_at).date(),
    )


def _priority(priority_id: int, closed: bool) -> None:
    from qurb.messaging.services import message_automatic

    priority = Priority.objects.select_related("area").filter(pk=priority_id).first()
    if priority is None:
        return
    assessment = priority_assessment(priority) if closed else None
    titles, bodies = {}, {}
    names = _texts(priority, "title")
    for code in FIELD_LANGUAGES:
        with translation.override(code):
            name = pick_translation(names, code)
            if closed:
                titles[code] = (_("Priority closed: %(title)s") % {"title": name})[:140]
                text = _("The police of your neighbourhood closed this priority.")
                if assessment is not None:
                    text += " " + _(
                        "Reports in the %(days)s days before the first action: %(before)s; "
                        "in the %(days)s days since: %(after)s."
                    ) % {
                        "days": assessment.days,
                        "before": assessment.before,
                        "after": assessment.after,
                    }
            else:
                titles[code] = (_("New priority: %(title)s") % {"title": name})[:140]
                text = _(
                    "The police of your neighbourhood will work on this priority with residents."
                )
            bodies[code] = text
    message_automatic(
        source=f"priority:{priority.pk}:{'closed' if closed else 'set'}",
        area=priority.area,
        kind=MessageKind.PRIORITY_RESULT,
        titles=titles,
        bodies=bodies,
    )


@_never_fails
def _priority_set(sender: Any, priority_id: int = 0, **kwargs: Any) -> None:
    _priority(priority_id, closed=False)


@_never_fails
def _priority_closed(sender: Any, priority_id: int = 0, **kwargs: Any) -> None:
    _priority(priority_id, closed=True)


# An article's summary (or the start of its text) in its item; the link leads to the rest.
ARTICLE_EXCERPT = 600


@_never_fails
def _article_published(sender: Any, article_id: int = 0, **kwargs: Any) -> None:
    """An article made public becomes a news item of its area, in each language it is
    written in; a national article, one of each top-level area (its subscribers are everyone
    inside)."""
    from qurb.messaging.services import message_automatic

    article = Article.objects.select_related("area").filter(pk=article_id).first()
    if article is None or article.status != ArticleStatus.PUBLISHED:
        return
    link = absolute(reverse("communication:article", args=[article.slug]))
    titles, bodies = {}, {}
    for code in FIELD_LANGUAGES:
        title = " ".join(getattr(article, f"title_{code}").split())
        if title:
            text = getattr(article, f"summary_{code}") or getattr(article, f"body_{code}")
            excerpt = text.strip()[:ARTICLE_EXCERPT]
            titles[code] = title if len(title) <= 140 else title[:139] + "…"
            bodies[code] = f"{excerpt}\n{link}" if excerpt else link
    if article.area is not None:
        addressed = [(article.area, f"article:{article.pk}")]
    else:
        tops = areas_in_active_generation().filter(parent__isnull=True).order_by("pk")
        addressed = [(top, f"article:{article.pk}:{top.pk}") for top in tops]
    for area, source in addressed:
        message_automatic(
            source=source, area=area, kind=MessageKind.NEWS, titles=titles, bodies=bodies
        )


@_never_fails
def _yearly_report_published(sender: Any, area_id: int = 0, year: int = 0, **kwargs: Any) -> None:
    """A yearly report published: a figures item of its area with its main counts."""
    from qurb.insights.yearly import yearly_report
    from qurb.messaging.services import message_automatic

    area = Area.objects.select_related("type").filter(pk=area_id).first()
    if area is None or not year:
        return
    report = yearly_report(area, year)
    link = absolute(reverse("insights:yearly", args=[area.pk, year]))
    titles, bodies = {}, {}
    for code in FIELD_LANGUAGES:
        with translation.override(code):
            name = isolate(area.localized("name", code))
            title = _("Yearly report %(year)s: %(area)s") % {"year": year, "area": name}
            titles[code] = title[:140]
            bodies[code] = (
                _(
                    "The police's yearly report for %(area)s is published. Public meetings "
                    "held: %(meetings)s. Priorities followed: %(priorities)s. Pupils reached by "
                    "awareness sessions: %(pupils)s."
                )
                % {
                    "area": name,
                    "meetings": intcomma(report.meetings_held),
                    "priorities": intcomma(len(report.priorities)),
                    "pupils": intcomma(report.pupils),
                }
                + "\n"
                + link
            )
    message_automatic(
        source=f"yearly:{area.pk}:{year}",
        area=area,
        kind=MessageKind.FIGURES,
        titles=titles,
        bodies=bodies,
    )


def connect() -> None:
    sms_stopped.connect(_stopped, dispatch_uid="qurb.messaging.sms_stopped")
    engagement.meeting_planned.connect(_meeting_planned, dispatch_uid="qurb.messaging.meeting")
    engagement.priority_set.connect(_priority_set, dispatch_uid="qurb.messaging.priority_set")
    engagement.priority_closed.connect(
        _priority_closed, dispatch_uid="qurb.messaging.priority_closed"
    )
    communication.article_published.connect(
        _article_published, dispatch_uid="qurb.messaging.article_published"
    )
    communication.yearly_report_published.connect(
        _yearly_report_published, dispatch_uid="qurb.messaging.yearly_report_published"
    )
