"""Finding a place by its name, offline: areas and places, in Arabic, French and Darija.

No geocoder and no network: the index is built from Qurb's own areas and places (and the
spellings residents use for them, ``data/aliases.csv``), and lives in memory. This module is
plain Python (no Django); ``qurb.areas.selectors.place_search`` builds and caches the index.

Each name and each query is read word by word, and each word gets two keys:

* a **literal** key: ``qurb.language.normalise`` (case, diacritics, Arabic tashkeel and
  tatweel, alef/hamza/yaa/taa-marbuta forms, Arabic-Indic digits, accents) with the article
  folded away ("ال", "el-", "al-", "l'", the attached Darija "l" of "lmdina", the assimilated
  "es-"/"en-" of "Essaada") and small words dropped ("de", "la", "les");
* a **sound** key: the consonant skeleton of ``qurb.language.normalise.skeleton_token``, which
  already makes Latin Darija digits meet Arabic letters (3 = ع, 7 = ح, 9 = ق), folded further
  for place names: g/q/k one letter (أكدال and "agdal"), ح/ه and ط/ت one letter, ع and w
  dropped like vowels ("ain"/"عين", "oued"/"واد"), doubled letters single, a leading l
  dropped ("لمدينة", "lmdina", "المدينة" all become ``mdn``).

Ranking, best first: the whole name (exact, then a prefix of it), then every word of the
query starting a word of the name, then trigram similarity. At the same rank a literal match
comes before a match by sound, and a name the query covers more of before a longer one; then
an official name before a spelling from the aliases, then outer areas before inner ones, then
the order the entries were given in.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qurb.language.normalise import normalise, skeleton_token

# The web edge refuses longer queries; the index never reads more than this either.
MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 8
DEFAULT_LIMIT = 8

# Words that say nothing about which place is meant.
_SMALL_WORDS = frozenset(
    {
        # articles (French, Darija in Latin letters, English), alone or cut off by "'" or "-"
        *("l", "el", "al", "le", "la", "les", "the"),
        *("ech", "es", "en", "er", "ez", "ed", "et", "ad", "as", "ar", "az", "at", "an"),
        # "of"
        *("d", "de", "du", "des", "of"),
        "ال",
    }
)
_LATIN_VOWELS = frozenset("aeiouy")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SOUND_FOLD = str.maketrans({"g": "k", "q": "k", "H": "h", "T": "t", "E": "", "w": ""})
_DOUBLED = re.compile(r"(.)\1+")
_ASSIMILATED = re.compile(r"^[ea](ch|sh|[bcdfghjklmnpqrstvwxz])\1")
TRIGRAM_THRESHOLD = 0.3
SOUND_TRIGRAM_THRESHOLD = 0.5

EXACT, PREFIX, WORD_PREFIX, SIMILAR = 4, 3, 2, 1


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


def _latin_consonant(c: str) -> bool:
    # Darija digit-letters (3 ع, 7 ح, 9 ق, 5 خ, 2 ء) count as consonants.
    return (c.isascii() and c.isalpha() and c not in _LATIN_VOWELS) or c in "23579"


def literal_word(word: str) -> str:
    """A normalised word without its article ("" for a word that names nothing)."""
    if word in _SMALL_WORDS:
        return ""
    if _is_arabic(word):
        if word.startswith("ال") and len(word) >= 4:
            return word[2:]
        return word
    if len(word) >= 5 and word[:2] in {"el", "al"} and _latin_consonant(word[2]):
        return word[2:]  # "elmdina", "almadina"
    if len(word) >= 5 and (m := _ASSIMILATED.match(word)):
        return word[1 + len(m.group(1)) :]  # "essaada" → "saada", "echchahid" → "chahid"
    if len(word) >= 4 and word[0] == "l" and _latin_consonant(word[1]) and word[1] != "l":
        return word[1:]  # "lmdina", "l7ay"
    return word


def sound_word(literal: str) -> str:
    """The word's consonants, folded so that both scripts and their spellings meet."""
    if not literal:
        return ""
    key = skeleton_token(literal)
    if key == literal and literal.isdigit():
        return literal
    key = _DOUBLED.sub(r"\1", key.translate(_SOUND_FOLD))
    if len(key) >= 3 and key[0] == "l":
        key = key[1:]
    return key


def _clean(text: str) -> str:
    """The first MAX_QUERY_CHARS characters without control or format characters."""
    text = text[:MAX_QUERY_CHARS]
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


@dataclass(frozen=True)
class Keys:
    """The words of a name or a query, literal and by sound, and the whole of each."""

    literal: tuple[str, ...]
    sound: tuple[str, ...]

    @property
    def literal_text(self) -> str:
        return " ".join(self.literal)

    @property
    def sound_text(self) -> str:
        return " ".join(s for s in self.sound if s)


def keys_of(text: str, *, max_words: int | None = None) -> Keys:
    """Normalised words of ``text`` (never fails, whatever the string)."""
    if not isinstance(text, str):
        return Keys((), ())
    words = _WORD.findall(normalise(_clean(text)))
    literal = [w for w in (literal_word(w) for w in words) if w]
    if max_words is not None:
        literal = literal[:max_words]
    return Keys(tuple(literal), tuple(sound_word(w) for w in literal))


def query_keys(query: str) -> Keys:
    return keys_of(query, max_words=MAX_QUERY_WORDS)


def trigrams(text: str) -> frozenset[str]:
    """Trigrams as PostgreSQL's pg_trgm makes them: each word padded ("  w", "word ")."""
    grams: set[str] = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Entry:
    """Something that can be found: an area or a place, with where it is."""

    key: str  # "area:<id>" or "place:<id>"
    kind: str  # the area type's code, or the place's kind
    area_id: int  # the area it is (an area) or lies in (a place)
    lat: float
    lon: float
    names: Mapping[str, str]  # {"ar": …, "fr": …, "en": …}
    context: Mapping[str, str] = field(default_factory=dict)  # the parent area's names
    level: int = 99  # the area type's level; places come after areas at the same rank
    is_demo: bool = False


@dataclass(frozen=True)
class _Variant:
    entry: int
    alias: bool
    written: str  # the name or alias as written
    keys: Keys
    literal_text: str
    sound_text: str
    literal_grams: frozenset[str]
    sound_grams: frozenset[str]


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    rank: int  # EXACT, PREFIX, WORD_PREFIX or SIMILAR
    matched: str  # the name or alias that matched, as written


def _word_match(q_lit: str, q_sound: str, name: Keys) -> tuple[bool, bool]:
    """(matched, literally) for one query word against the words of a name."""
    sound_hit = False
    for n_lit, n_sound in zip(name.literal, name.sound, strict=True):
        if n_lit.startswith(q_lit):
            return True, True
        if q_sound and (n_sound == q_sound or (len(q_sound) >= 2 and n_sound.startswith(q_sound))):
            sound_hit = True
    return sound_hit, False


def _score(q: Keys, q_grams: tuple[frozenset[str], frozenset[str]], v: _Variant) -> float:
    """The rank (EXACT…SIMILAR, 0 for no match) plus fractions that order within it."""
    q_lit, q_sound = q.literal_text, q.sound_text
    coverage = min(len(q_lit) / max(len(v.literal_text), 1), 1.0)
    if q_lit == v.literal_text:
        return EXACT + 0.5 + 0.4
    if q_sound and q_sound == v.sound_text and len(q_sound) >= 2:
        return EXACT + 0.4
    if v.literal_text.startswith(q_lit):
        return PREFIX + 0.5 + 0.4 * coverage
    if len(q_sound) >= 2 and v.sound_text.startswith(q_sound):
        return PREFIX + 0.4 * coverage
    literally = True
    for w_lit, w_sound in zip(q.literal, q.sound, strict=True):
        found, lit = _word_match(w_lit, w_sound, v.keys)
        if not found:
            break
        literally = literally and lit
    else:
        return WORD_PREFIX + (0.5 if literally else 0.0) + 0.4 * coverage
    best = max(
        similarity(q_grams[0], v.literal_grams),
        s if (s := similarity(q_grams[1], v.sound_grams)) >= SOUND_TRIGRAM_THRESHOLD else 0.0,
    )
    if best >= TRIGRAM_THRESHOLD:
        return SIMILAR + 0.9 * best
    return 0.0


class PlaceIndex:
    """Every name and alias of the entries, ready to be searched.

    A query reads only the names that can match it: the words that start with each query
    word (a sorted list of the names' words, literal and by sound), and only when those leave
    fewer answers than asked, the names sharing enough trigrams with it (posting lists).
    ``search(..., exhaustive=True)`` scores every name instead: the reference the tests
    compare the shortcut against.
    """

    def __init__(
        self, entries: Sequence[Entry], aliases: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self.entries = list(entries)
        self._by_key = {entry.key: entry for entry in self.entries}
        self._variants: list[_Variant] = []
        aliases = aliases or {}
        for n, entry in enumerate(self.entries):
            seen: set[str] = set()
            official = [(name, False) for name in entry.names.values() if name]
            extra = [(name, True) for name in aliases.get(entry.key, ()) if name]
            for name, alias in official + extra:
                keys = keys_of(name)
                if not keys.literal or keys.literal_text in seen:
                    continue
                seen.add(keys.literal_text)
                self._variants.append(
                    _Variant(
                        entry=n,
                        alias=alias,
                        written=name,
                        keys=keys,
                        literal_text=keys.literal_text,
                        sound_text=keys.sound_text,
                        literal_grams=trigrams(keys.literal_text),
                        sound_grams=trigrams(keys.sound_text),
                    )
                )
        literal_words: set[tuple[str, int]] = set()
        sound_words: set[tuple[str, int]] = set()
        self._literal_postings: dict[str, list[int]] = {}
        self._sound_postings: dict[str, list[int]] = {}
        for i, v in enumerate(self._variants):
            literal_words.update((w, i) for w in v.keys.literal)
            sound_words.update((w, i) for w in v.keys.sound if w)
            for gram in v.literal_grams:
                self._literal_postings.setdefault(gram, []).append(i)
            for gram in v.sound_grams:
                self._sound_postings.setdefault(gram, []).append(i)
        self._literal_words = sorted(literal_words)
        self._sound_words = sorted(sound_words)

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, key: str) -> Entry | None:
        return self._by_key.get(key)

    @staticmethod
    def _starting(words: list[tuple[str, int]], prefix: str, *, exact: bool = False) -> set[int]:
        """The variants with a word starting with ``prefix`` (or equal to it)."""
        found: set[int] = set()
        for word, i in words[bisect.bisect_left(words, (prefix, -1)) :]:
            if not word.startswith(prefix) or (exact and word != prefix):
                break
            found.add(i)
        return found

    def _word_candidates(self, q: Keys) -> set[int]:
        """Variants where every query word starts a word, literally or by sound."""
        candidates: set[int] | None = None
        for w_lit, w_sound in zip(q.literal, q.sound, strict=True):
            found = self._starting(self._literal_words, w_lit)
            if w_sound:
                found |= self._starting(self._sound_words, w_sound, exact=len(w_sound) < 2)
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return set()
        return candidates or set()

    def _similar_candidates(self, grams: tuple[frozenset[str], frozenset[str]]) -> set[int]:
        """Variants sharing enough trigrams to reach the similarity thresholds."""
        found: set[int] = set()
        for postings, q_grams, threshold in (
            (self._literal_postings, grams[0], TRIGRAM_THRESHOLD),
            (self._sound_postings, grams[1], SOUND_TRIGRAM_THRESHOLD),
        ):
            if not q_grams:
                continue
            shared: Counter[int] = Counter()
            for gram in q_grams:
                shared.update(postings.get(gram, ()))
            # |A ∩ B| ≥ t·|A ∪ B| ≥ t·|A|: fewer shared trigrams can never be similar enough.
            need = threshold * len(q_grams)
            found.update(i for i, count in shared.items() if count >= need)
        return found

    def search(
        self, query: str, *, limit: int = DEFAULT_LIMIT, exhaustive: bool = False
    ) -> list[Hit]:
        """The best entries for ``query``, best first; [] for a query that names nothing."""
        q = query_keys(query)
        if not q.literal or limit <= 0:
            return []
        grams = (trigrams(q.literal_text), trigrams(q.sound_text))
        best: dict[int, tuple[float, _Variant]] = {}

        def score(indexes: Iterable[int]) -> None:
            for i in indexes:
                v = self._variants[i]
                value = _score(q, grams, v)
                if value <= 0:
                    continue
                current = best.get(v.entry)
                if current is None or (value, not v.alias) > (current[0], not current[1].alias):
                    best[v.entry] = (value, v)

        if exhaustive:
            score(range(len(self._variants)))
        else:
            word_hits = self._word_candidates(q)
            score(word_hits)
            # A similar name ranks below any name a query word starts: look for them only
            # when those leave room.
            if len(best) < limit:
                score(self._similar_candidates(grams) - word_hits)

        def order(item: tuple[int, tuple[float, _Variant]]) -> tuple[float, bool, int, str, int]:
            n, (value, v) = item
            return (-value, v.alias, self.entries[n].level, v.literal_text, n)

        ranked = sorted(best.items(), key=order)[:limit]
        return [
            Hit(entry=self.entries[n], score=round(value, 4), rank=int(value), matched=v.written)
            for n, (value, v) in ranked
        ]
