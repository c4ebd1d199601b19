"""The access kernel: capabilities granted per role assignment, never as a union across roles;
each policy's queryset and instance check agree, for every demo user and capability."""

from collections.abc import Callable, Iterable
from functools import partial
from itertools import product
from typing import Any

import pytest
from django.db import models
from django.urls import reverse

from qurb.accounts import access
from qurb.accounts import policy as account_policy
from qurb.accounts.access import ROLE_CAPABILITIES, STAFF_ROLES, Capability, grant
from qurb.accounts.models import AREA_SCOPED_ROLES, Association, Role, RoleAssignment, User
from qurb.accounts.services import role_grant, user_create
from qurb.alerts import policy as alert_policy
from qurb.alerts.models import AlertCase
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.communication import policy as communication_policy
from qurb.communication.models import Article, Event, SchoolSession
from qurb.reports import policy as report_policy
from qurb.reports.models import Report
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA, AGDAL, MEKNES_DISTRICT, FES_PREFECTURE = "032310107", "032310101", "030610101", "03.231"


def _person(name: str, *held: tuple[Role, Area | None]) -> User:
    user = user_create(username=name, password=None)
    for role, area in held:
        role_grant(user=user, role=role, area=area if role in AREA_SCOPED_ROLES else None)
    return User.objects.get(pk=user.pk)  # fresh object: nothing cached


def _expected(held: Iterable[tuple[Role, Area | None]], capability: Capability) -> set[int] | None:
    """What the capability should cover: the areas of the assignments that carry it."""
    areas: set[int] = set()
    for role, area in held:
        if capability not in ROLE_CAPABILITIES[role]:
            continue
        if role not in AREA_SCOPED_ROLES:
            return None  # a national assignment: everywhere
        assert area is not None
        areas |= descendants_of({area.pk})
    return areas


STAFF = sorted(STAFF_ROLES)


@pytest.mark.parametrize(("first", "second"), list(product(STAFF, STAFF)))
def test_two_roles_in_two_areas_never_widen_each_other(first: Role, second: Role) -> None:
    medina, meknes = Area.objects.get(code=MEDINA), Area.objects.get(code=MEKNES_DISTRICT)
    held = [(first, medina), (second, meknes)]
    user = _person(f"two.{first}.{second}"[:150], *held)
    reports = list(Report.objects.only("pk", "area_id", "district_id"))
    for capability in Capability:
        expected = _expected(held, capability)
        g = grant(user, capability)
        if expected is None:
            assert g.everywhere, capability
            continue
        assert not g.everywhere, capability
        assert set(g.area_ids) == expected, capability
        # Nothing leaks through the objects either: reports outside the areas that carry
        # the capability are never in the queryset, and the instance check agrees.
        allowed = {r.pk for r in reports if r.area_id in expected or r.district_id in expected}
        got = set(report_policy.reports_for(user, capability).values_list("pk", flat=True))
        assert got == allowed, capability
        assert {r.pk for r in reports if report_policy.may(user, capability, r)} == allowed


def test_a_validator_elsewhere_does_not_open_another_districts_triage_queue() -> None:
    """The reviewers' case: chief of Fès-Médina and alert validator over the Fès prefecture."""
    chief = User.objects.get(username="chief.medina")
    role_grant(user=chief, role=Role.ALERT_VALIDATOR, area=Area.objects.get(code=FES_PREFECTURE))
    agdal = Area.objects.get(code=AGDAL)
    agdal_report = Report.objects.filter(district=agdal).first()
    assert agdal_report is not None
    client = signed_in("chief.medina")
    assert client.get(reverse("reports:detail", args=[agdal_report.pk])).status_code == 404
    assert client.get(reverse("reports:contact", args=[agdal_report.pk])).status_code == 404
    queue = client.get(reverse("reports:queue"), {"area": str(agdal.pk), "status": "all"})
    assert queue.status_code == 400  # not an area of the chief's queue: said so, nothing listed
    assert agdal_report.tracking_code not in queue.content.decode()
    assert f'data-report="{agdal_report.pk}"' not in queue.content.decode()
    medina_report = Report.objects.filter(district__code=MEDINA).first()
    assert medina_report is not None
    assert client.get(reverse("reports:detail", args=[medina_report.pk])).status_code == 200
    # …and the validation role still works over the whole prefecture.
    refreshed = User.objects.get(pk=chief.pk)
    assert grant(refreshed, Capability.ALERT_VALIDATE).covers(agdal.pk)
    assert not grant(refreshed, Capability.REPORT_TRIAGE).covers(agdal.pk)


# --- every policy: the queryset equals what the instance check allows ---------------------------

Policy = tuple[
    str,
    Capability,
    Callable[[Any], models.QuerySet[Any]],
    Callable[[Any, Any], bool],
    Callable[[], models.QuerySet[Any]],
]


def _reports_for(c: Capability, u: Any) -> models.QuerySet[Any]:
    return report_policy.reports_for(u, c)


def _report_may(c: Capability, u: Any, o: Any) -> bool:
    return report_policy.may(u, c, o)


def _cases_for(c: Capability | None, u: Any) -> models.QuerySet[Any]:
    return alert_policy.cases_for(u, c)


def _case_may(c: Capability | None, u: Any, o: Any) -> bool:
    return alert_policy.may(u, c, o)


def _events_for(c: Capability, u: Any) -> models.QuerySet[Any]:
    return communication_policy.events_for(u, c)


def _event_may(c: Capability, u: Any, o: Any) -> bool:
    return communication_policy.may_event(u, c, o)


def _areas_for(c: Capability, u: Any) -> models.QuerySet[Any]:
    return Area.objects.filter(grant(u, c).q("pk"))


def _area_may(c: Capability, u: Any, o: Any) -> bool:
    return grant(u, c).covers(o.pk)


def _policies() -> list[Policy]:
    out: list[Policy] = []
    for cap in (
        Capability.REPORT_READ,
        Capability.REPORT_TRIAGE,
        Capability.REPORT_ASSIGN,
        Capability.REPORT_CONTACT_READ,
    ):
        out.append(
            (
                "reports",
                cap,
                partial(_reports_for, cap),
                partial(_report_may, cap),
                Report.objects.all,
            )
        )
    for alert_cap in (None, Capability.ALERT_MANAGE, Capability.ALERT_VALIDATE):
        out.append(
            (
                "alerts",
                alert_cap or Capability.ALERT_MANAGE,
                partial(_cases_for, alert_cap),
                partial(_case_may, alert_cap),
                AlertCase.objects.all,
            )
        )
    for cap in (Capability.EVENT_MANAGE, Capability.EVENT_GATE):
        out.append(
            (
                "events",
                cap,
                partial(_events_for, cap),
                partial(_event_may, cap),
                Event.objects.all,
            )
        )
    out.append(
        (
            "school sessions",
            Capability.SCHOOL_SESSION_RECORD,
            communication_policy.sessions_for,
            communication_policy.may_session,
            SchoolSession.objects.all,
        )
    )
    out.append(
        (
            "articles",
            Capability.ARTICLE_MANAGE,
            communication_policy.articles_for,
            lambda u, o: communication_policy.may_article(u, o.area_id),
            Article.objects.all,
        )
    )
    out.append(
        (
            "associations",
            Capability.ASSOCIATION_VERIFY,
            account_policy.associations_for,
            lambda u, o: account_policy.may(u, Capability.ASSOCIATION_VERIFY, o),
            Association.objects.all,
        )
    )
    for cap in Capability:
        out.append(
            (
                "areas",
                cap,
                partial(_areas_for, cap),
                partial(_area_may, cap),
                Area.objects.all,
            )
        )
    return out


def test_every_policy_queryset_equals_its_instance_check_for_every_demo_user() -> None:
    policies = _policies()
    users: list[User | None] = [*User.objects.all(), None]
    assert len(users) > 10
    checked = 0
    for user in users:
        for name, cap, queryset, allows, everything in policies:
            objects = list(everything())
            listed = set(queryset(user).values_list("pk", flat=True))
            allowed = {o.pk for o in objects if allows(user, o)}
            assert listed == allowed, (getattr(user, "username", None), name, cap)
            checked += len(objects)
    assert checked > 1000


def test_the_table_is_the_only_place_that_names_roles_for_access() -> None:
    """Every staff role carries at least one capability, residents and association members
    none; every capability is carried by some role."""
    assert {r for r, caps in ROLE_CAPABILITIES.items() if caps} == set(STAFF_ROLES)
    assert set(ROLE_CAPABILITIES) == set(Role)
    for cap in Capability:
        assert access.roles_with(cap), cap


def test_grants_are_read_once_per_user_object(django_assert_num_queries: Any) -> None:
    user = User.objects.get(username="chief.medina")
    grant(user, Capability.REPORT_READ)
    with django_assert_num_queries(0):
        for cap in (Capability.REPORT_READ, Capability.REPORT_READ):
            grant(user, cap)
        access.user_roles(user)


def test_inactive_and_anonymous_users_hold_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    user = User.objects.get(username="admin")
    user.is_active = False
    for who in (user, AnonymousUser(), None):
        assert not any(grant(who, c) for c in Capability)


def test_role_assignments_of_the_demo_cover_every_staff_role() -> None:
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert set(STAFF_ROLES) - {Role.ALERT_VALIDATOR} <= held


def test_architecture_document_holds_the_capability_table() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = doc.index("<!-- capability-table -->\n") + len("<!-- capability-table -->\n")
    end = doc.index("<!-- /capability-table -->")
    assert doc[start:end] == access.capability_markdown(), (
        "docs/architecture.md is out of date: paste capability_markdown() between the markers"
    )


def test_no_module_decides_access_by_naming_roles() -> None:
    """Roles are named by the kernel's table (and by the data: the model, its constraint, the
    demo accounts, and the membership role an association's accounts are given)."""
    import re
    from pathlib import Path

    src = Path(__file__).parents[2] / "src" / "qurb"
    allowed = {"accounts/access.py", "accounts/models.py", "accounts/services.py"}
    offenders = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel in allowed or "/migrations/" in rel or rel.startswith("demo/"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bRole\.[A-Z]", text) or re.search(r"_ROLES\b", text):
            offenders.append(rel)
    assert offenders == []
    services = (src / "accounts" / "services.py").read_text(encoding="utf-8")
    assert set(re.findall(r"\bRole\.([A-Z_]+)", services)) == {"ASSOCIATION_MEMBER"}


def test_engagement_staff_querysets_match_their_instance_check() -> None:
    from qurb.engagement import policy as engagement_policy
    from qurb.engagement.models import Meeting, Priority

    for user in [*User.objects.all(), None]:
        meetings = set(engagement_policy.meetings_managed_by(user).values_list("pk", flat=True))
        assert meetings == {
            m.pk
            for m in Meeting.objects.all()
            if engagement_policy.may_manage(user, Capability.MEETING_MANAGE, m.area_id)
        }
        priorities = set(engagement_policy.priorities_managed_by(user).values_list("pk", flat=True))
        assert priorities == {
            p.pk
            for p in Priority.objects.all()
            if engagement_policy.may_manage(user, Capability.PRIORITY_MANAGE, p.area_id)
        }


def test_a_refusal_raised_under_a_page_answers_404_and_records_nothing() -> None:
    """The analyst reads every report but may not read a reporter's contact details: the
    service refuses, and the page answers 404 (RefusalMiddleware), not 403 or 500."""
    from qurb.audit.models import AuditEvent

    report = Report.objects.filter(is_synthetic=False).first()
    assert report is not None
    client = signed_in("analyst")
    assert client.get(reverse("reports:detail", args=[report.pk])).status_code == 200
    before = AuditEvent.objects.count()
    assert client.get(reverse("reports:contact", args=[report.pk])).status_code == 404
    assert AuditEvent.objects.count() == before
