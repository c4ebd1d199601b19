"""Small numbers (q-values) in the page's number format, to two significant digits."""

from __future__ import annotations

import pytest
from django.utils import translation

from qurb.web.templatetags.qurb_text import significant


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("fr", 0.0016, "0,0016"),
        ("en", 0.0016, "0.0016"),
        ("ar", 0.0016, "0,0016"),
        ("fr", 0.92, "0,92"),
        ("en", 0.0, "0"),
        ("fr", 1.6e-9, "< 0,000001"),
        ("en", 12.34, "12"),
    ],
)
def test_significant_follows_the_page_language(language: str, value: float, shown: str) -> None:
    with translation.override(language):
        assert significant(value) == shown


@pytest.mark.parametrize("value", [None, "abc", float("nan"), float("inf"), [1]])
def test_significant_shows_nothing_for_what_is_not_a_number(value: object) -> None:
    assert significant(value) == ""
