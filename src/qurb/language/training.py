"""Training and evaluation of the triage model (scikit-learn; used by the commands)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.svm import LinearSVC

from qurb.language.triage import (
    CATEGORIES,
    CORPUS_DIR,
    FLAGS,
    MODEL_VERSION,
    Reading,
    Triage,
    TriageModel,
    features,
    triage_batch,
)

FORMS = ["msa", "darija_ar", "darija_lat", "fr"]


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    flags: tuple[str, ...]
    form: str = ""
    mixed: bool = False


def load_examples(path: Path) -> list[Example]:
    out: list[Example] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            out.append(
                Example(
                    text=row["text"],
                    category=row["category"],
                    flags=tuple(row.get("flags", ())),
                    form=row.get("form", ""),
                    mixed=bool(row.get("mixed", False)),
                )
            )
    return out


def corpus(split: str) -> list[Example]:
    return load_examples(CORPUS_DIR / f"{split}.jsonl")


def train(examples: Sequence[Example], *, c: float = 1.0, c_flags: float = 20.0) -> TriageModel:
    """Fit the category model (linear SVM, one-vs-rest) and the flag models (logistic
    regression); deterministic for the same examples.

    Chosen on the training split's evidence against alternatives (logistic regression for
    the categories, other C, counts instead of presence, without the lexicon features); the
    comparison is in docs/language.md.
    """
    x = features([Reading.of(e.text) for e in examples])
    y = np.array([CATEGORIES.index(e.category) for e in examples])
    categories = LinearSVC(C=c, random_state=0, max_iter=5000)
    categories.fit(x, y)
    weights = np.zeros((len(CATEGORIES), x.shape[1]), dtype=np.float32)
    bias = np.zeros(len(CATEGORIES), dtype=np.float32)
    for row, label in enumerate(categories.classes_):
        weights[label] = categories.coef_[row]
        bias[label] = categories.intercept_[row]
    flag_weights = np.zeros((len(FLAGS), x.shape[1]), dtype=np.float32)
    flag_bias = np.zeros(len(FLAGS), dtype=np.float32)
    for j, flag in enumerate(FLAGS):
        target = np.array([flag in e.flags for e in examples], dtype=int)
        if target.min() == target.max():
            flag_bias[j] = 10.0 if target[0] else -10.0
            continue
        model = LogisticRegression(
            C=c_flags, max_iter=2000, solver="lbfgs", class_weight="balanced"
        )
        model.fit(x, target)
        flag_weights[j] = model.coef_[0]
        flag_bias[j] = model.intercept_[0]

    def sparse(m: np.ndarray) -> sp.csr_matrix:
        m = m.copy()
        m[np.abs(m) < 1e-3] = 0.0  # features never or barely seen: dropped from the file
        return sp.csr_matrix(m)

    return TriageModel(
        category_weights=sparse(weights),
        category_bias=bias,
        flag_weights=sparse(flag_weights),
        flag_bias=flag_bias,
        meta={
            "version": MODEL_VERSION,
            "examples": len(examples),
            "categories": CATEGORIES,
            "flags": FLAGS,
            "c": c,
            "c_flags": c_flags,
        },
    )


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


def _prf(truth: Sequence[Any], guess: Sequence[Any], labels: Sequence[Any]) -> dict[Any, Scores]:
    p, r, f, s = precision_recall_fscore_support(truth, guess, labels=list(labels), zero_division=0)
    return {
        label: Scores(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
        for i, label in enumerate(labels)
    }


def evaluate(
    examples: Sequence[Example], results: Sequence[Triage] | None = None
) -> dict[str, Any]:
    results = results if results is not None else triage_batch([e.text for e in examples])
    truth = [e.category for e in examples]
    guess = [r.category for r in results]
    report: dict[str, Any] = {
        "n": len(examples),
        "categories": _prf(truth, guess, CATEGORIES),
        "confusion": confusion_matrix(truth, guess, labels=CATEGORIES).tolist(),
        "forms": {},
        "flags": {},
    }
    for form in sorted({e.form for e in examples}, key=lambda f: (f not in FORMS, f)):
        idx = [i for i, e in enumerate(examples) if e.form == form]
        per = _prf([truth[i] for i in idx], [guess[i] for i in idx], CATEGORIES)
        present = [s for s in per.values() if s.support]
        report["forms"][form] = {
            "n": len(idx),
            "macro_f1": sum(s.f1 for s in present) / max(1, len(present)),
            "accuracy": sum(truth[i] == guess[i] for i in idx) / max(1, len(idx)),
            "categories": per,
        }
    for flag in FLAGS:
        t = [flag in e.flags for e in examples]
        g = [flag in r.flags for r in results]
        report["flags"][flag] = _prf(t, g, [True])[True]
        report["flags_by_form"] = report.get("flags_by_form", {})
        for form in report["forms"]:
            idx = [i for i, e in enumerate(examples) if e.form == form]
            report["flags_by_form"].setdefault(form, {})[flag] = _prf(
                [t[i] for i in idx], [g[i] for i in idx], [True]
            )[True]
    present = [s for s in report["categories"].values() if s.support]
    report["macro_f1"] = sum(s.f1 for s in present) / max(1, len(present))
    return report


def format_report(report: dict[str, Any]) -> str:
    lines: list[str] = [f"held-out examples: {report['n']}", ""]
    lines.append(f"{'category':<13}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for label, s in report["categories"].items():
        lines.append(f"{label:<13}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>9}")
    lines.append(f"{'macro-F1':<13}{'':>10}{'':>8}{report['macro_f1']:>7.3f}")
    lines.append("")
    lines.append("per writing form: macro-F1 over the categories (accuracy), then F1 per category")
    header = f"{'form':<12}{'n':>6}{'macro-F1':>10}{'acc':>7}  " + " ".join(
        f"{c[:6]:>6}" for c in CATEGORIES
    )
    lines.append(header)
    for form, data in report["forms"].items():
        cells = " ".join(f"{data['categories'][c].f1:>6.2f}" for c in CATEGORIES)
        lines.append(
            f"{form:<12}{data['n']:>6}{data['macro_f1']:>10.3f}{data['accuracy']:>7.3f}  {cells}"
        )
    lines.append("")
    lines.append(f"{'flag':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for flag, s in report["flags"].items():
        lines.append(f"{flag:<16}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>9}")
    lines.append("")
    lines.append("flag recall / precision per writing form")
    lines.append(f"{'form':<12}" + "".join(f"{f:>22}" for f in FLAGS))
    for form, flags in report.get("flags_by_form", {}).items():
        lines.append(
            f"{form:<12}"
            + "".join(f"{flags[f].recall:>12.3f} / {flags[f].precision:<7.3f}" for f in FLAGS)
        )
    lines.append("")
    lines.append("confusion matrix (rows: true category, columns: predicted)")
    lines.append(f"{'':<13}" + "".join(f"{c[:5]:>6}" for c in CATEGORIES))
    for label, row in zip(CATEGORIES, report["confusion"], strict=True):
        lines.append(f"{label:<13}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)


def distribution(examples: Iterable[Example]) -> Counter[tuple[str, str]]:
    return Counter((e.form, e.category) for e in examples)
