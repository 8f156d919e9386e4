"""The sweep engine: a published version per configuration, then its groups of invocations,
several at once.

One engine for both backends. A group is one model at one step (a memory size, and a
concurrency for the concurrent models). First, for every group, the engine updates
$LATEST with the step's memory size and a marker that changes at every step, and
publishes that as a version behind an alias (`sweep.versions`), so that each group's
first invocation meets a new execution environment of its own; `cold_starts` above one
publishes a version per cold start, as Power Tuning's `onlyColdStarts` does. Then it
measures the groups, `parallel` invocations in flight at most across them (and never
more of one function than its reserved concurrency): a group invokes its version's
alias cold, then warm as `sweep.sampling` says (a fixed count, or until the answer is
clear, within the budget), reads each invocation from Lambda's own report, prices it,
and hands the finished group to `on_group` (which writes the results file, so that
nothing measured is lost); its version and alias are removed then. Whatever happens,
what the sweep published is removed and $LATEST restored.

Versions of different groups never share an execution environment, on Lambda as on the
local service, so a cold invocation stays cold and a warm one warm whatever runs beside
it; what groups at once share is the account's concurrency and, on one machine, its
CPU (so `local` measures one group at a time unless told otherwise).
"""

import contextlib
import functools
import math
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from concurrency_eval.backends.under_test import FunctionsUnderTest
from concurrency_eval.results.document import BUDGET, INTERRUPTED, Invocation, ModelRun
from concurrency_eval.results.pricing import Prices
from concurrency_eval.results.verdict import Point
from concurrency_eval.sweep import in_flight
from concurrency_eval.sweep.budget import Budget
from concurrency_eval.sweep.invoke import Answer, invoke_once
from concurrency_eval.sweep.settings import Step, SweepSettings
from concurrency_eval.sweep.updates import Configurator
from concurrency_eval.sweep.versions import Publisher, alias_name
from concurrency_eval.system import signals

#: A group of invocations is identified by model, memory size and concurrency.
GroupKey = tuple[str, int, int | None]


class Observer(Protocol):
    """What the engine reports as it goes; the command line draws it."""

    def step(self, message: str, total: int | None = None) -> None: ...

    def invocation(self, model: str, step: Step, invocation: Invocation) -> None: ...

    def ended(self, run: ModelRun) -> None:
        """A group ended, as sampling asked or cut short (its stop reason says which)."""

    def note(self, message: str) -> None:
        """Something to tell while the sweep goes on."""


class Unobserved:
    """An observer that shows nothing: a sweep run by a program, not a person."""

    def step(self, message: str, total: int | None = None) -> None:
        pass

    def invocation(self, model: str, step: Step, invocation: Invocation) -> None:
        pass

    def ended(self, run: ModelRun) -> None:
        pass

    def note(self, message: str) -> None:
        pass


class GroupMeter(Protocol):
    """A backend's own measurements around one group (the local S3's CPU, say), which
    can be told apart only while groups run one at a time."""

    def begin(self) -> None: ...

    def end(self, run: ModelRun) -> None: ...


@dataclass
class _Group:
    model: str
    step: Step
    run: ModelRun
    architecture: str
    #: The aliases of its versions, one per cold start; the last is measured warm too.
    aliases: tuple[str, ...] = ()
    #: What the group's committed invocations (cold starts, first warm ones) may cost at worst.
    committed_worst: float = 0.0


class Sweep:
    def __init__(
        self,
        under_test: FunctionsUnderTest,
        settings: SweepSettings,
        prices: Prices,
        observer: Observer,
        meter: GroupMeter | None = None,
        budget_usd: float | None = None,
    ) -> None:
        self._under_test = under_test
        self._settings = settings
        self._prices = prices
        self._observer = observer
        self._meter = meter
        self.run_id = uuid.uuid4().hex[:12]
        self._budget_usd = budget_usd
        self._budget = Budget(budget_usd, 0.0, 0.0)
        #: The points measured so far, for sampling, and the lock groups share them under.
        self._points: list[Point] = []
        self._lock = threading.Lock()
        self._originals: dict[str, dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._in_flight = threading.BoundedSemaphore(settings.parallel)
        self._per_function: dict[str, threading.BoundedSemaphore] = {}

    def configurations(self) -> dict[str, dict[str, Any]]:
        return self._under_test.configurations()

    def run(
        self,
        originals: dict[str, dict[str, Any]],
        on_group: Callable[[ModelRun], None],
        done: frozenset[GroupKey] = frozenset(),
        measured: Sequence[ModelRun] = (),
    ) -> None:
        """Measure every group not in `done`, then remove what the sweep published and
        restore the functions, even on error or Ctrl-C.

        `measured` are the groups a resumed sweep finished before: sampling compares with them.
        """
        self._originals = originals
        finished = [run for run in measured if run.stop_reason != INTERRUPTED]
        self._points = [point for run in finished if (point := Point.of(run)) is not None]
        target = self._under_test
        configurator = Configurator(
            target.client, target.functions, originals, target.poll_seconds, on_step=self._observer.note,
        )  # fmt: skip
        publisher = Publisher(
            target.client, target.functions, self.run_id,
            {model: str(originals[model]["CodeSha256"]) for model in target.functions}, target.poll_seconds,
        )  # fmt: skip
        groups = self._groups(done)
        spent = sum(i.cost_usd or 0.0 for run in measured for i in run.invocations)
        self._budget = Budget(self._budget_usd, spent, sum(group.committed_worst for group in groups))
        try:
            self._publish(groups, configurator, publisher)
            self._limit_per_function()
            self._measure(groups, on_group, publisher)
        except BaseException:
            self._finish(configurator, publisher)
            raise
        signum = self._finish(configurator, publisher)
        if signum is not None:
            # The sweep had finished; an interrupt during the clean-up still ends the command as one.
            raise signals.interrupt(signum)

    def _groups(self, done: frozenset[GroupKey]) -> list[_Group]:
        groups = []
        committed = self._settings.cold_starts + self._settings.sampling.minimum
        for step in self._settings.steps():
            for model in step.models:
                if step.group(model) in done:
                    continue
                configuration = self._originals[model]
                architecture = self._settings.priced_architecture(configuration)
                worst = self._prices.invocation_cost(
                    float(configuration["Timeout"]) * 1000, step.memory_mb, architecture
                )
                groups.append(
                    _Group(
                        model, step, _new_run(model, step), architecture, committed_worst=committed * worst
                    )
                )
        return groups

    def _publish(self, groups: list[_Group], configurator: Configurator, publisher: Publisher) -> None:
        """A version per group and cold start, behind an alias: $LATEST updated for each
        (every function at once, one update after another per function), then published."""
        by_step: dict[Step, list[_Group]] = {}
        for group in groups:
            by_step.setdefault(group.step, []).append(group)
        for step, at_step in by_step.items():
            models = tuple(group.model for group in at_step)
            for start in range(self._settings.cold_starts):
                cold_start = f" (cold start {start + 1} of {self._settings.cold_starts})"
                self._observer.step(
                    f"{step.label}: updating {', '.join(models)} and publishing a version of each"
                    f"{cold_start if self._settings.cold_starts > 1 else ''}"
                )
                marker = f"{self.run_id}-{step.memory_mb}-{step.concurrency or 'default'}-{start}"
                configurator.configure(models, step.memory_mb, marker)
                alias = alias_name(self.run_id, step.memory_mb, step.concurrency, start)
                for group in at_step:
                    publisher.publish(group.model, step.memory_mb, marker, alias)
                    group.aliases += (alias,)
        publisher.wait_active()

    def _limit_per_function(self) -> None:
        """No more invocations of one function at once than its reserved concurrency, if it
        has one: beyond it Lambda throttles, and a throttle is a lost measurement."""
        for model, name in self._under_test.functions.items():
            answer = self._under_test.client.get_function_concurrency(FunctionName=name)
            reserved = answer.get("ReservedConcurrentExecutions")
            limit = (
                self._settings.parallel
                if reserved is None
                else max(1, min(reserved, self._settings.parallel))
            )
            self._per_function[model] = threading.BoundedSemaphore(limit)

    def _measure(
        self, groups: list[_Group], on_group: Callable[[ModelRun], None], publisher: Publisher
    ) -> None:
        parallel = self._settings.parallel
        if parallel > 1:
            # One phase for all: groups at once have no phase of their own.
            planned = len(groups) * self._planned_per_group()
            self._observer.step(
                f"measuring {len(groups)} groups, {parallel} invocations at a time", total=planned
            )

        def done(group: _Group) -> None:
            on_group(group.run)
            publisher.remove(group.model, group.aliases)

        in_flight.run_groups(
            [functools.partial(self._measure_group, group) for group in groups],
            parallel,
            done,
            self._stopping,
            self._observer.note,
        )

    def _measure_group(self, group: _Group) -> "_Group | None":
        """The group's cold starts, then its last version cold and warm until sampling says
        stop; what it measured so far, marked interrupted, if the sweep stopped meanwhile."""
        run, sampling, cold_starts = group.run, self._settings.sampling, self._settings.cold_starts
        each = group.committed_worst / (cold_starts + sampling.minimum)
        if self._settings.parallel == 1:
            self._observer.step(f"{group.step.label}: {group.model}", total=self._planned_per_group())
        try:
            for alias in group.aliases[:-1]:
                self._invoke_all(group, alias, 1, parallelism=1)
            with self._metered(run):
                self._invoke_all(group, group.aliases[-1], 1, parallelism=1)
                self._budget.release(cold_starts * each)
                attempts = 0
                while (reason := self._stop(run, attempts)) is None:
                    # The first invocations all at once (committed); then a batch the size of the
                    # parallelism, each only if the budget holds it at the functions' timeout.
                    batch = sampling.minimum if attempts == 0 else self._settings.parallelism
                    batch = min(batch, sampling.most - attempts)
                    if attempts and not self._budget.grant(batch * each):
                        reason = BUDGET
                        break
                    self._invoke_all(group, group.aliases[-1], batch, self._settings.parallelism)
                    self._budget.release(batch * each)
                    attempts += batch
                run.stop_reason = reason
        except in_flight.Stopped:
            # What the group measured before the sweep stopped is kept, marked as such;
            # --resume measures the group again.
            run.stop_reason = INTERRUPTED
            self._ended(group)
            return group if run.invocations else None
        point = Point.of(run)
        if point is not None:
            with self._lock:
                self._points.append(point)
        self._ended(group)
        return group

    def _planned_per_group(self) -> int:
        return self._settings.cold_starts + self._settings.sampling.most

    def _ended(self, group: _Group) -> None:
        """The group's own phase ends where it had one; else a line says it ended."""
        run = group.run
        if self._settings.parallel == 1:
            self._observer.ended(run)
        else:
            self._observer.note(
                f"{group.step.label}: {group.model}: {len(run.invocations)} invocations, {run.stop_reason}"
            )

    @contextlib.contextmanager
    def _metered(self, run: ModelRun) -> Iterator[None]:
        """The backend's meter around the group, where groups run one at a time."""
        if self._meter is None or self._settings.parallel > 1:
            yield
            return
        self._meter.begin()
        yield
        self._meter.end(run)

    def _stop(self, run: ModelRun, attempts: int) -> str | None:
        with self._lock:
            earlier = [p for p in self._points if p.model == run.model]
        return self._settings.sampling.stop(attempts, Point.of(run), earlier)

    def _invoke_all(self, group: _Group, alias: str, count: int, parallelism: int) -> None:
        """`count` invocations of the group's alias, `parallelism` at a time, recorded in order."""
        start = len(group.run.invocations)
        in_flight.run_all(
            lambda index: self._invoke(group, alias, index),
            range(start, start + count),
            parallelism,
            lambda invocation: self._record(group.run, invocation),
        )

    def _record(self, run: ModelRun, invocation: Invocation) -> None:
        run.invocations.append(invocation)
        self._budget.record(invocation.cost_usd or 0.0)
        if run.init_ms is None and invocation.init_ms is not None:
            run.init_ms, run.init_rss_mb = invocation.init_ms, invocation.peak_rss_mb
            run.init_cpu_ms = invocation.init_cpu_ms

    def _invoke(self, group: _Group, alias: str, index: int) -> Invocation:
        if self._stopping.is_set():
            raise in_flight.Stopped
        with self._per_function[group.model], self._in_flight:
            if self._stopping.is_set():
                raise in_flight.Stopped
            event = self._settings.event(self._under_test.data_bucket, group.model, group.step.concurrency)
            answer = invoke_once(
                self._under_test.client, self._under_test.functions[group.model], event, alias
            )
        invocation = _invocation(
            group.model, group.step.memory_mb, index, answer, self._settings, self._prices, group.architecture
        )
        self._observer.invocation(group.model, group.step, invocation)
        return invocation

    def _finish(self, configurator: Configurator, publisher: Publisher) -> int | None:
        """Remove what the sweep published and restore $LATEST, both whatever happens; the
        signal that came meanwhile, if one did."""
        try:
            removed = publisher.remove_all(self._observer.note)
        finally:
            restored = configurator.restore()
        return removed if removed is not None else restored


def _new_run(model: str, step: Step) -> ModelRun:
    return ModelRun(
        model, init_ms=None, init_cpu_ms=None, init_rss_mb=None, memory_mb=step.memory_mb,
        concurrency=step.concurrency_of(model),
    )  # fmt: skip


def _invocation(
    model: str,
    memory_mb: int,
    index: int,
    answer: Answer,
    settings: SweepSettings,
    prices: Prices,
    architecture: str,
) -> Invocation:
    report = answer.report
    payload = answer.payload or {}
    expected = settings.dataset.magic_key
    return Invocation(
        model=model,
        # Cold is what Lambda says: an Init Duration in the report, wherever it falls.
        kind="cold" if report is not None and report.init_ms is not None else "warm",
        index=index,
        duration_ms=report.duration_ms if report else None,
        cpu_ms=answer.cpu_ms,
        peak_rss_mb=float(report.max_memory_used_mb) if report else None,
        result=answer.result,
        handler_time_s=payload.get("time"),
        objects=payload.get("objects"),
        error=answer.error,
        correct=answer.error is None and answer.result == expected,
        memory_mb=memory_mb,
        billed_ms=report.billed_ms if report else None,
        init_ms=report.init_ms if report else None,
        init_cpu_ms=answer.init_cpu_ms,
        request_id=answer.request_id,
        cost_usd=prices.invocation_cost(report.billed_ms, memory_mb, architecture) if report else None,
        init_cost_usd=(
            prices.duration_cost(math.ceil(report.init_ms), memory_mb, architecture)
            if report is not None and report.init_ms is not None
            else None
        ),
    )
