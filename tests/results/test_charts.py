"""The sweep's chart as a reader sees it. Each figure is drawn with its own renderer and
measured: every text that is drawn (ticks, labels, titles, annotations, the legend's)
clear of every other and inside the picture, the legend off the panels, each heatmap
number at WCAG's 4.5:1 against its cell, titles that say what was swept."""

import functools
import itertools
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from concurrency_eval.results.charts import (
    AGAINST_CHEAPEST,
    AGAINST_FASTEST,
    COSTS,
    DPI,
    DURATIONS,
    INITS,
    SPEED_UPS,
    draw,
    write_chart,
)
from concurrency_eval.results.document import AWS, LOCAL, Invocation, ModelRun, Results
from concurrency_eval.results.legibility import MIN_CONTRAST, contrast_ratio

#: Every test here draws whole figures, a second or more each: not for make test-fast.
pytestmark = pytest.mark.slow

#: How far two texts may reach into each other, in pixels, before they overlap: what
#: antialiasing blurs anyway.
TOLERANCE_PX = 0.5
#: Lambda's arm64 price per GB-second and per request (us-east-1).
GB_SECOND, REQUEST = 0.0000133334, 0.0000002
#: How much of sync's time each model takes, and how each doubling of the requests in flight helps.
SHARE = {"sync": 1.0, "threaded": 0.3, "asyncio": 0.25}


def sweep(
    models: Sequence[str] = ("sync", "threaded", "asyncio"),
    memories: Sequence[int] = (256, 1024, 1769),
    concurrencies: Sequence[int | None] = (None,),
    *,
    base_ms: float = 1000.0,
    warm: int = 5,
    failed: int = 0,
    colds: int = 1,
    kind: str = LOCAL,
) -> Results:
    """A finished sweep: every model at every size (the concurrent ones at every
    concurrency, sync at 1), durations that fall with memory up to one vCPU, and
    `failed` failed warm invocations in each group besides the answered ones."""
    runs = []
    for memory in memories:
        for model in models:
            for concurrency in (1,) if model == "sync" else concurrencies:
                speed_up = 1 + (concurrency or 8).bit_length() / 4 if model != "sync" else 1
                typical = base_ms * SHARE.get(model, 0.5) / speed_up * max(1.0, 1769 / memory) ** 0.8
                run = ModelRun(model, None, None, None, memory_mb=memory, concurrency=concurrency)
                run.invocations = [
                    invocation(model, "cold", index, memory, typical * 1.5, init_ms=250 + memory / 20 + index)
                    for index in range(colds)
                ]
                run.invocations += [
                    invocation(model, "warm", index, memory, typical * (1 + 0.02 * ((index * 7) % 5 - 2)))
                    for index in range(colds, colds + warm)
                ]
                run.invocations += [
                    invocation(model, "warm", index, memory, typical, error="ObjectsFailed")
                    for index in range(colds + warm, colds + warm + failed)
                ]
                runs.append(run)
    if kind == AWS:
        functions = {m: {"Runtime": "python3.13", "Architectures": ["arm64"]} for m in models}
        environment: dict[str, Any] = {"region": "eu-west-1", "functions": functions}
        settings_: dict[str, Any] = {"stack": "ConcurrencyEval"}
    else:
        environment, settings_ = {"region": "us-east-1", "machine": "x86_64", "cpus": 2}, {}
    settings_["dataset"] = {"objects": 1000, "min_size": 1000, "max_size": 50000}
    return Results(kind, "2026-11-22T08:31:11+00:00", settings_, environment, "k/1", runs)


def invocation(
    model: str, kind: str, index: int, memory: int, ms: float, *, init_ms: float | None = None,
    error: str | None = None,
) -> Invocation:  # fmt: skip
    billed = float(int(ms) + 1)
    return Invocation(
        model=model, kind=kind, index=index, duration_ms=None if error else ms, cpu_ms=None, peak_rss_mb=80,
        result=None if error else "k/1", handler_time_s=None, objects=1000, error=error,
        correct=error is None, memory_mb=memory, billed_ms=billed, init_ms=init_ms,
        cost_usd=billed / 1000 * memory / 1024 * GB_SECOND + REQUEST,
    )  # fmt: skip


@contextmanager
def recorded_texts() -> Iterator[list[tuple[Text, Bbox]]]:
    """Every text matplotlib draws meanwhile, with where it drew it (the text alone, not
    an annotation's leader line): what a reader sees, whatever made it."""
    drawn: list[tuple[Text, Bbox]] = []
    original = Text.draw

    def draw_and_record(text: Text, renderer: Any) -> None:
        original(text, renderer)
        if text.get_visible() and text.get_text().strip():
            drawn.append((text, Text.get_window_extent(text, renderer)))

    setattr(Text, "draw", draw_and_record)  # noqa: B010 - a method replaced for the drawing only
    try:
        yield drawn
    finally:
        setattr(Text, "draw", original)  # noqa: B010


def drawn_texts(figure: Figure) -> list[tuple[Text, Bbox]]:
    """Every text a drawing of `figure` draws, where it draws it: drawn with the
    renderer that writes the PNG, the pixels left out (they do not move a text)."""
    with recorded_texts() as drawn:
        figure.draw_without_rendering()
    return drawn


def overlap(first: Bbox, second: Bbox) -> bool:
    return bool(
        first.x0 + TOLERANCE_PX < second.x1
        and second.x0 + TOLERANCE_PX < first.x1
        and first.y0 + TOLERANCE_PX < second.y1
        and second.y0 + TOLERANCE_PX < first.y1
    )


def assert_legible(figure: Figure) -> list[tuple[Text, Bbox]]:
    """No drawn text over another or outside the picture; the legend off every panel;
    every heatmap number readable on its cell. The drawn texts, for more checks."""
    texts = drawn_texts(figure)
    assert texts
    page = figure.bbox
    for text, box in texts:
        assert page.x0 - TOLERANCE_PX <= box.x0, text.get_text()
        assert box.x1 <= page.x1 + TOLERANCE_PX, text.get_text()
        assert page.y0 - TOLERANCE_PX <= box.y0, text.get_text()
        assert box.y1 <= page.y1 + TOLERANCE_PX, text.get_text()
    clashes = [
        f"{first.get_text()!r} at {first_box.bounds} and {second.get_text()!r} at {second_box.bounds}"
        for (first, first_box), (second, second_box) in itertools.combinations(texts, 2)
        if overlap(first_box, second_box)
    ]
    assert not clashes, "texts over each other:\n" + "\n".join(clashes)
    for legend in figure.legends:
        for axes in figure.axes:
            assert not overlap(legend.get_window_extent(), axes.bbox), f"the legend covers {axes.get_label()}"
    for axes in figure.axes:
        for image in axes.images:
            assert_numbers_readable(axes, image)
    return texts


def assert_numbers_readable(axes: Axes, image: AxesImage) -> None:
    """Each cell's number is the cell's value, at 4.5:1 or more against the cell's colour."""
    values = image.get_array()
    assert values is not None
    colours = image.to_rgba(values)
    numbers = [text for text in axes.texts if text.get_visible()]
    assert len(numbers) == int(numpy.isfinite(numpy.ma.getdata(values)).sum())
    for text in numbers:
        column, row = (round(float(at)) for at in text.get_position())
        # Three significant digits, or the whole number from 1,000
        shown, value = float(text.get_text().replace(",", "")), float(values[row][column])
        assert shown == pytest.approx(value, rel=0.005, abs=0.5 if value >= 1000 else 0)
        background = tuple(float(channel) for channel in colours[row][column])
        assert contrast_ratio(to_rgb(text.get_color()), background) >= MIN_CONTRAST, text.get_text()


def panel(figure: Figure, label: str) -> Axes:
    return next(axes for axes in figure.axes if axes.get_label() == label)


def titles(figure: Figure) -> list[str]:
    heading = figure.get_suptitle()
    return [heading, *(axes.get_title() for axes in figure.axes)]


#: Memory sizes as people sweep them, and the awkward ones: near-equal, and Lambda's whole range.
TEN_SIZES = (128, 256, 512, 1024, 1536, 1769, 1770, 2048, 3008, 10240)
#: The sweeps drawn, each once, and looked at by several tests.
SWEEPS = {
    "one concurrency": sweep(),
    "one model, no cold starts": sweep(("asyncio",), colds=0),
    "near-equal sizes": sweep(memories=(1769, 1770, 1800)),
    "ten sizes": sweep(memories=TEN_SIZES),
    "ten sizes, three concurrencies": sweep(memories=TEN_SIZES, concurrencies=(4, 16, 64), colds=2),
    "minutes long": sweep(memories=(128, 10240), base_ms=240_000.0),
    "milliseconds short": sweep(memories=(128, 512, 2048), base_ms=3.0),
    # One size, so every cell of the cost map holds one value: its colour range is widened
    # when drawn, and the numbers' colours must be chosen for the colours drawn.
    "one value in every cell": sweep(["sync", "threaded"], [1024], (1, 8, 64), base_ms=2.0),
    "errors, on AWS": sweep(failed=2, kind=AWS),
    "every invocation failed": sweep(warm=0, failed=3),
    "nothing measured": sweep(models=()),
}


@functools.cache
def drawn(name: str) -> Figure:
    return draw(SWEEPS[name])


@pytest.mark.parametrize("name", SWEEPS)
def test_the_chart_reads_without_a_text_over_another(name: str) -> None:
    # Given a sweep, When its chart is drawn, Then every text is clear of the others and legible
    assert_legible(drawn(name))


@given(
    models=st.sets(st.sampled_from(("sync", "threaded", "asyncio")), min_size=1),
    memories=st.sets(st.one_of(st.sampled_from(TEN_SIZES), st.integers(128, 10240)), min_size=1, max_size=10),
    concurrencies=st.sampled_from([(None,), (64,), (1, 8, 64), (2, 4, 8, 16, 32)]),
    base_ms=st.floats(2.0, 300_000.0),
    failed=st.integers(0, 1),
)
# Found by the search: the top tick label of the durations panel (1,000,000 ms) reached
# into the panel's title when matplotlib's 6 pt lay between them.
@example(models={"sync", "threaded", "asyncio"}, memories={256, 1020}, concurrencies=(2, 4, 8, 16, 32),
         base_ms=172038.0, failed=0)  # fmt: skip
@settings(max_examples=10, deadline=None)
def test_any_sweep_reads_without_a_text_over_another(
    models: set[str], memories: set[int], concurrencies: tuple[int | None, ...], base_ms: float, failed: int
) -> None:
    # Given any sweep of up to three models, ten sizes and five concurrencies
    results = sweep(sorted(models), sorted(memories), concurrencies, base_ms=base_ms, failed=failed)

    # When its chart is drawn, Then every text is clear of the others and legible
    assert_legible(draw(results))


def test_one_concurrency_is_not_called_the_best_one() -> None:
    # Given a sweep at the functions' default requests in flight only
    figure = drawn("one concurrency")

    # Then no title speaks of the best concurrency, the heading says which was used, and there is no heatmap
    assert not any("fastest concurrency" in title or "(each size" in title for title in titles(figure))
    assert (
        "requests in flight: sync 1, threaded and asyncio 64 (the functions' default)"
        in figure.get_suptitle()
    )
    assert not any(axes.images for axes in figure.axes)


def test_swept_concurrency_is_said_and_mapped() -> None:
    # Given a sweep of three concurrencies
    figure = drawn("ten sizes, three concurrencies")

    # Then the duration panel says each size is at its fastest, the heading which were swept
    assert (
        panel(figure, DURATIONS).get_title()
        == "duration against memory, each size at its fastest concurrency"
    )
    assert "threaded and asyncio 4, 16 or 64 (each size at its fastest)" in figure.get_suptitle()
    # And each concurrent model has its duration and its cost over memory x concurrency
    heatmaps = [axes.get_label() for axes in figure.axes if axes.images]
    assert heatmaps == [
        "threaded: warm median, ms", "threaded: µ$ per warm invocation (median)",
        "asyncio: warm median, ms", "asyncio: µ$ per warm invocation (median)",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("errors, on AWS", "AWS Lambda, stack ConcurrencyEval, eu-west-1, arm64, python3.13, 2026-11-22"),
        ("one concurrency", "the local Lambda service on a x86_64 host with 2 CPUs, 2026-11-22"),
    ],
)  # fmt: skip
def test_the_heading_says_where_it_ran_on_what(name: str, said: str) -> None:
    heading = drawn(name).get_suptitle()
    assert heading.startswith(f"concurrency-eval: {said}; costs estimated at AWS prices for ")
    assert "1000 objects of 1,000-50,000 B per invocation; 5 warm invocations per point" in heading


def test_init_is_one_point_per_size_and_model_whatever_the_concurrency() -> None:
    # Given cold starts at every one of three concurrencies (INIT does not depend on it)
    results = SWEEPS["ten sizes, three concurrencies"]

    # When the chart is drawn
    init = panel(drawn("ten sizes, three concurrencies"), INITS)

    # Then each model has one point per size, the median of every cold start at that size
    lines = {c.get_label(): c.lines[0] for c in init.containers if isinstance(c, ErrorbarContainer)}
    assert set(lines) == {"sync", "threaded", "asyncio"}
    for model, line in lines.items():
        assert numpy.asarray(line.get_xdata()).tolist() == list(TEN_SIZES)
        expected = [
            statistics.median(
                i.init_ms for run in results.models if (run.model, run.memory_mb) == (model, memory)
                for i in run.invocations if i.init_ms is not None
            )
            for memory in TEN_SIZES
        ]  # fmt: skip
        assert numpy.asarray(line.get_ydata()).tolist() == pytest.approx(expected)
    # And the title says how many cold starts are behind each: sync's at one concurrency, the others' at three
    assert init.get_title() == "cold starts: INIT (2-6 per size and model, any concurrency)"


def test_every_size_in_the_cost_panel_is_labelled_once() -> None:
    # Given ten sizes, two of them a megabyte apart
    figure = drawn("ten sizes")

    # Then each model's point at each size has its label (`assert_legible`: clear of the others)
    costs = panel(figure, COSTS)
    labels = sorted(text.get_text() for text in costs.texts)
    assert labels == sorted(str(memory) for memory in TEN_SIZES for _ in range(3))
    assert "left out" not in costs.get_title()


def test_memory_ticks_keep_the_ends_and_known_sizes_where_they_would_run_together() -> None:
    # Given sizes too close together on the axis for all their labels
    figure = drawn("ten sizes")

    # Then the memory axis keeps the ends and the sizes people know (`assert_legible`: apart)
    ticks = [round(tick) for tick in panel(figure, DURATIONS).get_xticks()]
    assert (ticks[0], ticks[-1]) == (128, 10240)
    assert {128, 256, 512, 1024, 3008, 10240} <= set(ticks)
    assert not {1769, 1770} <= set(ticks)


def test_panels_say_what_is_missing_rather_than_draw_nothing() -> None:
    # Given a sweep of asyncio alone, without cold starts
    figure = drawn("one model, no cold starts")

    # Then the panels that need sync or cold starts say so
    shown = {text.get_text() for axes in figure.axes for text in axes.texts}
    assert "no model to compare with sync at the same size" in shown
    assert "no cold start recorded an Init Duration" in shown
    assert panel(figure, SPEED_UPS).get_title() == "against sync at the same size (below 1: faster)"
    assert {AGAINST_FASTEST, AGAINST_CHEAPEST} <= {axes.get_label() for axes in figure.axes}


def test_failed_invocations_are_counted_under_the_panels() -> None:
    notes = [text.get_text() for text in drawn("errors, on AWS").texts]
    assert any(
        "18 of 72 invocations failed (ObjectsFailed 18); the figures leave them out." in n for n in notes
    )


def test_the_chart_is_written_as_a_png_of_the_figure(tmp_path: Path) -> None:
    # Given a sweep, When its chart is written
    path = write_chart(SWEEPS["one concurrency"], tmp_path / "chart.png")

    # Then it is a PNG of the figure's size, and nothing else is left beside it
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    figure = drawn("one concurrency")
    assert (width, height) == (round(figure.get_figwidth() * DPI), round(figure.get_figheight() * DPI))
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]
