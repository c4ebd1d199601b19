"""An association applies with its documents, is verified, gets its members' accounts and a
space for its proposals; e-mails leave through the task queue, in the association's language."""

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from qurb.accounts.models import Association, AssociationStatus, User
from qurb.areas.models import Area
from qurb.audit.models import AuditEvent
from qurb.engagement.models import Proposal
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"
# A one-page PDF (pikepdf refuses a catalog without a page tree).
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG")
    return out.getvalue()


def _apply(number: str, *, files: list[SimpleUploadedFile], language: str = "fr") -> Any:
    return Client(HTTP_ACCEPT_LANGUAGE=language).post(
        reverse("neighbourhoods:association_apply"),
        {
            "name": "Association Derb Lamtiyine",
            "registration_number": number,
            "area": str(Area.objects.get(code=MEDINA).pk),
            "contact_person": "Fatima Zahra",
            "contact_email": f"{number.lower()}@example.org",
            "documents": files,
        },
    )


def test_documents_are_checked_kept_private_and_read_by_the_verifiers_only() -> None:
    bad = _apply(
        "FES-1",
        files=[SimpleUploadedFile("statuts.pdf", PDF.replace(b"<< /Type", b"<< /JavaScript"))],
        language="en",
    )
    assert bad.status_code == 200
    assert "This PDF contains scripts" in bad.content.decode()
    fake = _apply("FES-1", files=[SimpleUploadedFile("x.pdf", b"MZ\x90\x00")], language="en")
    assert "Send a PDF, or a JPEG, PNG or WebP photo" in fake.content.decode()
    assert not Association.objects.filter(registration_number="FES-1").exists()
    good = _apply(
        "FES-1",
        files=[
            SimpleUploadedFile("statuts.pdf", PDF),
            SimpleUploadedFile("recu.jpg", _photo()),
        ],
    )
    assert good.status_code == 302
    association = Association.objects.get(registration_number="FES-1")
    assert association.language == "fr"
    pdf, photo = association.documents.all()
    assert (pdf.content_type, photo.content_type) == ("application/pdf", "image/jpeg")
    assert "statuts" not in pdf.file
    assert "recu" not in photo.file
    cell = signed_in("cell.fes")
    queue_page = cell.get(reverse("neighbourhoods:association_queue")).content.decode()
    url = reverse("neighbourhoods:association_document", args=[association.pk, pdf.pk])
    assert url in queue_page
    answer = cell.get(url)
    assert answer.status_code == 200
    served = b"".join(answer.streaming_content)  # type: ignore[attr-defined]
    # Staff get the copy rebuilt from pixels; the original is kept apart, for the record.
    assert served.startswith(b"%PDF-")
    assert served != PDF
    assert pdf.original
    assert pdf.original != pdf.file
    assert default_storage.open(pdf.original).read() == PDF
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in answer["Content-Disposition"]
    assert "no-store" in answer["Cache-Control"]
    assert AuditEvent.objects.filter(action="accounts.read_association_document").count() == 1
    for username in ["resident", "chief.medina", "cell.meknes", "association"]:
        assert signed_in(username).get(url).status_code == 404
    Client().get(url)  # signed out: sent to sign in, never the file
    assert AuditEvent.objects.filter(action="accounts.read_association_document").count() == 1


def test_verified_association_gets_accounts_a_space_and_answers(
    task_queue: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    mail.outbox.clear()
    assert _apply("FES-2", files=[SimpleUploadedFile("statuts.pdf", PDF)]).status_code == 302
    association = Association.objects.get(registration_number="FES-2")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in("cell.fes").post(
            reverse("neighbourhoods:association_decide", args=[association.pk]),
            {"decision": "verify"},
        )
    association.refresh_from_db()
    assert association.status == AssociationStatus.VERIFIED
    lead = User.objects.get(association=association)
    assert lead.association_lead
    assert lead.email == "fes-2@example.org"
    assert not lead.has_usable_password()
    call_command("worker", batch=True)
    call_command("worker", batch=True)  # twice: nothing is sent twice
    # The association's name isolated (FSI … PDI), as every name put into a sentence.
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "Votre compte pour \u2068Association Derb Lamtiyine\u2069 sur Qurb",
        "\u2068Association Derb Lamtiyine\u2069 est vérifiée sur Qurb",
    ]
    invitation = next(m for m in mail.outbox if "compte" in m.subject)
    link = re.search(r"https?://\S+/accounts/password/\S+/", str(invitation.body))
    assert link is not None
    path = "/" + link.group(0).split("/", 3)[3]
    client = Client()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else path
    done = client.post(
        set_url, {"new_password1": "qurb-Derb-2026!", "new_password2": "qurb-Derb-2026!"}
    )
    assert done.status_code == 302
    again = client.get(path, follow=True, HTTP_ACCEPT_LANGUAGE="en")  # the link works once
    assert "no longer valid" in again.content.decode()
    signed = client.post(
        reverse("accounts:login"), {"username": lead.username, "password": "qurb-Derb-2026!"}
    )
    assert signed.status_code == 302

    # The lead opens an account for a member; a plain member cannot.
    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(
            reverse("neighbourhoods:space_member_add"),
            {"name": "Youssef", "email": "youssef@example.org"},
        )
    assert added.status_code == 302
    member = User.objects.get(email="youssef@example.org")
    assert member.association_id == association.pk
    assert not member.association_lead
    mail.outbox.clear()
    call_command("worker", batch=True)
    assert [m.to for m in mail.outbox] == [["youssef@example.org"]]
    duplicate = client.post(
        reverse("neighbourhoods:space_member_add"),
        {"name": "Youssef", "email": "YOUSSEF@example.org"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert duplicate.status_code == 400
    assert "An account already uses this e-mail address." in duplicate.content.decode()
    plain = Client()
    plain.force_login(member)
    assert (
        plain.post(
            reverse("neighbourhoods:space_member_add"), {"name": "X", "email": "x@example.org"}
        ).status_code
        == 404
    )

    # A proposal between meetings, answered by the district chief, seen in the space.
    hood = Area.objects.filter(parent__code=MEDINA).order_by("code").first()
    assert hood is not None
    sent = plain.post(
        reverse("neighbourhoods:space_proposal"),
        {"area": str(hood.pk), "text": "Éclairer le passage derrière le marché"},
    )
    assert sent.status_code == 302
    proposal = Proposal.objects.get(association=association)
    assert proposal.meeting is None
    assert proposal.area == hood
    elsewhere = Area.objects.exclude(code=MEDINA).exclude(parent__code=MEDINA)
    outside = plain.post(
        reverse("neighbourhoods:space_proposal"),
        {"area": str(elsewhere.filter(parent__isnull=False).first().pk), "text": "x"},  # type: ignore[union-attr]
    )
    assert outside.status_code == 400
    assert Proposal.objects.filter(association=association).count() == 1
    chief = signed_in("chief.medina")
    staff_page = chief.get(reverse("neighbourhoods:staff_area", args=[hood.parent_id]))
    assert "Éclairer le passage" in staff_page.content.decode()
    answer_url = reverse("neighbourhoods:proposal_answer", args=[proposal.pk])
    assert signed_in("chief.agdal").post(answer_url, {"answer": "accepted"}).status_code == 404
    chief.post(answer_url, {"answer": "rejected"})  # a rejection must say why
    proposal.refresh_from_db()
    assert proposal.answer == "pending"
    chief.post(answer_url, {"answer": "accepted", "back": str(hood.parent_id)})
    proposal.refresh_from_db()
    assert proposal.answer == "accepted"
    space = plain.get(reverse("neighbourhoods:space"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Éclairer le passage" in space
    assert "Accepted" in space

    # The lead closes the member's account; the member is signed out and cannot come back.
    client.post(reverse("neighbourhoods:space_member_remove", args=[member.pk]))
    member.refresh_from_db()
    assert not member.is_active
    assert member.association_id is None
    assert plain.get(reverse("neighbourhoods:space")).status_code == 302


def test_refusal_is_mailed_with_its_reason_and_residents_have_no_space(
    task_queue: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _apply("FES-3", files=[], language="ar")
    association = Association.objects.get(registration_number="FES-3")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in("cell.fes").post(
            reverse("neighbourhoods:association_decide", args=[association.pk]),
            {"decision": "reject", "reason": "الوصل غير مقروء"},
        )
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1
    assert "الوصل غير مقروء" in mail.outbox[0].body
    assert not User.objects.filter(association=association).exists()
    assert signed_in("resident").get(reverse("neighbourhoods:space")).status_code == 404


def test_a_contact_person_with_an_account_becomes_the_lead() -> None:
    resident = User.objects.get(username="resident")
    resident.email = "fes-4@example.org"
    resident.save(update_fields=["email"])
    _apply("FES-4", files=[])
    association = Association.objects.get(registration_number="FES-4")
    signed_in("cell.fes").post(
        reverse("neighbourhoods:association_decide", args=[association.pk]),
        {"decision": "verify"},
    )
    association.refresh_from_db()
    resident.refresh_from_db()
    assert association.status == AssociationStatus.VERIFIED
    assert resident.association_id == association.pk
    assert resident.association_lead
    assert signed_in("resident").get(reverse("neighbourhoods:space")).status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        PDF.replace(b"<< /Type", b"<< /J#61vaScript"),  # an escaped name
        PDF.replace(
            b"endobj\n",
            b"endobj\n9 0 obj\n<< /Filter /FlateDecode >>\nstream\n"
            + __import__("zlib").compress(b"<< /OpenAction << /S /JavaScript >> >>")
            + b"\nendstream\nendobj\n",
            1,
        ),  # hidden in a compressed stream
        PDF.replace(b"trailer\n<<", b"trailer\n<< /Encrypt 3 0 R"),
    ],
)
def test_active_or_unreadable_pdfs_are_refused(content: bytes) -> None:
    from django.core.exceptions import ValidationError

    from qurb.accounts.documents import document_clean

    with pytest.raises(ValidationError):
        document_clean(io.BytesIO(content))
    assert document_clean(io.BytesIO(PDF)).content_type == "application/pdf"
