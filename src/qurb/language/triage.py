"""Automatic triage: a category with its confidence, and the four flags.

* Category: a linear model (multinomial logistic regression, scikit-learn) over hashed
  character n-grams of the normalised text and of its consonant skeleton, plus word uni- and
  bigrams of the skeleton. Hashing keeps the model independent of a vocabulary file.
* Flags: the lexicon decides when it finds a trigger (a non-negated trigger raises the flag,
  negated triggers only lower it); otherwise a per-flag linear model on the same features.

The trained weights ship in ``data/triage-model.npz`` (sparse, float16); ``qurb triage-train``
rebuilds them deterministically from the corpus.
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from qurb.language.lexicon import (
    CATEGORY_CUES,
    ENDED_AFTER,
    FLAG_TRIGGERS,
    NEGATED_AFTER,
    NEGATED_WORD_PREFIXES,
    NEGATED_WORD_SUFFIXES,
    NEGATIONS,
    NEGATIONS_NEAR,
)
from qurb.language.normalise import normalise, skeleton_token, tokens

CATEGORIES = [
    "drugs",
    "robbery",
    "theft",
    "weapons",
    "harassment",
    "disorder",
    "road",
    "vandalism",
    "hooliganism",
    "other",
]
FLAGS = ["weapon", "minor_involved", "near_school", "in_progress"]
DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_PATH = DATA_DIR / "triage-model.npz"
CORPUS_DIR = DATA_DIR / "corpus"
MODEL_VERSION = 2
CONFIDENCE_SCALE = 3.0

_CHAR = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(2, 5),
    n_features=2**18,
    alternate_sign=False,
    norm="l2",
    binary=True,
)
_WORD = HashingVectorizer(
    analyzer="word",
    ngram_range=(1, 2),
    n_features=2**16,
    alternate_sign=False,
    norm="l2",
    token_pattern=r"\S+",  # noqa: S106 - a regular expression, not a secret
    lowercase=False,
    binary=True,
)


_CLAUSE = re.compile(r"[.,;:!?…\n()\[\]«»\"]+|\s-\s")


@dataclass(frozen=True)
class Reading:
    """One report as the features see it."""

    normalised: str
    words: tuple[str, ...]
    skeleton: tuple[str, ...]
    # The clause of each word (punctuation separates clauses; negation stops at them).
    clauses: tuple[int, ...] = ()
    # Each word with its forms without clitics, for the lexicons.
    forms: tuple[frozenset[str], ...] = ()

    @classmethod
    def of(cls, text: str) -> Reading:
        norm = normalise(text)
        words: list[str] = []
        clauses: list[int] = []
        for n, clause in enumerate(_CLAUSE.split(norm)):
            found = tokens(clause)
            words.extend(found)
            clauses.extend([n] * len(found))
        return cls(
            norm,
            tuple(words),
            tuple(skeleton_token(w) for w in words),
            tuple(clauses),
            tuple(_forms(w) for w in words),
        )


def flag_hits(readings: Sequence[Reading]) -> list[dict[str, tuple[int, int]]]:
    return [{flag: lexicon_hits(r, flag) for flag in FLAGS} for r in readings]


def features(
    readings: Sequence[Reading], hits: Sequence[dict[str, tuple[int, int]]] | None = None
) -> sp.csr_matrix:
    """Hashed character n-grams (text and skeleton), skeleton word n-grams, and the lexicon:
    plain and negated hits of each flag's triggers, and hits of each category's cues."""
    chars = _CHAR.transform([f"{r.normalised} | {' '.join(r.skeleton)}" for r in readings])
    words = _WORD.transform([" ".join(r.skeleton) for r in readings])
    lexical = np.zeros((len(readings), 2 * len(FLAGS) + len(CATEGORIES)), dtype=np.float32)
    hits = hits if hits is not None else flag_hits(readings)
    for i, r in enumerate(readings):
        for j, flag in enumerate(FLAGS):
            plain, negated = hits[i][flag]
            lexical[i, 2 * j] = min(plain, 2) / 2
            lexical[i, 2 * j + 1] = min(negated, 2) / 2
        for k, category in enumerate(CATEGORIES):
            lexical[i, 2 * len(FLAGS) + k] = min(_count(r, _CUE_INDEX[category]), 3) / 3
    return sp.hstack([chars, words, sp.csr_matrix(lexical)], format="csr", dtype=np.float32)


# --- flags from the lexicon ---------------------------------------------------------------


def _phrases(entries: Iterable[str]) -> list[tuple[str, ...]]:
    return sorted({tuple(tokens(normalise(e))) for e in entries if e.strip()}, key=len)


_TRIGGERS = {flag: _phrases(words) for flag, words in FLAG_TRIGGERS.items()}
_CUES = {category: _phrases(words) for category, words in CATEGORY_CUES.items()}


def _by_first_word(
    phrases: Sequence[tuple[str, ...]],
) -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if phrase:
            index.setdefault(phrase[0], []).append(phrase)
    return index


_TRIGGER_INDEX = {flag: _by_first_word(p) for flag, p in _TRIGGERS.items()}
_CUE_INDEX = {category: _by_first_word(p) for category, p in _CUES.items()}


def _matches(
    words: Sequence[frozenset[str]], index: dict[str, list[tuple[str, ...]]]
) -> list[tuple[int, int]]:
    """(start, length) of every phrase of the index found in the text (forms per word)."""
    found: list[tuple[int, int]] = []
    for i, forms in enumerate(words):
        for form in forms:
            for phrase in index.get(form, ()):
                n = len(phrase)
                if i + n <= len(words) and all(phrase[k] in words[i + k] for k in range(1, n)):
                    found.append((i, n))
    return found


_NEGATIONS = {p[0] for p in _phrases(NEGATIONS) if len(p) == 1}
_ENDED = {p[0] for p in _phrases(ENDED_AFTER) if len(p) == 1}
_NEGATIONS_NEAR = {p[0] for p in _phrases(NEGATIONS_NEAR) if len(p) == 1}
_NEGATED_AFTER = {p[0] for p in _phrases(NEGATED_AFTER) if len(p) == 1}
# Words that end a negation's reach ("but", "however", "rather").
_BUT = {"لكن", "ولكن", "walakin", "walakine", "lakin", "mais", "but", "بل", "bel", "par contre"}
_ARABIC_CLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ف", "ل", "ك")


@functools.lru_cache(maxsize=1 << 16)
def _forms(word: str) -> frozenset[str]:
    """A word and its forms without Arabic clitics (و، ب، ال، …) or a Latin "l"."""
    out = {word}
    for clitic in _ARABIC_CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 2:
            out.add(word[len(clitic) :])
    if word.startswith("l") and len(word) > 3 and word[1] not in "aeiou":
        out.add(word[1:])
    return frozenset(out)


def _negates(window: Sequence[str], k: int) -> bool:
    """Whether word k of the window negates what follows ("كل ما" is "all that", not "not")."""
    word = window[k]
    if _negated_word(word):
        return True
    if not (_forms(word) & _NEGATIONS):
        return False
    return not (word in {"ما", "ma"} and k > 0 and window[k - 1] in {"كل", "kol", "gaa", "كاع"})


def _negated_word(word: str) -> bool:
    return (
        any(word.startswith(p) for p in NEGATED_WORD_PREFIXES)
        and any(word.endswith(s) for s in NEGATED_WORD_SUFFIXES)
        and len(word) > 4
    )


def _count(reading: Reading, index: dict[str, list[tuple[str, ...]]]) -> int:
    return len(_matches(reading.forms, index))


def lexicon_hits(reading: Reading, flag: str) -> tuple[int, int]:
    """(plain hits, negated hits) of the flag's triggers in the text."""
    plain = negated = 0
    for i, n in _matches(reading.forms, _TRIGGER_INDEX[flag]):
        clause = reading.clauses[i]
        window = [
            w
            for w, c in zip(
                reading.words[max(0, i - 4) : i],
                reading.clauses[max(0, i - 4) : i],
                strict=True,
            )
            if c == clause
        ]
        after = [
            w
            for w, c in zip(
                reading.words[i + n : i + n + 3],
                reading.clauses[i + n : i + n + 3],
                strict=True,
            )
            if c == clause
        ]
        ended = flag == "in_progress" and any(w in _ENDED for w in (*window, *after))
        denied = any(w in _NEGATED_AFTER for w in after[:2])
        for b in range(len(window) - 1, -1, -1):
            if window[b] in _BUT:  # "makaynch mous walakin kayn jenwi"
                window = window[b + 1 :]
                break
        near = window[-1:]
        if (
            ended
            or denied
            or any(_negates(window, k) for k in range(len(window)))
            or any(w in _NEGATIONS_NEAR for w in near)
        ):
            negated += 1
        else:
            plain += 1
    return plain, negated


# --- the model ------------------------------------------------------------------------------


@dataclass
class TriageModel:
    category_weights: sp.csr_matrix  # classes × features
    category_bias: np.ndarray
    flag_weights: sp.csr_matrix  # flags × features
    flag_bias: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Features × outputs, in the layout a sparse product with a batch wants (converting
        # on every call would cost more than the product itself).
        # Category and flag weights side by side: one sparse product scores both.
        self.columns = sp.hstack([self.category_weights.T, self.flag_weights.T], format="csr")

    def save(self, path: Path) -> None:
        """A byte-stable .npz (fixed zip timestamps), so a rebuild gives the same file."""
        arrays: dict[str, np.ndarray] = {
            "category_bias": self.category_bias.astype(np.float32),
            "flag_bias": self.flag_bias.astype(np.float32),
            "meta": np.frombuffer(json.dumps(self.meta, sort_keys=True).encode(), dtype=np.uint8),
        }
        for name, matrix in (("category", self.category_weights), ("flag", self.flag_weights)):
            m = matrix.tocsr()
            m.sort_indices()
            arrays[f"{name}_data"] = m.data.astype(np.float16)
            arrays[f"{name}_indices"] = m.indices.astype(np.int32)
            arrays[f"{name}_indptr"] = m.indptr.astype(np.int32)
            arrays[f"{name}_shape"] = np.array(m.shape, dtype=np.int64)
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, arrays[name], allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, buffer.getvalue())

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TriageModel:
        with np.load(path, allow_pickle=False) as data:

            def matrix(name: str) -> sp.csr_matrix:
                shape = tuple(int(v) for v in data[f"{name}_shape"])
                return sp.csr_matrix(
                    (
                        data[f"{name}_data"].astype(np.float32),
                        data[f"{name}_indices"],
                        data[f"{name}_indptr"],
                    ),
                    shape=shape,
                )

            return cls(
                category_weights=matrix("category"),
                category_bias=data["category_bias"],
                flag_weights=matrix("flag"),
                flag_bias=data["flag_bias"],
                meta=json.loads(bytes(data["meta"]).decode()),
            )


@dataclass(frozen=True)
class Triage:
    category: str
    confidence: float
    flags: list[str]
    flag_scores: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "flags": self.flags, "confidence": self.confidence}


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return out


def triage_batch(texts: Sequence[str], model: TriageModel | None = None) -> list[Triage]:
    """Triage many texts at once (the fast path: one sparse product per batch)."""
    if not texts:
        return []
    model = model or triage_model()
    readings = [Reading.of(t) for t in texts]
    hits = flag_hits(readings)
    x = features(readings, hits)
    # The category model is a linear SVM; a softmax of its margins (scaled) gives a
    # confidence between 0 and 1 that orders suggestions, not a calibrated probability.
    raw = np.asarray((x @ model.columns).todense())
    k = len(CATEGORIES)
    category_p = _softmax(CONFIDENCE_SCALE * (raw[:, :k] + model.category_bias))
    flag_p = 1 / (1 + np.exp(-(raw[:, k:] + model.flag_bias)))
    out: list[Triage] = []
    for row, _reading in enumerate(readings):
        best = int(np.argmax(category_p[row]))
        flags: list[str] = []
        scores: dict[str, float] = {}
        for j, flag in enumerate(FLAGS):
            plain, negated = hits[row][flag]
            p = float(flag_p[row, j])
            if plain:
                p = max(p, 0.95)
            elif negated:
                p = min(p, 0.05)
            scores[flag] = round(p, 3)
            if p >= 0.5:
                flags.append(flag)
        out.append(Triage(CATEGORIES[best], round(float(category_p[row, best]), 3), flags, scores))
    return out


def triage_text(text: str) -> Triage:
    return triage_batch([text])[0]


_model: TriageModel | None = None
_model_lock = threading.Lock()


def triage_model() -> TriageModel:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = TriageModel.load(MODEL_PATH)
    return _model
