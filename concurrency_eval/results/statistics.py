"""The statistics behind the verdict: what a point's invocations say, and whether two
points differ.

Invocation durations are skewed and have outliers, and a point has five to a few dozen
of them, so everything here is distribution-free and exact where it can be:

- A point's median has a 95% confidence interval from its order statistics (the
  binomial method): it holds for any continuous distribution, at any n. Order
  statistics give discrete confidence levels, so the level reached is recorded too;
  below six values it is under 95% (93.8% at five).
- Two points are compared by the Hodges-Lehmann estimate of their ratio (the median of
  every pairwise ratio) and its confidence interval from the Mann-Whitney distribution:
  exact up to 2,500 pairs, the normal approximation beyond. They differ when that
  interval leaves out 1. Under no difference this errs at most 5% of the time whatever
  the distribution, and it keeps about 95% of a t-test's power where a t-test would
  be right.
- A trimmed mean as AWS Lambda Power Tuning computes its average (`discardTopBottom`):
  floor(n x share) values dropped at each end.
"""

import bisect
import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
#: Power Tuning's default `discardTopBottom`.
DEFAULT_TRIM = 0.2
#: The fewest values behind a p90, and behind a p99: below them it would be the maximum.
P90_MIN_N, P99_MIN_N = 10, 100
#: Above this many pairs, the Mann-Whitney distribution's normal approximation is used.
_EXACT_PAIRS = 2500


@dataclass(frozen=True)
class Distribution:
    """What a point's values say: n, centre, spread and a 95% CI for the median."""

    n: int
    median: float
    mean: float
    #: Power Tuning's average: the mean without the top and bottom `trim` share.
    trimmed_mean: float
    trim: float
    #: None where n is too small for it to be more than the maximum.
    p90: float | None
    p99: float | None
    median_low: float
    median_high: float
    #: The confidence the interval reaches (order statistics give discrete levels).
    confidence: float

    @property
    def half_width(self) -> float:
        """The median's CI half-width as a share of the median (0 where the median is 0)."""
        return (self.median_high - self.median_low) / 2 / self.median if self.median else 0.0


def describe(values: Sequence[float], trim: float = DEFAULT_TRIM) -> Distribution | None:
    """The distribution of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    low, high, reached = median_interval(ordered)
    n = len(ordered)
    return Distribution(
        n=n,
        median=statistics.median(ordered),
        mean=statistics.fmean(ordered),
        trimmed_mean=trimmed_mean(ordered, trim),
        trim=trim,
        p90=quantile(ordered, 0.90) if n >= P90_MIN_N else None,
        p99=quantile(ordered, 0.99) if n >= P99_MIN_N else None,
        median_low=low,
        median_high=high,
        confidence=reached,
    )


def trimmed_mean(values: Sequence[float], trim: float = DEFAULT_TRIM) -> float:
    """The mean once floor(n x trim) values are dropped at each end, as Power Tuning does."""
    if not 0 <= trim < 0.5:
        raise ValueError("the share trimmed at each end is at least 0 and below 0.5")
    ordered = sorted(values)
    dropped = int(len(ordered) * trim)
    return statistics.fmean(ordered[dropped : len(ordered) - dropped])


def quantile(ordered: Sequence[float], share: float) -> float:
    """The linearly interpolated quantile of sorted values (numpy's and R's default, type 7)."""
    position = share * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def median_interval(ordered: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """The distribution-free CI for the median from order statistics, and the level it reaches.

    The k-th smallest and k-th largest of n values bound the median with probability
    1 - 2 P(Binomial(n, 1/2) < k); k is the largest that keeps that at `confidence` or
    more. Where even the extremes cannot (n of five or fewer), they are the interval.
    """
    n = len(ordered)
    tail, k = 0.0, 0
    while k < n // 2:
        next_tail = tail + math.comb(n, k) / 2**n
        if 1 - 2 * next_tail < confidence:
            break
        tail, k = next_tail, k + 1
    k = max(k, 1)
    reached = 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n
    return ordered[k - 1], ordered[n - k], max(reached, 0.0)


@dataclass(frozen=True)
class Ratio:
    """How much larger one sample's values are than another's, with a CI."""

    estimate: float
    low: float
    high: float

    @property
    def higher(self) -> bool:
        """The first sample is larger than the second beyond noise."""
        return self.low > 1.0

    @property
    def lower(self) -> bool:
        return self.high < 1.0


def ratio(sample: Sequence[float], baseline: Sequence[float], confidence: float = CONFIDENCE) -> Ratio:
    """The Hodges-Lehmann ratio of `sample` to `baseline` and its Mann-Whitney CI.

    On logarithms, so that a ratio is a shift: every pairwise log(sample / baseline),
    sorted; the estimate is their median and the CI drops the C - 1 smallest and largest,
    C being the Mann-Whitney critical count. Where the samples are too small for any
    interval at `confidence`, the CI is (0, inf): no difference can be shown.
    """
    if not sample or not baseline:
        return Ratio(math.nan, 0.0, math.inf)
    logs = sorted(_log(x) - _log(y) for x in sample for y in baseline)
    critical = _critical_count(len(sample), len(baseline), confidence)
    estimate = math.exp(statistics.median(logs))
    if critical < 1:
        return Ratio(estimate, 0.0, math.inf)
    return Ratio(estimate, math.exp(logs[critical - 1]), math.exp(logs[len(logs) - critical]))


def _log(value: float) -> float:
    # A duration or a cost is positive; a zero (a free invocation) is the smallest there is.
    return math.log(max(value, 1e-300))


def _critical_count(n: int, m: int, confidence: float) -> int:
    """The largest C with P(U < C) <= (1 - confidence) / 2 for the Mann-Whitney U of n and m."""
    tail = (1 - confidence) / 2
    if n * m > _EXACT_PAIRS:
        z = statistics.NormalDist().inv_cdf(1 - tail)
        return max(0, math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12)))
    cumulative = _u_cumulative(min(n, m), max(n, m))
    total = math.comb(n + m, n)
    # cumulative[c] counts arrangements with U <= c: C - 1 is the last c within the tail.
    return bisect.bisect_right([count / total for count in cumulative], tail)


@functools.lru_cache(maxsize=256)
def _u_cumulative(n: int, m: int) -> tuple[int, ...]:
    """How many of the C(n+m, n) arrangements have U <= c, for c up to n*m/2.

    The counts are the coefficients of the Gaussian binomial [n+m choose n] in q, built
    as the product over i of (1 - q^(m+i)) / (1 - q^i), each a pass over the lower half.
    """
    top = n * m // 2
    counts = [1] + [0] * top
    for i in range(1, n + 1):
        step = m + i
        for degree in range(top, step - 1, -1):
            counts[degree] -= counts[degree - step]
        for degree in range(i, top + 1):
            counts[degree] += counts[degree - i]
    running, cumulative = 0, []
    for count in counts:
        running += count
        cumulative.append(running)
    return tuple(cumulative)
