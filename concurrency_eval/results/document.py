"""Evaluation results: what was run, what each invocation measured, and summaries.

One results file (JSON) holds a whole run, local or on AWS; the CSV beside it has one
row per invocation for spreadsheets. Summaries are computed from the invocations,
never stored, so a results file can always be re-reported.
"""

import csv
import dataclasses
import datetime
import io
import json
import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from concurrency_eval.results.folders import RESULTS, TABLE
from concurrency_eval.results.statistics import DEFAULT_TRIM, Distribution, describe, quantile
from concurrency_eval.system.files import write_atomically
from contracts.buckets import BUCKET_TYPES, GENERAL_PURPOSE, bucket_type
from contracts.bundles import lambda_architecture
from contracts.lambda_limits import MAX_MEMORY_MB, MIN_MEMORY_MB
from s3fanout.settings import Settings as FunctionSettings

FORMAT = "concurrency-eval/results@1"


@dataclass
class Invocation:
    model: str
    #: "cold" when Lambda's report carried an Init Duration (a new execution
    #: environment), "warm" otherwise.
    kind: str
    index: int
    #: Lambda's Duration; None when the invocation has no report (see `error`).
    duration_ms: float | None
    #: The function process's CPU time, measured by the local service; unknown on AWS.
    cpu_ms: float | None
    #: Lambda's Max Memory Used.
    peak_rss_mb: float | None
    result: str | None
    #: The handler's own processing time (its response's "time"), seconds.
    handler_time_s: float | None
    objects: int | None
    #: The structured error type, or Lambda's error type for an unhandled one.
    error: str | None
    correct: bool
    #: Memory size the invocation ran with (AWS runs sweep it; local runs record it).
    memory_mb: int | None = None
    #: From Lambda's report.
    billed_ms: float | None = None
    init_ms: float | None = None
    cost_usd: float | None = None
    #: The INIT phase's CPU time (cold invocations on the local service).
    init_cpu_ms: float | None = None
    #: Lambda's request id, to find the invocation in the function's logs.
    request_id: str | None = None
    #: What the INIT phase adds to the bill (cold invocations): Lambda bills it as part
    #: of Billed Duration for on-demand functions since 2025-08-01.
    init_cost_usd: float | None = None


@dataclass
class ModelRun:
    """One group of invocations: a model at one memory size and concurrency."""

    model: str
    #: From the group's cold invocation; None when it had none (or it failed).
    init_ms: float | None
    init_cpu_ms: float | None
    init_rss_mb: float | None
    invocations: list[Invocation] = field(default_factory=list)
    #: Seconds of CPU the S3 server used while this model ran, and the wall time.
    server_cpu_s: float | None = None
    wall_s: float | None = None
    #: The memory size of the sweep step.
    memory_mb: int | None = None
    #: Requests the S3 server answered while this model ran, and faults it injected.
    server_requests: dict[str, int] | None = None
    faults_injected: int | None = None
    #: Requests in flight per invocation; None for the functions' default.
    concurrency: int | None = None
    #: Why the group stopped invoking (`sweep.sampling.STOP_REASONS`); None in results
    #: written before sampling until clear.
    stop_reason: str | None = None

    def warm(self) -> list[Invocation]:
        return [i for i in self.invocations if i.kind == "warm" and i.error is None]

    def cold(self) -> Invocation | None:
        return next((i for i in self.invocations if i.kind == "cold"), None)


@dataclass
class Summary:
    model: str
    memory_mb: int | None
    concurrency: int | None
    init_ms: float | None
    cold_ms: float | None
    warm_median_ms: float | None
    warm_p10_ms: float | None
    warm_p90_ms: float | None
    cpu_ms_per_object: float | None
    peak_rss_mb: float | None
    server_cpu_share: float | None
    invocations: int
    answered: int
    correct: int
    errors: dict[str, int]
    #: Mean cost of a warm invocation, as Lambda would bill it in the sweep's region.
    warm_cost_usd: float | None = None
    #: How many warm invocations answered, behind the warm figures.
    warm_count: int = 0
    #: The warm invocations' durations (ms) and costs (USD): n, median and its 95% CI,
    #: mean, trimmed mean, p90 and p99 where n allows.
    duration: Distribution | None = None
    cost: Distribution | None = None
    #: The cold invocations' Init Duration (ms) and what INIT adds to the bill (USD).
    init: Distribution | None = None
    init_cost: Distribution | None = None
    #: Why the group stopped invoking (see `ModelRun.stop_reason`).
    stop_reason: str | None = None


#: Why a group stopped invoking (`ModelRun.stop_reason`): it had its fixed count; its
#: median's CI was within the target; it could no longer change a choice; it reached
#: the ceiling; one more batch could have gone over the budget; or the sweep was
#: interrupted in the middle of it (--resume measures such a group again).
FIXED, CLEAR, SETTLED, CEILING, BUDGET = "fixed", "clear", "settled", "ceiling", "budget"
INTERRUPTED = "interrupted"
STOP_REASONS = (FIXED, CLEAR, SETTLED, CEILING, BUDGET, INTERRUPTED)

#: Where a sweep ran (`Results.kind`): the deployed functions on AWS, or the local Lambda service.
AWS, LOCAL = "aws", "local"


@dataclass
class Results:
    #: AWS or LOCAL.
    kind: str
    started_at: str
    settings: dict[str, Any]
    environment: dict[str, Any]
    expected_result: str | None
    models: list[ModelRun] = field(default_factory=list)
    format: str = FORMAT
    #: The sweep stopped before the end (interrupted, or an error): what it measured is kept.
    partial: bool = False

    @property
    def on_aws(self) -> bool:
        return self.kind == AWS

    @property
    def bucket_type(self) -> str:
        """The kind of bucket the functions read (`contracts.buckets`): as recorded, or, in
        results from before it was, as the event's bucket name says (general purpose)."""
        recorded = self.settings.get("data_bucket")
        if isinstance(recorded, dict) and recorded.get("type") in BUCKET_TYPES:
            return str(recorded["type"])
        event = self.settings.get("event")
        name = event.get("s3_bucket_name") if isinstance(event, dict) else None
        return bucket_type(name) if isinstance(name, str) else GENERAL_PURPOSE

    @property
    def priced_architecture(self) -> str | None:
        """The architecture the costs were estimated for: the one the sweep was told to
        price, else the functions' own (one name, or None where they differ or are unknown)."""
        sweep = self.settings.get("sweep")
        if isinstance(sweep, dict) and isinstance(sweep.get("price_architecture"), str):
            return str(sweep["price_architecture"])
        functions = self.environment.get("functions")
        found = {
            str((configuration.get("Architectures") or ["x86_64"])[0])
            for configuration in (functions.values() if isinstance(functions, dict) else ())
            if isinstance(configuration, dict)
        }
        if not found and not self.on_aws:
            # A local sweep recorded before it priced the deployed architecture priced the machine's.
            machine = self.environment.get("machine")
            return lambda_architecture(machine) if isinstance(machine, str) and machine else None
        return found.pop() if len(found) == 1 else None

    @property
    def trim(self) -> float:
        """The share the trimmed mean drops at each end: the sweep's, or Power Tuning's 0.2."""
        sweep = self.settings.get("sweep")
        trim = sweep.get("trim", DEFAULT_TRIM) if isinstance(sweep, dict) else DEFAULT_TRIM
        return float(trim) if isinstance(trim, (int, float)) and 0 <= trim < 0.5 else DEFAULT_TRIM

    def trimmed(self, trim: float | None) -> "Results":
        """These results, summarised with another trimmed mean (None keeps the sweep's)."""
        if trim is None:
            return self
        sweep = self.settings.get("sweep")
        settings = self.settings | {"sweep": (sweep if isinstance(sweep, dict) else {}) | {"trim": trim}}
        return dataclasses.replace(self, settings=settings)

    @property
    def cost_usd(self) -> float:
        """What the sweep's invocations cost (on AWS) or would cost, as they were priced."""
        return sum(i.cost_usd for run in self.models for i in run.invocations if i.cost_usd is not None)

    def summaries(self) -> list[Summary]:
        return [summarize(run, self.trim) for run in self.models]

    def summaries_by_model(self) -> dict[str, list[Summary]]:
        """Each model's summaries, one per run of it (per memory size in a sweep)."""
        by_model: dict[str, list[Summary]] = {}
        for summary in self.summaries():
            by_model.setdefault(summary.model, []).append(summary)
        return by_model

    def all_correct(self) -> bool:
        invocations = [i for run in self.models for i in run.invocations]
        return bool(invocations) and all(i.correct for i in invocations)

    # -- files --------------------------------------------------------------------

    def write(self, directory: Path) -> tuple[Path, Path]:
        """results.json (the run, and each point's statistics after it) and results.csv (a
        row per invocation, with its point's statistics repeated, for spreadsheets)."""
        json_path, csv_path = directory / RESULTS, directory / TABLE
        summaries = self.summaries()
        document = asdict(self) | {"points": [asdict(summary) for summary in summaries]}
        table = io.StringIO(newline="")
        fields = [*_CSV_RUN_FIELDS, *Invocation.__dataclass_fields__, *_POINT_FIELDS]
        writer = csv.DictWriter(table, fieldnames=fields)
        writer.writeheader()
        for run, summary in zip(self.models, summaries, strict=True):
            group = {
                "kind_of_run": self.kind,
                "started_at": self.started_at,
                "concurrency": run.concurrency,
                "group_init_ms": run.init_ms,
            } | _point_columns(summary)
            for invocation in run.invocations:
                writer.writerow(group | asdict(invocation))
        # JSON first: it is what --resume reads, and the CSV is made from the same data.
        write_atomically(json_path, json.dumps(document, indent=2) + "\n")
        write_atomically(csv_path, table.getvalue())
        return json_path, csv_path

    @classmethod
    def read(cls, path: Path) -> "Results":
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ResultsError(f"cannot read {path}: {error}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ResultsError(f"{path} is not a concurrency-eval results file (no format {FORMAT!r})")
        # Each point's statistics are written for readers, and computed again from the invocations.
        data.pop("points", None)
        try:
            models = []
            for number, run in enumerate(data.pop("models")):
                invocations = [
                    Invocation(**_typed(i, Invocation, f"models[{number}].invocations[{index}]"))
                    for index, i in enumerate(run["invocations"])
                ]
                models.append(
                    ModelRun(**{**_typed(run, ModelRun, f"models[{number}]"), "invocations": invocations})
                )
            return cls(**_typed(data, cls, "the file"), models=models)
        except (TypeError, KeyError, AttributeError, ValueError) as error:
            raise ResultsError(f"{path} is malformed: {error}") from None


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "float": (int, float),
    "int": (int,),
    "str": (str,),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
}


def _typed(values: dict[str, Any], kind: type, where: str) -> dict[str, Any]:
    """`values` checked against the dataclass `kind`'s field types, naming what is wrong."""
    if not isinstance(values, dict):
        raise ValueError(f"{where} is not an object")
    fields = kind.__dataclass_fields__  # type: ignore[attr-defined]
    for name, value in values.items():
        if name not in fields or name == "invocations" or name == "models":
            continue
        annotation = str(fields[name].type)
        allowed = tuple(t for key, types in _JSON_TYPES.items() if key in annotation for t in types)
        if value is None and "None" in annotation:
            continue
        if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)):
            raise ValueError(f"{where}: {name} is {value!r}, not {annotation}")
        problem = _out_of_range(name, value)
        if problem:
            raise ValueError(f"{where}: {name} is {value!r}, {problem}")
    return values


#: Measured quantities: durations, memory, money, counts. None of them is negative.
_MEASURED = ("_ms", "_mb", "_usd", "_s", "objects", "index", "concurrency")


def _out_of_range(name: str, value: object) -> str | None:
    """What is impossible about a number in a results file, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        return "not a finite number"
    if name == "memory_mb" and not MIN_MEMORY_MB <= value <= MAX_MEMORY_MB:
        return f"outside Lambda's {MIN_MEMORY_MB} to {MAX_MEMORY_MB} MB"
    if name.endswith(_MEASURED) and value < 0:
        return "below zero"
    return None


#: Columns from the run and the group; `init_ms` is the invocation's own (cold only).
_CSV_RUN_FIELDS = ("kind_of_run", "started_at", "concurrency", "group_init_ms")
#: Each point's statistics in the CSV: its warm durations (ms) and costs (USD).
_STATISTICS = ("n", "median", "median_low", "median_high", "mean", "trimmed_mean", "p90", "p99")
_POINT_FIELDS = (
    *(f"point_{name}_ms" if name != "n" else "point_n" for name in _STATISTICS),
    *(f"point_cost_{name}_usd" for name in _STATISTICS if name != "n"),
    "point_stop_reason",
)


def _point_columns(summary: Summary) -> dict[str, Any]:
    columns: dict[str, Any] = {"point_stop_reason": summary.stop_reason}
    for name in _STATISTICS:
        duration = None if summary.duration is None else getattr(summary.duration, name)
        columns["point_n" if name == "n" else f"point_{name}_ms"] = duration
        if name != "n":
            columns[f"point_cost_{name}_usd"] = None if summary.cost is None else getattr(summary.cost, name)
    return columns


#: Requests in flight when the event does not say: the framework's default, which the
#: stack leaves as it is unless cdk.json's requestsInFlight says otherwise.
DEFAULT_REQUESTS_IN_FLIGHT = FunctionSettings().default_concurrency


def requests_in_flight(model: str, concurrency: int | None) -> int:
    """The requests in flight a group ran with: its own, sync's one, or the default."""
    if concurrency is not None:
        return concurrency
    return 1 if model == "sync" else DEFAULT_REQUESTS_IN_FLIGHT


def data_bucket_settings(name: str) -> dict[str, str]:
    """How a sweep records the bucket it read: its name and its kind."""
    return {"name": name, "type": bucket_type(name)}


def started_now() -> str:
    """The `started_at` of a run beginning now: UTC, to the second."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class ResultsError(ValueError):
    """A results file that cannot be read; the message names the file and the problem."""


def summarize(run: ModelRun, trim: float = DEFAULT_TRIM) -> Summary:
    warm = run.warm()
    durations = sorted(i.duration_ms for i in warm if i.duration_ms is not None)
    cold = run.cold()
    colds = [i for i in run.invocations if i.kind == "cold"]
    per_object = [i.cpu_ms / i.objects for i in warm if i.objects and i.cpu_ms is not None]
    errors: dict[str, int] = {}
    for invocation in run.invocations:
        if invocation.error:
            errors[invocation.error] = errors.get(invocation.error, 0) + 1
    costs = [i.cost_usd for i in run.invocations if i.kind == "warm" and i.cost_usd is not None]
    return Summary(
        model=run.model,
        memory_mb=run.memory_mb,
        concurrency=requests_in_flight(run.model, run.concurrency),
        init_ms=run.init_ms,
        cold_ms=None if cold is None else cold.duration_ms,
        warm_median_ms=statistics.median(durations) if durations else None,
        warm_p10_ms=percentile(durations, 10),
        warm_p90_ms=percentile(durations, 90),
        cpu_ms_per_object=statistics.median(per_object) if per_object else None,
        peak_rss_mb=max(
            [m for m in (run.init_rss_mb, *(i.peak_rss_mb for i in run.invocations)) if m is not None],
            default=None,
        ),
        server_cpu_share=(
            run.server_cpu_s / run.wall_s if run.server_cpu_s is not None and run.wall_s else None
        ),
        invocations=len(run.invocations),
        answered=sum(1 for i in run.invocations if i.error is None),
        correct=sum(1 for i in run.invocations if i.correct),
        errors=errors,
        warm_cost_usd=statistics.fmean(costs) if costs else None,
        warm_count=len(durations),
        duration=describe(durations, trim),
        cost=describe(costs, trim),
        init=describe([i.init_ms for i in colds if i.init_ms is not None], trim),
        init_cost=describe([i.init_cost_usd for i in colds if i.init_cost_usd is not None], trim),
        stop_reason=run.stop_reason,
    )


@dataclass
class ColdStarts:
    """A model's cold starts at one memory size, whatever the concurrency (INIT does not
    depend on it): Init Duration, the cold invocations' Duration, INIT's billed cost."""

    model: str
    memory_mb: int
    init: Distribution
    cold: Distribution | None
    init_cost: Distribution | None


def cold_starts(results: Results) -> list[ColdStarts]:
    trim = results.trim
    by_size: dict[tuple[str, int], list[Invocation]] = {}
    for run in results.models:
        if run.memory_mb is not None:
            by_size.setdefault((run.model, run.memory_mb), []).extend(
                i for i in run.invocations if i.kind == "cold" and i.init_ms is not None
            )
    found = []
    for (model, memory), colds in by_size.items():
        init = describe([i.init_ms for i in colds if i.init_ms is not None], trim)
        if init is not None:
            found.append(
                ColdStarts(
                    model, memory, init,
                    describe([i.duration_ms for i in colds if i.duration_ms is not None], trim),
                    describe([i.init_cost_usd for i in colds if i.init_cost_usd is not None], trim),
                )
            )  # fmt: skip
    return found


def percentile(sorted_values: list[float], percent: float) -> float | None:
    """Linear-interpolated percentile (numpy's and R's default); None when empty."""
    return quantile(sorted_values, percent / 100) if sorted_values else None
