from django.urls import path

from qurb.web.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("mfa/", views.mfa, name="mfa"),
    path("password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
]
