from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from qurb.accounts.mfa import confirmed_devices, mfa_verify, pending_totp_device
from qurb.accounts.models import User
from qurb.core.qr import qr_svg
from qurb.web.accounts.forms import MfaForm, SignInForm
from qurb.web.common.navigation import holds_staff_capability


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = SignInForm

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", "slowed"):
            response.status_code = 429  # the username must wait (web.guards.signin)
        return response

    def get_default_redirect_url(self) -> str:
        """Without a ``next``, staff land on their home (after the second factor); everyone
        else on LOGIN_REDIRECT_URL. A ``next`` is always followed."""
        if holds_staff_capability(self.request.user):
            return reverse("staff_home")
        return super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/"
    return target


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required guarantees it
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(_safe_next(request))
    form = MfaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa_verify(user=user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_safe_next(request))
        form.add_error(
            "token",
            _(
                "That code is not valid. Check the time on your phone and try again, or use a "
                "backup code you have not used yet."
            ),
        )
    enrolling = not confirmed_devices(user)
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        device = pending_totp_device(user)
        context["qr_svg"] = qr_svg(device.config_url)
        context["secret"] = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "accounts/mfa.html", context)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The link sent to a new member (or after a reset): choose a password, then sign in."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. You can sign in."))
        return response
