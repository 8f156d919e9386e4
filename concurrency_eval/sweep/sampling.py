"""How many warm invocations a point gets: a fixed count, or sampling until the answer is clear.

Sampling until clear (the default): every point first gets `minimum` warm invocations;
then it gets more, one batch at a time, while its median's 95% CI is wider than
`target` of the median on either side and more invocations could still change a
choice, up to `maximum`. A point can no longer change a choice when it is worse beyond
noise than a point measured before it by every criterion the verdict uses (speed,
cost, balance): points measured later can only make the best better. The budget is
the engine's to check, since only it knows the prices and timeouts.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from concurrency_eval.results.document import CEILING, CLEAR, FIXED, SETTLED
from concurrency_eval.results.verdict import DEFAULT_BALANCED_WEIGHT, Point, open_choices

DEFAULT_TARGET = 0.05


@dataclass(frozen=True)
class Sampling:
    #: Warm invocations every point gets; with no `maximum`, all it gets.
    minimum: int
    #: The ceiling; None for a fixed count.
    maximum: int | None = None
    #: The median's CI half-width, as a share of the median, that is clear enough.
    target: float = DEFAULT_TARGET
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT

    def __post_init__(self) -> None:
        if self.minimum < 1:
            raise ValueError("a point needs at least one warm invocation")
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError(f"the ceiling ({self.maximum}) is below the first invocations ({self.minimum})")
        if not 0 < self.target < 1:
            raise ValueError("the CI target is a share of the median between 0 and 1 (0.05 for 5%)")

    @property
    def most(self) -> int:
        """The most warm invocations a point may get."""
        return self.minimum if self.maximum is None else self.maximum

    def stop(self, attempts: int, point: Point | None, earlier: Sequence[Point]) -> str | None:
        """Why a point with `attempts` warm invocations so far stops now, or None to go on.

        `point` is what its answered invocations make (None before one answered);
        `earlier` the same model's points measured before it.
        """
        if self.maximum is None:
            return FIXED if attempts >= self.minimum else None
        if attempts < self.minimum:
            return None
        if attempts >= self.maximum:
            return CEILING
        if point is None:
            return None
        if point.duration.half_width <= self.target:
            return CLEAR
        if earlier and not open_choices(point, earlier, self.balanced_weight):
            return SETTLED
        return None
