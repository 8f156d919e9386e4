"""The sweep engine: for each step, configure, then cold and warm invocations per model.

One engine for both backends. Each step (a memory size, and a concurrency for the
concurrent models) updates the functions with a marker that changes at every step,
so each model's first invocation meets a new execution environment; `cold_starts`
above one updates them again before each further cold start, as Power Tuning's
`onlyColdStarts` does. Then it invokes each model warm as `sweep.sampling` says (a
fixed count, or until the answer is clear, within the budget), reads each invocation
from Lambda's own report, prices it, and hands each finished group to `on_group`
(which writes the results file, so that nothing measured is lost). Whatever happens,
the functions are restored.
"""

import math
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from concurrency_eval.backends.under_test import FunctionsUnderTest
from concurrency_eval.results.document import BUDGET, INTERRUPTED, Invocation, ModelRun
from concurrency_eval.results.pricing import Prices
from concurrency_eval.results.verdict import Point
from concurrency_eval.sweep import in_flight
from concurrency_eval.sweep.invoke import Answer, invoke_once
from concurrency_eval.sweep.settings import Step, SweepSettings
from concurrency_eval.sweep.updates import Configurator
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


class GroupMeter(Protocol):
    """A backend's own measurements around one group (the local S3's CPU, say)."""

    def begin(self) -> None: ...

    def end(self, run: ModelRun) -> None: ...


class _NoMeter:
    def begin(self) -> None:
        pass

    def end(self, run: ModelRun) -> None:
        pass


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
        self._meter = meter or _NoMeter()
        self._run_id = uuid.uuid4().hex[:12]
        self._budget = budget_usd
        #: What the sweep has spent so far, and the points it measured, for sampling.
        self._spent = 0.0
        self._points: list[Point] = []
        self._originals: dict[str, dict[str, Any]] = {}

    def configurations(self) -> dict[str, dict[str, Any]]:
        return {
            model: dict(self._under_test.client.get_function_configuration(FunctionName=name))
            for model, name in self._under_test.functions.items()
        }

    def run(
        self,
        originals: dict[str, dict[str, Any]],
        on_group: Callable[[ModelRun], None],
        done: frozenset[GroupKey] = frozenset(),
        measured: Sequence[ModelRun] = (),
    ) -> None:
        """Measure every group not in `done`, then restore the functions, even on error or Ctrl-C.

        `measured` are the groups a resumed sweep finished before: sampling compares with them.
        """
        self._originals = originals
        self._spent = sum(i.cost_usd or 0.0 for run in measured for i in run.invocations)
        finished = [run for run in measured if run.stop_reason != INTERRUPTED]
        self._points = [point for run in finished if (point := Point.of(run)) is not None]
        configurator = Configurator(
            self._under_test.client, self._under_test.functions, originals, self._under_test.poll_seconds,
            on_step=self._observer.note,
        )  # fmt: skip
        try:
            for step in self._settings.steps():
                models = tuple(m for m in step.models if step.group(m) not in done)
                if not models:
                    continue
                architectures = {
                    model: self._settings.priced_architecture(originals[model]) for model in models
                }
                runs = {model: self._new_run(model, step) for model in models}
                for start in range(self._settings.cold_starts):
                    self._observer.step(f"{step.label}: updating {', '.join(models)}")
                    marker = f"{self._run_id}-{step.memory_mb}-{step.concurrency or 'default'}-{start}"
                    configurator.configure(models, step.memory_mb, marker)
                    if start + 1 < self._settings.cold_starts:
                        self._observer.step(f"{step.label}: cold start {start + 1}", total=len(models))
                        for model in models:
                            self._invoke_all(runs[model], step, architectures[model], 1, parallelism=1)
                for model in models:
                    self._observer.step(f"{step.label}: {model}", total=self._planned_invocations())
                    try:
                        measured_run = self._measure(runs[model], step, architectures[model])
                    except KeyboardInterrupt:
                        # What the group measured before the interrupt is kept, marked as
                        # such; --resume measures the group again.
                        runs[model].stop_reason = INTERRUPTED
                        self._observer.ended(runs[model])
                        if runs[model].invocations:
                            on_group(runs[model])
                        raise
                    self._observer.ended(measured_run)
                    on_group(measured_run)
        except BaseException:
            configurator.restore()
            raise
        signum = configurator.restore()
        if signum is not None:
            # The sweep had finished; an interrupt during the restore still ends the command as one.
            raise signals.interrupt(signum)

    def _planned_invocations(self) -> int:
        return 1 + self._settings.sampling.most

    @staticmethod
    def _new_run(model: str, step: Step) -> ModelRun:
        return ModelRun(
            model, init_ms=None, init_cpu_ms=None, init_rss_mb=None, memory_mb=step.memory_mb,
            concurrency=step.concurrency_of(model),
        )  # fmt: skip

    def _record(self, run: ModelRun, invocation: Invocation) -> None:
        run.invocations.append(invocation)
        self._spent += invocation.cost_usd or 0.0
        if run.init_ms is None and invocation.init_ms is not None:
            run.init_ms, run.init_rss_mb = invocation.init_ms, invocation.peak_rss_mb
            run.init_cpu_ms = invocation.init_cpu_ms

    def _measure(self, run: ModelRun, step: Step, architecture: str) -> ModelRun:
        """The group's last cold invocation, then warm ones until sampling says stop."""
        model, sampling = run.model, self._settings.sampling
        self._meter.begin()
        self._invoke_all(run, step, architecture, 1, parallelism=1)
        earlier = [p for p in self._points if p.model == model]
        attempts = 0
        while (reason := self._stop(run, step, attempts, earlier)) is None:
            # The first invocations all at once; then a batch the size of the parallelism.
            batch = sampling.minimum if attempts == 0 else self._settings.parallelism
            batch = min(batch, sampling.most - attempts)
            self._invoke_all(run, step, architecture, batch, self._settings.parallelism)
            attempts += batch
        run.stop_reason = reason
        self._meter.end(run)
        point = Point.of(run)
        if point is not None:
            self._points.append(point)
        return run

    def _invoke_all(self, run: ModelRun, step: Step, architecture: str, count: int, parallelism: int) -> None:
        """`count` invocations of the group's model, `parallelism` at a time, recorded in order."""
        start = len(run.invocations)
        in_flight.run_all(
            lambda index: self._invoke(run.model, step, index, architecture),
            range(start, start + count),
            parallelism,
            lambda invocation: self._record(run, invocation),
            self._observer.note,
        )

    def _stop(self, run: ModelRun, step: Step, attempts: int, earlier: Sequence[Point]) -> str | None:
        reason = self._settings.sampling.stop(attempts, Point.of(run), earlier)
        if reason is None and attempts >= self._settings.sampling.minimum and not self._affordable(run, step):
            return BUDGET
        return reason

    def _affordable(self, run: ModelRun, step: Step) -> bool:
        """Whether a batch more, each invocation running to its timeout, stays within the budget."""
        if self._budget is None:
            return True
        configuration = self._originals[run.model]
        timeout_ms = float(configuration["Timeout"]) * 1000
        worst = self._settings.parallelism * self._prices.invocation_cost(
            timeout_ms, step.memory_mb, self._settings.priced_architecture(configuration)
        )
        return self._spent + worst <= self._budget

    def _invoke(self, model: str, step: Step, index: int, architecture: str) -> Invocation:
        event = self._settings.event(self._under_test.data_bucket, model, step.concurrency)
        answer = invoke_once(self._under_test.client, self._under_test.functions[model], event)
        invocation = _invocation(
            model, step.memory_mb, index, answer, self._settings, self._prices, architecture
        )
        self._observer.invocation(model, step, invocation)
        return invocation


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
