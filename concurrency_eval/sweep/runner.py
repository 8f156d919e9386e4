"""A sweep's results file: started before the first invocation, written after every
group, marked partial until the end, and continued by --resume.

A paid run never loses what it measured: whatever stops it (Ctrl-C, an AWS error, a
failed restore), the file holds every finished group and says it is partial, and
`resume` picks the sweep up without repeating those groups.
"""

import contextlib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from concurrency_eval.results.document import (
    INTERRUPTED,
    ModelRun,
    Results,
    ResultsError,
    data_bucket_settings,
    started_now,
)
from concurrency_eval.results.folders import RESULTS
from concurrency_eval.results.pricing import Prices
from concurrency_eval.sweep.engine import GroupKey, Sweep
from concurrency_eval.sweep.settings import SweepSettings
from concurrency_eval.system.files import WriteFailed
from contracts.bundles import MODELS


def new_results(
    kind: str,
    settings: SweepSettings,
    prices: Prices,
    environment: dict[str, Any],
    event: dict[str, Any],
    **extra: Any,
) -> Results:
    bucket = event.get("s3_bucket_name")
    described: dict[str, Any] = {
        "sweep": settings.to_dict(),
        "dataset": asdict(settings.dataset),
        "event": event,
        **({"data_bucket": data_bucket_settings(bucket)} if isinstance(bucket, str) else {}),
        "prices": asdict(prices),
        **extra,
    }
    return Results(
        kind=kind,
        started_at=started_now(),
        settings=described,
        environment=environment,
        expected_result=settings.dataset.magic_key,
        partial=True,
    )


def resume(directory: Path, kind: str) -> tuple[Results, SweepSettings, frozenset[GroupKey]]:
    """A partial sweep's results, the settings it ran with, and the groups it finished."""
    return resumed_from(Results.read(directory / RESULTS), directory, kind)


def resumed_from(
    results: Results, directory: Path, kind: str
) -> tuple[Results, SweepSettings, frozenset[GroupKey]]:
    """`resume` of results already read from `directory`."""
    if results.kind != kind:
        raise ResultsError(f"{directory} holds a {results.kind} sweep; resume it with that command")
    if not results.partial:
        raise ResultsError(f"{directory} holds a finished sweep; there is nothing to resume")
    try:
        settings = SweepSettings.from_dict(results.settings["sweep"])
    except (KeyError, TypeError, ValueError) as error:
        raise ResultsError(
            f"{directory}/results.json has no sweep settings to resume from ({error})"
        ) from None
    done = frozenset(
        (run.model, run.memory_mb or 0, run.concurrency)
        for run in results.models
        if run.stop_reason != INTERRUPTED
    )
    return results, settings, done


def _in_sweep_order(run: ModelRun) -> tuple[int, int, int]:
    """By memory size, then model (in the tool's order), then concurrency, as steps run."""
    model = MODELS.index(run.model) if run.model in MODELS else len(MODELS)
    return run.memory_mb or 0, model, run.concurrency or 0


def run_sweep(
    sweep: Sweep,
    originals: dict[str, dict[str, Any]],
    results: Results,
    directory: Path,
    done: frozenset[GroupKey] = frozenset(),
    on_written: Callable[[Results], None] = lambda _: None,
) -> Results:
    """Run the sweep, writing the results after every group; partial unless it finished."""

    def keep(run: ModelRun) -> None:
        # A group interrupted before is replaced by its new measurement.
        key = (run.model, run.memory_mb, run.concurrency)
        results.models[:] = [
            kept
            for kept in results.models
            if kept is run
            or not (kept.stop_reason == INTERRUPTED and (kept.model, kept.memory_mb, kept.concurrency) == key)
        ]
        if not any(kept is run for kept in results.models):
            results.models.append(run)
        # Groups at once end in any order; the file keeps the sweep's, as a serial sweep runs it.
        results.models.sort(key=_in_sweep_order)
        results.write(directory)
        on_written(results)

    results.partial = True
    results.write(directory)
    try:
        sweep.run(originals, keep, done, measured=tuple(results.models))
    except BaseException:
        # Whatever stopped the sweep is what the user must hear of, not a second failure
        # to write (a full disk fails both); the file keeps every group it could.
        with contextlib.suppress(WriteFailed):
            results.write(directory)
        raise
    results.partial = False
    results.write(directory)
    return results
