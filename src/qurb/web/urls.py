from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from qurb.web.accounts.forms import AdminSignInForm
from qurb.web.api import api
from qurb.web.neighbourhoods import views as neighbourhood_views
from qurb.web.sitemaps import SITEMAPS

admin.site.site_header = "Qurb"
# The admin's sign-in is slowed like the staff sign-in (qurb.web.guards.signin).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", neighbourhood_views.home, name="home"),
    path("", include("qurb.web.neighbourhoods.urls")),
    path("", include("qurb.web.reports.urls")),
    path("", include("qurb.web.insights.urls")),
    path("", include("qurb.web.alerts.urls")),
    path("", include("qurb.web.communication.urls")),
    path("", include("qurb.web.messaging.urls")),
    path("", include("qurb.web.sms.urls")),
    path("staff/", include("qurb.web.staff.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("open311/v2/", include("qurb.web.open311.urls")),
    path("accounts/", include("qurb.web.accounts.urls")),
    # Choosing the display language needs no CSRF token: it changes nothing but a cookie, and
    # cached public pages (an open day's programme) keep a working language switcher.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("api/v1/", api.urls),
    # data.police.uk's paths (docs/standards.md), after Qurb's own API: /api/v1/ keeps its own.
    path("api/", include("qurb.web.policeuk.urls")),
    path("admin/", admin.site.urls),
]

# Branded error pages in the reader's language, rendered without the database or the cache.
handler400 = "qurb.web.common.errorpages.bad_request"
handler403 = "qurb.web.common.errorpages.permission_denied"
handler404 = "qurb.web.common.errorpages.page_not_found"
handler500 = "qurb.web.common.errorpages.server_error"
