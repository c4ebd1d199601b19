"""Who writes to which areas, and the second person's review."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qurb.accounts.models import Role
from qurb.accounts.services import role_grant, user_create
from qurb.core.errors import NotFound, Refused
from qurb.messaging import policy
from qurb.messaging.models import MessageStatus
from qurb.messaging.services import (
    message_publish,
    message_review,
    message_save,
    message_submit,
    message_withdraw,
)
from tests.messaging.conftest import AGDAL, FES, MECHOUAR, MEDINA, MEDINA_S1, area, user, written

pytestmark = pytest.mark.django_db


def _texts() -> dict[str, Any]:
    return {"titles": {"ar": "اجتماع الحي"}, "bodies": {"ar": "يوم الخميس في دار الشباب"}}


def test_a_person_writes_to_the_areas_of_each_of_their_roles_and_nowhere_else() -> None:
    # Chief of district A (Médina) and officer in district B (Agdal): A and B, never C.
    someone = user_create(username="two.hats", password=None)
    role_grant(user=someone, role=Role.DISTRICT_CHIEF, area=area(MEDINA))
    role_grant(user=someone, role=Role.NEIGHBOURHOOD_OFFICER, area=area(AGDAL))
    for code in (MEDINA, AGDAL, f"{AGDAL}-S1"):
        message = message_save(actor=someone, area=area(code), kind="information", **_texts())
        assert message.area.code == code
    with pytest.raises(Refused):
        message_save(actor=someone, area=area(MECHOUAR), kind="information", **_texts())
    with pytest.raises(Refused):
        message_save(actor=someone, area=area(FES), kind="information", **_texts())
    # The officer's role gives no review in B; the chief's gives it in A only.
    in_agdal = written(AGDAL, author="chief.agdal")
    message_submit(actor=user("chief.agdal"), message=in_agdal)
    with pytest.raises(Refused):
        message_review(actor=someone, message=in_agdal, approve=True)


def test_an_officer_writes_to_the_neighbourhood_they_serve_only() -> None:
    officer = user("officer.medina")
    assert message_save(actor=officer, area=area(MEDINA_S1), kind="appeal", **_texts()).pk
    with pytest.raises(Refused):
        message_save(actor=officer, area=area(MEDINA), kind="appeal", **_texts())


def test_a_message_to_more_than_one_district_waits_for_a_second_person() -> None:
    cell = user("cell.fes")
    message = message_save(actor=cell, area=area(FES), kind="prevention", **_texts())
    assert message.needs_review
    with pytest.raises(ValidationError) as refused:
        message_publish(actor=cell, message=message)
    assert refused.value.stable_code == "review_needed"  # type: ignore[attr-defined]
    message_submit(actor=cell, message=message)
    # The author may not approve it, nor may a chief whose district is only part of it.
    with pytest.raises(Refused) as own:
        message_review(actor=cell, message=message, approve=True)
    assert own.value.code == "own_message"
    with pytest.raises(PermissionDenied):
        message_review(actor=user("chief.medina"), message=message, approve=True)
    message.refresh_from_db()
    assert message.status == MessageStatus.REVIEW
    # A second person of the prefecture's cell approves: published.
    colleague = user_create(username="cell.fes.2", password=None)
    role_grant(user=colleague, role=Role.COMMUNICATION_CELL, area=area(FES))
    approved = message_review(actor=colleague, message=message, approve=True)
    assert approved.status == MessageStatus.PUBLISHED
    assert approved.reviewer == colleague
    assert approved.published_at is not None


def test_a_district_message_may_be_published_by_its_writer_or_reviewed_and_returned() -> None:
    chief = user("chief.medina")
    direct = written()
    assert not direct.needs_review
    assert message_publish(actor=chief, message=direct).status == MessageStatus.PUBLISHED
    asked = written(MEDINA_S1, author="officer.medina")
    message_submit(actor=user("officer.medina"), message=asked)
    with pytest.raises(ValidationError):  # a return says why
        message_review(actor=chief, message=asked, approve=False)
    returned = message_review(actor=chief, message=asked, approve=False, note="Ajoutez l'heure.")
    assert returned.status == MessageStatus.DRAFT
    assert returned.review_note == "Ajoutez l'heure."
    # Another district's chief sees neither.
    for message in (direct, asked):
        with pytest.raises(NotFound):
            policy.staff_message(user("chief.agdal"), message.pk)
        with pytest.raises(Refused):
            message_withdraw(actor=user("chief.agdal"), message=message)


def test_bad_messages_are_refused_with_their_reasons() -> None:
    chief, medina = user("chief.medina"), area(MEDINA)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"titles": {"fr": "Titre"}, "bodies": {}}, "body_fr"),
        ({"titles": {}, "bodies": {}}, "title_ar"),
        ({"titles": {"fr": "x" * 141}, "bodies": {"fr": "texte"}}, "title_fr"),
    ]
    for texts, field in cases:
        with pytest.raises(ValidationError) as refused:
            message_save(actor=chief, area=medina, kind="information", **texts)
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError):
        message_save(actor=chief, area=medina, kind="missing_child", **_texts())


def test_a_title_is_one_line_it_becomes_an_e_mail_subject() -> None:
    message = message_save(
        actor=user("chief.medina"),
        area=area(MEDINA),
        kind="information",
        titles={"fr": "Réunion\r\nBcc: someone@example.org"},
        bodies={"fr": "Jeudi."},
    )
    assert message.title_fr == "Réunion Bcc: someone@example.org"
