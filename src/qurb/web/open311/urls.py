"""GeoReport v2 routes; each ends in .json or .xml, the format of the answer."""

from django.urls import URLPattern, re_path

from qurb.web.open311 import views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"
ID = r"(?P<{}>[^/.]+)"

urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, views.services, name="services"),
    re_path(
        r"^services/" + ID.format("service_code") + FORMAT,
        views.service_definition,
        name="service",
    ),
    re_path(r"^requests" + FORMAT, views.service_requests, name="requests"),
    re_path(
        r"^requests/" + ID.format("service_request_id") + FORMAT,
        views.service_request,
        name="request",
    ),
    re_path(r"^tokens/" + ID.format("token") + FORMAT, views.token, name="token"),
]
