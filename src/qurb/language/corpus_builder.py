"""Build Qurb's labelled triage corpus: ``data/corpus/train.jsonl`` and ``test.jsonl``.

Rebuild with ``python scripts/build_triage_corpus.py`` or ``python -m
qurb.language.corpus_builder`` (standard library only, no Django; deterministic: every random
draw comes from generators seeded from ``SEED``; the files come out byte-identical).

The reports are composed from fragments written by hand for Qurb, per category and per writing
form (``msa``, ``darija_ar``, ``darija_lat``, ``fr``), and from complete hand-written "free"
reports. Everything is fictional: no real person, no real incident. The fragments are data, one
TOML file per writing form in ``data/fragments/`` (read as package resources); their format
(one fragment per line, ``{slots}``, ``#tags``, ``CODES|text`` free reports) is described in
``data/fragments/README.md``. This module holds the rules: shares, flag rates, how a report is
composed, the noise, the split.

The split is made on the fragments, not on the reports: every list of fragments (actions,
actors, places, times, flag phrases, openers, pleas...) and every list of free reports is cut
into a train pool (~75 %) and a test pool (~25 %): in every run of four consecutive
fragments, one drawn at random goes to test. The draw depends on the list and the position, not
on the writing form, and the four forms' content lists are written in the same order (line
*n* of each form tells the same kind of incident), so a scenario is held out in all four forms
at once and cannot leak into training through a translation. Test reports are composed only
from test pools, so their phrasings never appear in training.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

# Written into the source tree (the corpus ships with the package, next to this module).
CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"
SEED = 2026
TEST_EVERY = 4  # in every run of 4 fragments of a list, one (drawn at random) goes to test
SIZES = {"train": 1500, "test": 400}  # reports per writing form
FORMS = ("msa", "darija_ar", "darija_lat", "fr")
FLAGS = ("weapon", "minor_involved", "near_school", "in_progress")
CATEGORIES = (
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
)
# Share of each category in every form and split (each at least 8 %).
SHARES = {
    "drugs": 0.12,
    "robbery": 0.10,
    "theft": 0.12,
    "weapons": 0.09,
    "harassment": 0.10,
    "disorder": 0.12,
    "road": 0.10,
    "vandalism": 0.085,
    "hooliganism": 0.085,
    "other": 0.08,
}
MIX_RATE = 0.11  # share of composed reports that borrow one sentence from another form
MIX_PARTNERS = {
    "msa": ("darija_ar",),
    "darija_ar": ("msa", "msa", "fr", "darija_lat"),
    "darija_lat": ("fr", "fr", "fr", "darija_ar"),
    "fr": ("darija_lat", "darija_lat", "darija_lat", "darija_ar"),
}
VICTIM_CATEGORIES = frozenset({"robbery", "theft", "weapons", "harassment"})
FREE_CODES = {"w": "weapon", "m": "minor_involved", "s": "near_school", "n": "in_progress"}


@dataclass(frozen=True)
class Profile:
    """How often, for one category, a composed report takes each flag or negated flag phrase."""

    minor: float  # an actor or victim slot is a minor / a minor add-on is used
    school: float  # the place is a school
    now: float  # the time is "now"
    weapon: float  # a weapon add-on (the weapons category always carries a weapon)
    no_weapon: float = 0.0  # negated phrases: "no knife", "not kids", "not now"...
    no_minor: float = 0.0
    no_school: float = 0.0
    not_now: float = 0.0


PROFILES = {
    "drugs": Profile(0.20, 0.38, 0.14, 0.04, 0.02, 0.06, 0.06, 0.05),
    "robbery": Profile(0.12, 0.10, 0.14, 0.36, 0.18, 0.04, 0.02, 0.05),
    "theft": Profile(0.08, 0.07, 0.12, 0.0, 0.05, 0.04, 0.02, 0.05),
    "weapons": Profile(0.12, 0.16, 0.16, 1.0, 0.0, 0.05, 0.03, 0.05),
    "harassment": Profile(0.22, 0.32, 0.13, 0.03, 0.03, 0.04, 0.05, 0.05),
    "disorder": Profile(0.08, 0.09, 0.20, 0.0, 0.10, 0.07, 0.03, 0.06),
    "road": Profile(0.14, 0.22, 0.15, 0.0, 0.0, 0.05, 0.04, 0.05),
    "vandalism": Profile(0.18, 0.16, 0.14, 0.0, 0.0, 0.06, 0.04, 0.05),
    "hooliganism": Profile(0.14, 0.01, 0.18, 0.18, 0.08, 0.05, 0.0, 0.05),
    "other": Profile(0.0, 0.12, 0.12, 0.0),
}

TAG_RE = re.compile(r"\s*#([a-z]+)")
SLOT_RE = re.compile(r"\{([apvfwi])\}")


@dataclass(frozen=True)
class Frag:
    """One fragment: its text and its tags."""

    text: str
    tags: frozenset[str] = frozenset()


def frags(block: str) -> list[Frag]:
    """Parse a block of fragments, one per line, with their ``#tags``."""
    out = []
    for raw in block.splitlines():
        line = raw.strip()
        if line:
            tags = frozenset(TAG_RE.findall(line))
            out.append(Frag(TAG_RE.sub("", line).strip(), tags))
    return out


# --------------------------------------------------------------------------------------------
# Reading the fragments (data/fragments/<form>.toml)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bank:
    """Everything hand-written for one writing form (``data/fragments/<form>.toml``).

    Blocks are parsed by ``frags`` (free reports by ``parse_free``).
    """

    form: str
    lists: dict[str, str]  # one block per name in LIST_FIELDS
    cat_places: dict[str, str]  # extra places for some categories (stadium, roads)
    cat_times: dict[str, str]  # extra times for some categories (match days); tag #past
    actions: dict[str, str]  # per category
    free: dict[str, str]  # per category
    replacements: tuple[tuple[str, str], ...] = field(default=())  # spelling variants


LIST_FIELDS = (
    "openers",  # greetings
    "frames",  # the resident situates themself ("I live here", "I want to report")
    "complaints",  # may hold {i}
    "intensifiers",
    "pleas",  # politeness, asking for action, thanks
    "actors",  # one adult (singular)
    "actors_pl",  # several adults (plural)
    "minors",  # one minor as actor (singular)
    "minors_pl",  # several minors (plural)
    "victims",  # adult victims (object position)
    "victims_minor",
    "women",  # adult women or girls, harassment (object position)
    "women_minor",
    "weapons",  # weapon nouns for {w}
    "places",
    "school_places",
    "times_habitual",
    "times_past",
    "times_now",
    "not_now",  # negated "now" phrases; tag #past / #pres
    "weapon_addons",
    "no_weapon",
    "minor_addons",
    "no_minor",
    "no_school",
)
CATEGORY_BLOCKS = ("cat_places", "cat_times", "actions", "free")
ADULT_SLOTS = {"a": "actors", "p": "actors_pl", "v": "victims", "f": "women"}
MINOR_SLOTS = {"a": "minors", "p": "minors_pl", "v": "victims_minor", "f": "women_minor"}
TAG_FLAGS = {"weapon": "weapon", "minor": "minor_involved", "school": "near_school"}
CATEGORY_TAGS = frozenset(CATEGORIES)
ARABIC_FORMS = frozenset({"msa", "darija_ar"})
ENDINGS = "?؟!."
OWN_PLACES = {"hooliganism": 0.75, "road": 0.85}  # share of category places when any
ACCENTS = str.maketrans("éèêëàâäîïôöùûüç", "eeeeaaaiioouuuc")


def _blocks(data: dict[str, Any], key: str, label: str) -> dict[str, str]:
    """A table of per-category blocks: category name -> block."""
    table = data[key]
    if not isinstance(table, dict):
        raise ValueError(f"{label}: [{key}] must be a table")
    for cat, block in table.items():
        if cat not in CATEGORIES:
            raise ValueError(f"{label}: [{key}] has an unknown category {cat!r}")
        if not isinstance(block, str):
            raise ValueError(f"{label}: {key}.{cat} must be a string")
    if key in {"actions", "free"} and set(table) != set(CATEGORIES):
        missing = ", ".join(c for c in CATEGORIES if c not in table)
        raise ValueError(f"{label}: [{key}] lacks {missing}")
    return dict(table)


def load_bank(form: str) -> Bank:
    """One writing form's fragments, from the package resource ``data/fragments/<form>.toml``."""
    source = resources.files("qurb.language") / "data" / "fragments" / f"{form}.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return parse_bank(data, form, f"data/fragments/{form}.toml")


def parse_bank(data: dict[str, Any], form: str, label: str) -> Bank:
    """Check one fragment file's keys and types (format: data/fragments/README.md)."""
    expected = {"form", "replacements", *LIST_FIELDS, *CATEGORY_BLOCKS}
    if set(data) != expected:
        extra, missing = sorted(set(data) - expected), sorted(expected - set(data))
        raise ValueError(f"{label}: unexpected keys {extra}, missing keys {missing}")
    if data["form"] != form:
        raise ValueError(f"{label}: form is {data['form']!r}, not {form!r}")
    lists: dict[str, str] = {}
    for name in LIST_FIELDS:
        if not isinstance(data[name], str):
            raise ValueError(f"{label}: {name} must be a string, one fragment per line")
        lists[name] = data[name]
    replacements = []
    for pair in data["replacements"]:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            raise ValueError(f"{label}: a replacement is [written, variant], not {pair!r}")
        replacements.append((pair[0], pair[1]))
    blocks = {key: _blocks(data, key, label) for key in CATEGORY_BLOCKS}
    return Bank(
        form=form,
        lists=lists,
        cat_places=blocks["cat_places"],
        cat_times=blocks["cat_times"],
        actions=blocks["actions"],
        free=blocks["free"],
        replacements=tuple(replacements),
    )


def load_banks() -> tuple[Bank, ...]:
    """The four writing forms' fragments, in ``FORMS`` order."""
    return tuple(load_bank(form) for form in FORMS)


# --------------------------------------------------------------------------------------------
# Splitting the fragments
# --------------------------------------------------------------------------------------------
def make_rng(key: str) -> random.Random:
    """A generator for one purpose, seeded from SEED and the purpose (not for security)."""
    return random.Random(f"{SEED}:{key}")  # noqa: S311


@dataclass
class Pools:
    """One writing form's fragments for one split."""

    form: str
    lists: dict[str, list[Frag]] = field(default_factory=dict)
    cat_places: dict[str, list[Frag]] = field(default_factory=dict)
    cat_times: dict[str, list[Frag]] = field(default_factory=dict)
    actions: dict[str, list[Frag]] = field(default_factory=dict)
    free: dict[str, list[Frag]] = field(default_factory=dict)
    replacements: tuple[tuple[str, str], ...] = ()

    def pick(self, name: str, rng: random.Random) -> str:
        return rng.choice(self.lists[name]).text


def split_items(items: list[Frag], key: str, label: str) -> dict[str, list[Frag]]:
    """Cut one list into train and test pools: one fragment in every run of TEST_EVERY.

    ``key`` names the list without the writing form, so line n of a list lands in the same
    split in every form (the forms' lists are parallel).
    """
    keys = [norm_key(item.text) for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{label}: duplicate fragment")
    if len(items) < TEST_EVERY:
        raise ValueError(f"{label}: at least {TEST_EVERY} fragments are needed to split")
    test = set()
    for start in range(0, len(items), TEST_EVERY):
        test.add(start + make_rng(f"split:{key}:{start}").randrange(TEST_EVERY))
    return {
        "train": [x for i, x in enumerate(items) if i not in test],
        "test": [x for i, x in enumerate(items) if i in test],
    }


def parse_free(block: str, label: str) -> list[Frag]:
    """Free reports, ``CODES|text``: a fragment whose tags are its flags (and "mixed")."""
    out = []
    for frag in frags(block):
        codes, sep, text = frag.text.partition("|")
        if not sep or not text.strip() or any(c not in "wmsnx-" for c in codes):
            raise ValueError(f"{label}: bad free report {frag.text!r}")
        tags = {FREE_CODES[c] for c in codes if c in FREE_CODES}
        if "x" in codes:
            tags.add("mixed")
        out.append(Frag(text.strip(), frozenset(tags)))
    return out


def split_bank(bank: Bank) -> dict[str, Pools]:
    form = bank.form
    pools = {s: Pools(form, replacements=bank.replacements) for s in SIZES}

    def put(target: str, name: str, items: list[Frag], key: str) -> None:
        for s, part in split_items(items, key, f"{form}:{key}").items():
            getattr(pools[s], target)[name] = part

    for name in LIST_FIELDS:
        put("lists", name, frags(bank.lists[name]), name)
    for cat, block in bank.cat_places.items():
        put("cat_places", cat, frags(block), f"places:{cat}")
    for cat, block in bank.cat_times.items():
        put("cat_times", cat, frags(block), f"times:{cat}")
    for cat in CATEGORIES:
        actions = frags(bank.actions[cat])
        if cat == "weapons" and any(
            "{w}" not in a.text and "weapon" not in a.tags for a in actions
        ):
            raise ValueError(f"{form}: every weapons action must carry a weapon")
        put("actions", cat, actions, f"actions:{cat}")
        free = parse_free(bank.free[cat], f"{form}:free:{cat}")
        if len(free) < 25:
            raise ValueError(f"{form}: only {len(free)} free reports for {cat}")
        put("free", cat, free, f"free:{cat}")
    return pools


# --------------------------------------------------------------------------------------------
# Composing one report
# --------------------------------------------------------------------------------------------
def fits(frag: Frag, cat: str, number: str, past: bool) -> bool:
    """Whether an add-on agrees with the action: number, tense and category."""
    tags = frag.tags
    cats = tags & CATEGORY_TAGS
    if "victim" in tags:
        cats |= VICTIM_CATEGORIES
    return not (
        ("sg" in tags and number != "sg")
        or ("pl" in tags and number != "pl")
        or ("past" in tags and not past)
        or ("pres" in tags and past)
        or (cats and cat not in cats)
    )


def pick_fitting(frags_: list[Frag], cat: str, number: str, past: bool, rng: random.Random) -> str:
    choices = [f for f in frags_ if fits(f, cat, number, past)]
    return rng.choice(choices).text if choices else ""


def fill_slots(text: str, pool: Pools, rng: random.Random, minor: bool, flags: set[str]) -> str:
    """Fill {a} {p} {v} {f} {w} {i}; when ``minor``, one person slot takes a minor."""
    people = [m.start() for m in SLOT_RE.finditer(text) if m.group(1) in ADULT_SLOTS]
    minor_at = people[rng.randrange(len(people))] if minor and people else -1

    def fill(match: re.Match[str]) -> str:
        slot = match.group(1)
        if slot == "w":
            flags.add("weapon")
            return pool.pick("weapons", rng)
        if slot == "i":
            return pool.pick("intensifiers", rng)
        if match.start() == minor_at:
            flags.add("minor_involved")
            return pool.pick(MINOR_SLOTS[slot], rng)
        return pool.pick(ADULT_SLOTS[slot], rng)

    return SLOT_RE.sub(fill, text)


@dataclass
class Draft:
    """What ``compose`` knows about the report it is writing."""

    pool: Pools
    cat: str
    rng: random.Random
    number: str  # "sg", "pl" or "" (no person acts)
    past: bool
    flags: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)
    addons: list[str] = field(default_factory=list)

    def addon(self, name: str, flag: str, *, positive: bool) -> None:
        text = pick_fitting(self.pool.lists[name], self.cat, self.number, self.past, self.rng)
        if text:
            self.addons.append(text)
            (self.flags if positive else self.negated).add(flag)


def compose(
    pool: Pools, cat: str, rng: random.Random, partner: Pools | None
) -> tuple[str, set[str], set[str]]:
    """One report from fragments: (text, flags, flags whose cue is negated)."""
    prof = PROFILES[cat]
    action = rng.choice(pool.actions[cat])
    tags = action.tags
    if "{a}" in action.text or "sg" in tags:
        number = "sg"
    elif "{p}" in action.text or "pl" in tags:
        number = "pl"
    else:
        number = ""
    d = Draft(pool, cat, rng, number, "past" in tags)
    d.flags |= {flag for tag, flag in TAG_FLAGS.items() if tag in tags}
    if "now" in tags:
        d.flags.add("in_progress")
    bare = "bare" in tags
    want_minor = rng.random() < prof.minor
    core = fill_slots(action.text, pool, rng, want_minor, d.flags)

    if number and not bare:
        if want_minor and "minor_involved" not in d.flags:
            d.addon("minor_addons", "minor_involved", positive=True)
        if "weapon" not in d.flags and (cat == "weapons" or rng.random() < prof.weapon):
            d.addon("weapon_addons", "weapon", positive=True)
        if "weapon" not in d.flags and rng.random() < prof.no_weapon:
            d.addon("no_weapon", "weapon", positive=False)
        if "minor_involved" not in d.flags and rng.random() < prof.no_minor:
            d.addon("no_minor", "minor_involved", positive=False)
    if cat == "weapons" and "weapon" not in d.flags:
        raise ValueError(f"{pool.form}: no weapon add-on fits {action.text!r}")

    place = ""
    if not {"school", "noplace", "bare"} & tags:
        if rng.random() < prof.school:
            place = pool.pick("school_places", rng)
            d.flags.add("near_school")
        elif rng.random() < 0.8:
            own = pool.cat_places.get(cat)
            if own and rng.random() < OWN_PLACES.get(cat, 0.5):
                place = rng.choice(own).text
            else:
                place = pool.pick("places", rng)
    if "near_school" not in d.flags and not bare and rng.random() < prof.no_school:
        d.addon("no_school", "near_school", positive=False)

    time = ""
    if not {"now", "notime", "bare"} & tags:
        roll = rng.random()
        own_times = pool.cat_times.get(cat, [])
        if not d.past and roll < prof.now:
            time = pool.pick("times_now", rng)
            d.flags.add("in_progress")
        elif roll < prof.now + prof.not_now:
            time = pick_fitting(pool.lists["not_now"], cat, number, d.past, rng)
            if time:
                d.negated.add("in_progress")
        elif own_times and rng.random() < 0.6:
            time = rng.choice([t for t in own_times if ("past" in t.tags) == d.past]).text
        elif d.past:
            time = pool.pick("times_past", rng) if rng.random() < 0.85 else ""
        elif rng.random() < 0.7:
            time = pool.pick("times_habitual", rng)

    body = arrange(core, place, time, d.addons, pool.form, rng)
    return finish(body, pool, partner, tags, rng), d.flags, d.negated


def arrange(
    core: str, place: str, time: str, addons: list[str], form: str, rng: random.Random
) -> list[str]:
    """The incident in one of several word orders, then its add-ons."""
    roll = rng.random()
    if time and roll < 0.3:
        parts = [time, core, place] if rng.random() < 0.6 else [time, place, core]
    elif place and roll < 0.55:
        parts = [place, core, time]
    else:
        parts = [core, place, time]
    glue = ("، " if form in ARABIC_FORMS else ", ") if rng.random() < 0.25 else " "
    sentence = glue.join(p for p in parts if p)
    rng.shuffle(addons)
    return [sentence, *addons] if rng.random() < 0.5 else [" ".join([sentence, *addons])]


def finish(
    body: list[str],
    pool: Pools,
    partner: Pools | None,
    tags: frozenset[str],
    rng: random.Random,
) -> str:
    """Greeting, self-introduction, complaint and plea around the incident; then the noise.

    With a ``partner`` the plea, and sometimes the complaint, come from that other writing
    form (a "mixed" report). Calm reports (a lost card, a question) get no complaint, and
    only a plea tagged #calm (thanks, blessings), never "send a patrol".
    """
    calm = bool({"calm", "bare"} & tags)
    plea_from = partner or pool
    complaint_from = partner if partner is not None and rng.random() < 0.5 else pool
    head = [pool.pick("openers", rng)] if rng.random() < 0.3 else []
    if rng.random() < 0.15:
        head.append(pool.pick("frames", rng))
    tail: list[str] = []
    if not calm and (complaint_from is not pool or rng.random() < 0.35):
        text = complaint_from.pick("complaints", rng)
        complaint = fill_slots(text, complaint_from, rng, False, set())
        (tail if rng.random() < 0.7 else head).append(complaint)
    if partner is not None or rng.random() < 0.45:
        pleas = [p for p in plea_from.lists["pleas"] if "calm" in p.tags or not calm]
        if pleas:
            tail.append(rng.choice(pleas).text)
    text = join_sentences([*head, *body, *tail], pool.form, rng)
    return noisy(text, pool, rng)


def join_sentences(sentences: list[str], form: str, rng: random.Random) -> str:
    """Sentences joined in one style per report (spaces, commas, dots, dashes), one ending."""
    arabic = form in ARABIC_FORMS
    seps = [" ", "، " if arabic else ", ", ". ", " .. ", "... ", ". ", " - " if arabic else " "]
    sep = rng.choice(seps)
    text = ""
    for sentence in (s.strip() for s in sentences):
        if sentence:
            after_stop = text[-1:] in ENDINGS or text[-1:] in "،,"
            text = sentence if not text else text + (" " if after_stop else sep) + sentence
    ends = ["", "", "", ".", "!", "!!", "!!!", "..."]
    if form == "fr":
        ends.append(" !")
    end = rng.choice(ends)
    return text if text[-1] in ENDINGS else text + end


def noisy(text: str, pool: Pools, rng: random.Random) -> str:
    """Spelling variants, SMS abbreviations, missing accents, lower case, stretched vowels."""
    for old, new in pool.replacements:
        if old in text and rng.random() < 0.25:
            text = text.replace(old, new)
    if pool.form == "fr":
        if rng.random() < 0.3:
            text = text.translate(ACCENTS)
        if rng.random() < 0.35:
            text = text.lower()
    elif pool.form == "darija_lat":
        if rng.random() < 0.6:
            text = text.lower()
        elif rng.random() < 0.3:
            text = text[:1].upper() + text[1:]
    if rng.random() < 0.1:
        text = stretch(text, pool.form, rng)
    return text


def stretch(text: str, form: str, rng: random.Random) -> str:
    """Repeat the last inner vowel of one word: "bzaaaf", "عفاااكم"."""
    vowels = "اوي" if form in ARABIC_FORMS else "aeiou"
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 3 and set(w[1:-1]) & set(vowels)]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    at = max(j for j in range(1, len(word) - 1) if word[j] in vowels)
    words[i] = word[:at] + word[at] * rng.randint(3, 5) + word[at + 1 :]
    return " ".join(words)


# --------------------------------------------------------------------------------------------
# Building, checking and writing the splits
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    text: str
    category: str
    flags: tuple[str, ...]
    form: str
    mixed: bool
    negated: tuple[str, ...] = ()  # flags whose cue appears negated (statistics only)
    free: bool = False


def norm_key(text: str) -> str:
    """Key for duplicates: lower case, no punctuation, whitespace collapsed."""
    kept = "".join(c for c in text.lower() if not unicodedata.category(c).startswith("P"))
    return " ".join(kept.split())


def quotas(total: int) -> dict[str, int]:
    """Reports per category, largest remainders first so that they add up to ``total``."""
    exact = {cat: SHARES[cat] * total for cat in CATEGORIES}
    counts = {cat: int(value) for cat, value in exact.items()}
    rest = sorted(CATEGORIES, key=lambda c: (counts[c] - exact[c], CATEGORIES.index(c)))
    for cat in rest[: total - sum(counts.values())]:
        counts[cat] += 1
    return counts


def generate(
    pools: dict[str, dict[str, Pools]], form: str, split: str, seen: set[str]
) -> list[Record]:
    """All reports of one form and split: the free reports of the pool, then composed ones."""
    rng = make_rng(f"generate:{form}:{split}")
    pool = pools[form][split]
    records: list[Record] = []
    for cat, quota in quotas(SIZES[split]).items():
        made = 0
        for free in pool.free[cat]:
            key = norm_key(free.text)
            if key in seen:
                raise ValueError(f"{form}: free report repeated: {free.text!r}")
            seen.add(key)
            flags = tuple(f for f in FLAGS if f in free.tags)
            records.append(Record(free.text, cat, flags, form, "mixed" in free.tags, free=True))
            made += 1
        attempts = 0
        while made < quota:
            attempts += 1
            if attempts > 100 * quota:
                raise RuntimeError(f"{form}/{split}/{cat}: cannot compose enough distinct reports")
            partner = None
            if rng.random() < MIX_RATE:
                partner = pools[rng.choice(MIX_PARTNERS[form])][split]
            text, flag_set, negated = compose(pool, cat, rng, partner)
            key = norm_key(text)
            if key in seen:
                continue
            seen.add(key)
            flags = tuple(f for f in FLAGS if f in flag_set)
            neg = tuple(f for f in FLAGS if f in negated)
            records.append(Record(text, cat, flags, form, partner is not None, neg))
            made += 1
    return records


def build() -> dict[str, list[Record]]:
    pools = {bank.form: split_bank(bank) for bank in load_banks()}
    seen: set[str] = set()  # shared: no text twice, within or across splits
    splits: dict[str, list[Record]] = {}
    for split in SIZES:
        records = [r for form in FORMS for r in generate(pools, form, split, seen)]
        make_rng(f"order:{split}").shuffle(records)
        splits[split] = records
    check(splits)
    return splits


def check(splits: dict[str, list[Record]]) -> None:
    for split, records in splits.items():
        for form in FORMS:
            counts = Counter(r.category for r in records if r.form == form)
            for cat in CATEGORIES:
                if counts[cat] < 0.08 * SIZES[split]:
                    raise RuntimeError(f"{split}/{form}/{cat}: under 8 %")
    train = {norm_key(r.text) for r in splits["train"]}
    if any(norm_key(r.text) in train for r in splits["test"]):
        raise RuntimeError("a test text appears in train")


def render(splits: dict[str, list[Record]]) -> dict[str, str]:
    """The JSON-lines text of each split, as written to ``<split>.jsonl``."""
    texts = {}
    for split, records in splits.items():
        prefix = "tr" if split == "train" else "te"
        lines = []
        for n, r in enumerate(records, start=1):
            row = {
                "id": f"{prefix}-{n:06d}",
                "text": r.text,
                "category": r.category,
                "flags": list(r.flags),
                "form": r.form,
                "mixed": r.mixed,
            }
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        texts[split] = "".join(lines)
    return texts


def write(splits: dict[str, list[Record]], out_dir: Path = CORPUS_DIR) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, text in render(splits).items():
        with (out_dir / f"{split}.jsonl").open("w", encoding="utf-8", newline="\n") as out:
            out.write(text)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def stats(splits: dict[str, list[Record]]) -> str:
    """Counts per category × form, flags, negated cues and mixed reports (Markdown)."""
    out = []
    for split, records in splits.items():
        n = len(records)
        out += ["", f"### {split}: {n} reports", ""]
        cells = Counter((r.category, r.form) for r in records)
        rows = []
        for cat in CATEGORIES:
            row = [cells[(cat, form)] for form in FORMS]
            rows.append([cat, *map(str, row), str(sum(row))])
        forms = Counter(r.form for r in records)
        rows.append(["**all**", *(str(forms[f]) for f in FORMS), str(n)])
        out += table(["category", *FORMS, "total"], rows)
        out.append("")
        counted: list[tuple[str, list[int]]] = []
        for flag in FLAGS:
            counted.append(
                (flag, [sum(flag in r.flags for r in records if r.form == f) for f in FORMS])
            )
        for flag in FLAGS:
            per_form = [sum(flag in r.negated for r in records if r.form == f) for f in FORMS]
            counted.append((f"{flag}, negated cue", per_form))
        counted.append(("mixed", [sum(r.mixed for r in records if r.form == f) for f in FORMS]))
        counted.append(
            ("free (hand-written)", [sum(r.free for r in records if r.form == f) for f in FORMS])
        )
        rows = [[name, *map(str, c), str(sum(c)), f"{sum(c) / n:.1%}"] for name, c in counted]
        out += table(["flag / property", *FORMS, "total", "share"], rows)
    return "\n".join(out).lstrip("\n") + "\n"


def main() -> None:
    splits = build()
    write(splits)
    sys.stdout.write(stats(splits))


if __name__ == "__main__":
    main()
