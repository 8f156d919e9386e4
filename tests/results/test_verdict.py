"""The verdict: fastest, cheapest and balanced sizes, speed-ups with their intervals, prices."""

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concurrency_eval.results.document import Invocation, ModelRun, Results
from concurrency_eval.results.pricing import DEFAULT_PRICES, Prices, prices_for
from concurrency_eval.results.report import summary_document
from concurrency_eval.results.verdict import MIN_WARM, Point, balanced, decide, ratio_interval
from tests.results.test_document import sample


def run(model: str, memory: int, durations: list[float], concurrency: int | None = None) -> ModelRun:
    group = ModelRun(
        model, init_ms=100, init_cpu_ms=None, init_rss_mb=40, memory_mb=memory, concurrency=concurrency
    )
    group.invocations = [
        Invocation(
            model=model,
            kind="warm",
            index=i,
            duration_ms=d,
            cpu_ms=None,
            peak_rss_mb=50,
            result="k",
            handler_time_s=None,
            objects=1,
            error=None,
            correct=True,
            memory_mb=memory,
            billed_ms=math.ceil(d),
            cost_usd=DEFAULT_PRICES.invocation_cost(math.ceil(d), memory, "arm64"),
        )
        for i, d in enumerate(durations)
    ]
    return group


def results(*runs: ModelRun) -> Results:
    prices = {"region": "us-east-1", "date": "2025-06-01"}
    return Results(
        "aws", "2026-11-23T00:00:00+00:00", {"prices": prices}, {"region": "us-east-1"}, "k", list(runs)
    )


def test_fastest_cheapest_balanced_and_the_memory_setting() -> None:
    # Given sync, which gains nothing from memory past 512 MB
    sweep = results(*(run("sync", m, [d] * 6) for m, d in ((128, 4000.0), (512, 1000.0), (1024, 950.0))))
    verdict = decide(sweep)
    (sync,) = verdict.models
    assert sync.fastest.memory_mb == 1024
    assert sync.cheapest is not None
    assert sync.cheapest.memory_mb == 512  # 0.5 GB x 1 s < 1 GB x 0.95 s < 0.125 GB x 4 s
    # Power Tuning's formula at weight 0.5: min of cost/maxCost + duration/maxDuration
    assert sync.balanced.memory_mb == 512
    document = summary_document(sweep)
    assert document["verdict"]["sync"]["balanced"]["setting"] == "-c memory=512"
    assert document["total_cost_usd"] == pytest.approx(
        sum(i.cost_usd or 0 for r in sweep.models for i in r.invocations)
    )
    json.dumps(document)  # one JSON document


def test_speed_up_over_sync_with_its_interval_and_counts() -> None:
    sweep = results(
        run("sync", 1024, [1000.0, 1010, 990, 1005, 995, 1002]),
        run("asyncio", 1024, [200.0, 210, 190, 205, 195, 202], concurrency=64),
    )
    (speed_up,) = decide(sweep).speed_ups
    assert speed_up.ratio == pytest.approx(201 / 1001.0, rel=0.01)
    assert speed_up.low <= speed_up.ratio <= speed_up.high
    assert (speed_up.warm, speed_up.sync_warm) == (6, 6)


def test_the_best_concurrency_per_size_and_a_warning_when_few_invocations_back_it() -> None:
    sweep = results(
        run("threaded", 256, [900.0] * 3, concurrency=16),
        run("threaded", 256, [700.0] * 3, concurrency=64),
        run("threaded", 1769, [300.0] * 6, concurrency=16),
        run("threaded", 1769, [350.0] * 6, concurrency=64),
    )
    verdict = decide(sweep)
    assert verdict.models[0].best_concurrency == {256: 64, 1769: 16}
    assert verdict.warnings == [
        f"threaded: fewer than {MIN_WARM} warm invocations behind the figures at 256 MB; "
        "run more with --invocations"
    ]


durations = st.lists(st.floats(1, 100_000, allow_nan=False), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([128, 256, 512, 1024, 1769, 3008]), durations),
        min_size=1, max_size=6, unique_by=lambda pair: pair[0],
    ),
    st.floats(0, 1),
)  # fmt: skip
def test_the_choices_are_never_beaten_where_they_claim(
    sizes: list[tuple[int, list[float]]], weight: float
) -> None:
    verdict = decide(results(*(run("sync", memory, values) for memory, values in sizes)), weight)
    (choice,) = verdict.models
    single = [decide(results(run("sync", m, v))).models[0].fastest for m, v in sizes]
    # The fastest is as fast as any size; the cheapest as cheap; balanced lies between
    assert all(choice.fastest.median_ms <= point.median_ms for point in single)
    assert choice.cheapest is not None
    assert choice.balanced.median_ms >= choice.fastest.median_ms
    assert (choice.balanced.cost_usd or 0) >= (choice.cheapest.cost_usd or 0)
    assert all((choice.cheapest.cost_usd or 0) <= (point.cost_usd or 0) for point in single)
    swept = {memory for memory, _ in sizes}
    assert swept >= {choice.fastest.memory_mb, choice.cheapest.memory_mb, choice.balanced.memory_mb}


@settings(max_examples=40, deadline=None)
@given(durations, durations)
def test_the_interval_holds_the_ratio_of_medians(sample: list[float], baseline: list[float]) -> None:
    import statistics

    low, high = ratio_interval(sample, baseline)
    assert low <= statistics.median(sample) / statistics.median(baseline) <= high or math.isclose(low, high)


def test_balanced_weights_move_between_speed_and_cost() -> None:
    fast = Point("m", 3008, None, 100.0, 5e-6, 5)
    cheap = Point("m", 128, None, 1000.0, 1e-6, 5)
    assert balanced([fast, cheap], 0.0) is fast
    assert balanced([fast, cheap], 1.0) is cheap


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"gb_second": {"arm64": float("nan"), "x86_64": 1e-5}, "request": 0}, "not a price"),
        ({"gb_second": {"arm64": -1e-5, "x86_64": 1e-5}, "request": 0}, "not a price"),
        ({"gb_second": {"arm64": 1e-5, "x86_64": float("inf")}, "request": 0}, "not a price"),
        ({"gb_second": {"arm64": 1e-5}, "request": 0}, "no GB-second price for x86_64"),
        ({"gb_second": {"arm64": "cheap", "x86_64": 1e-5}, "request": 0}, "not a number"),
        ({"request": 0}, "expected"),
    ],
)
def test_bad_price_files_are_refused(tmp_path: Path, document: dict[str, object], message: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        Prices.load(path)


def test_prices_by_region_and_a_warning_for_an_unknown_one() -> None:
    prices, warning = prices_for("eu-west-1")
    assert (prices.region, warning) == ("eu-west-1", None)
    assert prices.gb_second == DEFAULT_PRICES.gb_second
    prices, warning = prices_for("af-south-1")
    assert prices.region == "us-east-1"
    assert warning is not None
    assert "af-south-1" in warning
    assert "--prices" in warning


@pytest.mark.parametrize(("server_cpu_s", "warned"), [(1.0, False), (1.3, False), (1.4, True), (3.0, True)])
def test_a_busy_s3_stand_in_is_named_in_the_verdict(server_cpu_s: float, warned: bool) -> None:
    # Given a local sweep whose S3 stand-in used this much CPU over 4 s of a group
    local = sample()
    local.models[1].server_cpu_s = server_cpu_s
    # When the verdict is decided
    warnings = decide(local).warnings
    # Then it warns exactly when the stand-in was busy more than a third of the time
    busy = [w for w in warnings if "S3 stand-in was busy" in w]
    assert bool(busy) is warned
    if warned:
        assert f"{server_cpu_s / 4:.0%}" in busy[0]
        assert "threaded at 1024 MB" in busy[0]


def test_a_busy_s3_stand_in_is_never_named_for_aws() -> None:
    on_aws = sample()
    on_aws.kind = "aws"
    for run in on_aws.models:
        run.server_cpu_s = 4.0
    assert not [w for w in decide(on_aws).warnings if "S3 stand-in" in w]


@pytest.mark.parametrize(
    ("memory_mb", "cpus", "factor", "warned"),
    [
        (3008, 2, 1.0, False),
        (4096, 2, 1.0, True),
        (4096, 4, 1.0, False),
        (4096, 2, 0.5, False),
        (2048, 2, 1.8, True),
    ],
)
def test_a_size_whose_share_is_more_than_the_machine_has_is_named(
    memory_mb: int, cpus: int, factor: float, warned: bool
) -> None:
    # Given a local sweep at a size whose share (times the CPU factor) may exceed the machine
    local = sample()
    for run in local.models:
        run.memory_mb = memory_mb
    local.environment = {"cpus": cpus, "cpu_limit": "cgroup-v1", "cpu_speed": {"factor": factor}}
    # Then the verdict says so exactly when it does
    capped = [w for w in decide(local).warnings if "CPU share is more than" in w]
    assert bool(capped) is warned
    if warned:
        assert f"at {memory_mb} MB" in capped[0]
        assert f"{cpus} cores" in capped[0]
