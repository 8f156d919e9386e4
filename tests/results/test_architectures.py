"""Two architectures' sweeps compared: B/A of durations and of costs each at its own rate,
the choice among every size on either, and the run's folder read back."""

import dataclasses
import math
from pathlib import Path

import pytest

from concurrency_eval.results.architectures import ArchitectureSweeps, read
from concurrency_eval.results.comparison import FASTER, SAME, compare
from concurrency_eval.results.comparison_chart import write_comparison_chart
from concurrency_eval.results.document import Results, ResultsError
from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.results.report import (
    architecture_lines,
    architectures_document,
    comparison_table,
    deploy_commands,
)
from tests.results.test_comparison import TEN, scaled, sweep
from tests.results.test_document import column_cells


def on(architecture: str, results: Results) -> Results:
    """`results` as the sweep of `architecture`'s variant records it: its functions'
    architecture, the variant named in its options, every invocation at its rate."""
    for run in results.models:
        for invocation in run.invocations:
            assert invocation.billed_ms is not None
            assert invocation.memory_mb is not None
            invocation.cost_usd = DEFAULT_PRICES.invocation_cost(
                invocation.billed_ms, invocation.memory_mb, architecture
            )
    functions = {"sync": {"FunctionName": f"fn-sync-{architecture}", "Architectures": [architecture]}}
    options = {"architecture": architecture, "architectures": ["arm64", "x86_64"]}
    return dataclasses.replace(
        results,
        environment=results.environment | {"functions": functions},
        settings=results.settings | {"options": options},
    )


def both(arm64: dict[int, list[float]], x86_64: dict[int, list[float]]) -> ArchitectureSweeps:
    return ArchitectureSweeps(
        {
            "arm64": on("arm64", sweep({("sync", m, 1): d for m, d in arm64.items()}, kind="aws")),
            "x86_64": on("x86_64", sweep({("sync", m, 1): d for m, d in x86_64.items()}, kind="aws")),
        }
    )


def test_the_same_durations_cost_more_on_x86_64_by_its_price_and_the_table_says_so() -> None:
    # Given sync as fast on both architectures at 1024 MB
    sweeps = both({1024: TEN}, {1024: TEN})
    # When x86_64 is compared with arm64, the baseline
    (pair,) = sweeps.comparison.pairs
    # Then the durations are the same within noise, and the cost ratio is the price ratio
    assert pair.change == SAME
    assert pair.cost_ratio is not None
    price_ratio = DEFAULT_PRICES.gb_second["x86_64"] / DEFAULT_PRICES.gb_second["arm64"]
    assert pair.cost_ratio.estimate == pytest.approx(price_ratio, rel=0.01)
    assert pair.cost_interval is not None
    assert pair.cost_interval[0] > 1
    # And the table has the cost columns, as the runs were priced apart
    cells = column_cells(comparison_table(sweeps.comparison))
    assert cells["cost\nB/A"] == [f"{pair.cost_ratio.estimate:.2f}"]
    # And what the variants record differently by design is no warning
    assert sweeps.comparison.warnings == []


def test_runs_priced_alike_show_no_cost_columns() -> None:
    # Given two runs at the same prices (the same architecture)
    a = sweep({("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): scaled(TEN, 0.5)})
    comparison = compare(a, b)
    # Then the costs say nothing the durations do not, and the table leaves them out
    assert not comparison.priced_apart
    assert "cost\nB/A" not in column_cells(comparison_table(comparison))
    assert comparison.pairs[0].change == FASTER


def test_where_the_architectures_tie_the_cheaper_is_named_and_its_deploy_command_given() -> None:
    # Given sync as fast at 1024 MB on either, and slower at 512 MB on both
    sweeps = both({512: scaled(TEN, 1.8), 1024: TEN}, {512: scaled(TEN, 1.8), 1024: TEN})
    # When the choice is made among every size on either
    (verdict,) = sweeps.verdict()
    # Then 1024 MB on both is equally fast within noise, and arm64's, which costs less, is named
    assert [(p.architecture, p.memory_mb) for p in verdict.fastest.tied] == [
        ("arm64", 1024),
        ("x86_64", 1024),
    ]
    assert (verdict.fastest.point.architecture, verdict.fastest.point.memory_mb) == ("arm64", 1024)
    # And arm64 at 1024 MB is the cheapest beyond noise
    assert verdict.cheapest is not None
    assert verdict.cheapest.clear
    assert verdict.cheapest.point.architecture == "arm64"
    # And the lines say so, with the architecture of each size
    lines = architecture_lines(sweeps, [verdict])
    assert "sync: fastest: 1024 MB on arm64 and 1024 MB on x86_64 are equally fast within noise; " in lines[1]
    assert "1024 MB on arm64 is the cheapest of them" in lines[1]
    # And the command deploys that architecture alone, at that size
    assert deploy_commands([verdict]) == [
        ("sync", "npx cdk deploy --all -c architecture=arm64 -c memory=1024")
    ]


def test_a_clearly_faster_architecture_is_chosen_fastest_whatever_its_price() -> None:
    # Given x86_64 twice as fast at 1024 MB
    sweeps = both({1024: scaled(TEN, 2.0)}, {1024: TEN})
    (verdict,) = sweeps.verdict()
    assert verdict.fastest.clear
    assert verdict.fastest.point.architecture == "x86_64"
    # And the JSON names each choice's architecture and the tied ones
    document = architectures_document(sweeps)
    fastest = document["verdict"]["sync"]["fastest"]
    assert (fastest["architecture"], fastest["tied_architectures"]) == ("x86_64", ["x86_64"])
    assert document["architectures"] == ["arm64", "x86_64"]
    assert document["comparison"]["points"][0]["cost_b_over_a"]["estimate"] == pytest.approx(
        0.5 * DEFAULT_PRICES.gb_second["x86_64"] / DEFAULT_PRICES.gb_second["arm64"], rel=0.02
    )


def test_a_run_folder_reads_back_with_the_baseline_it_named_first(tmp_path: Path) -> None:
    # Given a run that named x86_64 first, each sweep in its architecture's folder
    sweeps = both({1024: TEN}, {1024: TEN})
    for name, results in sweeps.runs.items():
        options = results.settings["options"] | {"architectures": ["x86_64", "arm64"]}
        dataclasses.replace(results, settings=results.settings | {"options": options}).write(
            _folder(tmp_path / name)
        )
    # When it is read, Then x86_64 is the baseline
    assert read(tmp_path).architectures == ("x86_64", "arm64")
    # And a folder with one sweep only is no such run, and says what it lacks
    (tmp_path / "x86_64" / "results.json").unlink()
    with pytest.raises(ResultsError, match="holds 1 architectures' sweeps \\(arm64\\)"):
        read(tmp_path)


def test_only_two_sweeps_compare() -> None:
    one = on("arm64", sweep({("sync", 1024, 1): TEN}, kind="aws"))
    with pytest.raises(ValueError, match="two architectures' sweeps compare, not 1"):
        ArchitectureSweeps({"arm64": one})


def test_costs_of_invocations_not_all_priced_are_not_compared() -> None:
    # Given a B whose warm invocations were not all priced
    sweeps = both({1024: TEN}, {1024: TEN})
    b = sweeps.runs["x86_64"]
    b.models[0].invocations[0].cost_usd = None
    (pair,) = compare(sweeps.runs["arm64"], b).pairs
    # Then there is no cost ratio, rather than one of unpaired figures
    assert pair.cost_ratio is None
    assert pair.ratio is not None
    assert not math.isnan(pair.ratio.estimate)


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


@pytest.mark.slow
def test_the_chart_of_runs_priced_apart_has_a_panel_for_the_cost(tmp_path: Path) -> None:
    # Given two architectures' sweeps, and two runs priced alike
    apart = both({512: TEN, 1024: TEN}, {512: TEN, 1024: scaled(TEN, 0.8)}).comparison
    alike = compare(sweep({("sync", 1024, 1): TEN}), sweep({("sync", 1024, 1): scaled(TEN, 0.5)}))
    # When each is drawn
    widths = {}
    for name, comparison in (("apart", apart), ("alike", alike)):
        picture = write_comparison_chart(comparison, tmp_path / f"{name}.png").read_bytes()
        assert picture.startswith(b"\x89PNG\r\n\x1a\n")
        widths[name] = int.from_bytes(picture[16:20], "big")  # IHDR's width
    # Then the one priced apart is three panels wide, the other two
    assert widths == {"apart": 2000, "alike": 1400}
