"""The API answers refusals and invalid input with a stable code, listed in its OpenAPI
document."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from qurb.core.errors import REFUSAL_CODES, Invalid, Refused, error_code
from qurb.web.api import api

pytestmark = pytest.mark.django_db


def test_openapi_lists_every_refusal_code() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    description = document["info"]["description"]
    for code in REFUSAL_CODES:
        assert f"`{code}`" in description


def test_a_refusal_is_403_with_its_code_and_invalid_input_422_with_its_code() -> None:
    request = RequestFactory().get("/api/v1/anything")
    refused = api.on_exception(request, Refused("out_of_scope"))
    assert refused.status_code == 403
    assert json.loads(refused.content)["code"] == "out_of_scope"
    invalid = api.on_exception(request, Invalid({"text": ["The note is empty."]}, code="empty"))
    assert invalid.status_code == 422
    body = json.loads(invalid.content)
    assert body["code"] == "empty"
    assert body["errors"] == [{"field": "text", "message": "The note is empty."}]


def test_malformed_input_is_422_with_code_invalid() -> None:
    response = Client().get("/api/v1/areas/locate", {"lat": "north", "lon": "5"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_refusal_codes_are_closed() -> None:
    with pytest.raises(ValueError, match="unknown refusal code"):
        Refused("because")
    assert error_code(ValidationError({"x": ["bad"]})) == "invalid"
    assert error_code(Invalid("bad", code="too_late")) == "too_late"
