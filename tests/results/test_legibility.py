"""What keeps a chart legible, as numbers and boxes: WCAG 2's contrast, round ticks that
do not crowd an axis, labels placed clear of each other."""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concurrency_eval.results.legibility import (
    BLACK,
    MAX_LINEAR_TICKS,
    MAX_LOG_TICKS,
    MIN_CONTRAST,
    WHITE,
    Box,
    contrast_ratio,
    kept_apart,
    linear_ticks,
    log_ticks,
    place_labels,
    plain_number,
    text_colour_on,
)


def grey(level: int) -> tuple[float, float, float]:
    return (level / 255,) * 3


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # WCAG 2: black on white is the most there is, a colour on itself the least.
        (BLACK, WHITE, 21.0),
        (WHITE, WHITE, 1.0),
        # #767676 on white is the lightest grey that passes AA for normal text (4.54:1);
        # #777777 is the first that fails (4.48:1), as WebAIM's contrast checker reports.
        (grey(0x76), WHITE, 4.54),
        (grey(0x77), WHITE, 4.48),
        # Pure red on white: 4.00:1; pure blue on white: 8.59:1.
        ((1.0, 0.0, 0.0), WHITE, 4.00),
        ((0.0, 0.0, 1.0), WHITE, 8.59),
    ],
)
def test_contrast_ratio_is_wcags(
    first: tuple[float, ...], second: tuple[float, ...], expected: float
) -> None:
    # Given two colours, When their contrast is computed, Then it is WCAG 2's, whichever comes first
    assert round(contrast_ratio(first, second), 2) == expected
    assert contrast_ratio(second, first) == contrast_ratio(first, second)


@given(st.tuples(*[st.floats(0, 1)] * 3))
@settings(max_examples=300, deadline=None)
def test_text_on_any_background_reaches_wcag_aa(background: tuple[float, float, float]) -> None:
    # Given any background colour, When the text colour is chosen for it
    text = text_colour_on(background)

    # Then it is black or white, and contrasts with the background by at least 4.5:1
    assert text in (BLACK, WHITE)
    assert contrast_ratio(text, background) >= MIN_CONTRAST


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1500.0, "1,500"), (120000.0, "120,000"), (12.5, "12.5"), (0.25, "0.25"), (1.0, "1"), (0.3, "0.3"),
     (1.05, "1.05"), (0.000125, "0.000125"), (1e-9, "1e-09")],
)  # fmt: skip
def test_numbers_are_shown_as_people_write_them(value: float, shown: str) -> None:
    assert plain_number(value) == shown


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # The cost panel's 1-2-5 ticks, where "800900 1,000" once ran together
        (600.0, 6000.0, [1000, 2000, 5000]),
        (0.8, 11.0, [1, 2, 5, 10]),
        # Many decades: the decades, or every second or third one
        (10.0, 2_000_000.0, [10, 100, 1000, 10_000, 100_000, 1_000_000]),
        (1e-3, 1e9, [1e-3, 1, 1e3, 1e6, 1e9]),
        # Too little of a decade for 1-2-5: evenly spaced round values
        (0.95, 1.15, [0.95, 1.0, 1.05, 1.1, 1.15]),
        (3100.0, 3300.0, [3100, 3150, 3200, 3250, 3300]),
    ],
)
def test_log_ticks_are_round_and_few(low: float, high: float, expected: list[float]) -> None:
    assert log_ticks(low, high) == pytest.approx(expected)


@given(st.floats(1e-4, 1e8), st.floats(1.01, 1e6))
@settings(max_examples=300, deadline=None)
def test_log_ticks_are_within_the_axis_few_and_told_apart(low: float, factor: float) -> None:
    # Given a log axis from low to high
    high = low * factor

    # When it is ticked
    ticks = log_ticks(low, high)

    # Then there are two or more ticks, few, in order, inside the axis, each labelled differently
    assert 2 <= len(ticks) <= max(MAX_LOG_TICKS, MAX_LINEAR_TICKS) + 1
    assert ticks == sorted(ticks)
    assert all(low <= tick <= high for tick in ticks)
    assert len({plain_number(tick) for tick in ticks}) == len(ticks)


def test_linear_ticks_of_an_empty_range_are_the_value() -> None:
    assert linear_ticks(5.0, 5.0) == [5.0]
    assert log_ticks(5.0, 5.0) == [5.0]
    assert log_ticks(0.0, 5.0) == []


boxes = st.builds(
    lambda x, y, w, h: Box(x, y, x + w, y + h),
    st.floats(0, 500), st.floats(0, 500), st.floats(1, 60), st.floats(1, 20),
)  # fmt: skip


@given(st.lists(boxes, max_size=30), st.floats(0, 10))
@settings(max_examples=200, deadline=None)
def test_boxes_kept_apart_never_come_within_the_gap(candidates: list[Box], gap: float) -> None:
    # When boxes are kept apart
    kept = kept_apart(candidates, gap)

    # Then the first is always kept, and no two kept come within the gap of each other
    assert kept[:1] == [0][: len(candidates)]
    for first, second in itertools.combinations(kept, 2):
        assert not candidates[first].grown(gap).overlaps(candidates[second])
    # And every box left out was too close to one kept before it
    for left_out in set(range(len(candidates))) - set(kept):
        assert any(candidates[left_out].grown(gap).overlaps(candidates[k]) for k in kept if k < left_out)


@given(
    st.lists(st.tuples(st.floats(0, 400), st.floats(0, 300)), min_size=1, max_size=30),
    st.lists(boxes, max_size=10),
    st.floats(1, 6),
)
@settings(max_examples=200, deadline=None)
def test_labels_are_placed_clear_of_each_other_and_of_the_points(
    anchors: list[tuple[float, float]], obstacles: list[Box], gap: float
) -> None:
    # Given points in a panel, some of them crowded, and a label for each
    bounds = Box(0, 0, 400, 300)
    sizes = [(28.0, 9.0)] * len(anchors)

    # When the labels are placed
    placed = place_labels(anchors, sizes, obstacles, bounds, gap)

    # Then each placed label is inside the panel, its size, clear of the obstacles and of the others
    found = [box for box in placed if box is not None]
    for box in found:
        assert box.inside(bounds)
        assert (box.x1 - box.x0, box.y1 - box.y0) == pytest.approx(sizes[0])
        assert not any(box.overlaps(obstacle) for obstacle in obstacles)
    for first, second in itertools.combinations(found, 2):
        assert not first.overlaps(second)
    # And each is near its point: within twelve gaps and its own size
    for (x, y), label in zip(anchors, placed, strict=True):
        if label is not None:
            cx, cy = label.centre
            assert math.hypot(cx - x, cy - y) <= 12 * gap * math.sqrt(2) + math.hypot(*sizes[0])


def test_a_lone_label_goes_above_right_of_its_point() -> None:
    # Given one point in the middle of an empty panel
    placed = place_labels([(100.0, 100.0)], [(30.0, 10.0)], [], Box(0, 0, 200, 200), 4.0)

    # Then its label is where a reader looks first: above and to the right, one gap away
    assert placed == [Box(104.0, 104.0, 134.0, 114.0)]


def test_a_label_with_no_room_is_left_out() -> None:
    # Given a panel too small for the label, Then it has no place
    assert place_labels([(10.0, 10.0)], [(50.0, 10.0)], [], Box(0, 0, 20, 20), 4.0) == [None]
