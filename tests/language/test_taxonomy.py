"""The taxonomy is written three times (the report model, the triage model, the corpus
builder), because the language app stays free of the rest of Qurb and the corpus builder
free of everything but the standard library; this test keeps the three the same."""

from qurb.language import corpus_builder
from qurb.language.triage import CATEGORIES, FLAGS
from qurb.reports.models import Category, Flag


def test_categories_and_flags_agree_everywhere() -> None:
    assert list(CATEGORIES) == list(corpus_builder.CATEGORIES)
    assert set(CATEGORIES) == set(Category.values)
    assert list(FLAGS) == list(corpus_builder.FLAGS)
    assert set(FLAGS) == set(Flag.values)
