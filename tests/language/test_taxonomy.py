"""The taxonomy is written three times (the report model, the triage model, the corpus
builder), because the language app and the corpus script stay free of the rest of Qurb; this
test keeps the three the same."""

from scripts import build_triage_corpus

from qurb.language.triage import CATEGORIES, FLAGS
from qurb.reports.models import Category, Flag


def test_categories_and_flags_agree_everywhere() -> None:
    assert list(CATEGORIES) == list(build_triage_corpus.CATEGORIES)
    assert set(CATEGORIES) == set(Category.values)
    assert list(FLAGS) == list(build_triage_corpus.FLAGS)
    assert set(FLAGS) == set(Flag.values)
