"""The taxonomy is written three times (the report model, the triage model, the corpus
builder), because the language app and the corpus script stay free of the rest of Qurb; this
test keeps the three the same."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from qurb.language.triage import CATEGORIES, FLAGS
from qurb.reports.models import Category, Flag

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_triage_corpus.py"


def _corpus_builder() -> ModuleType:
    """The corpus script, loaded from its file (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("build_triage_corpus", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_categories_and_flags_agree_everywhere() -> None:
    build_triage_corpus = _corpus_builder()
    assert list(CATEGORIES) == list(build_triage_corpus.CATEGORIES)
    assert set(CATEGORIES) == set(Category.values)
    assert list(FLAGS) == list(build_triage_corpus.FLAGS)
    assert set(FLAGS) == set(Flag.values)
