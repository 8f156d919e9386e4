"""Sampling until clear, and the verdict it feeds, proved on synthetic durations whose
truth is known: log-normal, with the spread `make local` measures (p10-p90 about ±7% of
the median, a sigma of 0.05 in logs), drawn with fixed seeds."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concurrency_eval.commands.local import INVOCATIONS as LOCAL_DEFAULT
from concurrency_eval.commands.run import INVOCATIONS as AWS_DEFAULT
from concurrency_eval.results.document import CEILING, CLEAR, FIXED, SETTLED
from concurrency_eval.results.verdict import FASTEST, Point, choose
from concurrency_eval.sweep.sampling import Sampling
from tests.results.test_verdict import run

SIGMA = 0.05
TRIALS = 300


def measure(
    memory: int, median: float, sigma: float, sampling: Sampling, earlier: list[Point], rng: random.Random
) -> tuple[Point, str]:
    """One point sampled as the engine samples it: invocations until `sampling` says stop."""
    durations: list[float] = []
    while True:
        point = Point.of(run("sync", memory, durations)) if durations else None
        reason = sampling.stop(len(durations), point, earlier)
        if reason is not None:
            assert point is not None
            return point, reason
        durations.append(median * math.exp(rng.gauss(0, sigma)))


def sweep(
    truth: list[tuple[int, float]], sigma: float, sampling: Sampling, rng: random.Random
) -> list[Point]:
    measured: list[Point] = []
    for memory, median in truth:
        measured.append(measure(memory, median, sigma, sampling, measured, rng)[0])
    return measured


def single_fastest_rate(truth: list[tuple[int, float]], sampling: Sampling, seed: int) -> tuple[float, float]:
    """How often the verdict names one fastest size, and how often that is the true one."""
    rng = random.Random(seed)
    truly = min(truth, key=lambda size: size[1])[0]
    single = right = 0
    for _ in range(TRIALS):
        choice = choose(sweep(truth, SIGMA, sampling, rng), FASTEST)
        single += choice.clear
        right += choice.clear and choice.point.memory_mb == truly
    return single / TRIALS, right / TRIALS


DEFAULTS = {
    "local": Sampling(*LOCAL_DEFAULT),
    "aws": Sampling(*AWS_DEFAULT),
    "fixed 5": Sampling(5),
}


@pytest.mark.slow  # 300 simulated sweeps per case
@pytest.mark.parametrize("name", ["local", "aws", "fixed 5"])
@pytest.mark.parametrize("sizes", [(256, 1024, 1769), (128, 256, 512, 1024, 1769, 3008)])
def test_with_all_sizes_equal_a_single_fastest_is_named_at_most_5_percent_of_the_time(
    name: str, sizes: tuple[int, ...]
) -> None:
    # Given sizes that are all as fast (sync, whose duration does not depend on memory)
    truth = [(memory, 4300.0) for memory in sizes]
    # When the sweep is run 300 times
    single, _ = single_fastest_rate(truth, DEFAULTS[name], seed=len(sizes))
    # Then the verdict names one fastest size in at most 5% of them
    assert single <= 0.05


@pytest.mark.slow  # 300 simulated sweeps per case
@pytest.mark.parametrize("name", ["local", "aws"])
@pytest.mark.parametrize("sizes", [(1024, 1769), (256, 1024, 1769)])
def test_a_real_10_percent_difference_is_found_at_least_80_percent_of_the_time(
    name: str, sizes: tuple[int, ...]
) -> None:
    # Given one size 10% faster than the others
    truth = [(memory, 900.0 if memory == sizes[-1] else 1000.0) for memory in sizes]
    # Then the default sampling names it, alone, in at least 80% of sweeps
    _, right = single_fastest_rate(truth, DEFAULTS[name], seed=len(sizes) + 10)
    assert right >= 0.80


def test_a_fixed_five_invocations_misses_what_sampling_finds() -> None:
    # The reason sampling is the default: five invocations find a 10% difference less often
    truth = [(256, 1000.0), (1024, 1000.0), (1769, 900.0)]
    _, fixed = single_fastest_rate(truth, DEFAULTS["fixed 5"], seed=3)
    _, sampled = single_fastest_rate(truth, DEFAULTS["local"], seed=3)
    assert fixed < 0.80 <= sampled


@pytest.mark.parametrize(
    ("sigma", "reason", "times", "fewest", "most"),
    [
        (0.01, CLEAR, 40, 5, 5),  # tight: the first five are clear
        (0.05, CLEAR, 8, 6, 7),  # as measured: a few more, and some clear before the ceiling
        (0.30, CEILING, 38, 7, 7),  # wide: to the ceiling
    ],
)
def test_sampling_stops_early_on_tight_data_and_goes_on_on_wide(
    sigma: float, reason: str, times: int, fewest: int, most: int
) -> None:
    rng = random.Random(7)
    stops = [measure(1024, 1000.0, sigma, DEFAULTS["local"], [], rng) for _ in range(40)]
    counts = sorted(point.warm for point, _ in stops)
    assert fewest <= counts[len(counts) // 2] <= most
    assert [why for _, why in stops].count(reason) >= times


def test_a_point_that_cannot_change_a_choice_is_settled_before_the_ceiling() -> None:
    # Given a size measured first that is fast and cheap, then a far slower, costlier one
    rng = random.Random(11)
    sampling = Sampling(5, 40, target=0.001)
    first, _ = measure(1024, 1000.0, 0.02, sampling, [], rng)
    # When the second's durations are wide
    second, reason = measure(3008, 3000.0, 0.3, sampling, [first], rng)
    # Then it stops as soon as it is worse beyond doubt by every criterion
    assert reason == SETTLED
    assert second.warm < 40


def test_a_fixed_count_is_just_that() -> None:
    fixed = Sampling(3)
    assert [fixed.stop(n, None, []) for n in range(5)] == [None, None, None, FIXED, FIXED]


@pytest.mark.parametrize(
    ("minimum", "maximum", "target", "message"),
    [
        (0, None, 0.05, "at least one warm invocation"),
        (10, 5, 0.05, "the ceiling \\(5\\) is below the first invocations \\(10\\)"),
        (5, 10, 0.0, "between 0 and 1"),
        (5, 10, 1.5, "between 0 and 1"),
    ],
)
def test_impossible_sampling_is_refused(
    minimum: int, maximum: int | None, target: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Sampling(minimum, maximum, target)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(0, 12),
    st.lists(st.floats(1, 1e5, allow_nan=False), min_size=1, max_size=20),
)
def test_never_before_the_first_invocations_and_never_past_the_ceiling(
    minimum: int, extra: int, durations: list[float]
) -> None:
    sampling = Sampling(minimum, minimum + extra)
    point = Point.of(run("sync", 1024, durations))
    for attempts in range(minimum):
        assert sampling.stop(attempts, point, []) is None
    assert sampling.stop(minimum + extra, point, []) in (CEILING, CLEAR, SETTLED)
    assert sampling.stop(minimum + extra, point, []) is not None
