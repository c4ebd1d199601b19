"""Normalisation: examples, and properties over any string (hypothesis)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qurb.language.normalise import normalise, script_of, skeleton, skeleton_token, tokens

# Letters residents type: Arabic (with diacritics, tatweel, hamza forms), Latin with accents,
# digits of both kinds, punctuation, odd Unicode.
ARABIC = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
TEXT = st.text(
    alphabet=st.one_of(ARABIC, st.characters(codec="utf-8"), st.sampled_from("aeiou3792chkéèàç ")),
    max_size=200,
)


@given(TEXT)
@settings(max_examples=500, deadline=None)
def test_normalise_never_fails_and_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@given(TEXT)
@settings(max_examples=500, deadline=None)
def test_skeleton_never_fails_and_is_stable(text: str) -> None:
    assert skeleton(normalise(text)) == skeleton(text)
    assert skeleton(skeleton(text)) is not None


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("الأَمْــــن", "الامن"),
        ("إسعاف", "اسعاف"),
        ("مدرسة", "مدرسه"),
        ("مستشفى", "مستشفي"),
        ("٣ دراري", "3 دراري"),
        ("۱۲", "12"),
        ("bezaaaaf", "bezaf"),
        ("عفاااكم", "عفاكم"),
        ("L'ÉCOLE", "l ecole"),
        ("Élève à côté", "eleve a cote"),
    ],
)
def test_variants_meet(variant: str, plain: str) -> None:
    assert normalise(variant) == plain


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [
        ("l7chich", "الحشيش"),
        ("9dam", "قدام"),
        ("wa7ed", "واحد"),
        ("kaybi3", "كيبيع"),
        ("drari", "دراري"),
        ("3afak", "عفاك"),
        ("khouya", "خويا"),
        ("ghir", "غير"),
        ("chefara", "شفارة"),
    ],
)
def test_arabic_and_latin_darija_meet_in_the_skeleton(latin: str, arabic: str) -> None:
    assert skeleton(latin) == skeleton(arabic)


@pytest.mark.parametrize("number", ["3", "16", "12h", "12h30", "16ans", "200dh", "2km"])
def test_numbers_stay_numbers(number: str) -> None:
    assert script_of(number) == "number"
    assert skeleton_token(number) == number


def test_digits_inside_darija_words_are_letters() -> None:
    assert skeleton("3 drari kaybi3o") == "3 drr kbE"
    assert tokens(normalise("kayn 3 drari f 16 ans")) == ["kayn", "3", "drari", "f", "16", "ans"]


def test_script_per_token() -> None:
    assert [script_of(t) for t in tokens(normalise("كاين wa7ed 12h ici"))] == [
        "arabic",
        "latin",
        "number",
        "latin",
    ]
