"""Finding a place by its name, offline: the normaliser, the ranking, the demo's spellings."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from qurb.areas.models import Area, Boundary, Place, PlaceKind
from qurb.areas.search import (
    EXACT,
    MAX_QUERY_CHARS,
    PREFIX,
    SIMILAR,
    WORD_PREFIX,
    Entry,
    PlaceIndex,
    keys_of,
    query_keys,
)
from qurb.areas.selectors import ALIASES_FILE, area_point, forget_place_index, place_search
from qurb.areas.services import place_upsert

# --- the normaliser (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("fes", "fès"),
        ("fes", "FÈS"),
        ("fes", "فاس"),
        ("lmdina", "المدينة"),
        ("l'mdina", "المدينة"),
        ("mdina", "المدينة"),
        ("el-mdina", "mdina"),
        ("Médina", "mdina"),
        ("لمدينة", "المدينة"),
        ("agdal", "أكدال"),
        ("agdal", "أڭدال"),
        ("zwagha", "زواغة"),
        ("Essaada", "السعادة"),
        ("3in", "عين"),
        ("ain", "عين"),
        ("oued", "واد"),
        ("l7ay", "الحي"),
        ("9ssba", "قصبة"),
        ("kasbah", "القصبة"),
        ("bab bjloud", "باب بوجلود"),
    ],
)
def test_spellings_meet_on_one_sound_key(one: str, other: str) -> None:
    assert keys_of(one).sound == keys_of(other).sound, (keys_of(one), keys_of(other))


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("المَدِينَة", "المدينة"),  # tashkeel
        ("المديـــنة", "المدينة"),  # tatweel
        ("إدريس", "ادريس"),  # alef with hamza below
        ("أكدال", "اكدال"),  # alef with hamza above
        ("آيت", "ايت"),  # alef madda
        ("مكتبة", "مكتبه"),  # taa marbuta
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("Fès-Médina", "fes medina"),  # case, accents, hyphen
        ("L'Mdina", "mdina"),  # French apostrophe article
        ("El Mariniyine", "mariniyine"),  # separate article
        ("الـمدينة", "مدينة"),  # article with tatweel
    ],
)
def test_literal_key_folds_the_variants(written: str, plain: str) -> None:
    assert keys_of(written).literal == keys_of(plain).literal


def test_small_words_and_articles_name_nothing() -> None:
    assert keys_of("Préfecture de police de Fès").literal == ("prefecture", "police", "fes")
    assert keys_of("l' el al de la ال").literal == ()


def _entry(n: int, name: str, *, level: int = 3, kind: str = "neighbourhood") -> Entry:
    return Entry(
        key=f"area:{n}",
        kind=kind,
        area_id=n,
        lat=34.0,
        lon=-5.0,
        names={"fr": name},
        level=level,
    )


def test_ranking_prefix_then_word_prefix_then_similar() -> None:
    index = PlaceIndex(
        [
            _entry(1, "Hay Agdal"),  # a word starts with the query
            _entry(2, "Agdaf"),  # only similar (one letter differs)
            _entry(3, "Agdal Sud"),  # the whole name starts with the query
            _entry(4, "Agdal"),  # the whole name
            _entry(5, "Zouagha"),  # nothing to do with it
        ]
    )
    hits = index.search("agdal")
    assert [h.entry.area_id for h in hits] == [4, 3, 1, 2]
    assert [h.rank for h in hits] == [EXACT, PREFIX, WORD_PREFIX, SIMILAR]


def test_a_literal_match_comes_before_a_match_by_sound() -> None:
    index = PlaceIndex([_entry(1, "Mdina Jdida"), _entry(2, "Médina")])
    # "medina" is Médina literally, and Mdina Jdida's first word by sound only.
    assert [h.entry.area_id for h in index.search("medina")] == [2, 1]
    # "Aguedal" is another spelling of Agdal: the same sound, after the same letters.
    spellings = PlaceIndex([_entry(1, "Aguedal"), _entry(2, "Agdal"), _entry(3, "Hay Agdal")])
    hits = spellings.search("agdal")
    assert [h.entry.area_id for h in hits] == [2, 1, 3]
    assert [h.rank for h in hits] == [EXACT, EXACT, WORD_PREFIX]


def test_the_name_the_query_covers_more_of_comes_first() -> None:
    index = PlaceIndex([_entry(1, "Agdal – secteur 1"), _entry(2, "Agdal Sud")])
    assert [h.entry.area_id for h in index.search("agd")] == [2, 1]


def test_official_name_before_an_alias_then_outer_areas_first() -> None:
    index = PlaceIndex(
        [
            _entry(1, "Préfecture de Meknès", level=1, kind="prefecture"),
            _entry(2, "Meknès", level=2, kind="district"),
        ],
        {"area:1": ["Meknès"]},
    )
    hits = index.search("meknes")
    assert [h.entry.area_id for h in hits] == [2, 1]
    assert hits[1].matched == "Meknès"  # found through its alias, and says so
    outer = PlaceIndex([_entry(1, "Saiss", level=3), _entry(2, "Saiss", level=2)])
    assert [h.entry.area_id for h in outer.search("saiss")] == [2, 1]


def test_every_word_of_the_query_must_be_found() -> None:
    index = PlaceIndex([_entry(1, "Fès-Médina"), _entry(2, "Méchouar Fès Jdid")])
    assert [h.entry.area_id for h in index.search("fes jdid")] == [2]
    assert [h.entry.area_id for h in index.search("jdid fes")] == [2]


ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(codec="utf-8"),
        st.sampled_from("aeioulmdn3792'- \x00\x07\u200f\u202e"),
    ),
    max_size=300,
)


@given(ANY_TEXT)
@settings(max_examples=300, deadline=None)
def test_any_text_is_searched_without_failing(text: str) -> None:
    index = PlaceIndex([_entry(1, "Fès-Médina"), _entry(2, "أكدال"), _entry(3, "Bab Boujloud")])
    hits = index.search(text)
    assert len(hits) <= 8
    assert keys_of(text).literal == keys_of(keys_of(text).literal_text).literal


def _alias_index() -> tuple[PlaceIndex, list[str]]:
    """Every spelling of aliases.csv as a name of its own, with numbered sectors of each."""
    with ALIASES_FILE.open(encoding="utf-8") as fh:
        names = [row["alias"] for row in csv.DictReader(fh)]
    entries = [_entry(n, name) for n, name in enumerate(names)]
    entries += [
        _entry(1000 + n, f"{name} – secteur {n % 5 + 1} (démo)")
        for n, name in enumerate(names[::3])
    ]
    return PlaceIndex(entries), names


_ALIASES, _ALIAS_NAMES = _alias_index()
QUERIES = st.one_of(
    # the start of a spelling, cut anywhere
    st.builds(
        lambda name, cut: name[: max(1, cut)], st.sampled_from(_ALIAS_NAMES), st.integers(1, 20)
    ),
    # a spelling with a letter missing
    st.builds(
        lambda name, at: name[:at] + name[at + 1 :],
        st.sampled_from(_ALIAS_NAMES),
        st.integers(0, 8),
    ),
    ANY_TEXT,
)


@given(QUERIES)
@settings(max_examples=400, deadline=None)
def test_the_index_finds_what_scoring_every_name_finds(query: str) -> None:
    quick = _ALIASES.search(query)
    every = _ALIASES.search(query, exhaustive=True)
    assert [(h.entry.key, h.score) for h in quick] == [(h.entry.key, h.score) for h in every]


# --- the demo's areas and places (database) ---------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    forget_place_index()
    yield
    forget_place_index()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("fes", "03.231"),
        ("fès", "03.231"),
        ("FES", "03.231"),
        ("فاس", "03.231"),
        ("l'mdina", "032310107"),
        ("lmdina", "032310107"),
        ("mdina", "032310107"),
        ("المدينة", "032310107"),
        ("لمدينة", "032310107"),
        ("médina", "032310107"),
        ("fes el bali", "032310107"),
        ("agdal", "032310101"),
        ("أكدال", "032310101"),
        ("agdl", "032310101"),  # a letter missing
        ("meknes", "030610101"),
        ("مكناس", "030610101"),
        ("zwagha", "032310113"),
        ("جنان الورد", "032310109"),
        ("fes jdid", "032310103"),
    ],
)
def test_each_spelling_finds_its_area_first(query: str, code: str) -> None:
    found = place_search(query)
    assert found, query
    assert found[0].key == f"area:{Area.objects.get(code=code).pk}", [f.name for f in found]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("bab boujloud", "LM-FES-BOUJLOUD"),
        ("bab bjloud", "LM-FES-BOUJLOUD"),
        ("باب بوجلود", "LM-FES-BOUJLOUD"),
        ("lqarawiyin", "LM-FES-QARAWIYYIN"),
        ("القرويين", "LM-FES-QARAWIYYIN"),
        ("lhdim", "LM-MEK-HEDIM"),
        ("ساحة الهديم", "LM-MEK-HEDIM"),
        ("la gare", "LM-FES-GARE"),
    ],
)
def test_each_spelling_finds_its_place_first(query: str, code: str) -> None:
    place = Place.objects.get(code=code)
    found = place_search(query)
    assert found, query
    assert found[0].key == f"place:{place.pk}", [f.name for f in found]
    assert (found[0].lat, found[0].lon) == (place.lat, place.lon)
    assert found[0].area_id == place.area_id
    assert found[0].kind == PlaceKind.OTHER


def test_schools_are_found_in_each_language() -> None:
    for query in ("école de démonstration 3", "مدرسة تجريبية 3", "demo school 3"):
        found = place_search(query)
        assert found[0].kind == PlaceKind.SCHOOL, query
        assert found[0].name.endswith("3")


def test_names_in_the_readers_language_and_a_point_inside_the_area() -> None:
    medina = Area.objects.get(code="032310107")
    with translation.override("fr"):
        found = place_search("المدينة")[0]
        assert (found.name, found.kind_label, found.context) == (
            "Fès-Médina",
            "Arrondissement de police",
            "Préfecture de police de Fès",
        )
    with translation.override("ar"):
        assert place_search("Fès-Médina")[0].name == "فاس المدينة"
    assert place_search("medina", language="en")[0].name == medina.name_en
    boundary = Boundary.objects.get(area=medina, generation__active=True)
    assert shape(boundary.geometry).contains(Point(found.lon, found.lat))
    assert area_point(medina.pk) == (found.lat, found.lon)
    assert area_point(999_999) is None


def test_a_new_place_is_found_once_committed(django_capture_on_commit_callbacks: Any) -> None:
    medina = Area.objects.get(code="032310107")
    assert place_search("Dar Batha") == []  # builds the index
    with django_capture_on_commit_callbacks(execute=True):
        place_upsert(
            code="LM-TEST-BATHA",
            kind=PlaceKind.OTHER,
            lat=34.0618,
            lon=-4.9815,
            area=medina,
            names={"ar": "دار البطحاء", "fr": "Musée Dar Batha", "en": "Dar Batha Museum"},
        )
    assert place_search("Dar Batha")[0].key.startswith("place:")
    assert place_search("دار البطحا")[0].name  # a letter missing: still found


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\x00\x01\x02",
        "'; --",
        "%_%",
        "\u202e\u200f",
        "!!!???",
    ],
)
def test_queries_that_name_nothing_find_nothing(query: str) -> None:
    assert place_search(query) == []


def test_hostile_input_is_cut_and_never_fails() -> None:
    assert place_search("agdal " * 2000)[0].name == place_search("agdal")[0].name  # 12,000
    assert len(place_search("ا" * 10_000)) <= 8
    assert place_search("\u0651" * 10_000) == []  # only shadda marks: no letter
    # A 10,000-character query is read as its first 100 characters, and 8 words at most.
    assert keys_of("x" * 10_000).literal == keys_of("x" * MAX_QUERY_CHARS).literal
    assert len(keys_of("ab " * 5000).literal) == MAX_QUERY_CHARS // 3 + 1
    assert len(query_keys("ab " * 5000).literal) == 8
    # Control characters are gaps, not letters.
    assert place_search("\x00agdal\x07")[0].name == place_search("agdal")[0].name
    # SQL is only text here: it finds what its words name, and the tables are still there.
    assert place_search("agdal'; DROP TABLE areas_area; --") == []  # no place has those words
    assert place_search("agdal';--")[0].name == place_search("agdal")[0].name
    assert Area.objects.filter(code="032310101").exists()
    assert place_search("' OR 1=1 --") == []
