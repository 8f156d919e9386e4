"""What keeps a chart legible, worked out as numbers and boxes, without matplotlib: round
tick values that do not crowd an axis, labels placed clear of each other and of what they
label, and a text colour that stands out from its background by WCAG 2's contrast ratio.
The charts draw with these; their tests hold the drawn figures to the same measures.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: WCAG 2's least contrast for text of normal size (success criterion 1.4.3, level AA).
MIN_CONTRAST = 4.5
BLACK, WHITE = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
#: Ticks on a log axis: 1, 2 and 5 in each decade where that makes at most this many.
MAX_LOG_TICKS = 6
#: Evenly spaced ticks, where the axis holds too little of a decade for the 1-2-5 ones.
MAX_LINEAR_TICKS = 5

Colour = tuple[float, ...]


def relative_luminance(colour: Colour) -> float:
    """WCAG 2's relative luminance of an sRGB colour, its channels from 0 to 1 (alpha ignored)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: Colour, second: Colour) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: Colour) -> Colour:
    """Black or white, whichever contrasts more with `background`. One of them always
    reaches 4.58:1, above WCAG's 4.5, whatever the background."""
    return max((BLACK, WHITE), key=lambda colour: contrast_ratio(colour, background))


def plain_number(value: float) -> str:
    """A tick's label as people write numbers: 1,500 rather than 1.5e3, 12.5 rather than
    12, 0.25 rather than 2.5e-1; no more decimals than the value has (up to six)."""
    for decimals in range(7):
        if abs(value - round(value, decimals)) <= 1e-9 * abs(value):
            return f"{value:,.{decimals}f}"
    return f"{value:,.6g}"


def log_ticks(low: float, high: float) -> list[float]:
    """Round values from `low` to `high` to tick a log axis with: 1, 2 and 5 in each
    decade; where those are too many, the decades (every other one, and so on, where
    even those are); where the range holds fewer than two of them, evenly spaced round
    values (`linear_ticks`)."""
    if not 0 < low < high:
        return [low] if low == high and low > 0 else []
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    fine = _within([step * 10.0**decade for decade in decades for step in (1, 2, 5)], low, high)
    if len(fine) < 2:
        return linear_ticks(low, high)
    if len(fine) <= MAX_LOG_TICKS:
        return fine
    coarse = _within([10.0**decade for decade in decades], low, high)
    return coarse[:: math.ceil(len(coarse) / MAX_LOG_TICKS)]


def linear_ticks(low: float, high: float) -> list[float]:
    """Evenly spaced round values from `low` to `high` (steps of 1, 2, 2.5 or 5 x 10^k),
    the finest step that gives at most MAX_LINEAR_TICKS of them."""
    if not low < high:
        return [low]
    magnitude = math.floor(math.log10(high - low))
    for exponent in range(magnitude - 1, magnitude + 2):
        for step in (1.0, 2.0, 2.5, 5.0):
            size = step * 10.0**exponent
            first, last = math.ceil(low / size), math.floor(high / size)
            if last - first + 1 <= MAX_LINEAR_TICKS:
                return _within([index * size for index in range(first - 1, last + 2)], low, high)
    return [low, high]


def _within(values: list[float], low: float, high: float) -> list[float]:
    return [rounded for value in values if low <= (rounded := _rounded(value)) <= high]


def _rounded(value: float) -> float:
    """`value` without the float noise of 10**k arithmetic (0.30000000000000004 is 0.3)."""
    return float(f"{value:.12g}")


@dataclass(frozen=True)
class Box:
    """A rectangle in a figure's pixels: left, bottom, right, top."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Box") -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inside(self, other: "Box") -> bool:
        return other.x0 <= self.x0 and self.x1 <= other.x1 and other.y0 <= self.y0 and self.y1 <= other.y1

    def grown(self, by: float) -> "Box":
        """This box with `by` pixels more on every side (fewer where `by` is negative)."""
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    @classmethod
    def around(cls, x: float, y: float, width: float, height: float) -> "Box":
        return cls(x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def kept_apart(boxes: Sequence[Box], gap: float) -> list[int]:
    """The indices of the boxes to keep so that no two kept ones come within `gap` of
    each other: each in turn, kept unless it is too close to one kept before it."""
    kept: list[int] = []
    for index, box in enumerate(boxes):
        if not any(box.grown(gap).overlaps(boxes[other]) for other in kept):
            kept.append(index)
    return kept


#: Where a label goes around its point, in the order tried: above right first, as a
#: reader expects, then the other seven directions.
_DIRECTIONS = ((1, 1), (1, 0), (1, -1), (0, 1), (0, -1), (-1, 1), (-1, 0), (-1, -1))
#: How many steps of `gap` away from its point a label may go.
_MAX_STEPS = 12


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    obstacles: Sequence[Box],
    bounds: Box,
    gap: float,
) -> list[Box | None]:
    """A box for each label (its `sizes`, width and height) near its anchor point, clear
    of `obstacles`, of the labels placed before it and inside `bounds`: tried in eight
    directions at one `gap` from the point, then two, and so on; None where none is clear."""
    placed: list[Box] = []
    found: list[Box | None] = []
    for (x, y), (width, height) in zip(anchors, sizes, strict=True):
        box = next(
            (
                candidate
                for steps in range(1, _MAX_STEPS + 1)
                for dx, dy in _DIRECTIONS
                if (candidate := _beside(x, y, width, height, dx * steps * gap, dy * steps * gap)).inside(
                    bounds
                )
                and not any(candidate.grown(gap / 2).overlaps(other) for other in (*obstacles, *placed))
            ),
            None,
        )
        if box is not None:
            placed.append(box)
        found.append(box)
    return found


def _beside(x: float, y: float, width: float, height: float, dx: float, dy: float) -> Box:
    """A box of `width` x `height` off the point (x, y) by (dx, dy): its nearest edge there."""
    left = x + dx if dx > 0 else x + dx - width if dx < 0 else x - width / 2
    bottom = y + dy if dy > 0 else y + dy - height if dy < 0 else y - height / 2
    return Box(left, bottom, left + width, bottom + height)
