"""What a sweep concludes, per model: which memory size (and concurrency) to choose,
and how sure that is.

Three choices, each on the same footing: the fastest size (warm duration), the
cheapest (cost of a warm invocation), and a balanced one as AWS Lambda Power Tuning's
`balanced` strategy defines it, per invocation weight x cost / max cost + (1 - weight)
x duration / max duration (0 favours speed, 1 cost; the maxima are of the sizes'
medians). For each, the best size by its median, and every size not worse than it
beyond noise: the Hodges-Lehmann ratio of the two, whose 95% CI (`statistics.ratio`)
still holds 1. Where several sizes tie, the verdict says so and names the one that
costs least among them (for the cheapest, the fastest among them): more memory that
buys nothing measurable is not worth paying for. Where concurrency was swept, each
size is represented by its fastest concurrency. Against sync at the same size, each
model's speed-up, with its 95% CI.
"""

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from concurrency_eval.results.document import (
    DEFAULT_REQUESTS_IN_FLIGHT,
    ModelRun,
    Results,
    requests_in_flight,
)
from concurrency_eval.results.statistics import CONFIDENCE, DEFAULT_TRIM, Distribution, describe, ratio
from contracts.lambda_limits import vcpus

#: Fewer warm invocations than this behind a figure earn a warning.
MIN_WARM = 5
DEFAULT_BALANCED_WEIGHT = 0.5
#: What each choice compares.
FASTEST, CHEAPEST, BALANCED = "duration", "cost", "balanced"


@dataclass(frozen=True)
class Point:
    """One model at one memory size and concurrency: its warm invocations' figures."""

    model: str
    memory_mb: int
    concurrency: int | None
    duration: Distribution
    cost: Distribution | None
    durations: tuple[float, ...] = field(repr=False, default=())
    #: The cost of each invocation in `durations`, in the same order.
    costs: tuple[float, ...] = field(repr=False, default=())
    #: The architecture it ran on, where points of two architectures are compared (else None).
    architecture: str | None = None

    @property
    def median_ms(self) -> float:
        return self.duration.median

    @property
    def cost_usd(self) -> float | None:
        """The median cost of a warm invocation."""
        return None if self.cost is None else self.cost.median

    @property
    def warm(self) -> int:
        return self.duration.n

    @classmethod
    def of(cls, run: ModelRun, trim: float = DEFAULT_TRIM) -> "Point | None":
        """The point a group of invocations makes; None before a warm invocation answered."""
        warm = [i for i in run.warm() if i.duration_ms is not None]
        durations = tuple(i.duration_ms for i in warm if i.duration_ms is not None)
        duration = describe(durations, trim)
        if duration is None or run.memory_mb is None:
            return None
        costs = tuple(i.cost_usd for i in warm if i.cost_usd is not None)
        # Costs pair with durations one to one, or are not compared at all.
        if len(costs) != len(warm):
            costs = ()
        concurrency = requests_in_flight(run.model, run.concurrency)
        return cls(run.model, run.memory_mb, concurrency, duration, describe(costs, trim), durations, costs)


@dataclass(frozen=True)
class Choice:
    """One of the verdict's answers: the size it names, the best by the median, and every
    size the same as the best within noise (the best among them), by memory size."""

    criterion: str
    point: Point
    best: Point
    tied: tuple[Point, ...]

    @property
    def clear(self) -> bool:
        """One size is better than every other beyond noise."""
        return len(self.tied) == 1


@dataclass(frozen=True)
class SpeedUp:
    model: str
    memory_mb: int
    concurrency: int | None
    #: The model's warm duration over sync's at the same size (below 1: faster), the
    #: Hodges-Lehmann ratio, with its 95% CI.
    ratio: float
    low: float
    high: float
    warm: int
    sync_warm: int


@dataclass(frozen=True)
class ModelVerdict:
    model: str
    fastest: Choice
    cheapest: Choice | None
    balanced: Choice
    #: The best concurrency at each memory size (the concurrent models).
    best_concurrency: dict[int, int | None]


@dataclass(frozen=True)
class Verdict:
    models: list[ModelVerdict]
    speed_ups: list[SpeedUp]
    warnings: list[str]
    total_cost_usd: float
    balanced_weight: float


def points(results: Results, trim: float = DEFAULT_TRIM) -> list[Point]:
    return [point for run in results.models if (point := Point.of(run, trim)) is not None]


def scores(candidates: Sequence[Point], weight: float) -> dict[int, tuple[float, ...]]:
    """Power Tuning's balanced score of each warm invocation, by the candidate's index:
    weight x cost / max cost + (1 - weight) x duration / max duration."""
    max_cost = max((p.cost_usd or 0.0) for p in candidates) or 1.0
    max_duration = max(p.median_ms for p in candidates) or 1.0
    found = {}
    for index, p in enumerate(candidates):
        costs = p.costs or (0.0,) * len(p.durations)
        found[index] = tuple(
            weight * cost / max_cost + (1 - weight) * duration / max_duration
            for duration, cost in zip(p.durations, costs, strict=True)
        )
    return found


def choose(
    candidates: Sequence[Point],
    criterion: str,
    weight: float = DEFAULT_BALANCED_WEIGHT,
    confidence: float = CONFIDENCE,
) -> Choice:
    """The best of `candidates` by `criterion`, and those the same as it within noise."""
    samples = _samples(candidates, criterion, weight)
    best = min(range(len(candidates)), key=lambda i: (statistics.median(samples[i]), _memory(candidates[i])))
    tied = [
        i
        for i in range(len(candidates))
        if i == best or not ratio(samples[i], samples[best], confidence).higher
    ]
    named = min(tied, key=_tiebreak(candidates, criterion))
    return Choice(
        criterion,
        candidates[named],
        candidates[best],
        tuple(sorted((candidates[i] for i in tied), key=_place)),
    )


def _samples(candidates: Sequence[Point], criterion: str, weight: float) -> Mapping[int, Sequence[float]]:
    if criterion == FASTEST:
        return {i: p.durations for i, p in enumerate(candidates)}
    if criterion == CHEAPEST:
        return {i: p.costs for i, p in enumerate(candidates)}
    return scores(candidates, weight)


def _tiebreak(candidates: Sequence[Point], criterion: str) -> Callable[[int], tuple[float, ...]]:
    """Among tied sizes, the cheapest (for the cheapest, the fastest), then the smallest."""
    if criterion == CHEAPEST:
        return lambda i: (candidates[i].median_ms, _memory(candidates[i]))
    return lambda i: (candidates[i].cost_usd or 0.0, candidates[i].median_ms, _memory(candidates[i]))


def _memory(point: Point) -> float:
    return point.memory_mb


def _place(point: Point) -> tuple[int, str, int]:
    """Points in the order a reader looks for them: by size, architecture, concurrency."""
    return point.memory_mb, point.architecture or "", point.concurrency or 0


#: How sure sampling must be that a point cannot change a choice before it stops it. A
#: point is looked at after every invocation, and stopping at the first look that
#: passes the verdict's own 95% would make false winners more frequent than 5%.
SETTLED_CONFIDENCE = 0.99


def open_choices(point: Point, others: Sequence[Point], weight: float) -> bool:
    """Whether more invocations of `point` could change a choice among `others` and it:
    it is the best, or the same as the best within noise, by at least one criterion."""
    candidates = [*others, point]
    criteria = (FASTEST, BALANCED, CHEAPEST) if point.costs and all(p.costs for p in others) else (FASTEST,)
    return any(
        any(p is point for p in choose(candidates, c, weight, SETTLED_CONFIDENCE).tied) for c in criteria
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
    every = points(results, results.trim)
    verdicts, warnings = [], []
    for model in dict.fromkeys(p.model for p in every):
        mine = [p for p in every if p.model == model]
        verdicts.append(model_verdict(model, mine, balanced_weight))
        thin = sorted({p.memory_mb for p in mine if p.warm < MIN_WARM})
        if thin:
            warnings.append(
                f"{model}: fewer than {MIN_WARM} warm invocations behind the figures at "
                f"{', '.join(f'{m} MB' for m in thin)}; run more with --invocations"
            )
    warnings.extend(w for w in (emulator_busy(results), capped_shares(results)) if w is not None)
    return Verdict(verdicts, speed_ups(every, verdicts), warnings, results.cost_usd, balanced_weight)


def model_verdict(model: str, mine: Sequence[Point], balanced_weight: float) -> ModelVerdict:
    """One model's three choices among its points: each size (on each architecture, where
    points carry one) represented by its fastest concurrency."""
    best_by_place: dict[tuple[str | None, int], Point] = {}
    for point in mine:
        place = (point.architecture, point.memory_mb)
        best = best_by_place.get(place)
        if best is None or point.median_ms < best.median_ms:
            best_by_place[place] = point
    sizes = sorted(best_by_place.values(), key=_place)
    costed = [p for p in sizes if p.costs]
    return ModelVerdict(
        model=model,
        fastest=choose(sizes, FASTEST),
        cheapest=choose(costed, CHEAPEST) if costed else None,
        balanced=choose(sizes, BALANCED, balanced_weight),
        best_concurrency={p.memory_mb: p.concurrency for p in sizes},
    )


def speed_ups(every: Sequence[Point], verdicts: Sequence[ModelVerdict]) -> list[SpeedUp]:
    """Each model against sync at each size (at the model's best concurrency there)."""
    sync = {p.memory_mb: p for p in every if p.model == "sync"}
    found = []
    for verdict in verdicts:
        if verdict.model == "sync":
            continue
        for memory, concurrency in sorted(verdict.best_concurrency.items()):
            base = sync.get(memory)
            if base is None:
                continue
            point = next(
                p
                for p in every
                if (p.model, p.memory_mb, p.concurrency) == (verdict.model, memory, concurrency)
            )
            against = ratio(point.durations, base.durations)
            found.append(
                SpeedUp(
                    verdict.model, memory, concurrency, against.estimate, against.low, against.high,
                    point.warm, base.warm,
                )
            )  # fmt: skip
    return found


#: The stack's settings of the functions' requests in flight and of the one architecture
#: it deploys them for (cdk.json's requestsInFlight and architecture).
REQUESTS_IN_FLIGHT_SETTING = "requestsInFlight"
ARCHITECTURE_SETTING = "architecture"


def deploy_settings(point: Point) -> list[str]:
    """The `cdk deploy` arguments that deploy what this point measured: its architecture
    where points of two were compared, its memory size, and its requests in flight where
    they are not the functions' default."""
    words = ["-c", f"memory={point.memory_mb}"]
    if point.architecture is not None:
        words = ["-c", f"{ARCHITECTURE_SETTING}={point.architecture}", *words]
    if (
        point.concurrency is not None
        and point.model != "sync"
        and point.concurrency != DEFAULT_REQUESTS_IN_FLIGHT
    ):
        words += ["-c", f"{REQUESTS_IN_FLIGHT_SETTING}={point.concurrency}"]
    return words


def memory_setting(point: Point) -> str:
    """The cdk.json settings that deploy this point, as one string."""
    return " ".join(deploy_settings(point))
