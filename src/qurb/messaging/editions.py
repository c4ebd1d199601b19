"""The newsletter of an area, composed from what the area made public since its last edition:
the articles of the area and of the areas inside it, the district teams' messages, the public
meetings to come and the current priorities with their results so far. The national edition
draws on the articles only (messages, meetings and priorities are local).

It lives here because it reads the district teams' messages, and ``qurb.communication`` (below
messaging in the layers) never imports messaging; the edition itself is written by
communication's audited ``newsletter_compose``, as a draft its composer edits, reorders and
sends. Each item is a copy of the texts as they are now, with a link to the page that stays
current.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.communication import policy as communication_policy
from qurb.communication import selectors as communication
from qurb.communication.models import ItemKind, Newsletter
from qurb.communication.services import ItemDraft, article_item, newsletter_compose
from qurb.core.text import FIELD_LANGUAGES
from qurb.engagement.models import Priority, PriorityStatus
from qurb.engagement.policy import meetings_published
from qurb.engagement.selectors import priority_assessment
from qurb.messaging.models import DistrictMessage, MessageKind, MessageStatus

# At most this many items of each kind, newest (or soonest) first.
PER_KIND = 15


def _texts(obj: object, stem: str) -> dict[str, str]:
    return {code: getattr(obj, f"{stem}_{code}", "") or "" for code in FIELD_LANGUAGES}


def _articles(area: Area | None, since: datetime, until: datetime) -> list[ItemDraft]:
    found = communication.public_articles(now=until).filter(publish_at__gt=since)
    if area is not None:
        found = found.filter(area_id__in=descendants_of({area.pk}))
    newest = list(found.order_by("-publish_at", "-pk")[:PER_KIND])
    # National articles first (the national edition), each group newest first.
    newest.sort(key=lambda article: article.area_id is not None)
    return [article_item(article) for article in newest]


def _messages(area: Area, since: datetime, until: datetime) -> list[ItemDraft]:
    """The messages the district teams wrote (automatic items are drawn from their sources
    here; a missing-child alert never goes into a newsletter, which outlives the alert)."""
    found = (
        DistrictMessage.objects.filter(
            status=MessageStatus.PUBLISHED,
            source="",
            area_id__in=descendants_of({area.pk}),
            published_at__gt=since,
            published_at__lte=until,
        )
        .exclude(kind=MessageKind.MISSING_CHILD)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate(until)))
        .order_by("-published_at", "-pk")[:PER_KIND]
    )
    return [
        ItemDraft(
            kind=ItemKind.MESSAGE,
            titles=_texts(message, "title"),
            bodies=_texts(message, "body"),
            link=reverse("messaging:message", args=[message.pk]),
            source=f"message:{message.pk}",
        )
        for message in found
    ]


def _meetings(area: Area, until: datetime) -> list[ItemDraft]:
    found = (
        meetings_published()
        .filter(area_id__in=descendants_of({area.pk}), cancelled=False, starts_at__gt=until)
        .order_by("starts_at", "pk")[:PER_KIND]
    )
    items = []
    for meeting in found:
        titles, bodies = _texts(meeting, "title"), {}
        places = _texts(meeting, "location")
        for code in FIELD_LANGUAGES:
            if not titles[code]:
                continue
            with translation.override(code):
                when = formats.date_format(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT")
                place = places[code] or next((p for p in places.values() if p), "")
                bodies[code] = (
                    _("%(when)s, %(place)s. Come and say what matters.")
                    % {"when": when, "place": place}
                    if place
                    else _("%(when)s, online.") % {"when": when}
                )
        items.append(
            ItemDraft(
                kind=ItemKind.MEETING,
                titles=titles,
                bodies=bodies,
                link=reverse("neighbourhoods:meeting", args=[meeting.pk]),
                source=f"meeting:{meeting.pk}",
            )
        )
    return items


def _priorities(area: Area, until: datetime) -> list[ItemDraft]:
    found = Priority.objects.filter(
        area_id__in=descendants_of({area.pk}), status=PriorityStatus.CURRENT
    ).order_by("-set_on", "-pk")[:PER_KIND]
    items = []
    for priority in found:
        titles, descriptions = _texts(priority, "title"), _texts(priority, "description")
        assessment = priority_assessment(priority, today=timezone.localdate(until))
        bodies = {}
        for code in FIELD_LANGUAGES:
            if not titles[code]:
                continue
            with translation.override(code):
                parts = [descriptions[code]] if descriptions[code] else []
                if assessment is None:
                    parts.append(_("The work on this priority has not started yet."))
                else:
                    parts.append(
                        _(
                            "Reports in the %(days)s days before the first action: %(before)s; "
                            "in the %(days)s days since: %(after)s."
                        )
                        % {
                            "days": assessment.days,
                            "before": assessment.before,
                            "after": assessment.after,
                        }
                    )
                bodies[code] = " ".join(parts)
        items.append(
            ItemDraft(
                kind=ItemKind.PRIORITY,
                titles=titles,
                bodies=bodies,
                link=reverse("neighbourhoods:detail", args=[priority.area_id]) + "#priorities",
                source=f"priority:{priority.pk}",
            )
        )
    return items


def edition_items(area: Area | None, since: datetime, until: datetime) -> list[ItemDraft]:
    """What an edition of ``area`` (None: national) draws on, in the order it starts with:
    news, the district teams' messages, meetings to come, current priorities."""
    items = _articles(area, since, until)
    if area is not None:
        items += _messages(area, since, until)
        items += _meetings(area, until)
        items += _priorities(area, until)
    return items


def edition_draft(*, actor: User, area: Area | None, now: datetime | None = None) -> Newsletter:
    """A draft edition of ``area`` (None: national) over the period since its last edition,
    for ``actor`` to edit and send (``newsletter_compose`` checks and records it)."""
    communication_policy.require_newsletter(actor, area.pk if area else None)
    since, until = communication.edition_period(area, now)
    return newsletter_compose(
        actor=actor,
        area=area,
        items=edition_items(area, since, until),
        since=since,
        until=until,
    )
