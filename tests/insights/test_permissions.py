"""Who reads the insights: staff who see reports, for the districts of their scope only."""

import pytest
from django.urls import reverse

from qurb.areas.models import Area
from tests.conftest import signed_in
from tests.reports.test_permissions import ACCOUNTS

pytestmark = pytest.mark.django_db

# Account -> the district codes it may analyse (None: every district).
SCOPE = {
    "chief.medina": {"032310107"},
    "chief.agdal": {"032310101"},
    "chief.meknes": {"030610101"},
    "analyst": None,
    "admin": None,
}


@pytest.mark.parametrize("username", ACCOUNTS)
def test_dashboard_and_exports_follow_scope(username: str) -> None:
    client = signed_in(username)
    page = client.get(reverse("insights:dashboard"))
    export = client.get(reverse("insights:patrol", args=["csv"]))
    if username not in SCOPE:
        assert page.status_code == 404
        assert export.status_code == 404
        return
    assert page.status_code == 200
    assert export.status_code == 200
    offered = {
        value[1:]
        for _group, options in page.context["form"].fields["area"].choices
        for value, _label in options
        if value.startswith("d")
    }
    codes = set(
        Area.objects.filter(pk__in=[int(v) for v in offered]).values_list("code", flat=True)
    )
    allowed = SCOPE[username]
    if allowed is None:
        assert len(codes) == Area.objects.filter(type__code="district").count()
    else:
        assert codes == allowed
        # Another district asked for by its id falls back to the chief's own.
        other = Area.objects.filter(type__code="district").exclude(code__in=allowed).first()
        assert other is not None
        answer = client.get(reverse("insights:dashboard"), {"area": f"d{other.pk}"})
        assert answer.context["title"] != other.name


def test_unknown_export_format_is_404() -> None:
    assert signed_in("analyst").get(reverse("insights:patrol", args=["xlsx"])).status_code == 404
