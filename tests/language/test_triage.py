"""The triage model: command line, negation, rebuild, evaluation, size."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from qurb.language.similarity import similar_groups, similarity
from qurb.language.training import corpus, train
from qurb.language.triage import MODEL_PATH, Reading, lexicon_hits, triage_batch, triage_text

QURB = Path(sys.executable).parent / "qurb"


def test_single_text_on_the_command_line() -> None:
    out = StringIO()
    call_command("triage", "kayn chi wa7ed kaybi3 l7chich 9dam l'école", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == {"category", "flags", "confidence"}
    assert result["category"] == "drugs"
    assert "near_school" in result["flags"]
    assert 0 < result["confidence"] <= 1


def test_jsonl_in_order() -> None:
    texts = [
        "واحد هاز جنوي وكيهدد الناس دابا فالسوق",
        "Les motos roulent à toute vitesse devant le lycée",
        "سرقوا ليا الموطور من قدام الدار البارح فالليل",
    ]
    lines = "\n".join(json.dumps({"text": t, "id": n}) for n, t in enumerate(texts)) + "\n"
    done = subprocess.run(
        [str(QURB), "triage", "--jsonl"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["category"] for r in rows] == ["weapons", "road", "theft"]
    assert "weapon" in rows[0]["flags"]
    assert "in_progress" in rows[0]["flags"]
    assert "in_progress" not in rows[2]["flags"]


def test_jsonl_bad_line_is_named() -> None:
    done = subprocess.run(
        [str(QURB), "triage", "--jsonl"],
        input='{"text": "ok bien"}\nnot json\n',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "line 2" in done.stderr


@pytest.mark.parametrize(
    ("text", "flag", "expected"),
    [
        ("kayn wa7ed m3ah mous kayhded nass", "weapon", True),
        ("makaynch mous, ghir kaydabzo b lydin", "weapon", False),
        ("ما كاين حتى سلاح، غير كيتضاربو", "weapon", False),
        ("Il n'y avait pas de couteau, juste des insultes", "weapon", False),
        ("Un homme menace les passants avec un couteau", "weapon", True),
        ("الشفارة دابا كيسرقو الناس فالمحطة", "in_progress", True),
        ("c'était hier soir, pas maintenant", "in_progress", False),
        ("des collégiens se font racketter à la sortie", "minor_involved", True),
    ],
)
def test_flags_and_negation(text: str, flag: str, expected: bool) -> None:
    assert (flag in triage_text(text).flags) is expected


def test_lexicon_counts_negated_triggers_apart() -> None:
    plain, negated = lexicon_hits(Reading.of("makaynch mous walakin kayn jenwi"), "weapon")
    assert (plain, negated) == (1, 1)


def test_batch_equals_one_at_a_time() -> None:
    texts = [e.text for e in corpus("test")[:50]]
    assert [r.as_dict() for r in triage_batch(texts)] == [triage_text(t).as_dict() for t in texts]


def test_model_is_small_and_rebuilds_identically(tmp_path: Path) -> None:
    assert MODEL_PATH.stat().st_size < 20 * 1024 * 1024
    subset = corpus("train")[:400]
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    train(subset).save(first)
    train(subset).save(second)
    assert first.read_bytes() == second.read_bytes()


def test_training_never_sees_the_test_split() -> None:
    def key(text: str) -> str:
        return " ".join(text.lower().split())

    train_texts = {key(e.text) for e in corpus("train")}
    assert not any(key(e.text) in train_texts for e in corpus("test"))
    forms = {e.form for e in corpus("test")}
    assert forms == {"msa", "darija_ar", "darija_lat", "fr"}


def test_evaluation_command_prints_every_form_and_flag() -> None:
    out = StringIO()
    call_command("triage_eval", stdout=out)
    text = out.getvalue()
    for word in ("msa", "darija_ar", "darija_lat", "fr", "weapon", "in_progress", "confusion"):
        assert word in text


def test_near_duplicates_across_scripts() -> None:
    latin = "kayn wa7ed kaybi3 l7chich 9dam lmdrasa kol nhar"
    arabic = "كاين واحد كيبيع الحشيش قدام المدرسة كل نهار"
    other = "les jeunes font du bruit toute la nuit dans le jardin"
    assert similarity(latin, arabic) > 0.8
    assert similarity(latin, other) < 0.1
    groups = similar_groups([(1, latin), (2, arabic), (3, other)])
    assert groups == [[1, 2]]
