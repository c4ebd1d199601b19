"""The corpus builder: fragments read from the data files, the shipped corpus reproduced."""

import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from qurb.language import corpus_builder
from qurb.language.triage import CORPUS_DIR

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_triage_corpus.py"


def test_shipped_corpus_is_what_the_fragments_make() -> None:
    """Edit a fragment file, then rebuild the corpus (and retrain): see data/fragments/README."""
    texts = corpus_builder.render(corpus_builder.build())
    for split, text in texts.items():
        shipped = (CORPUS_DIR / f"{split}.jsonl").read_text(encoding="utf-8")
        assert text == shipped, f"{split}.jsonl is stale: rebuild the corpus"


def test_fragments_are_package_resources() -> None:
    folder = resources.files("qurb.language") / "data" / "fragments"
    names = {entry.name for entry in folder.iterdir()}
    assert {f"{form}.toml" for form in corpus_builder.FORMS} | {"README.md"} <= names
    for form in corpus_builder.FORMS:
        bank = corpus_builder.load_bank(form)
        assert bank.form == form
        assert set(bank.actions) == set(bank.free) == set(corpus_builder.CATEGORIES)


def test_fragment_lists_are_parallel_across_forms() -> None:
    """Line n of a list tells the same thing in every form, so the lists have equal lengths
    (but the pleas: Darija in Latin letters and French have one or two more)."""
    banks = corpus_builder.load_banks()
    blocks = [(name, [b.lists[name] for b in banks]) for name in corpus_builder.LIST_FIELDS]
    for key in corpus_builder.CATEGORY_BLOCKS:
        for cat in getattr(banks[0], key):
            blocks.append((f"{key}.{cat}", [getattr(b, key)[cat] for b in banks]))
    for name, per_form in blocks:
        sizes = [len(corpus_builder.frags(block)) for block in per_form]
        assert name == "pleas" or len(set(sizes)) == 1, (name, sizes)


def test_a_malformed_file_is_refused() -> None:
    source = resources.files("qurb.language") / "data" / "fragments" / "fr.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    corpus_builder.parse_bank(data, "fr", "fr.toml")
    renamed = {("greetings" if k == "openers" else k): v for k, v in data.items()}
    with pytest.raises(
        ValueError, match=r"unexpected keys \['greetings'\], missing keys \['openers'\]"
    ):
        corpus_builder.parse_bank(renamed, "fr", "fr.toml")
    with pytest.raises(ValueError, match="form is 'fr', not 'msa'"):
        corpus_builder.parse_bank(data, "msa", "msa.toml")
    no_drugs = {**data, "actions": {k: v for k, v in data["actions"].items() if k != "drugs"}}
    with pytest.raises(ValueError, match=r"\[actions\] lacks drugs"):
        corpus_builder.parse_bank(no_drugs, "fr", "fr.toml")
    bad_pair = {**data, "replacements": [["vous"]]}
    with pytest.raises(ValueError, match="a replacement is"):
        corpus_builder.parse_bank(bad_pair, "fr", "fr.toml")


def test_the_script_needs_only_the_standard_library(tmp_path: Path) -> None:
    """``scripts/build_triage_corpus.py`` loads the builder without Django or NumPy (its
    ``main`` is not called here: it would rewrite the shipped files)."""
    code = (
        f"import runpy, sys; runpy.run_path({str(SCRIPT)!r}, run_name='not_main'); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'numpy'}); "
        "assert not bad, bad; assert 'qurb.language.corpus_builder' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
