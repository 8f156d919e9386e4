"""The verdict: fastest, cheapest and balanced sizes, speed-ups with their intervals, prices."""

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from concurrency_eval.results.document import Invocation, ModelRun, Results
from concurrency_eval.results.pricing import DEFAULT_PRICES, Prices, prices_for
from concurrency_eval.results.report import (
    cold_start_table,
    deploy_commands,
    legend,
    summary_document,
    verdict_lines,
)
from concurrency_eval.results.verdict import BALANCED, CHEAPEST, MIN_WARM, Point, choose, decide
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


def point(model: str, memory: int, durations: list[float]) -> Point:
    made = Point.of(run(model, memory, durations))
    assert made is not None
    return made


def test_fastest_cheapest_balanced_and_the_memory_setting() -> None:
    # Given sync, which gains nothing from memory past 512 MB, and no noise at all
    sweep = results(*(run("sync", m, [d] * 6) for m, d in ((128, 4000.0), (512, 1000.0), (1024, 950.0))))
    verdict = decide(sweep)
    (sync,) = verdict.models
    assert sync.fastest.point.memory_mb == 1024
    assert sync.fastest.clear
    assert sync.cheapest is not None
    assert sync.cheapest.point.memory_mb == 512  # 0.5 GB x 1 s < 1 GB x 0.95 s < 0.125 GB x 4 s
    # Power Tuning's formula at weight 0.5: min of cost/maxCost + duration/maxDuration
    assert sync.balanced.point.memory_mb == 512
    document = summary_document(sweep)
    assert document["verdict"]["sync"]["balanced"]["setting"] == "-c memory=512"
    assert document["verdict"]["sync"]["fastest"]["clear"] is True
    assert document["total_cost_usd"] == pytest.approx(
        sum(i.cost_usd or 0 for r in sweep.models for i in r.invocations)
    )
    json.dumps(document)  # one JSON document


def test_sizes_the_same_within_noise_tie_and_the_cheapest_of_them_is_named() -> None:
    # Given sync at three sizes whose durations overlap (as `make local` once printed
    # "fastest at 1024 MB" for medians of 4,343, 4,315 and 4,392 ms)
    sweep = results(
        run("sync", 256, [4343.0, 4120, 4510, 4290, 4400, 4250]),
        run("sync", 1024, [4315.0, 4190, 4300, 4260, 4310, 4420]),
        run("sync", 1769, [4392.0, 4230, 4540, 4300, 4280, 4450]),
    )
    (sync,) = decide(sweep).models
    # Then the fastest is a tie of all three, and the verdict names the cheapest of them
    assert not sync.fastest.clear
    assert [p.memory_mb for p in sync.fastest.tied] == [256, 1024, 1769]
    assert sync.fastest.best.memory_mb == 1024
    assert sync.fastest.point.memory_mb == 256
    lines = verdict_lines(sweep, decide(sweep))
    assert (
        "sync: fastest: 256, 1024 and 1769 MB are equally fast within noise; 256 MB is the cheapest"
        in (lines[0])
    )
    # And the cheapest is clear: memory costs four and seven times as much for the same time
    assert sync.cheapest is not None
    assert sync.cheapest.clear
    assert sync.cheapest.point.memory_mb == 256
    assert lines[2] == "sync: balanced at 256 MB"
    assert deploy_commands(decide(sweep).models) == [("sync", "npx cdk deploy --all -c memory=256")]


def test_a_tie_on_cost_names_the_fastest_of_the_tied() -> None:
    # Given two sizes that cost the same (twice the memory for half the time)
    cheap_slow = point("m", 512, [2000.0, 2050, 1950, 2020, 1980, 2010])
    cheap_fast = point("m", 1024, [1000.0, 1030, 970, 1010, 990, 1020])
    choice = choose([cheap_slow, cheap_fast], CHEAPEST)
    assert not choice.clear
    assert choice.point is cheap_fast


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
    single = [point("sync", m, v) for m, v in sizes]
    # The best is as fast as any size, the cheapest's best as cheap, and each named size
    # is one of those tied with its best; a clear choice is the best itself
    assert all(choice.fastest.best.median_ms <= p.median_ms for p in single)
    assert choice.cheapest is not None
    assert all((choice.cheapest.best.cost_usd or 0) <= (p.cost_usd or 0) for p in single)
    for made in (choice.fastest, choice.cheapest, choice.balanced):
        assert any(made.point is p for p in made.tied)
        assert any(made.best is p for p in made.tied)
        assert not made.clear or made.point is made.best
    # Among the sizes tied for fastest, the one named costs least
    assert all((choice.fastest.point.cost_usd or 0) <= (p.cost_usd or 0) for p in choice.fastest.tied)
    swept = {memory for memory, _ in sizes}
    assert swept >= {choice.fastest.point.memory_mb, choice.cheapest.point.memory_mb}


def test_balanced_weights_move_between_speed_and_cost() -> None:
    fast = point("m", 3008, [100.0, 101, 99, 100, 102])
    cheap = point("m", 128, [1000.0, 1010, 990, 1000, 1020])
    assert choose([fast, cheap], BALANCED, 0.0).point is fast
    assert choose([fast, cheap], BALANCED, 1.0).point is cheap


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


def test_the_verdict_says_why_points_stopped_and_shows_cold_starts_of_their_own() -> None:
    # Given a sweep that sampled until clear, with three cold starts per point
    first = run("sync", 512, [1000.0, 1010, 990, 1005, 995])
    second = run("sync", 1024, [900.0, 1200, 700, 1100, 950, 1300, 800, 1000, 850, 1250])
    first.stop_reason, second.stop_reason = "clear", "ceiling"
    for group in (first, second):
        group.invocations[:0] = [
            Invocation(
                "sync", "cold", i, 1500.0, None, 50, "k", None, 1, None, True, group.memory_mb,
                billed_ms=1500 + init, init_ms=init, cost_usd=1e-5, init_cost_usd=init * 1e-8,
            )
            for i, init in enumerate((300.0, 340.0, 320.0))
        ]  # fmt: skip
    sweep = results(first, second)
    sweep.settings["sweep"] = {"invocations": 5, "max_invocations": 10, "target_ci": 0.05}
    # Then the verdict says how the invocations were spent and why each point stopped
    lines = verdict_lines(sweep, decide(sweep))
    (sampled,) = [line for line in lines if line.startswith("sampled until clear")]
    assert "within ±5%, 5 to 10 warm per point" in sampled
    assert "5-10 warm per point; stopped: 1 clear, 1 ceiling (sync 1024 MB)" in sampled
    # And a table of the cold starts: three per size, their Init Duration and INIT's cost
    table = cold_start_table(sweep)
    assert table is not None
    text = render(table)
    assert "cold starts" in text
    assert "sync   512 3  320 300-340   - 1,500    3.20" in text
    document = summary_document(sweep)
    assert [c["init"]["n"] for c in document["cold_starts"]] == [3, 3]
    assert document["cold_starts"][0]["init_cost"]["median"] == pytest.approx(320 * 1e-8)
    assert document["sampling"] == sampled
    assert document["rows"][1]["stop_reason"] == "ceiling"
    assert document["rows"][1]["duration"]["p90"] is not None  # ten warm invocations allow a p90


def test_one_cold_start_per_point_needs_no_table_of_its_own() -> None:
    assert cold_start_table(results(run("sync", 512, [1000.0] * 5))) is None


def test_the_trimmed_mean_follows_the_trim_asked_for() -> None:
    sweep = results(run("sync", 512, [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 1000]))
    (default,) = sweep.summaries()
    (untrimmed,) = sweep.trimmed(0.0).summaries()
    assert default.duration is not None
    assert untrimmed.duration is not None
    assert default.duration.trimmed_mean == 5.5  # Power Tuning's 20%: two dropped at each end
    assert untrimmed.duration.trimmed_mean == pytest.approx(104.5)
    assert sweep.trimmed(None) is sweep


def render(table: Table) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


@pytest.mark.parametrize(
    ("concurrency", "settings_words", "size_words"),
    [
        (None, "-c memory=1024", "1024 MB"),
        (64, "-c memory=1024", "1024 MB"),
        (128, "-c memory=1024 -c requestsInFlight=128", "1024 MB, 128 requests in flight"),
    ],
)
def test_the_deploy_command_deploys_what_was_measured(
    concurrency: int | None, settings_words: str, size_words: str
) -> None:
    # Given asyncio measured at one size with some requests in flight
    sweep = results(run("asyncio", 1024, [300.0, 310, 305, 290, 295, 300], concurrency=concurrency))
    verdict = decide(sweep)
    # Then the balanced line names what was measured, and the command deploys exactly it
    assert f"asyncio: balanced at {size_words}" in verdict_lines(sweep, verdict)
    assert deploy_commands(verdict.models) == [("asyncio", f"npx cdk deploy --all {settings_words}")]
    assert summary_document(sweep)["deploy"] == [
        {"models": "asyncio", "command": f"npx cdk deploy --all {settings_words}"}
    ]


def test_models_that_chose_alike_share_one_deploy_command() -> None:
    # Given three models whose balanced choices are 512, 512 and 1024 MB
    sweep = results(
        run("sync", 512, [400.0, 410, 405, 395, 400, 402]),
        run("threaded", 512, [200.0, 210, 205, 195, 200, 202]),
        run("asyncio", 1024, [100.0, 101, 99, 100, 102, 98]),
    )
    # Then each setting is one command, naming every model that chose it
    assert deploy_commands(decide(sweep).models) == [
        ("sync and threaded", "npx cdk deploy --all -c memory=512"),
        ("asyncio", "npx cdk deploy --all -c memory=1024"),
    ]


@pytest.mark.parametrize(
    ("sweep_settings", "environment", "named"),
    [
        ({"price_architecture": "arm64"}, {"machine": "x86_64"}, "for arm64 (us-east-1, 2025-06-01)"),
        ({"price_architecture": "x86_64"}, {}, "for x86_64 (us-east-1, 2025-06-01)"),
        # A local sweep recorded before it priced the deployed architecture priced the machine's
        ({}, {"machine": "aarch64"}, "for arm64 (us-east-1, 2025-06-01)"),
    ],
)
def test_every_cost_line_names_the_architecture_and_says_it_is_an_estimate(
    sweep_settings: dict[str, str], environment: dict[str, str], named: str
) -> None:
    # Given a local sweep with costs
    sweep = results(run("sync", 512, [400.0, 410, 405, 395, 400, 402]))
    sweep.kind, sweep.environment = "local", environment
    sweep.settings["sweep"] = sweep_settings
    # When its verdict and legend are written
    lines = verdict_lines(sweep, decide(sweep))
    # Then the run's cost is what AWS would charge, estimated, for the architecture priced
    (cost,) = [line for line in lines if "sweep's invocations" in line]
    assert cost.startswith("on AWS, the sweep's invocations would cost $")
    assert cost.endswith(f"estimated at AWS prices {named}")
    assert any(line.endswith(f"estimated at AWS prices {named}") for line in legend(sweep))
    assert summary_document(sweep)["cost_basis"] == f"estimated at AWS prices {named}"


def test_an_aws_sweep_prices_the_functions_own_architecture() -> None:
    # Given an AWS sweep of x86_64 functions
    sweep = results(run("sync", 512, [400.0, 410, 405, 395, 400, 402]))
    sweep.environment = {"region": "us-east-1", "functions": {"sync": {"Architectures": ["x86_64"]}}}
    # Then its cost is the sweep's, estimated for x86_64
    (cost,) = [line for line in verdict_lines(sweep, decide(sweep)) if "sweep's invocations" in line]
    assert cost.startswith("the sweep's invocations cost $")
    assert cost.endswith("estimated at AWS prices for x86_64 (us-east-1, 2025-06-01)")


def test_a_speed_up_says_at_which_concurrency_and_when_its_interval_cannot_be_had() -> None:
    # Given three warm invocations a side: too few for the ratio's 95% CI
    few = results(run("sync", 512, [400.0, 410, 405]), run("asyncio", 512, [100.0, 101, 99], concurrency=32))
    (line,) = [line for line in verdict_lines(few, decide(few)) if "sync's duration" in line]
    assert line.startswith("asyncio at 512 MB, 32 requests in flight: 0.25x sync's duration")
    assert "too few invocations for a 95% CI; 3 and 3 warm invocations" in line
    # And with eight a side, the interval itself
    more = results(
        run("sync", 512, [400.0, 410, 405, 395, 400, 402, 398, 401]),
        run("asyncio", 512, [100.0, 101, 99, 100, 102, 98, 100, 101], concurrency=32),
    )
    (line,) = [line for line in verdict_lines(more, decide(more)) if "sync's duration" in line]
    assert "(95% CI 0.2" in line


def test_json_holds_the_requests_in_flight_and_no_float_noise() -> None:
    # Given a threaded run at the functions' default concurrency, costing a float sum
    sweep = results(run("threaded", 128, [1.0, 1, 1, 1, 1, 1]))
    for invocation in sweep.models[0].invocations:
        invocation.cost_usd = 0.1 + 0.2  # 0.30000000000000004
    document = summary_document(sweep)
    # Then the row says 64 requests in flight, not null, and the figures carry no noise
    assert document["rows"][0]["concurrency"] == 64
    assert document["rows"][0]["warm_cost_usd"] == 0.3
    assert "0000000000" not in json.dumps(document)
