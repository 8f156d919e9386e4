"""The sweep's settings, steps, plan and budget."""

import json
from typing import Any

import pytest

from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.sweep.plan import OverBudget, check_budget, plan
from concurrency_eval.sweep.settings import Step, SweepSettings, validate_memory_sizes
from concurrency_eval.workload.dataset import DataSetSpec

SPEC = DataSetSpec(objects=10, min_size=20, max_size=40)


def configuration(name: str) -> dict[str, Any]:
    return {"FunctionName": name, "MemorySize": 1024, "Timeout": 60, "Architectures": ["arm64"]}


def test_steps_sweep_concurrency_for_the_concurrent_models_only() -> None:
    settings = SweepSettings(memory_sizes=(256, 1024), concurrencies=(16, 64))
    assert list(settings.steps()) == [
        Step(256, 16, ("sync", "threaded", "asyncio")),
        Step(256, 64, ("threaded", "asyncio")),
        Step(1024, 16, ("sync", "threaded", "asyncio")),
        Step(1024, 64, ("threaded", "asyncio")),
    ]
    # Sync is recorded at one request in flight; the others at the step's concurrency
    step = Step(256, 16, ("sync", "asyncio"))
    assert step.group("sync") == ("sync", 256, 1)
    assert step.group("asyncio") == ("asyncio", 256, 16)
    assert "concurrency" not in settings.event("b", "sync", 16)
    assert settings.event("b", "threaded", 16)["concurrency"] == 16


def test_settings_survive_the_results_file() -> None:
    settings = SweepSettings(memory_sizes=(128,), concurrencies=(8, None), invocations=3, dataset=SPEC)
    assert SweepSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


def test_plan_estimates_counts_resumed_groups_out_and_the_budget_refuses() -> None:
    configurations = {"sync": configuration("fn-sync"), "asyncio": configuration("fn-asyncio")}
    settings = SweepSettings(
        memory_sizes=(1024, 2048), invocations=4, models=("sync", "asyncio"), expected_seconds=2
    )
    the_plan = plan(settings, configurations, DEFAULT_PRICES)
    assert the_plan.invocations == 2 * 2 * 5
    # expected: 5 calls x 2 s x (1 + 2 GB) x 2 models; worst: the same at the 60 s timeout
    assert the_plan.gb_seconds_expected == pytest.approx(60)
    assert the_plan.gb_seconds_worst == pytest.approx(1800)
    assert the_plan.cost_worst_usd == pytest.approx(1800 * 0.0000133334 + 20 * 0.0000002)
    check_budget(the_plan, 1.0)
    with pytest.raises(OverBudget, match=r"over the budget of \$0\.0100"):
        check_budget(the_plan, 0.01)
    # A resumed sweep plans only what is left
    resumed = plan(
        settings, configurations, DEFAULT_PRICES, frozenset({("sync", 1024, 1), ("asyncio", 1024, None)})
    )
    assert resumed.invocations == 2 * 5
    assert resumed.steps == 1


@pytest.mark.parametrize(
    ("sizes", "message"),
    [([64], "128 to 10240"), ([128, 20000], "got 20000"), ([256, 256], "repeat"), ([], "at least one")],
)
def test_memory_sizes_are_validated(sizes: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_memory_sizes(sizes)


def test_sampling_until_clear_plans_what_it_commits_to_and_says_how_far_it_may_go() -> None:
    configurations = {"sync": configuration("fn-sync")}
    settings = SweepSettings(
        memory_sizes=(1024,), invocations=5, max_invocations=20, cold_starts=3, models=("sync",)
    )
    the_plan = plan(settings, configurations, DEFAULT_PRICES)
    # Committed: three cold starts and five warm; at most three and twenty
    assert (the_plan.invocations, the_plan.invocations_max) == (8, 23)
    assert "8 invocations (up to 23 while sampling until clear, within any budget)" in the_plan.describe()
    fixed = plan(
        SweepSettings(memory_sizes=(1024,), invocations=5, models=("sync",)), configurations, DEFAULT_PRICES
    )
    assert "while sampling" not in fixed.describe()


def test_settings_written_before_sampling_until_clear_resume_as_a_fixed_count() -> None:
    recorded = SweepSettings(memory_sizes=(128,), invocations=3, dataset=SPEC).to_dict()
    for key in ("max_invocations", "target_ci", "cold_starts", "balanced_weight", "trim"):
        del recorded[key]
    restored = SweepSettings.from_dict(recorded)
    assert (restored.invocations, restored.max_invocations, restored.cold_starts) == (3, None, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cold_starts": 0}, "at least one cold start"),
        ({"trim": 0.5}, "below 0.5"),
        ({"invocations": 5, "max_invocations": 3}, "below the first invocations"),
        ({"target_ci": float("nan")}, "between 0 and 1"),
        ({"models": ("bogus",)}, "unknown model bogus"),
        ({"parallelism": 0}, "parallelism \\(0\\)"),
        ({"invocations": 99999}, "invocations \\(99999\\)"),
        ({"expected_seconds": float("nan")}, "expected seconds"),
        ({"memory_sizes": (99999,)}, "128 to 10240"),
        ({"concurrencies": (0,)}, "concurrency 0"),
    ],
)
def test_impossible_settings_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SweepSettings(**({"memory_sizes": (128,)} | changes))
