"""The sweep engine: for each step, configure, then a cold and warm invocations per model.

One engine for both backends. Each step (a memory size, and a concurrency for the
concurrent models) updates the functions with a marker that changes at every step,
so each model's first invocation meets a new execution environment; then it records
that invocation and `invocations` warm ones, each from Lambda's own report, prices
them, and hands each finished group to `on_group` (which writes the results file,
so that nothing measured is lost). Whatever happens, the functions are restored.
"""

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from concurrency_eval.backends.under_test import FunctionsUnderTest
from concurrency_eval.results.document import Invocation, ModelRun
from concurrency_eval.results.pricing import Prices
from concurrency_eval.sweep.invoke import Answer, invoke_once
from concurrency_eval.sweep.plan import architecture_of
from concurrency_eval.sweep.settings import Step, SweepSettings
from concurrency_eval.sweep.updates import Configurator

#: A group of invocations is identified by model, memory size and concurrency.
GroupKey = tuple[str, int, int | None]


class Observer(Protocol):
    """What the engine reports as it goes; the command line draws it."""

    def step(self, message: str, total: int | None = None) -> None: ...

    def invocation(self, model: str, step: Step, invocation: Invocation) -> None: ...


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
    ) -> None:
        self._under_test = under_test
        self._settings = settings
        self._prices = prices
        self._observer = observer
        self._meter = meter or _NoMeter()
        self._run_id = uuid.uuid4().hex[:12]

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
    ) -> None:
        """Measure every group not in `done`, then restore the functions, even on error or Ctrl-C."""
        configurator = Configurator(
            self._under_test.client, self._under_test.functions, originals, self._under_test.poll_seconds,
            on_step=lambda message: self._observer.step(message),
        )  # fmt: skip
        try:
            for step in self._settings.steps():
                models = tuple(m for m in step.models if step.group(m) not in done)
                if not models:
                    continue
                self._observer.step(f"{step.label}: updating {', '.join(models)}")
                marker = f"{self._run_id}-{step.memory_mb}-{step.concurrency or 'default'}"
                configurator.configure(models, step.memory_mb, marker)
                for model in models:
                    self._observer.step(f"{step.label}: {model}", total=1 + self._settings.invocations)
                    on_group(self._measure(model, step, architecture_of(originals[model])))
        finally:
            configurator.restore()

    def _measure(self, model: str, step: Step, architecture: str) -> ModelRun:
        run = ModelRun(
            model, init_ms=None, init_cpu_ms=None, init_rss_mb=None, memory_mb=step.memory_mb,
            concurrency=step.concurrency_of(model),
        )  # fmt: skip
        self._meter.begin()
        first = self._invoke(model, step, 0, architecture)
        run.invocations.append(first)
        if first.init_ms is not None:
            run.init_ms, run.init_rss_mb = first.init_ms, first.peak_rss_mb
            run.init_cpu_ms = first.init_cpu_ms
        indexes = range(1, 1 + self._settings.invocations)
        with ThreadPoolExecutor(self._settings.parallelism) as pool:
            run.invocations.extend(pool.map(lambda i: self._invoke(model, step, i, architecture), indexes))
        self._meter.end(run)
        return run

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
    )
