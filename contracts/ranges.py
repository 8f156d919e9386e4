"""Numbers users give as text (cdk.json context, command-line arguments), parsed and
range-checked by one set of parsers. Each front end words the two ways a value can be
wrong in its own voice; what is accepted is decided here."""

import math
from collections.abc import Callable
from typing import Any


class NotANumber(ValueError):
    """The text is not a number of the kind asked for."""


class OutOfRange(ValueError):
    """The number is outside [low, high]."""

    def __init__(self, value: float, low: float, high: float) -> None:
        super().__init__(f"{value:g} is not between {low:g} and {high:g}")
        self.value, self.low, self.high = value, low, high


def int_between(low: int, high: int) -> Callable[[Any], int]:
    """A parser of whole numbers from low to high; True and 1.5 are not whole numbers."""

    def parse(raw: Any) -> int:
        if isinstance(raw, (bool, float)):
            raise NotANumber(raw)
        try:
            value = raw if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            raise NotANumber(raw) from None
        if not low <= value <= high:
            raise OutOfRange(value, low, high)
        return value

    return parse


def float_between(low: float, high: float) -> Callable[[Any], float]:
    """A parser of numbers from low to high; NaN is not a number here."""

    def parse(raw: Any) -> float:
        if isinstance(raw, bool):
            raise NotANumber(raw)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise NotANumber(raw) from None
        if math.isnan(value):
            raise NotANumber(raw)
        if not low <= value <= high:
            raise OutOfRange(value, low, high)
        return value

    return parse
