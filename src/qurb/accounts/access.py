"""The access kernel: what each role may do, and where.

This is the only module that names roles when deciding access. A capability is granted over
the areas of the role assignments that carry it (each assignment's area and everything below
it; an assignment without an area covers the whole force). Grants are computed per
capability, never as a union across roles: a person who is alert validator over a prefecture
and district chief of one district triages reports in that district only.

Each context's ``policy`` module builds its two questions on a :class:`Grant`: "which objects
may this user do C on" (``Grant.q`` on the object's area fields, a queryset filter) and "may
this user do C on this object" (``Grant.covers`` on the same fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from qurb.accounts.models import Role, RoleAssignment, User
from qurb.areas.selectors import descendants_of
from qurb.core.errors import Refused

# Who asks: a user, the anonymous visitor, or None (the system itself).
type Actor = User | AnonymousUser | None


class Capability(StrEnum):
    """Something a staff member does, named ``<thing>.<verb>``."""

    AREA_OVERVIEW = "area.overview"
    REPORT_READ = "report.read"
    REPORT_TRIAGE = "report.triage"
    REPORT_ASSIGN = "report.assign"
    REPORT_CONTACT_READ = "report.contact_read"
    API_KEY_MANAGE = "api_key.manage"
    RESPONSE_TEMPLATE_MANAGE = "response_template.manage"
    INSIGHTS_READ = "insights.read"
    PRIORITY_MANAGE = "priority.manage"
    MEETING_MANAGE = "meeting.manage"
    SURVEY_OPEN = "survey.open"
    EVENT_MANAGE = "event.manage"
    EVENT_GATE = "event.gate"
    SCHOOL_SESSION_RECORD = "school_session.record"
    ARTICLE_MANAGE = "article.manage"
    NEWSLETTER_SEND = "newsletter.send"
    MESSAGE_WRITE = "message.write"
    MESSAGE_REVIEW = "message.review"
    ASSOCIATION_VERIFY = "association.verify"
    ALERT_MANAGE = "alert.manage"
    ALERT_VALIDATE = "alert.validate"
    AUDIT_READ = "audit.read"
    ACCOUNT_MANAGE = "account.manage"
    # Not a right but a duty: shown to residents as the officers serving a neighbourhood.
    NEIGHBOURHOOD_SERVE = "neighbourhood.serve"


C = Capability

# What officers do in the areas they serve (district chiefs too).
_NEIGHBOURHOOD_WORK = frozenset(
    {
        C.AREA_OVERVIEW,
        C.REPORT_READ,
        C.REPORT_TRIAGE,
        C.REPORT_CONTACT_READ,
        C.INSIGHTS_READ,
        C.PRIORITY_MANAGE,
        C.MEETING_MANAGE,
        C.SURVEY_OPEN,
        C.EVENT_GATE,
        C.SCHOOL_SESSION_RECORD,
        C.ALERT_MANAGE,
        C.MESSAGE_WRITE,
        C.NEIGHBOURHOOD_SERVE,
    }
)

# The one table of who may do what. Residents and association members hold no staff
# capability: what they may do (their own reports, their association's space) follows from
# the objects they own, not from a role.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.RESIDENT: frozenset(),
    Role.ASSOCIATION_MEMBER: frozenset(),
    Role.NEIGHBOURHOOD_OFFICER: _NEIGHBOURHOOD_WORK,
    # A district chief does what the officers do, and gives them reports to follow.
    # A message to more than one district is reviewed by a second person (chief or cell).
    Role.DISTRICT_CHIEF: _NEIGHBOURHOOD_WORK | {C.REPORT_ASSIGN, C.MESSAGE_REVIEW},
    Role.COMMUNICATION_CELL: frozenset(
        {
            C.AREA_OVERVIEW,
            C.MEETING_MANAGE,
            C.SURVEY_OPEN,
            C.EVENT_MANAGE,
            C.EVENT_GATE,
            C.SCHOOL_SESSION_RECORD,
            C.ARTICLE_MANAGE,
            C.NEWSLETTER_SEND,
            C.MESSAGE_WRITE,
            C.MESSAGE_REVIEW,
            C.ASSOCIATION_VERIFY,
        }
    ),
    Role.HQ_ANALYST: frozenset({C.AREA_OVERVIEW, C.REPORT_READ, C.INSIGHTS_READ}),
    Role.INSPECTOR: frozenset({C.AUDIT_READ}),
    Role.ADMINISTRATOR: frozenset(
        {
            C.AREA_OVERVIEW,
            C.REPORT_READ,
            C.INSIGHTS_READ,
            C.API_KEY_MANAGE,
            C.RESPONSE_TEMPLATE_MANAGE,
            C.EVENT_MANAGE,
            C.EVENT_GATE,
            C.SCHOOL_SESSION_RECORD,
            C.ARTICLE_MANAGE,
            C.NEWSLETTER_SEND,
            C.ASSOCIATION_VERIFY,
            C.AUDIT_READ,
            C.ACCOUNT_MANAGE,
        }
    ),
    Role.ALERT_VALIDATOR: frozenset({C.ALERT_VALIDATE}),
}

# Roles that must pass a second factor before they see anything: every role with a staff
# capability.
STAFF_ROLES: frozenset[Role] = frozenset(r for r, caps in ROLE_CAPABILITIES.items() if caps)


def roles_with(capability: Capability) -> frozenset[Role]:
    return frozenset(r for r, caps in ROLE_CAPABILITIES.items() if capability in caps)


@dataclass(frozen=True)
class Grant:
    """Where a user holds one capability: everywhere, or in ``area_ids`` (descendants
    included), which may be empty."""

    capability: Capability
    everywhere: bool
    area_ids: frozenset[int]
    # The areas named by the assignments themselves (the outermost of the grant).
    roots: frozenset[int]

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.area_ids)

    def covers(self, *area_ids: int | None) -> bool:
        """Whether any of the object's area ids lies within the grant."""
        if self.everywhere:
            return True
        return any(a is not None and a in self.area_ids for a in area_ids)

    def covers_all(self, area_ids: Iterable[int]) -> bool:
        return self.everywhere or set(area_ids) <= self.area_ids

    def q(self, *fields: str) -> Q:
        """The queryset filter that matches exactly what :meth:`covers` accepts on ``fields``."""
        if self.everywhere:
            return Q()
        condition = Q(pk__in=[])
        for field in fields:
            condition |= Q(**{f"{field}__in": self.area_ids})
        return condition

    def areas(self) -> set[int] | None:
        """The area ids (None: every area), for selectors that take a scope."""
        return None if self.everywhere else set(self.area_ids)


def _active(user: Actor) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _assignments(user: Actor) -> list[tuple[str, int | None]]:
    """The user's role assignments, read once per user object (so once per request)."""
    if not _active(user):
        return []
    cached: list[tuple[str, int | None]] | None = getattr(user, "_qurb_assignments", None)
    if cached is None:
        rows = RoleAssignment.objects.filter(user_id=int(getattr(user, "pk", 0) or 0))
        cached = list(rows.values_list("role", "area_id"))
        user._qurb_assignments = cached  # type: ignore[union-attr]
    return cached


def forget_grants(user: Actor) -> None:
    """Drop what was cached on this user object (after a role change)."""
    for name in ("_qurb_assignments", "_qurb_grants"):
        if user is not None and hasattr(user, name):
            delattr(user, name)


def user_roles(user: Actor) -> set[str]:
    return {role for role, _ in _assignments(user)}


def is_staff_member(user: Actor) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def grant(user: Actor, capability: Capability) -> Grant:
    """Where ``user`` holds ``capability``: from the assignments whose role carries it."""
    cache: dict[Capability, Grant] | None = getattr(user, "_qurb_grants", None)
    if cache is not None and capability in cache:
        return cache[capability]
    carrying = [
        area_id
        for role, area_id in _assignments(user)
        if capability in ROLE_CAPABILITIES.get(Role(role), frozenset())
    ]
    if any(a is None for a in carrying):
        result = Grant(capability, True, frozenset(), frozenset())
    else:
        roots = frozenset(a for a in carrying if a is not None)
        result = Grant(capability, False, frozenset(descendants_of(roots)), roots)
    if _active(user):
        if cache is None:
            cache = {}
            user._qurb_grants = cache  # type: ignore[union-attr]
        cache[capability] = result
    return result


def has(user: Actor, capability: Capability) -> bool:
    """Whether ``user`` holds ``capability`` anywhere."""
    return bool(grant(user, capability))


def require(user: Actor, capability: Capability, *area_ids: int | None) -> Grant:
    """Refuse unless ``user`` holds ``capability`` over one of ``area_ids`` (none given: over
    the whole force)."""
    g = grant(user, capability)
    allowed = g.covers(*area_ids) if area_ids else g.everywhere
    if not allowed:
        raise Refused("out_of_scope")
    return g


def require_any(user: Actor, capability: Capability) -> Grant:
    """Refuse unless ``user`` holds ``capability`` somewhere (lists filtered by the grant)."""
    g = grant(user, capability)
    if not g:
        raise Refused("out_of_scope")
    return g


def capability_table() -> list[tuple[Capability, list[Role]]]:
    """Each capability with the roles that carry it (for the documentation)."""
    return [(c, [r for r in Role if c in ROLE_CAPABILITIES[r]]) for c in Capability]


def capability_markdown() -> str:
    """The capability table as Markdown, for docs/architecture.md (a test keeps them equal)."""
    roles = [r for r in Role if ROLE_CAPABILITIES[r]]
    head = "| capability | " + " | ".join(f"`{r.value}`" for r in roles) + " |"
    rule = "| --- |" + " --- |" * len(roles)
    rows = [
        f"| `{c.value}` | "
        + " | ".join("✓" if c in ROLE_CAPABILITIES[r] else "" for r in roles)
        + " |"
        for c in Capability
    ]
    return "\n".join([head, rule, *rows]) + "\n"
