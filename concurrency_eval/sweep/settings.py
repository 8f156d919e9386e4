"""What a sweep measures: memory sizes x models x concurrency, and how often."""

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from concurrency_eval.results.statistics import DEFAULT_TRIM
from concurrency_eval.results.verdict import DEFAULT_BALANCED_WEIGHT
from concurrency_eval.sweep.sampling import DEFAULT_TARGET, Sampling
from concurrency_eval.workload.dataset import DataSetSpec
from contracts.bundles import ARCHITECTURES, MODELS
from contracts.lambda_limits import ACCOUNT_CONCURRENCY, MAX_MEMORY_MB, MAX_TIMEOUT_S, MIN_MEMORY_MB
from s3fanout.event import MAX_CONCURRENCY, MIN_CONCURRENCY

#: The most warm invocations a point may get, and in flight at once.
MAX_INVOCATIONS, MAX_PARALLELISM = 1000, 50
#: The most invocations in flight across a sweep: the account's default concurrency.
MAX_PARALLEL = ACCOUNT_CONCURRENCY
#: The models whose requests in flight are bounded by the event's `concurrency`;
#: sync always runs one request at a time.
CONCURRENT_MODELS = ("threaded", "asyncio")


@dataclass(frozen=True)
class Step:
    """One configuration of the functions: a memory size, and a concurrency for the
    concurrent models (None: the functions' own default)."""

    memory_mb: int
    concurrency: int | None
    models: tuple[str, ...]

    def concurrency_of(self, model: str) -> int | None:
        """The requests in flight `model` runs with in this step: 1 for sync."""
        return self.concurrency if model in CONCURRENT_MODELS else 1

    def group(self, model: str) -> tuple[str, int, int | None]:
        """The key of `model`'s group of invocations in this step, as results record it."""
        return model, self.memory_mb, self.concurrency_of(model)

    @property
    def label(self) -> str:
        concurrency = "" if self.concurrency is None else f", concurrency {self.concurrency}"
        return f"{self.memory_mb} MB{concurrency}"


@dataclass(frozen=True)
class SweepSettings:
    memory_sizes: tuple[int, ...]
    models: tuple[str, ...] = MODELS
    #: Requests in flight per invocation for threaded and asyncio; (None,) keeps the
    #: functions' default.
    concurrencies: tuple[int | None, ...] = (None,)
    #: Warm invocations per point after its cold one: all of them with no
    #: `max_invocations`, else the first, before sampling until clear.
    invocations: int = 10
    #: The ceiling of sampling until clear; None for a fixed count.
    max_invocations: int | None = None
    #: Clear enough: the median's 95% CI within this share of it on either side.
    target_ci: float = DEFAULT_TARGET
    #: Cold starts per point, each in a new execution environment.
    cold_starts: int = 1
    #: The balanced choice's weight, which sampling needs to know what could change it.
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT
    #: The share the trimmed mean drops at each end (Power Tuning's discardTopBottom).
    trim: float = DEFAULT_TRIM
    #: Warm invocations of one group in flight at once.
    parallelism: int = 1
    #: Invocations in flight at once across the sweep, of different groups (sizes, models).
    parallel: int = 1
    dataset: DataSetSpec = field(default_factory=DataSetSpec)
    #: Seconds assumed per invocation by the estimate; the worst case is the timeout.
    expected_seconds: float = 5.0
    #: The architecture costs are estimated for; None for each function's own. A local
    #: sweep runs on this machine's architecture but prices the one the stack deploys.
    price_architecture: str | None = None

    def __post_init__(self) -> None:
        """Settings from a results file are checked as the command line's are."""
        validate_memory_sizes(self.memory_sizes)
        unknown = [model for model in self.models if model not in MODELS]
        if unknown or not self.models:
            raise ValueError(
                f"unknown model {unknown[0] if unknown else 'none'}; models are {', '.join(MODELS)}"
            )
        bad = [c for c in self.concurrencies if c is not None and not MIN_CONCURRENCY <= c <= MAX_CONCURRENCY]
        if bad:
            raise ValueError(f"concurrency {bad[0]} is outside {MIN_CONCURRENCY} to {MAX_CONCURRENCY}")
        if not 1 <= self.invocations <= MAX_INVOCATIONS or not 1 <= self.parallelism <= MAX_PARALLELISM:
            raise ValueError(
                f"invocations ({self.invocations}) and parallelism ({self.parallelism}) are 1 to "
                f"{MAX_INVOCATIONS} and 1 to {MAX_PARALLELISM}"
            )
        if not math.isfinite(self.expected_seconds) or not 0 < self.expected_seconds <= MAX_TIMEOUT_S:
            raise ValueError(f"expected seconds per invocation ({self.expected_seconds}) is not 0 to 900")
        if not 0 <= self.balanced_weight <= 1:
            raise ValueError("the balanced weight is between 0 (speed) and 1 (cost)")
        if not 1 <= self.parallel <= MAX_PARALLEL:
            raise ValueError(f"invocations in flight ({self.parallel}) are 1 to {MAX_PARALLEL}")
        if self.cold_starts < 1:
            raise ValueError("a point needs at least one cold start")
        if self.price_architecture is not None and self.price_architecture not in ARCHITECTURES:
            raise ValueError(f"no architecture {self.price_architecture!r}; use {' or '.join(ARCHITECTURES)}")
        if not 0 <= self.trim < 0.5:
            raise ValueError("the trimmed mean drops a share from 0 to below 0.5 at each end")
        self.sampling  # noqa: B018 - the sampling settings check themselves

    def steps(self) -> Iterator[Step]:
        """Memory sizes in order; at each, one step per concurrency. Sync runs in the
        first step of each size only, since concurrency does not apply to it."""
        for memory in self.memory_sizes:
            for position, concurrency in enumerate(self.concurrencies):
                models = tuple(m for m in self.models if m in CONCURRENT_MODELS or position == 0)
                if models:
                    yield Step(memory, concurrency, models)

    def event(self, bucket: str, model: str, concurrency: int | None) -> dict[str, Any]:
        return self.dataset.event(bucket, concurrency if model in CONCURRENT_MODELS else None)

    def priced_architecture(self, configuration: dict[str, Any]) -> str:
        """The architecture a function's invocations are priced for."""
        return self.price_architecture or architecture_of(configuration)

    @property
    def sampling(self) -> Sampling:
        return Sampling(self.invocations, self.max_invocations, self.target_ci, self.balanced_weight)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SweepSettings":
        return cls(
            memory_sizes=tuple(data["memory_sizes"]),
            models=tuple(data["models"]),
            concurrencies=tuple(data["concurrencies"]),
            invocations=int(data["invocations"]),
            # Sweeps recorded before sampling until clear had a fixed count and one cold start.
            max_invocations=None if data.get("max_invocations") is None else int(data["max_invocations"]),
            target_ci=float(data.get("target_ci", DEFAULT_TARGET)),
            cold_starts=int(data.get("cold_starts", 1)),
            balanced_weight=float(data.get("balanced_weight", DEFAULT_BALANCED_WEIGHT)),
            trim=float(data.get("trim", DEFAULT_TRIM)),
            parallelism=int(data["parallelism"]),
            # Sweeps recorded before groups ran at once measured one group at a time.
            parallel=int(data.get("parallel", 1)),
            dataset=DataSetSpec(**data["dataset"]),
            expected_seconds=float(data["expected_seconds"]),
            price_architecture=None
            if data.get("price_architecture") is None
            else str(data["price_architecture"]),
        )


def architecture_of(configuration: dict[str, Any]) -> str:
    """A function's architecture, as GetFunctionConfiguration gives it (x86_64 when absent)."""
    architectures = configuration.get("Architectures") or ["x86_64"]
    return str(architectures[0])


def validate_memory_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    if not sizes:
        raise ValueError("name at least one memory size, as 128,1024")
    bad = [size for size in sizes if not MIN_MEMORY_MB <= size <= MAX_MEMORY_MB]
    if bad:
        raise ValueError(f"memory sizes must be {MIN_MEMORY_MB} to {MAX_MEMORY_MB} MB; got {bad[0]}")
    if len(set(sizes)) != len(sizes):
        raise ValueError("memory sizes repeat")
    return tuple(sizes)
