"""What a sweep concludes, per model: which memory size (and concurrency) to choose.

For each model: the fastest size (lowest warm median), the cheapest (lowest mean cost of
a warm invocation), and a balanced one as AWS Lambda Power Tuning's `balanced`
strategy defines it: the size minimising weight x cost / max cost + (1 - weight) x
duration / max duration, 0 favouring speed and 1 cost. Where concurrency was swept,
each size is represented by its best concurrency. Against sync at the same size, each
model's speed-up, with the warm invocations behind it and a 95% confidence interval
from a bootstrap of the ratio of medians (fixed seed, so the same results always give
the same interval).
"""

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from concurrency_eval.results.document import ModelRun, Results
from contracts.lambda_limits import vcpus

#: Fewer warm invocations than this behind a figure earn a warning.
MIN_WARM = 5
DEFAULT_BALANCED_WEIGHT = 0.5
_BOOTSTRAP_ROUNDS = 2000
_SEED = 20261123


@dataclass(frozen=True)
class Point:
    """One model at one memory size and concurrency: its warm figures."""

    model: str
    memory_mb: int
    concurrency: int | None
    median_ms: float
    cost_usd: float | None
    warm: int
    durations: tuple[float, ...] = field(repr=False, default=())


@dataclass(frozen=True)
class SpeedUp:
    model: str
    memory_mb: int
    concurrency: int | None
    #: The model's warm median over sync's at the same size (below 1: faster).
    ratio: float
    low: float
    high: float
    warm: int
    sync_warm: int


@dataclass(frozen=True)
class ModelVerdict:
    model: str
    fastest: Point
    cheapest: Point | None
    balanced: Point
    #: The best concurrency at each memory size (the concurrent models).
    best_concurrency: dict[int, int | None]


@dataclass(frozen=True)
class Verdict:
    models: list[ModelVerdict]
    speed_ups: list[SpeedUp]
    warnings: list[str]
    total_cost_usd: float
    balanced_weight: float


def points(results: Results) -> list[Point]:
    found = []
    for run in results.models:
        point = _point(run)
        if point is not None:
            found.append(point)
    return found


def _point(run: ModelRun) -> Point | None:
    durations = tuple(i.duration_ms for i in run.warm() if i.duration_ms is not None)
    if not durations or run.memory_mb is None:
        return None
    costs = [i.cost_usd for i in run.warm() if i.cost_usd is not None]
    return Point(
        run.model, run.memory_mb, run.concurrency, statistics.median(durations),
        statistics.fmean(costs) if costs else None, len(durations), durations,
    )  # fmt: skip


def balanced(candidates: Sequence[Point], weight: float) -> Point:
    """Power Tuning's balanced choice: min of weight*cost/maxCost + (1-weight)*duration/maxDuration."""
    max_cost = max((p.cost_usd or 0.0) for p in candidates) or 1.0
    max_duration = max(p.median_ms for p in candidates) or 1.0
    return min(
        candidates,
        key=lambda p: weight * (p.cost_usd or 0.0) / max_cost + (1 - weight) * p.median_ms / max_duration,
    )


#: Busier than this, the S3 stand-in may be what sets a local point's pace.
EMULATOR_BUSY_SHARE = 1 / 3


def emulator_busy(results: Results) -> str | None:
    """A warning where the local S3 stand-in was busy more than a third of a group's time."""
    if results.on_aws:
        return None
    busy = [
        (run.server_cpu_s / run.wall_s, run)
        for run in results.models
        if run.server_cpu_s is not None and run.wall_s and run.server_cpu_s / run.wall_s > EMULATOR_BUSY_SHARE
    ]
    if not busy:
        return None
    share, run = max(busy, key=lambda item: item[0])
    return (
        f"the S3 stand-in was busy {share:.0%} of the time ({run.model} at {run.memory_mb} MB; more than "
        "a third): where it is this busy, its CPU, not only the function's, may set the pace"
    )


def capped_shares(results: Results) -> str | None:
    """A warning where a local size's CPU share was more than the machine's cores, which
    is all an environment can get there: its figures are then slower than Lambda's."""
    environment = results.environment
    cpus = environment.get("cpus")
    if results.on_aws or not isinstance(cpus, int) or environment.get("cpu_limit") in (None, "none"):
        return None
    speed = environment.get("cpu_speed") or {}
    factor = float(speed.get("factor", 1.0)) if isinstance(speed, dict) else 1.0
    capped = sorted(
        {r.memory_mb for r in results.models if r.memory_mb and vcpus(r.memory_mb) * factor > cpus}
    )
    if not capped:
        return None
    sizes = ", ".join(f"{memory} MB" for memory in capped)
    return (
        f"at {sizes} an environment's CPU share is more than this machine's {cpus} cores, which is all "
        "it got: the figures there are slower than Lambda's would be"
    )


def decide(results: Results, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> Verdict:
    if not 0.0 <= balanced_weight <= 1.0:
        raise ValueError("the balanced weight is between 0 (speed) and 1 (cost)")
    every = points(results)
    verdicts, warnings = [], []
    for model in dict.fromkeys(p.model for p in every):
        mine = [p for p in every if p.model == model]
        best_by_size: dict[int, Point] = {}
        for point in mine:
            best = best_by_size.get(point.memory_mb)
            if best is None or point.median_ms < best.median_ms:
                best_by_size[point.memory_mb] = point
        sizes = sorted(best_by_size.values(), key=lambda p: p.memory_mb)
        costed = [p for p in sizes if p.cost_usd is not None]
        verdicts.append(
            ModelVerdict(
                model=model,
                fastest=min(sizes, key=lambda p: (p.median_ms, p.cost_usd or 0.0)),
                cheapest=min(costed, key=lambda p: (p.cost_usd or 0.0, p.median_ms)) if costed else None,
                balanced=balanced(sizes, balanced_weight),
                best_concurrency={p.memory_mb: p.concurrency for p in sizes},
            )
        )
        thin = sorted({p.memory_mb for p in mine if p.warm < MIN_WARM})
        if thin:
            warnings.append(
                f"{model}: fewer than {MIN_WARM} warm invocations behind the figures at "
                f"{', '.join(f'{m} MB' for m in thin)}; run more with --invocations"
            )
    warnings.extend(w for w in (emulator_busy(results), capped_shares(results)) if w is not None)
    total = sum(i.cost_usd for run in results.models for i in run.invocations if i.cost_usd is not None)
    return Verdict(verdicts, speed_ups(every, verdicts), warnings, total, balanced_weight)


def speed_ups(every: Sequence[Point], verdicts: Sequence[ModelVerdict]) -> list[SpeedUp]:
    """Each model against sync at each size (at the model's best concurrency there)."""
    sync = {p.memory_mb: p for p in every if p.model == "sync"}
    found = []
    for verdict in verdicts:
        if verdict.model == "sync":
            continue
        for memory, concurrency in sorted(verdict.best_concurrency.items()):
            base = sync.get(memory)
            point = next(
                p
                for p in every
                if (p.model, p.memory_mb, p.concurrency) == (verdict.model, memory, concurrency)
            )
            if base is None:
                continue
            low, high = ratio_interval(point.durations, base.durations)
            found.append(
                SpeedUp(
                    verdict.model,
                    memory,
                    concurrency,
                    point.median_ms / base.median_ms,
                    low,
                    high,
                    point.warm,
                    base.warm,
                )
            )
    return found


def ratio_interval(
    sample: Sequence[float], baseline: Sequence[float], confidence: float = 0.95
) -> tuple[float, float]:
    """A bootstrap confidence interval of median(sample) / median(baseline)."""
    rng = random.Random(_SEED)
    ratios = sorted(
        statistics.median(rng.choices(sample, k=len(sample)))
        / statistics.median(rng.choices(baseline, k=len(baseline)))
        for _ in range(_BOOTSTRAP_ROUNDS)
    )
    tail = (1 - confidence) / 2
    return ratios[int(tail * (_BOOTSTRAP_ROUNDS - 1))], ratios[int((1 - tail) * (_BOOTSTRAP_ROUNDS - 1))]


def memory_setting(point: Point) -> str:
    """The cdk.json setting that deploys this size."""
    return f"-c memory={point.memory_mb}"
