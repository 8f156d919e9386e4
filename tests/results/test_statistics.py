"""The statistics behind the verdict, against published tables and known ground truth."""

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concurrency_eval.results.statistics import (
    _critical_count,
    describe,
    median_interval,
    ratio,
    trimmed_mean,
)


@pytest.mark.parametrize(
    ("n", "k", "confidence"),
    [
        # The k-th smallest and largest bound the median: Conover, Practical Nonparametric
        # Statistics, table A3 (and 1 - 2 P(Binomial(n, 1/2) < k) by hand)
        (5, 1, 0.9375),
        (6, 1, 0.96875),
        (10, 2, 0.978515625),
        (20, 6, 0.9586105346679688),
        (50, 18, 0.9671),
    ],
)
def test_the_median_interval_is_the_order_statistics_tables_give(n: int, k: int, confidence: float) -> None:
    values = [float(i) for i in range(1, n + 1)]
    low, high, reached = median_interval(values)
    assert (low, high) == (k, n + 1 - k)
    assert reached == pytest.approx(confidence, abs=1e-4)


@pytest.mark.parametrize(
    ("n", "m", "critical_u"),
    [
        # Two-sided 5% critical values of the Mann-Whitney U (the largest U that rejects),
        # as printed in the usual tables (e.g. Siegel and Castellan, table J)
        (5, 5, 2),
        (7, 7, 8),
        (5, 10, 8),
        (10, 10, 23),
        (8, 12, 22),
        (20, 20, 127),
    ],
)
def test_the_mann_whitney_critical_values_are_the_published_ones(n: int, m: int, critical_u: int) -> None:
    # The CI drops the C - 1 most extreme pairwise ratios at each end, C - 1 being that U
    assert _critical_count(n, m, 0.95) - 1 == critical_u


def test_the_normal_approximation_meets_the_exact_count_where_one_takes_over() -> None:
    exact = _critical_count(50, 50, 0.95)  # 2,500 pairs: exact
    approximated = _critical_count(50, 51, 0.95)  # 2,550: normal
    assert abs(approximated - exact) <= 30  # the one extra value adds about 25


def test_too_few_values_cannot_show_a_difference() -> None:
    # Three against three: no interval reaches 95%, so nothing differs
    found = ratio([1.0, 1.1, 1.2], [10.0, 11, 12])
    assert (found.low, found.high) == (0.0, math.inf)
    assert not found.higher
    assert not found.lower


def test_power_tunings_trimmed_mean() -> None:
    # discardTopBottom 0.2 drops floor(n x 0.2) at each end: 2 of 10, none of 4
    assert trimmed_mean([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 1000]) == statistics.fmean([3.0, 4, 5, 6, 7, 8])
    assert trimmed_mean([1.0, 2, 3, 100]) == statistics.fmean([1.0, 2, 3, 100])
    assert trimmed_mean([1.0, 2, 3, 100], 0.25) == 2.5
    with pytest.raises(ValueError, match=r"below 0\.5"):
        trimmed_mean([1.0], 0.5)


def test_p90_and_p99_only_where_n_allows() -> None:
    nine, ten, hundred = describe(range(1, 10)), describe(range(1, 11)), describe(range(1, 101))
    assert nine is not None
    assert ten is not None
    assert hundred is not None
    assert nine.p90 is None
    assert ten.p90 == pytest.approx(9.1)  # linear interpolation, as numpy's default
    assert ten.p99 is None
    assert hundred.p99 == pytest.approx(99.01)
    assert describe([]) is None


samples = st.lists(st.floats(0.5, 1e6, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=80, deadline=None)
@given(samples, samples, st.floats(0.01, 100))
def test_a_ratio_is_consistent_whatever_the_values(a: list[float], b: list[float], scale: float) -> None:
    found = ratio(a, b)
    # Its CI holds its estimate; swapping the samples inverts it; a common scale leaves it
    assert found.low <= found.estimate * (1 + 1e-9)
    assert found.estimate <= found.high * (1 + 1e-9)
    swapped = ratio(b, a)
    assert swapped.estimate == pytest.approx(1 / found.estimate, rel=1e-9)
    assert found.higher == swapped.lower
    scaled = ratio([x * scale for x in a], [y * scale for y in b])
    assert scaled.estimate == pytest.approx(found.estimate, rel=1e-6)
    assert scaled.higher == found.higher or math.isclose(found.low, 1.0, rel_tol=1e-6)


@settings(max_examples=40, deadline=None)
@given(samples)
def test_the_median_interval_holds_the_median(values: list[float]) -> None:
    found = describe(values)
    assert found is not None
    assert found.median_low <= found.median <= found.median_high
    assert min(values) * (1 - 1e-9) <= found.trimmed_mean <= max(values) * (1 + 1e-9)


@pytest.mark.parametrize(("n", "m"), [(5, 5), (10, 10), (8, 30), (60, 60)])
def test_the_ratio_interval_covers_the_true_ratio_95_percent_of_the_time(n: int, m: int) -> None:
    # Given skewed (log-normal) durations whose true ratio is 1.3, drawn 400 times
    rng = random.Random(n * 1000 + m)
    covered = 0
    for _ in range(400):
        a = [1300 * math.exp(rng.gauss(0, 0.2)) for _ in range(n)]
        b = [1000 * math.exp(rng.gauss(0, 0.2)) for _ in range(m)]
        found = ratio(a, b)
        covered += found.low <= 1.3 <= found.high
    # Then the CI holds it about 95% of the time (400 draws: 2.2 points either way is one SE)
    assert covered / 400 >= 0.92


@pytest.mark.parametrize("n", [5, 10, 30])
def test_the_median_interval_covers_the_true_median(n: int) -> None:
    # Given 400 samples of n skewed durations whose true median is 1,000 ms
    rng = random.Random(n)
    covered, confidence = 0, 1.0
    for _ in range(400):
        found = describe([1000 * math.exp(rng.gauss(0, 0.3)) for _ in range(n)])
        assert found is not None
        covered += found.median_low <= 1000 <= found.median_high
        confidence = found.confidence
    # Then the interval holds it as often as its recorded level says (within 1.5 SE)
    assert covered / 400 >= confidence - 0.035
