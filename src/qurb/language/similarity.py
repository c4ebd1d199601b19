"""Near-duplicate texts: shingles over the consonant skeleton, MinHash LSH to find candidates.

The skeleton makes "kayn wa7ed kaybi3 l7chich 9dam lmdrasa" and "كاين واحد كيبيع الحشيش قدام
المدرسة" share most of their shingles; the exact Jaccard similarity of the shingle sets then
confirms each candidate pair that LSH proposes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from datasketch import MinHash, MinHashLSH

from qurb.language.normalise import skeleton

SHINGLE = 4
PERMUTATIONS = 64
SEED = 2026


def shingles(text: str, k: int = SHINGLE) -> frozenset[str]:
    """Character k-grams of the skeleton (spaces kept, so word boundaries count)."""
    s = f" {skeleton(text)} "
    if len(s) <= k:
        return frozenset({s})
    return frozenset(s[i : i + k] for i in range(len(s) - k + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(a: str, b: str) -> float:
    return jaccard(shingles(a), shingles(b))


def _minhash(items: frozenset[str]) -> MinHash:
    m = MinHash(num_perm=PERMUTATIONS, seed=SEED)
    for item in sorted(items):
        m.update(item.encode())
    return m


def similar_groups(
    texts: Sequence[tuple[Hashable, str]], *, threshold: float = 0.45
) -> list[list[Hashable]]:
    """Groups (of two or more keys) whose texts are near-duplicates, largest first.

    Candidates come from MinHash LSH; a pair joins a group only if its exact Jaccard
    similarity reaches ``threshold``.
    """
    sets = {key: shingles(text) for key, text in texts}
    lsh = MinHashLSH(threshold=max(0.1, threshold - 0.15), num_perm=PERMUTATIONS)
    hashes = {}
    for key, items in sets.items():
        hashes[key] = _minhash(items)
        lsh.insert(key, hashes[key])
    parent: dict[Hashable, Hashable] = {key: key for key in sets}

    def find(k: Hashable) -> Hashable:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for key, m in hashes.items():
        for other in lsh.query(m):
            if other != key and jaccard(sets[key], sets[other]) >= threshold:
                parent[find(key)] = find(other)
    groups: dict[Hashable, list[Hashable]] = {}
    for key in sets:
        groups.setdefault(find(key), []).append(key)
    found = [g for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: (-len(g), str(g[0])))
