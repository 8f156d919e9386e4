"""Two runs compared: points paired both ways, B/A with its CI, and every difference in
how the runs were measured."""

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from concurrency_eval.results.comparison import (
    DATA_SET,
    ENVIRONMENT,
    FASTER,
    NO_WARM_IN_B,
    ONLY_IN_A,
    ONLY_IN_B,
    SAME,
    SETTINGS,
    SLOWER,
    TOO_FEW,
    compare,
)
from concurrency_eval.results.comparison_chart import write_comparison_chart
from concurrency_eval.results.document import Results
from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.results.report import comparison_document, comparison_table, summary_document
from concurrency_eval.results.statistics import ratio
from concurrency_eval.sweep.runner import new_results
from concurrency_eval.sweep.settings import SweepSettings
from concurrency_eval.workload.dataset import DataSetSpec
from tests.results.test_document import column_cells
from tests.results.test_verdict import run

Points = dict[tuple[str, int, int | None], list[float]]
#: Ten distinct warm durations, ms.
TEN = [1000.0 + 37 * i + (i * i) % 7 for i in range(10)]


def sweep(points: Points, objects: int = 150, kind: str = "local") -> Results:
    """A finished sweep as the tool records it, with these warm durations per point."""
    plan = SweepSettings(
        memory_sizes=tuple(sorted({memory for _, memory, _ in points})),
        invocations=10,
        dataset=DataSetSpec(objects),
    )
    environment: dict[str, Any] = (
        {"region": "us-east-1", "cpus": 2, "cpu_limit": "cgroup-v1", "bundle_keys": {"framework": "7470e1"}}
        if kind == "local"
        else {"region": "us-east-1", "functions": {"sync": {"Architectures": ["arm64"], "Timeout": 60}}}
    )
    results = new_results(
        kind, plan, DEFAULT_PRICES, environment, event=plan.event("bucket", "threaded", None)
    )
    results.partial = False
    results.models = [
        run(model, memory, durations, concurrency)
        for (model, memory, concurrency), durations in points.items()
    ]
    return results


def scaled(durations: list[float], factor: float) -> list[float]:
    return [d * factor for d in durations]


def test_points_pair_by_model_memory_and_concurrency_and_ratios_are_b_over_a() -> None:
    # Given A and B with the same points, B's threaded x16 twice as slow, its x64 half as slow
    a = sweep({("sync", 1024, 1): TEN, ("threaded", 1024, 16): TEN, ("threaded", 1024, 64): TEN})
    b = sweep(
        {
            ("threaded", 1024, 64): scaled(TEN, 0.5),
            ("threaded", 1024, 16): scaled(TEN, 2.0),
            ("sync", 1024, 1): TEN,
        }
    )
    # When B is compared with A
    comparison = compare(a, b)
    # Then each point meets its own, whatever the order B recorded them in
    assert [(p.model, p.memory_mb, p.concurrency) for p in comparison.pairs] == [
        ("sync", 1024, 1),
        ("threaded", 1024, 16),
        ("threaded", 1024, 64),
    ]
    estimates = [p.ratio.estimate for p in comparison.pairs if p.ratio is not None]
    assert estimates == pytest.approx([1.0, 2.0, 0.5])
    assert [p.change for p in comparison.pairs] == [SAME, SLOWER, FASTER]
    # And each side has its own median with its 95% CI
    x16 = comparison.pairs[1]
    assert x16.a is not None
    assert x16.b is not None
    assert x16.a.duration is not None
    assert x16.b.duration is not None
    assert x16.b.duration.median == pytest.approx(2 * x16.a.duration.median)
    assert x16.a.duration.median_low <= x16.a.duration.median <= x16.a.duration.median_high
    assert not comparison.warnings


def test_only_warm_answered_invocations_are_compared() -> None:
    # Given B's point with a cold invocation and a failed warm one besides A's durations
    a = sweep({("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): TEN})
    cold = dataclasses.replace(b.models[0].invocations[0], kind="cold", duration_ms=9000.0, init_ms=300.0)
    failed = dataclasses.replace(
        b.models[0].invocations[0], duration_ms=1.0, error="ObjectsFailed", correct=False
    )
    b.models[0].invocations += [cold, failed]
    # When compared
    (pair,) = compare(a, b).pairs
    # Then neither moves the ratio, and the wrong answer is counted
    assert pair.b is not None
    assert pair.b.durations == tuple(TEN)
    assert pair.ratio == ratio(TEN, TEN)
    assert (pair.b.correct, pair.b.invocations) == (11, 12)
    assert not compare(a, b).all_correct()


def test_the_interval_is_the_mann_whitney_one_on_constructed_data() -> None:
    # Given B exactly twice as slow as A, ten warm invocations each
    a, b = sweep({("sync", 512, 1): TEN}), sweep({("sync", 512, 1): scaled(TEN, 2.0)})
    # When compared
    (pair,) = compare(a, b).pairs
    # Then B/A is 2 and its 95% CI drops the 23 most extreme of the 100 pairwise ratios
    # at each end (23: the two-sided 5% critical U for 10 and 10 in the usual tables)
    pairwise = sorted(x / y for x in scaled(TEN, 2.0) for y in TEN)
    assert pair.ratio is not None
    assert pair.interval is not None
    assert pair.ratio.estimate == pytest.approx(2.0)
    assert pair.interval == pytest.approx((pairwise[23], pairwise[100 - 24]))
    assert pair.interval[0] > 1
    assert pair.change == SLOWER


def test_overlapping_runs_are_the_same_within_noise() -> None:
    # Given B's durations interleaved with A's
    a = sweep({("asyncio", 1024, None): TEN[0::2] * 2})
    b = sweep({("asyncio", 1024, None): TEN[1::2] * 2})
    (pair,) = compare(a, b).pairs
    assert pair.interval is not None
    assert pair.interval[0] < 1 < pair.interval[1]
    assert pair.change == SAME


def test_too_few_invocations_for_any_interval_say_so() -> None:
    # Given three warm invocations a side: no 95% interval exists for them
    a = sweep({("sync", 1024, 1): [1000.0, 1010.0, 1020.0]})
    b = sweep({("sync", 1024, 1): [500.0, 505.0, 510.0]})
    comparison = compare(a, b)
    (pair,) = comparison.pairs
    # Then the estimate is given, but no interval and no verdict on it
    assert pair.ratio is not None
    assert pair.ratio.estimate == pytest.approx(0.5)
    assert pair.interval is None
    assert pair.change == TOO_FEW
    assert column_cells(comparison_table(comparison))["95% CI"] == ["-"]
    # And the JSON has null bounds rather than an infinity JSON cannot hold
    document = comparison_document(comparison)
    json.dumps(document, allow_nan=False)
    assert document["points"][0]["b_over_a"]["low"] is None
    assert document["points"][0]["b_over_a"]["high"] is None


def test_a_side_whose_warm_invocations_all_failed_has_no_ratio() -> None:
    a, b = sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): TEN})
    b.models[0].invocations = [
        dataclasses.replace(i, error="ObjectsFailed", correct=False) for i in b.models[0].invocations
    ]
    (pair,) = compare(a, b).pairs
    assert pair.ratio is None
    assert pair.change == NO_WARM_IN_B


def test_points_in_one_run_only_are_kept_in_both_directions() -> None:
    # Given A at 512 and 1024 MB, B at 1024 and 3008 MB
    a = sweep({("sync", 512, 1): TEN, ("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): TEN, ("sync", 3008, 1): TEN})
    # When compared either way round
    forward, backward = compare(a, b), compare(b, a)
    # Then every size of either is a row, marked by the run it is in
    assert [(p.memory_mb, p.change) for p in forward.pairs] == [
        (512, ONLY_IN_A),
        (1024, SAME),
        (3008, ONLY_IN_B),
    ]
    assert [(p.memory_mb, p.change) for p in backward.pairs] == [
        (512, ONLY_IN_B),
        (1024, SAME),
        (3008, ONLY_IN_A),
    ]
    cells = column_cells(comparison_table(forward))
    assert cells["MB"] == ["512", "1024", "3008"]
    assert cells["change"] == ["only in A", "same", "only in B"]
    assert cells["p50 A\nms"][2] == cells["p50 B\nms"][0] == "-"
    assert cells["ok A"] == ["10/10", "10/10", "-"]
    # And the memory sizes swept are named as a difference of settings
    assert "the settings differ: settings.sweep.memory_sizes is [512, 1024] in A, [1024, 3008] in B" in (
        forward.warnings
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(100, 10_000), min_size=1, max_size=12),
    st.lists(st.floats(100, 10_000), min_size=1, max_size=12),
)
def test_swapping_the_runs_inverts_every_ratio(first: list[float], second: list[float]) -> None:
    # Given any two samples of one point
    a, b = sweep({("threaded", 1024, None): first}), sweep({("threaded", 1024, None): second})
    # When compared both ways
    (forward,) = compare(a, b).pairs
    (backward,) = compare(b, a).pairs
    # Then B/A is statistics' ratio of B to A, its reverse is its reciprocal, and so is its CI
    assert forward.ratio == ratio(second, first)
    assert forward.ratio is not None
    assert backward.ratio is not None
    assert backward.ratio.estimate == pytest.approx(1 / forward.ratio.estimate)
    mirrored = {FASTER: SLOWER, SLOWER: FASTER, SAME: SAME, TOO_FEW: TOO_FEW}
    assert backward.change == mirrored[forward.change]
    if forward.interval is not None and backward.interval is not None:
        assert backward.interval == pytest.approx((1 / forward.interval[1], 1 / forward.interval[0]))
        assert forward.interval[0] <= forward.ratio.estimate <= forward.interval[1]


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        document = document.setdefault(key, {})
    document[last] = value


@pytest.mark.parametrize(
    ("where", "value", "kind", "message"),
    [
        ("settings.dataset.objects", 60, DATA_SET, "settings.dataset.objects is 150 in A, 60 in B"),
        ("settings.dataset.seed", 7, DATA_SET, "settings.dataset.seed is 42 in A, 7 in B"),
        ("settings.dataset.max_size", 9000, DATA_SET, "settings.dataset.max_size is 50000 in A, 9000 in B"),
        ("settings.sweep.invocations", 30, SETTINGS, "settings.sweep.invocations is 10 in A, 30 in B"),
        ("settings.sweep.trim", 0.1, SETTINGS, "settings.sweep.trim is 0.2 in A, 0.1 in B"),
        ("settings.sweep.concurrencies", [16, 64], SETTINGS,
         "settings.sweep.concurrencies is [null] in A, [16, 64] in B"),
        ("settings.prices.region", "eu-west-3", SETTINGS,
         'settings.prices.region is "us-east-1" in A, "eu-west-3" in B'),
        ("settings.tls", False, SETTINGS, "settings.tls is not recorded in A, false in B"),
        ("environment.cpu_limit", "duty-cycle", ENVIRONMENT,
         'environment.cpu_limit is "cgroup-v1" in A, "duty-cycle" in B'),
        ("environment.region", "eu-west-1", ENVIRONMENT,
         'environment.region is "us-east-1" in A, "eu-west-1" in B'),
        ("environment.bundle_keys.framework", "32315b", ENVIRONMENT,
         'environment.bundle_keys.framework is "7470e1" in A, "32315b" in B'),
    ],
)  # fmt: skip
def test_every_difference_in_how_the_runs_were_measured_is_a_warning(
    where: str, value: Any, kind: str, message: str
) -> None:
    # Given B recorded with one value changed
    a, b = sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): TEN})
    root, rest = where.split(".", 1)
    _set(b.settings if root == "settings" else b.environment, rest, value)
    # When compared
    comparison = compare(a, b)
    # Then that one difference is named, with both values, under what it is
    assert [(d.setting, d.kind) for d in comparison.differences] == [(where, kind)]
    prefix = {DATA_SET: "the data sets differ", SETTINGS: "the settings differ"}.get(
        kind, "the environments differ"
    )
    assert comparison.warnings == [f"{prefix}: {message}"]


def test_a_different_data_set_is_named_once_per_value_and_first() -> None:
    # Given A on 150 objects locally and B on 60 on AWS: the data set is also in the sweep's
    # settings and the event (its folder), and the expected answer follows from it
    a = sweep({("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): TEN}, objects=60, kind="aws")
    # When compared
    comparison = compare(a, b)
    # Then the data set's differences come first, each once, then where the runs were made
    settings_named = [d.setting for d in comparison.differences]
    assert settings_named[:3] == ["expected_result", "settings.dataset.objects", "settings.event.folder"]
    assert not any(s.startswith("settings.sweep.dataset") for s in settings_named)
    assert 'the environments differ: kind is "local" in A, "aws" in B' in comparison.warnings
    assert (
        'the environments differ: environment.functions is not recorded in A, {"sync": {"Architectures": '
        '["arm64"], "Timeout": 60}} in B' in comparison.warnings
    )


def test_a_data_set_one_file_does_not_record_is_a_data_set_difference() -> None:
    # Given A written without its data set (as an older version wrote it)
    a, b = sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): TEN})
    del a.settings["dataset"]
    # Then the data set is named once, whole, as not recorded in A
    (difference,) = compare(a, b).differences
    assert (difference.setting, difference.kind) == ("settings.dataset", DATA_SET)
    assert difference.describe().startswith("settings.dataset is not recorded in A, {")


def test_partial_runs_are_warned_about() -> None:
    a, b = sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): TEN})
    b.partial = True
    assert compare(a, b).warnings == ["B is partial: its sweep stopped before the end"]


def test_the_json_document_holds_both_summaries_the_points_and_the_differences() -> None:
    # Given A and B that differ in a point each and in their data set
    a = sweep({("sync", 512, 1): TEN, ("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): scaled(TEN, 0.5), ("sync", 3008, 1): TEN}, objects=60)
    comparison = compare(a, b)
    # When it is made a JSON document
    document = json.loads(json.dumps(comparison_document(comparison), allow_nan=False))
    # Then A is the baseline, and each run's summary is what `report --json` prints for it
    assert document["baseline"] == "a"
    assert document["a"] == json.loads(json.dumps(summary_document(a)))
    assert document["b"] == json.loads(json.dumps(summary_document(b)))
    # And every point of either run is there, with B/A and its CI where both measured it
    assert [(p["memory_mb"], p["change"]) for p in document["points"]] == [
        (512, ONLY_IN_A),
        (1024, FASTER),
        (3008, ONLY_IN_B),
    ]
    only_a, both, only_b = document["points"]
    assert (only_a["b"], only_a["b_over_a"], only_a["a"]["warm"]["n"]) == (None, None, 10)
    assert (only_b["a"], only_b["b"]["invocations"]) == (None, 10)
    assert both["b_over_a"]["estimate"] == pytest.approx(0.5)
    assert both["b_over_a"]["low"] < 0.5 < both["b_over_a"]["high"] < 1
    assert both["b_over_a"]["confidence"] == 0.95
    assert both["a"]["warm"]["median_low"] <= both["a"]["warm"]["median"] <= both["a"]["warm"]["median_high"]
    # And so is every difference, with what each run recorded, and the warnings in words
    objects = next(d for d in document["differences"] if d["setting"] == "settings.dataset.objects")
    assert objects == {"setting": "settings.dataset.objects", "kind": DATA_SET, "a": 150, "b": 60}
    assert "the data sets differ: settings.dataset.objects is 150 in A, 60 in B" in document["warnings"]
    assert document["all_correct"] is True


def test_a_value_recorded_in_one_run_only_has_one_side_in_json() -> None:
    a, b = sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): TEN})
    a.environment["isolation"] = "walled"
    (difference,) = comparison_document(compare(a, b))["differences"]
    assert difference == {"setting": "environment.isolation", "kind": ENVIRONMENT, "a": "walled"}


def test_long_recorded_values_are_cut_in_words_and_whole_in_json() -> None:
    a, b = sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): TEN})
    b.settings["note"] = "x" * 200
    comparison = compare(a, b)
    (warning,) = comparison.warnings
    # (60 characters of its JSON: the quote, 58 x, the ellipsis)
    assert warning == f'the settings differ: settings.note is not recorded in A, "{"x" * 58}… in B'
    assert comparison_document(comparison)["differences"][0]["b"] == "x" * 200


def test_a_results_file_with_two_groups_for_one_point_pools_them() -> None:
    a = sweep({("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): TEN[:5]})
    b.models.append(run("sync", 1024, TEN[5:], 1))
    (pair,) = compare(a, b).pairs
    assert pair.b is not None
    assert sorted(pair.b.durations) == sorted(TEN)


def test_the_table_fits_80_columns() -> None:
    # Given durations in seconds and the widest memory sizes and concurrencies
    a = sweep({("threaded", m, c): TEN for m in (128, 10240) for c in (16, 256)})
    b = sweep({("threaded", m, c): scaled(TEN, 12.5) for m in (128, 10240) for c in (16, 256)})
    # When the comparison is drawn on an 80-column terminal
    console = Console(width=80, record=True)
    console.print(comparison_table(compare(a, b)))
    text = console.export_text()
    # Then nothing is cut and no line is wider
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert column_cells(comparison_table(compare(a, b)))["B/A"] == ["12.50"] * 4


def test_the_chart_draws_what_it_can_and_notes_the_rest(tmp_path: Path) -> None:
    # Given points in one run only, a point without a memory size, one with too few
    # invocations for a CI and a concurrency swept
    a = sweep({("sync", 512, 1): TEN, ("threaded", 1024, 16): TEN, ("asyncio", 1024, 64): TEN[:3]})
    b = sweep({("sync", 1024, 1): TEN, ("threaded", 1024, 16): TEN, ("asyncio", 1024, 64): TEN[:3]})
    b.models.append(dataclasses.replace(run("threaded", 1024, TEN, 16), memory_mb=None))
    comparison = compare(a, b)
    assert "threaded (16 requests in flight)" in [p.label for p in comparison.pairs]
    # When the chart is drawn, Then it is a PNG
    chart = write_comparison_chart(comparison, tmp_path / "comparison.png")
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
