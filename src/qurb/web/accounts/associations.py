"""Associations apply online with their documents; the communication cell verifies or refuses
them; a verified association has a space for its members, its proposals and its meetings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qurb.accounts import policy
from qurb.accounts.access import Capability, require_any
from qurb.accounts.models import Association, AssociationStatus
from qurb.accounts.selectors import (
    applications_to_verify,
    association_areas,
    association_lead_missing,
    association_member,
    association_members,
)
from qurb.accounts.services import (
    association_document_read,
    association_member_invite,
    association_member_remove,
    association_register,
    association_reject,
    association_verify,
)
from qurb.areas.models import Area
from qurb.areas.selectors import areas_in_active_generation
from qurb.core.text import field_language
from qurb.engagement.selectors import association_meetings, association_proposals
from qurb.engagement.services import proposal_submit
from qurb.reports.limits import Limit
from qurb.web.common.actions import run_service
from qurb.web.common.actors import acting
from qurb.web.common.forms import DirectedForm, add_service_errors
from qurb.web.common.responses import private_file
from qurb.web.engagement.meetings import association_feed_key
from qurb.web.guards.intake import client_address, limit_hit

APPLY_LIMIT = Limit(10, 3600)  # applications per address and hour


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one's content."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ApplyForm(DirectedForm):
    name = forms.CharField(label=gettext_lazy("Name of the association"), max_length=200)
    registration_number = forms.CharField(
        label=gettext_lazy("Registration number (récépissé)"), max_length=60
    )
    area = forms.ModelChoiceField(
        label=gettext_lazy("Where it works"), queryset=areas_in_active_generation()
    )
    contact_person = forms.CharField(label=gettext_lazy("Contact person"), max_length=150)
    contact_email = forms.EmailField(label=gettext_lazy("Contact e-mail"))
    documents = MultipleFileField(
        label=gettext_lazy("Documents: statutes, registration receipt (PDF or photos, up to 3)"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def association_apply(request: HttpRequest) -> HttpResponse:
    form = ApplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if limit_hit("association-apply", client_address(request), APPLY_LIMIT):
            form.add_error(None, _("Too many applications from this connection; try again later."))
        else:
            d = form.cleaned_data
            try:
                association_register(
                    names={field_language(get_language()): d["name"]},
                    registration_number=d["registration_number"].strip(),
                    area=d["area"],
                    contact_email=d["contact_email"],
                    contact_person=d["contact_person"],
                    language=get_language() or "ar",
                    documents=d["documents"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Your application is received. The communication cell will check it and "
                        "write to the contact e-mail."
                    ),
                )
                return redirect("home")
    return render(request, "neighbourhoods/association_apply.html", {"form": form})


@login_required
@require_safe
def association_queue(request: HttpRequest) -> HttpResponse:
    require_any(request.user, Capability.ASSOCIATION_VERIFY)
    pending = applications_to_verify(request.user)
    return render(request, "neighbourhoods/association_queue.html", {"pending": pending})


@login_required
@require_POST
def association_decide(request: HttpRequest, association_id: int) -> HttpResponse:
    association = policy.access_association(request.user, association_id)
    back = redirect("neighbourhoods:association_queue")
    if request.POST.get("decision") == "verify":

        def verify() -> str:
            verified = association_verify(association=association, actor=acting(request))
            if verified.contact_email and association_lead_missing(verified):
                return _(
                    "The association is verified. No account was opened for it: its contact "
                    "e-mail belongs to a staff account or to another association's member, "
                    "and such an account is never handed to an association."
                )
            return _("The association is verified.")

        return run_service(request, verify, done=None, back=back)
    return run_service(
        request,
        lambda: association_reject(
            association=association,
            reason=request.POST.get("reason", ""),
            actor=acting(request),
        ),
        done=_("The application is refused; the reason is recorded."),
        back=back,
    )


@login_required
@require_safe
def document_download(
    request: HttpRequest, association_id: int, document_id: int
) -> HttpResponseBase:
    """A document sent with an application, for its verifiers only; every read is audited."""
    document = association_document_read(
        actor=acting(request),
        association_id=association_id,
        document_id=document_id,
    )
    extension = document.file.rsplit(".", 1)[-1]
    return private_file(
        document.file,
        document.content_type,
        download_as=f"association-{association_id}-{document.pk}.{extension}",
    )


# --- the association's space ------------------------------------------------------------------


def _my_association(request: HttpRequest) -> Association:
    """The verified association of the signed-in member; 404 for anyone else."""
    association: Association | None = getattr(request.user, "association", None)
    if association is None or association.status != AssociationStatus.VERIFIED:
        raise Http404
    return association


class MemberForm(DirectedForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail"))


class ProposalForm(DirectedForm):
    # The choices are the association's areas (accounts.selectors.association_areas).
    area: forms.ModelChoiceField[Area] = forms.ModelChoiceField(
        label=gettext_lazy("Neighbourhood"), queryset=None
    )
    text = forms.CharField(
        label=gettext_lazy("Your proposal"), max_length=2000, widget=forms.Textarea({"rows": 4})
    )


def _proposal_form(association: Association, data: Any = None) -> ProposalForm:
    form = ProposalForm(data)
    form.fields["area"].queryset = association_areas(association)  # type: ignore[attr-defined]
    return form


def _space(
    request: HttpRequest,
    association: Association,
    member_form: MemberForm | None = None,
    proposal_form: ProposalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "neighbourhoods/association_space.html",
        {
            "association": association,
            "is_lead": bool(getattr(request.user, "association_lead", False)),
            "members": association_members(association),
            "member_form": member_form or MemberForm(),
            "proposal_form": proposal_form or _proposal_form(association),
            "proposals": association_proposals(association),
            "meetings": association_meetings(association, request.user),
            "feed_key": association_feed_key(request.user),
        },
        status=status,
    )


@login_required
@require_safe
def space(request: HttpRequest) -> HttpResponse:
    return _space(request, _my_association(request))


@login_required
@require_POST
def member_add(request: HttpRequest) -> HttpResponse:
    association = _my_association(request)
    if not policy.is_lead_of(request.user, association):
        raise Http404
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            association_member_invite(
                association=association,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                actor=acting(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The account is opened; an e-mail lets the member choose a password.")
            )
            return redirect("neighbourhoods:space")
    return _space(request, association, member_form=form, status=400)


@login_required
@require_POST
def member_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    association = _my_association(request)
    if not policy.is_lead_of(request.user, association):
        raise Http404
    member = association_member(association, user_id)
    if member is None:
        raise Http404
    return run_service(
        request,
        lambda: association_member_remove(
            user=member, association=association, actor=acting(request)
        ),
        done=_("The member's account is closed."),
        back=redirect("neighbourhoods:space"),
    )


@login_required
@require_POST
def proposal_send(request: HttpRequest) -> HttpResponse:
    association = _my_association(request)
    form = _proposal_form(association, request.POST)
    if form.is_valid():
        try:
            proposal_submit(
                association=association,
                area=form.cleaned_data["area"],
                text=form.cleaned_data["text"],
                actor=acting(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your proposal is sent; the police's answer will show here.")
            )
            return redirect("neighbourhoods:space")
    return _space(request, association, proposal_form=form, status=400)
