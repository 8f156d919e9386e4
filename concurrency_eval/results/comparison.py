"""Two runs compared: A, the baseline, and B, measured against it.

Points are paired by model, memory size and concurrency. For each pair: each run's warm
median with its 95% CI, and B/A, the Hodges-Lehmann ratio of B's warm durations to A's
with its 95% CI from the Mann-Whitney distribution (`statistics.ratio`); B differs
from A beyond noise where that CI leaves out 1. The same ratio of the warm invocations'
costs where both runs priced them: two architectures, say, are priced apart. A point
measured in one run only is kept, and said to be so, whichever run it is in.

A ratio means something only where A and B were measured alike, so every difference
between what the two results files record of their data set, settings and environment
is listed too.
"""

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from concurrency_eval.results.document import (
    DEFAULT_REQUESTS_IN_FLIGHT,
    ModelRun,
    Results,
    requests_in_flight,
)
from concurrency_eval.results.statistics import Distribution, Ratio, describe, ratio

#: What a pair shows: B faster or slower than A beyond noise, the same within noise, a
#: ratio whose CI is unbounded (too few warm invocations for any 95% interval), a point
#: measured in one run only, or one whose warm invocations all failed in a run.
FASTER, SLOWER, SAME, TOO_FEW = "faster", "slower", "same", "too few"
ONLY_IN_A, ONLY_IN_B = "only in A", "only in B"
NO_WARM_IN_A, NO_WARM_IN_B = "no warm in A", "no warm in B"

#: Where a difference lies: what was measured on, how it was measured, where it ran;
#: in this order in the list of differences.
DATA_SET, SETTINGS, ENVIRONMENT = "data set", "settings", "environment"
KINDS = (DATA_SET, SETTINGS, ENVIRONMENT)
_DIFFER = {
    DATA_SET: "the data sets differ",
    SETTINGS: "the settings differ",
    ENVIRONMENT: "the environments differ",
}
#: Settings that results files record twice; the copy is not compared again.
_COPIES = frozenset({"settings.sweep.dataset", "settings.s3.faults.latency"})
#: Recorded values longer than this are cut in messages (the JSON has them whole).
_SHOWN_CHARACTERS = 60

Key = tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Side:
    """One run's invocations at a point."""

    #: The warm invocations that answered, their durations in ms, in the order run.
    durations: tuple[float, ...]
    #: Their distribution (median and its 95% CI); None when none answered.
    duration: Distribution | None
    invocations: int
    correct: int
    #: What each of them cost, USD, where the run priced every one (else empty).
    costs: tuple[float, ...] = ()

    @classmethod
    def of(cls, runs: list[ModelRun], trim: float) -> "Side":
        """A point's figures from its groups of invocations: where a results file holds
        more than one group for the point, they are pooled, so that none is dropped."""
        warm = [i for run in runs for i in run.warm() if i.duration_ms is not None]
        durations = tuple(i.duration_ms for i in warm if i.duration_ms is not None)
        costs = tuple(i.cost_usd for i in warm if i.cost_usd is not None)
        return cls(
            durations=durations,
            duration=describe(durations, trim),
            invocations=sum(len(run.invocations) for run in runs),
            correct=sum(1 for run in runs for i in run.invocations if i.correct),
            costs=costs if len(costs) == len(durations) else (),
        )


@dataclass(frozen=True)
class Pair:
    """A point (model, memory size, concurrency) as each run measured it."""

    model: str
    memory_mb: int | None
    concurrency: int | None
    #: None where the run did not measure the point.
    a: Side | None
    b: Side | None
    #: B's warm durations over A's, the Hodges-Lehmann ratio and its 95% CI; None unless
    #: warm invocations answered in both runs.
    ratio: Ratio | None
    #: The same of their costs (two architectures are priced apart); None unless both
    #: runs priced their warm invocations.
    cost_ratio: Ratio | None = None

    @classmethod
    def of(cls, key: Key, a: Side | None, b: Side | None) -> "Pair":
        found = cost = None
        if a is not None and b is not None and a.durations and b.durations:
            found = ratio(b.durations, a.durations)
            if a.costs and b.costs:
                cost = ratio(b.costs, a.costs)
        return cls(*key, a, b, found, cost)

    @property
    def interval(self) -> tuple[float, float] | None:
        """B/A's 95% CI; None without a ratio, or with too few invocations for one."""
        return _bounded(self.ratio)

    @property
    def cost_interval(self) -> tuple[float, float] | None:
        """B/A's 95% CI of the cost; None as for `interval`."""
        return _bounded(self.cost_ratio)

    @property
    def change(self) -> str:
        """What B is against A here (FASTER, SLOWER, SAME, TOO_FEW, ONLY_IN_A, ...)."""
        if self.b is None:
            return ONLY_IN_A
        if self.a is None:
            return ONLY_IN_B
        if self.ratio is None:
            return NO_WARM_IN_A if not self.a.durations else NO_WARM_IN_B
        if self.interval is None:
            return TOO_FEW
        return FASTER if self.ratio.lower else SLOWER if self.ratio.higher else SAME

    @property
    def variant(self) -> str:
        """'threaded (16 requests in flight)': the model, and its requests in flight where
        they are not the functions' default (sync makes one at a time whatever the setting)."""
        if self.concurrency in (None, DEFAULT_REQUESTS_IN_FLIGHT) or self.model == "sync":
            return self.model
        return f"{self.model} ({self.concurrency} requests in flight)"

    @property
    def label(self) -> str:
        """'threaded x16 at 1024 MB': the point, in words."""
        return self.variant if self.memory_mb is None else f"{self.variant} at {self.memory_mb} MB"


def _bounded(found: Ratio | None) -> tuple[float, float] | None:
    if found is None or math.isinf(found.high):
        return None
    return found.low, found.high


@dataclass(frozen=True)
class Difference:
    """A value A's and B's results files record differently, by its place in the file."""

    #: Where, as a dotted path in results.json (`settings.dataset.objects`).
    setting: str
    #: DATA_SET, SETTINGS or ENVIRONMENT.
    kind: str
    #: The recorded values; a run that does not record it is not in `values`.
    values: Mapping[str, Any]

    def describe(self) -> str:
        """'settings.dataset.objects is 150 in A, 60 in B'."""
        return f"{self.setting} is " + ", ".join(f"{_shown(self.values, run)} in {run}" for run in "AB")

    def to_dict(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "kind": self.kind,
            **{run.lower(): v for run, v in self.values.items()},
        }


@dataclass(frozen=True)
class Comparison:
    """B against A: every point of either run, paired, and what their files record
    differently."""

    a: Results
    b: Results
    pairs: list[Pair]
    differences: list[Difference]

    @property
    def warnings(self) -> list[str]:
        """What makes the ratios less than a like-for-like comparison, in words."""
        found = [f"{_DIFFER[d.kind]}: {d.describe()}" for d in self.differences]
        found.extend(
            f"{run} is partial: its sweep stopped before the end"
            for run, results in (("A", self.a), ("B", self.b))
            if results.partial
        )
        return found

    @property
    def priced_apart(self) -> bool:
        """The two runs priced their invocations differently (other architectures, other
        prices), so that B/A of the costs says more than B/A of the durations."""
        differ = self.a.priced_architecture != self.b.priced_architecture or self.a.settings.get(
            "prices"
        ) != self.b.settings.get("prices")
        return differ and any(pair.cost_ratio is not None for pair in self.pairs)

    def all_correct(self) -> bool:
        """Every invocation in both runs answered right."""
        return self.a.all_correct() and self.b.all_correct()


def compare(a: Results, b: Results) -> Comparison:
    """B against A, the baseline: every point of either, paired, and how they differ."""
    sides_a, sides_b = _sides(a), _sides(b)
    models = list(dict.fromkeys(model for model, _, _ in (*sides_a, *sides_b)))
    keys = sorted(
        {*sides_a, *sides_b},
        key=lambda key: (models.index(key[0]), key[1] or 0, key[2] or 0),
    )
    pairs = [Pair.of(key, sides_a.get(key), sides_b.get(key)) for key in keys]
    return Comparison(a, b, pairs, differences(a, b))


def _sides(results: Results) -> dict[Key, Side]:
    groups: dict[Key, list[ModelRun]] = {}
    for run in results.models:
        # The functions' default recorded as None or as its number is one point.
        key = (run.model, run.memory_mb, requests_in_flight(run.model, run.concurrency))
        groups.setdefault(key, []).append(run)
    return {key: Side.of(runs, results.trim) for key, runs in groups.items()}


def differences(a: Results, b: Results) -> list[Difference]:
    """Every value the two files record differently: the kind of run, the answer the data
    set holds, the settings and the environment; the data set's first."""
    found = [
        *_differing("kind", a.kind, b.kind),
        *_differing("expected_result", a.expected_result, b.expected_result),
        *_differing("settings", a.settings, b.settings),
        *_differing("environment", a.environment, b.environment),
    ]
    return sorted(found, key=lambda d: KINDS.index(d.kind))


#: A value one of the files does not record.
_MISSING = object()


def _differing(setting: str, a: Any, b: Any) -> Iterator[Difference]:
    """Where `a` and `b` differ, followed into the objects both record (lists are values)."""
    if setting in _COPIES:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            yield from _differing(f"{setting}.{key}", a.get(key, _MISSING), b.get(key, _MISSING))
    elif a != b:
        values = {run: value for run, value in (("A", a), ("B", b)) if value is not _MISSING}
        yield Difference(setting, _kind(setting), values)


def _kind(setting: str) -> str:
    """The data set is what `settings.dataset` and the event (its folder) name, and the
    answer it holds; the environment is where the run was made."""
    place = setting.split(".")
    if setting == "expected_result" or place[:2] in (["settings", "dataset"], ["settings", "event"]):
        return DATA_SET
    if place[0] in ("kind", "environment"):
        return ENVIRONMENT
    return SETTINGS


def _shown(values: Mapping[str, Any], run: str) -> str:
    if run not in values:
        return "not recorded"
    text = json.dumps(values[run])
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 1] + "…"
