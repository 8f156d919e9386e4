"""The plan of a sweep: how many invocations, what they may cost, and the budget."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from concurrency_eval.results.pricing import Prices
from concurrency_eval.sweep.settings import SweepSettings


class OverBudget(ValueError):
    """The plan may cost more than --budget allows: the settings, not AWS, must change."""


@dataclass(frozen=True)
class Plan:
    steps: int
    #: What the plan commits to: the cold starts and the first warm invocations.
    invocations: int
    #: At most, with sampling until clear; `invocations` with a fixed count.
    invocations_max: int
    gb_seconds_expected: float
    gb_seconds_worst: float
    cost_expected_usd: float
    cost_worst_usd: float
    memory_sizes: tuple[int, ...]
    models: tuple[str, ...]
    concurrencies: tuple[int | None, ...]

    def describe(self) -> str:
        concurrency = ""
        if self.concurrencies != (None,):
            concurrency = f" x concurrency {', '.join(str(c) for c in self.concurrencies)}"
        return (
            f"memory sizes {', '.join(f'{m} MB' for m in self.memory_sizes)} x {', '.join(self.models)}"
            f"{concurrency}: {self.steps} configurations, {self.invocations} invocations"
            f"{self._sampling()}; about "
            f"{self.gb_seconds_expected:,.0f} GB-s (${self.cost_expected_usd:.4f}), at most "
            f"{self.gb_seconds_worst:,.0f} GB-s (${self.cost_worst_usd:.4f}) if every invocation ran to "
            "its timeout"
        )

    def _sampling(self) -> str:
        if self.invocations_max == self.invocations:
            return ""
        return f" (up to {self.invocations_max} while sampling until clear, within any budget)"


def plan(
    settings: SweepSettings,
    configurations: dict[str, dict[str, Any]],
    prices: Prices,
    done: frozenset[tuple[str, int, int | None]] = frozenset(),
) -> Plan:
    """Count what is left to run (`done` groups are skipped, as on --resume) and price it:
    what it commits to (sampling until clear then spends only what the budget leaves)."""
    calls_per_group = settings.cold_starts + settings.invocations
    most_per_group = settings.cold_starts + settings.sampling.most
    steps = invocations = most = 0
    expected = worst = cost_expected = cost_worst = 0.0
    for step in settings.steps():
        models = [m for m in step.models if step.group(m) not in done]
        steps += bool(models)
        for model in models:
            configuration = configurations[model]
            timeout = float(configuration["Timeout"])
            architecture = settings.priced_architecture(configuration)
            invocations += calls_per_group
            most += most_per_group
            expected += calls_per_group * settings.expected_seconds * step.memory_mb / 1024
            worst += calls_per_group * timeout * step.memory_mb / 1024
            cost_expected += calls_per_group * prices.invocation_cost(
                settings.expected_seconds * 1000, step.memory_mb, architecture
            )
            cost_worst += calls_per_group * prices.invocation_cost(
                timeout * 1000, step.memory_mb, architecture
            )
    return Plan(
        steps, invocations, most, expected, worst, cost_expected, cost_worst,
        settings.memory_sizes, settings.models, settings.concurrencies,
    )  # fmt: skip


def combined(plans: Sequence[Plan]) -> Plan:
    """Several variants' plans as one, for the budget: their counts and costs added, the
    sizes, models and concurrencies the first's (each variant sweeps the same)."""
    first = plans[0] if plans else None
    return Plan(
        steps=sum(p.steps for p in plans),
        invocations=sum(p.invocations for p in plans),
        invocations_max=sum(p.invocations_max for p in plans),
        gb_seconds_expected=sum(p.gb_seconds_expected for p in plans),
        gb_seconds_worst=sum(p.gb_seconds_worst for p in plans),
        cost_expected_usd=sum(p.cost_expected_usd for p in plans),
        cost_worst_usd=sum(p.cost_worst_usd for p in plans),
        memory_sizes=() if first is None else first.memory_sizes,
        models=() if first is None else first.models,
        concurrencies=(None,) if first is None else first.concurrencies,
    )


def check_budget(the_plan: Plan, budget_usd: float | None) -> None:
    if budget_usd is not None and the_plan.cost_worst_usd > budget_usd:
        raise OverBudget(
            f"the plan may cost up to ${the_plan.cost_worst_usd:.4f}, over the budget of ${budget_usd:.4f}; "
            "sweep fewer memory sizes, run fewer invocations, or raise --budget"
        )
