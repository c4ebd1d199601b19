"""The statistics behind the insights: plain numbers in, plain numbers out (no Django).

Three tests, each with its false discovery rate controlled (Benjamini–Hochberg) across
everything tested at once, so that a district with hundreds of hexagons does not light up by
chance:

- Hotspots: Getis-Ord Gi* on hexagon counts. Each hexagon's neighbourhood (itself and its
  six neighbours) is compared with the district's mean and spread of counts per hexagon,
  one-sided normal p-value, as in the usual hot spot analysis. Because the spread is the
  district's own, a city where every street corner has some reports does not light up
  everywhere: only neighbourhoods far above the district's own variability do. A hotspot
  must also hold a minimum number of reports itself (``HOTSPOT_MIN_COUNT``), which keeps the
  normal approximation away from the sparsest hexagons. The expected count shown beside it
  is what an even spread over the district's area would put in the neighbourhood (hexagons
  cut by the boundary count for the part inside).
- Windows in time (patrol blocks, school entry and exit): the number of a place's reports in
  a window against the share of the week the window covers, exact binomial tail.
- Trends: reports in the recent weeks against the weeks before, the exact conditional test
  for two Poisson rates (given the total, the recent count is binomial with the recent
  period's share of the time under the null of an unchanged rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, norm


def benjamini_hochberg(
    p_values: Sequence[float] | np.ndarray, tests: int | None = None
) -> np.ndarray:
    """Adjusted p-values (q-values): reject where q <= the chosen false discovery rate.

    ``tests`` is the number of hypotheses tested when only some p-values are listed (the
    others, not computed because nothing was observed, have p = 1 and change nothing else).
    """
    p = np.asarray(p_values, dtype=float)
    n = p.size
    if n == 0:
        return p
    m = max(tests or n, n)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(ranked, 1.0)
    return q


def upper_tail(k: np.ndarray | int, n: np.ndarray | int, share: np.ndarray | float) -> np.ndarray:
    """P(X >= k) for X ~ Binomial(n, share)."""
    return np.asarray(binom.sf(np.asarray(k) - 1, n, share), dtype=float)


@dataclass(frozen=True)
class GiStar:
    z: np.ndarray
    p: np.ndarray  # one-sided, from z
    q: np.ndarray
    neighbourhood: np.ndarray  # reports in each hexagon's neighbourhood
    expected: np.ndarray  # what the neighbourhood would hold if reports were spread evenly


def gi_star(
    counts: np.ndarray, neighbours: np.ndarray, coverage: np.ndarray | None = None
) -> GiStar:
    """Gi* for ``counts`` (one per hexagon) with binary weights.

    ``neighbours`` is an (n, k) array of indices into ``counts`` listing each hexagon's
    neighbourhood including itself, padded with -1 where a neighbour lies outside the area.
    ``coverage`` is the share of each hexagon inside the area (1 inside, less on the edge):
    the even spread of the null hypothesis is over the area, not over whole hexagons, so
    edge hexagons are not mistaken for cold spots nor inner ones for hot spots.
    """
    x = np.asarray(counts, dtype=float)
    n = x.size
    empty = np.zeros(n)
    if n < 2 or x.sum() == 0:
        ones = np.ones(n)
        return GiStar(empty, ones, ones, empty.astype(int), empty)
    padded = np.append(x, 0.0)
    index = np.where(neighbours < 0, n, neighbours)
    lag = padded[index].sum(axis=1)
    w = (neighbours >= 0).sum(axis=1).astype(float)
    mean = x.mean()
    s = np.sqrt(max((x**2).mean() - mean**2, 0.0))
    spread = s * np.sqrt(np.maximum(n * w - w**2, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, (lag - mean * w) / spread, 0.0)
    total = int(x.sum())
    cover = np.ones(n) if coverage is None else np.asarray(coverage, dtype=float)
    share = np.append(cover, 0.0)[index].sum(axis=1) / cover.sum()
    p = np.asarray(norm.sf(z), dtype=float)
    return GiStar(z, p, benjamini_hochberg(p), lag.astype(int), total * share)


@dataclass(frozen=True)
class RateTest:
    p: np.ndarray
    q: np.ndarray
    ratio: np.ndarray  # recent rate / baseline rate (inf when the baseline is empty)


def rate_increase(
    recent: np.ndarray, baseline: np.ndarray, recent_days: int, baseline_days: int
) -> RateTest:
    """One-sided exact test that the recent daily rate exceeds the baseline's."""
    r = np.asarray(recent, dtype=int)
    b = np.asarray(baseline, dtype=int)
    share = recent_days / (recent_days + baseline_days)
    p = upper_tail(r, r + b, share)
    p = np.where(r == 0, 1.0, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, (r / recent_days) / np.maximum(b, 1) * baseline_days, np.inf)
    return RateTest(p, benjamini_hochberg(p), ratio)
