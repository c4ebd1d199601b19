"""OASIS CAP 1.2 messages for missing-child alerts.

One ``<info>`` block per language (Arabic, French, English): category Rescue, event "Missing
Child", urgency Immediate, severity Severe, certainty Observed (the disappearance is
confirmed), the instruction not to intervene, the photo as a resource, and a circle around the
last-seen place. Updates and the end of an alert are CAP ``Update`` and ``Cancel`` messages
that reference the earlier ones. The element order follows the schema's sequences.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from qurb.alerts.models import AlertCase
from qurb.core.bidi import isolated

NS = "urn:oasis:names:tc:emergency:cap:1.2"
LANGUAGES = {"ar": "ar-MA", "fr": "fr-MA", "en": "en"}


@dataclass(frozen=True)
class Earlier:
    sender: str
    identifier: str
    sent: datetime


def cap_time(moment: datetime) -> str:
    """CAP's dateTime (CAP 1.2 §3.3.2): local time to the second with an explicit offset, never
    "Z", and UTC written "-00:00" (Morocco is on UTC+0 during Ramadan)."""
    local = timezone.localtime(moment).replace(microsecond=0)
    text = local.isoformat()
    if local.utcoffset() == timedelta(0):
        text = text.removesuffix("+00:00") + "-00:00"
    return text


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _info(root: ET.Element, c: AlertCase, lang: str, msg_type: str, urls: dict[str, str]) -> None:
    with translation.override(lang):
        info = _sub(root, "info")
        _sub(info, "language", LANGUAGES[lang])
        _sub(info, "category", "Rescue")
        _sub(info, "event", _("Missing Child"))
        _sub(info, "responseType", "Monitor" if msg_type != "Cancel" else "AllClear")
        _sub(info, "urgency", "Immediate" if msg_type != "Cancel" else "Past")
        _sub(info, "severity", "Severe" if msg_type != "Cancel" else "Minor")
        _sub(info, "certainty", "Observed")
        if c.expires_at:
            _sub(info, "expires", cap_time(c.expires_at))
        _sub(info, "senderName", _("National police — Qurb"))
        if msg_type == "Cancel":
            _sub(info, "headline", _("Alert ended: the missing child alert is over"))
            _sub(
                info,
                "description",
                _("This alert has ended. Thank you to everyone who shared it."),
            )
        else:
            # Each inserted value isolated (FSI … PDI): a Latin name keeps its place in an
            # Arabic headline, and an Arabic one in a French headline.
            name, age = c.child_first_name, c.child_age
            _sub(
                info,
                "headline",
                _("Missing child: %(name)s, %(age)s years old")
                % isolated({"name": name, "age": age}),
            )
            seen = timezone.localtime(c.last_seen_at)
            parts = [
                c.description,
                _("Last seen: %(place)s, %(when)s")
                % isolated(
                    {"place": c.last_seen_place, "when": date_format(seen, "DATETIME_FORMAT")}
                ),
            ]
            if c.clothing:
                parts.append(_("Clothes: %(text)s") % isolated({"text": c.clothing}))
            if c.places:
                parts.append(_("Places they go: %(text)s") % isolated({"text": c.places}))
            _sub(info, "description", "\n".join(parts))
            _sub(
                info,
                "instruction",
                _(
                    "If you see this child, do not intervene: call %(number)s at once and say "
                    "where and when."
                )
                % {"number": c.call_number},
            )
        _sub(info, "web", urls["page"])
        _sub(info, "contact", c.call_number)
        if msg_type != "Cancel" and urls.get("photo"):
            resource = _sub(info, "resource")
            _sub(resource, "resourceDesc", _("Photo of the child"))
            _sub(resource, "mimeType", "image/jpeg")
            _sub(resource, "uri", urls["photo"])
        area = _sub(info, "area")
        _sub(
            area,
            "areaDesc",
            _("%(km)s km around %(place)s")
            % isolated(
                {
                    "km": c.radius_km,
                    "place": c.last_seen_place if msg_type != "Cancel" else c.area.name,
                }
            ),
        )
        _sub(
            area,
            "circle",
            f"{c.last_seen_lat:.5f},{c.last_seen_lon:.5f} {float(c.radius_km):.1f}",
        )


def cap_message(
    case: AlertCase,
    *,
    sender: str,
    identifier: str,
    sent: datetime,
    msg_type: str,
    references: Sequence[Earlier] = (),
    urls: dict[str, str],
) -> str:
    """The CAP 1.2 XML document of one message about ``case``."""
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}alert")
    _sub(root, "identifier", identifier)
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(sent))
    _sub(root, "status", "Exercise" if case.is_exercise else "Actual")
    _sub(root, "msgType", msg_type)
    _sub(root, "scope", "Public")
    if case.is_exercise:
        _sub(root, "note", "EXERCISE — تمرين — exercice: this is not a real alert.")
    if references:
        _sub(
            root,
            "references",
            " ".join(f"{r.sender},{r.identifier},{cap_time(r.sent)}" for r in references),
        )
    for lang in LANGUAGES:
        _info(root, case, lang, msg_type, urls)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
