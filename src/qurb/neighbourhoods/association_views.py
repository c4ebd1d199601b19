"""Associations apply online; the communication cell verifies or refuses them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qurb.accounts.models import Association, AssociationStatus, Role
from qurb.accounts.selectors import staff_area_ids, user_roles
from qurb.accounts.services import association_register, association_reject, association_verify
from qurb.areas.selectors import areas_in_active_generation
from qurb.core.actions import run_service
from qurb.core.forms import add_service_errors
from qurb.core.text import field_language
from qurb.reports.intake import client_address, limit_hit
from qurb.reports.limits import Limit

APPLY_LIMIT = Limit(10, 3600)  # applications per address and hour
VERIFY_ROLES = frozenset({Role.COMMUNICATION_CELL, Role.ADMINISTRATOR})


class ApplyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the association"), max_length=200)
    registration_number = forms.CharField(
        label=gettext_lazy("Registration number (récépissé)"), max_length=60
    )
    area = forms.ModelChoiceField(
        label=gettext_lazy("Where it works"), queryset=areas_in_active_generation()
    )
    contact_person = forms.CharField(label=gettext_lazy("Contact person"), max_length=150)
    contact_email = forms.EmailField(label=gettext_lazy("Contact e-mail"))


@require_http_methods(["GET", "POST"])
def association_apply(request: HttpRequest) -> HttpResponse:
    form = ApplyForm(request.POST or None)
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


def _verifier_scope(request: HttpRequest) -> set[int] | None:
    if not user_roles(request.user) & VERIFY_ROLES:
        raise Http404
    return staff_area_ids(request.user)


@login_required
@require_http_methods(["GET"])
def association_queue(request: HttpRequest) -> HttpResponse:
    scope = _verifier_scope(request)
    pending = Association.objects.filter(status=AssociationStatus.PENDING).select_related("area")
    if scope is not None:
        pending = pending.filter(area_id__in=scope)
    return render(request, "neighbourhoods/association_queue.html", {"pending": pending})


@login_required
@require_POST
def association_decide(request: HttpRequest, association_id: int) -> HttpResponse:
    scope = _verifier_scope(request)
    association = Association.objects.filter(pk=association_id).first()
    if association is None or (scope is not None and association.area_id not in scope):
        raise Http404
    back = redirect("neighbourhoods:association_queue")
    if request.POST.get("decision") == "verify":
        return run_service(
            request,
            lambda: association_verify(association=association, actor=request.user),  # type: ignore[arg-type]
            done=_("The association is verified."),
            back=back,
        )
    return run_service(
        request,
        lambda: association_reject(
            association=association,
            reason=request.POST.get("reason", ""),
            actor=request.user,  # type: ignore[arg-type]
        ),
        done=_("The application is refused; the reason is recorded."),
        back=back,
    )
