"""A sweep as one PNG: duration and cost against memory, speed-up over sync, cold starts,
the comparisons the verdict decided on (each size against the best, with its 95% CI),
and, where concurrency was swept, heatmaps over memory x concurrency per model.

`draw` makes the figure a reader sees and `write_chart` writes it: apart, so that tests
can hold the drawn figure to what a reader needs (no text over another, numbers that
stand out from their cells, titles that say what was swept). The figure is laid out
first; then the tick labels that would run together are thinned, the sizes in the cost
panel are placed clear of each other and of the points, and the heatmaps' numbers take
the colour that contrasts with their cell (`legibility`).

matplotlib is imported when a chart is drawn, not before: it takes a while to import.
"""

import io
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from concurrency_eval.results.document import DEFAULT_REQUESTS_IN_FLIGHT, Results, cold_starts
from concurrency_eval.results.legibility import (
    Box,
    kept_apart,
    log_ticks,
    place_labels,
    plain_number,
    text_colour_on,
)
from concurrency_eval.results.report import cost_basis
from concurrency_eval.results.statistics import ratio
from concurrency_eval.results.verdict import (
    CHEAPEST,
    DEFAULT_BALANCED_WEIGHT,
    FASTEST,
    Choice,
    ModelVerdict,
    Point,
    Verdict,
    decide,
    emulator_busy,
    points,
)
from concurrency_eval.system.files import write_atomically

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

COLOURS = {"sync": "#4c72b0", "threaded": "#dd8452", "asyncio": "#55a868"}
#: A model without a colour of its own.
OTHER_COLOUR = "#8172b2"
#: Memory sizes people know: where tick labels would run together, these are kept first.
MEMORY_TICKS = (128, 256, 512, 1024, 1769, 3008, 5120, 10240)
#: Pixels per inch, on screen and in the PNG alike, so that what is measured is what is written.
DPI = 100
WIDTH_IN, ROW_IN = 14.0, 5.0
#: Pixels between texts that must not touch, and around the figure's edge.
GAP_PX, EDGE_PX = 4.0, 8.0
TITLE_SIZE, NOTE_SIZE, LABEL_SIZE, NUMBER_SIZE, SMALLEST_NUMBER_SIZE = 12.0, 9.0, 7.5, 8.0, 6.0
#: Points between a panel and its title (matplotlib's 6 are too few): a tick label at the
#: top of the axis reaches half its height above the panel (5 pt at 10 pt), and the
#: title's descenders reach below its baseline (about 3 pt at 12 pt); GAP_PX between them.
TITLE_PAD_PT = 11.0
#: Each panel's label (`Axes.get_label()`), by which the tests find it.
DURATIONS, COSTS, SPEED_UPS, INITS = "durations", "costs", "speed-ups", "inits"
AGAINST_FASTEST, AGAINST_CHEAPEST = "against the fastest", "against the cheapest"
#: The choices marked in the cost panel: marker, and the word in the legend.
CHOICE_MARKERS = {FASTEST: ("^", "fastest"), CHEAPEST: ("v", "cheapest"), "balanced": ("*", "balanced")}


def write_chart(results: Results, path: Path, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> Path:
    """The chart of `results` as a PNG at `path`, written whole or not at all."""
    picture = io.BytesIO()
    draw(results, balanced_weight).savefig(picture, format="png", dpi=DPI)
    return write_atomically(path, picture.getvalue())


def draw(results: Results, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> "Figure":
    """The chart of `results`, laid out and ready to save or to measure."""
    from matplotlib import rc_context

    # A title takes its distance from its panel from the settings whenever it is set.
    with rc_context({"axes.titlepad": TITLE_PAD_PT}):
        return _draw(results, balanced_weight)


def _draw(results: Results, balanced_weight: float) -> "Figure":
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sweep = _Sweep.of(results, balanced_weight)
    rows = 3 + len(sweep.swept)
    figure = Figure(figsize=(WIDTH_IN, ROW_IN * rows + 1.0), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, 2, squeeze=False)
    _durations(axes[0][0], sweep)
    sizes = _costs(axes[0][1], sweep)
    _speed_ups(axes[1][0], sweep.verdict)
    _inits(axes[1][1], results)
    _against_best(axes[2][0], sweep, FASTEST)
    _against_best(axes[2][1], sweep, CHEAPEST)
    numbers = []
    for row, model in enumerate(sweep.swept, start=3):
        mine = [p for p in sweep.every if p.model == model]
        numbers.append(
            _heatmap(axes[row][0], mine, lambda p: p.median_ms, f"{model}: warm median, ms", "viridis_r")
        )
        numbers.append(
            _heatmap(
                axes[row][1], mine, lambda p: (p.cost_usd or 0.0) * 1e6,
                f"{model}: µ$ per warm invocation (median)", "magma_r",
            )
        )  # fmt: skip
    renderer = _renderer(figure)
    _frame(figure, sweep, renderer)
    thin_tick_labels(figure)
    _place_sizes(axes[0][1], sizes, renderer)
    for heatmap in numbers:
        _fit_numbers(heatmap, renderer)
    # The layout is final: the labels above were placed against it. Drawing the figure
    # (saving it, measuring it) keeps it rather than computing it a third time, the
    # largest part of a draw's CPU.
    figure.set_layout_engine("none")
    return figure


@dataclass(frozen=True)
class _Sweep:
    """What the chart shows of a sweep: every point, the verdict, each model's point at
    each size (at its fastest concurrency where concurrency was swept), and the models
    whose concurrency was swept."""

    results: Results
    every: list[Point]
    verdict: Verdict
    chosen: list[Point]
    swept: list[str]

    @classmethod
    def of(cls, results: Results, balanced_weight: float) -> "_Sweep":
        every = points(results, results.trim)
        verdict = decide(results, balanced_weight)
        best = {(v.model, m): c for v in verdict.models for m, c in v.best_concurrency.items()}
        chosen = [p for p in every if best.get((p.model, p.memory_mb), p.concurrency) == p.concurrency]
        in_flight = _in_flight(every)
        swept = [model for model, concurrencies in in_flight.items() if len(concurrencies) > 1]
        return cls(results, every, verdict, chosen, swept)


def _in_flight(every: Sequence[Point]) -> dict[str, list[int | None]]:
    """Each model's requests in flight, as swept (None: the functions' default)."""
    found: dict[str, list[int | None]] = {}
    for p in every:
        found.setdefault(p.model, [])
        if p.concurrency not in found[p.model]:
            found[p.model].append(p.concurrency)
    return {model: sorted(values, key=_in_flight_order) for model, values in found.items()}


def colour_of(model: str) -> str:
    return COLOURS.get(model, OTHER_COLOUR)


def _in_flight_order(concurrency: int | None) -> int:
    """The functions' default (None) before any number."""
    return -1 if concurrency is None else concurrency


def _in_flight_text(concurrency: int | None) -> str:
    return "default" if concurrency is None else str(concurrency)


# -- the frame: title, legend, notes -------------------------------------------------


def _title(results: Results, every: Sequence[Point]) -> str:
    """Where and when the sweep ran, on what, and what each point is made of."""
    day = results.started_at[:10]
    partial = " (partial: the sweep stopped before the end)" if results.partial else ""
    first = f"concurrency-eval: {_where(results)}, {day}{partial}; costs {cost_basis(results)}"
    warm = sorted({p.warm for p in every})
    n = "no" if not warm else str(warm[0]) if len(warm) == 1 else f"{warm[0]}-{warm[-1]}"
    parts = [f"{n} warm invocations per point"]
    dataset = results.settings.get("dataset")
    if isinstance(dataset, dict) and dataset.get("objects") is not None:
        low, high = dataset.get("min_size"), dataset.get("max_size")
        size = (
            f" of {plain_number(low)}-{plain_number(high)} B" if low is not None and high is not None else ""
        )
        parts.insert(0, f"{dataset['objects']} objects{size} per invocation")
    flights = _in_flight(every)
    if flights:
        parts.append(f"requests in flight: {_describe_in_flight(flights)}")
    return f"{first}\n{'; '.join(parts)}"


def _where(results: Results) -> str:
    environment = results.environment
    region = environment.get("region") or "no region"
    if results.on_aws:
        functions = environment.get("functions")
        configurations = list(functions.values()) if isinstance(functions, dict) else []
        architectures = sorted(
            {str(a) for c in configurations if isinstance(c, dict) for a in c.get("Architectures") or []}
        )
        runtimes = sorted(
            {str(c["Runtime"]) for c in configurations if isinstance(c, dict) and c.get("Runtime")}
        )
        stack = results.settings.get("stack")
        return ", ".join(
            ["AWS Lambda", *([f"stack {stack}"] if stack else []), str(region), *architectures, *runtimes]
        )
    machine, cpus = environment.get("machine"), environment.get("cpus")
    host = f" on a {machine} host" if machine else ""
    if host and isinstance(cpus, int):
        host += f" with {cpus} CPUs"
    return f"the local Lambda service{host}"


def _describe_in_flight(flights: dict[str, list[int | None]]) -> str:
    """'sync 1, threaded and asyncio 4, 16 or 64 (each size at its fastest)'."""
    groups: dict[tuple[int | None, ...], list[str]] = {}
    for model, concurrencies in flights.items():
        groups.setdefault(tuple(concurrencies), []).append(model)
    parts = []
    for shared, models in groups.items():
        values = [str(DEFAULT_REQUESTS_IN_FLIGHT if c is None else c) for c in shared]
        if values == [str(DEFAULT_REQUESTS_IN_FLIGHT)]:
            values = [f"{DEFAULT_REQUESTS_IN_FLIGHT} (the functions' default)"]
        if len(values) > 1:
            values = [f"{', '.join(values[:-1])} or {values[-1]} (each size at its fastest)"]
        parts.append(f"{' and '.join(models)} {values[0]}")
    return ", ".join(parts)


def _frame(figure: "Figure", sweep: _Sweep, renderer: "RendererBase") -> None:
    """The title and the legend above the panels, the notes below them, each measured so
    that the panels are laid out in the room between."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    height = figure.bbox.height
    heading = figure.suptitle("", y=1 - EDGE_PX / height, va="top", fontsize=TITLE_SIZE)
    _fill(heading, _title(sweep.results, sweep.every), renderer)
    top = height - EDGE_PX - heading.get_window_extent(renderer).height - GAP_PX
    legend = _legend(figure, sweep, top, renderer)
    top -= legend.get_window_extent(renderer).height + GAP_PX
    bottom = EDGE_PX
    notes = _notes(sweep.results)
    if notes:
        note = figure.text(
            0.5, EDGE_PX / height, "", ha="center", va="bottom", fontsize=NOTE_SIZE, color="#a33"
        )
        _fill(note, notes, renderer)
        bottom += note.get_window_extent(renderer).height + GAP_PX
    for text in (heading, legend, *figure.texts):
        text.set_in_layout(False)
    layout = figure.get_layout_engine()
    assert isinstance(layout, ConstrainedLayoutEngine)
    layout.set(rect=(0, bottom / height, 1, (top - bottom) / height))


def _fill(text: "Text", lines: str, renderer: "RendererBase") -> None:
    """`lines` in `text`, each wrapped where it would be wider than the figure."""
    room = text.figure.bbox.width - 2 * EDGE_PX if text.figure is not None else math.inf
    for columns in range(max(map(len, lines.split("\n"))), 20, -5):
        text.set_text("\n".join(textwrap.fill(line, columns) for line in lines.split("\n")))
        if text.get_window_extent(renderer).width <= room:
            return


def _legend(figure: "Figure", sweep: _Sweep, top: float, renderer: "RendererBase") -> "Legend":
    """One legend for every panel, above them: a colour per model, the verdict's choices
    as the cost panel marks them, the circles and the dashed line; in as few rows as fit."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=colour_of(model), marker="o", label=model)
        for model in dict.fromkeys(p.model for p in sweep.every)
    ]
    handles += [
        Line2D([], [], linestyle="none", marker=marker, markersize=11, color="#bbb", markeredgecolor="black",
               label=word)
        for marker, word in CHOICE_MARKERS.values()
    ]  # fmt: skip
    handles += [
        Line2D([], [], linestyle="none", marker="o", markersize=11, markerfacecolor="none",
               markeredgecolor="#555", label="circled: the same as the best within noise"),
        Line2D([], [], linestyle="--", color="#555", label="1: no difference"),
    ]  # fmt: skip
    for rows in range(1, len(handles) + 1):
        legend = figure.legend(
            handles=handles, loc="upper center", bbox_to_anchor=(0.5, top / figure.bbox.height),
            ncol=math.ceil(len(handles) / rows), fontsize=NOTE_SIZE, frameon=False,
        )  # fmt: skip
        if legend.get_window_extent(renderer).width <= figure.bbox.width - 2 * EDGE_PX:
            break
        legend.remove()
    return legend


def _notes(results: Results) -> str:
    """What the panels cannot show: failed invocations, and a busy S3 stand-in."""
    lines = []
    failed: dict[str, int] = {}
    total = 0
    for run in results.models:
        for invocation in run.invocations:
            total += 1
            if invocation.error:
                failed[invocation.error] = failed.get(invocation.error, 0) + 1
    if failed:
        kinds = ", ".join(f"{error} {count}" for error, count in sorted(failed.items()))
        lines.append(
            f"{sum(failed.values())} of {total} invocations failed ({kinds}); the figures leave them out."
        )
    busy = emulator_busy(results)
    if busy is not None:
        lines.append(busy[0].upper() + busy[1:] + ".")
    return "\n".join(lines)


# -- axes -----------------------------------------------------------------------------


def plain_numbers(axis: "Axes") -> None:
    """The y axis of a log panel ticked with round values (`log_ticks`) in the axis's
    range as drawn now, labelled as people write numbers: call it once the data is in."""
    _log_ticks(axis.yaxis, axis.get_ylim())


def _log_ticks(axis: "Axis", limits: tuple[float, float]) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    low, high = sorted(limits)
    axis.set_ticks(log_ticks(low, high))
    axis.set_major_formatter(FuncFormatter(lambda value, _: plain_number(value)))
    axis.set_minor_formatter(NullFormatter())


def _plain_formatter(axis: "Axis") -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: plain_number(value)))


def log_over_memory(axis: "Axes", memories: Sequence[int]) -> None:
    """A panel of ratios or durations against memory: both axes log, the memory ticks at
    the sizes swept, the y ticks round numbers (once the data is in)."""
    memory_axis(axis, memories)
    axis.set_yscale("log")
    plain_numbers(axis)


def memory_axis(axis: "Axes", memories: Sequence[int]) -> None:
    """Memory on a log2 x axis, a tick at every size swept (`thin_tick_labels` keeps the
    ends and the sizes people know first where they would run together)."""
    from matplotlib.ticker import FuncFormatter

    axis.set_xscale("log", base=2)
    axis.minorticks_off()
    if memories:
        axis.set_xticks(sorted(set(memories)))
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}"))
    axis.set_xlabel("memory (MB)")


def thin_tick_labels(figure: "Figure") -> None:
    """Leave out tick labels that would run together, on every axis ticked at fixed
    values (the memory axes, the log axes, the heatmaps'): the first and last first,
    then the memory sizes people know, then the rest from the left (the bottom). Then
    lay the figure out again, where labels were left out, for the room they give back."""
    from matplotlib.ticker import FixedLocator

    renderer = _renderer(figure)
    _lay_out(figure)
    thinned = False
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            if not isinstance(axis.get_major_locator(), FixedLocator):
                continue
            low, high = sorted(axis.get_view_interval())
            locations = [loc for loc in axis.get_majorticklocs() if low <= loc <= high]
            ticks = {tick.get_loc(): tick for tick in axis.get_major_ticks(len(axis.get_majorticklocs()))}
            order = sorted(locations, key=lambda loc: _priority(loc, locations))
            boxes = [_box(ticks[loc].label1.get_window_extent(renderer)) for loc in order]
            kept = sorted(order[index] for index in kept_apart(boxes, GAP_PX))
            if len(kept) < len(locations):
                axis.set_ticks(kept)
                thinned = True
    if thinned:
        _lay_out(figure)


def _lay_out(figure: "Figure") -> None:
    """Lay the figure out now, as drawing it would: tick labels then stand where drawn."""
    layout = figure.get_layout_engine()
    if layout is not None:
        layout.execute(figure)


def _renderer(figure: "Figure") -> "RendererBase":
    """The renderer the figure is drawn and measured with: Agg's, as the PNG's."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    renderer: RendererBase = canvas.get_renderer()  # type: ignore[no-untyped-call]
    return renderer


def _priority(location: float, locations: Sequence[float]) -> tuple[int, float]:
    if location in (min(locations), max(locations)):
        return 0, location
    return (1 if round(location) in MEMORY_TICKS else 2), location


def _box(extent: Any) -> Box:
    return Box(extent.x0, extent.y0, extent.x1, extent.y1)


def _empty(axis: "Axes", title: str, why: str) -> None:
    axis.set_title(title)
    axis.set_axis_off()
    axis.text(0.5, 0.5, why, ha="center", va="center", transform=axis.transAxes, color="#555")


def error_bars(
    estimates: Sequence[float], lows: Sequence[float], highs: Sequence[float]
) -> list[list[float]]:
    """matplotlib's yerr from intervals; an interval open at an end (too few values for
    one) has no bar there."""
    below = [
        max(e - low, 0.0) if math.isfinite(low) and low > 0 else 0.0
        for e, low in zip(estimates, lows, strict=True)
    ]
    above = [
        max(high - e, 0.0) if math.isfinite(high) else 0.0 for e, high in zip(estimates, highs, strict=True)
    ]
    return [below, above]


# -- the panels ----------------------------------------------------------------------


def _durations(axis: "Axes", sweep: _Sweep) -> None:
    axis.set_label(DURATIONS)
    at = ", each size at its fastest concurrency" if sweep.swept else ""
    if not sweep.chosen:
        _empty(axis, "duration against memory", "no warm invocation answered")
        return
    for model in dict.fromkeys(p.model for p in sweep.chosen):
        mine = sorted((p for p in sweep.chosen if p.model == model), key=lambda p: p.memory_mb)
        medians = [p.median_ms for p in mine]
        axis.errorbar(
            [p.memory_mb for p in mine], medians,
            yerr=error_bars(medians, [p.duration.median_low for p in mine],
                             [p.duration.median_high for p in mine]),
            marker="o", capsize=4, color=colour_of(model), label=model,
        )  # fmt: skip
    log_over_memory(axis, [p.memory_mb for p in sweep.chosen])
    axis.set_ylabel("warm duration, ms (median and its 95% CI)")
    axis.set_title(f"duration against memory{at}")


@dataclass(frozen=True)
class _Size:
    """A point's label in the cost panel, to place once the panel is laid out."""

    point: Point
    text: str

    @property
    def at(self) -> tuple[float, float]:
        return self.point.median_ms, (self.point.cost_usd or 0.0) * 1e6


def _costs(axis: "Axes", sweep: _Sweep) -> list[_Size]:
    """Cost against duration, a line per model through its sizes; the verdict's choices
    marked. The sizes' labels are placed later (`_place_sizes`), once the panel has its
    place in the figure: the choices' first, where there is the most room."""
    axis.set_label(COSTS)
    # A log axis has no place for a zero.
    costed = [p for p in sweep.chosen if p.cost_usd and p.median_ms > 0]
    if not costed:
        _empty(axis, "cost against duration", "no invocation has a cost")
        return []
    for model in dict.fromkeys(p.model for p in costed):
        mine = sorted((p for p in costed if p.model == model), key=lambda p: p.memory_mb)
        axis.plot([p.median_ms for p in mine], [(p.cost_usd or 0.0) * 1e6 for p in mine], marker="o",
                  color=colour_of(model), label=model, alpha=0.8)  # fmt: skip
    named: list[Point] = []
    for verdict in sweep.verdict.models:
        for criterion, choice in _choices(verdict):
            point = choice.point
            if point not in costed:
                continue
            marker, _ = CHOICE_MARKERS[criterion]
            axis.scatter([point.median_ms], [(point.cost_usd or 0.0) * 1e6], marker=marker, s=160,
                         color=colour_of(verdict.model), edgecolors="black", zorder=5)  # fmt: skip
            named.append(point)
    # Both log: durations and costs span orders of magnitude over Lambda's sizes.
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.margins(x=0.1, y=0.12)
    _log_ticks(axis.xaxis, axis.get_xlim())
    _log_ticks(axis.yaxis, axis.get_ylim())
    axis.set_xlabel("warm duration, ms (median)")
    axis.set_ylabel("µ$ per warm invocation (median)")
    what = "MB x requests in flight" if sweep.swept else "MB"
    axis.set_title(f"cost against duration (labels: {what})")
    ordered = [*dict.fromkeys(named), *(p for p in costed if p not in named)]
    return [
        _Size(
            p,
            f"{p.memory_mb} x{_in_flight_text(p.concurrency)}"
            if p.model in sweep.swept
            else str(p.memory_mb),
        )
        for p in ordered
    ]


def _choices(verdict: ModelVerdict) -> list[tuple[str, Choice]]:
    found = [(FASTEST, verdict.fastest), (CHEAPEST, verdict.cheapest), ("balanced", verdict.balanced)]
    return [(criterion, choice) for criterion, choice in found if choice is not None]


def _place_sizes(axis: "Axes", sizes: Sequence[_Size], renderer: "RendererBase") -> None:
    """Each size's label beside its point, clear of the other labels and of every point
    (`place_labels`), with a leader line where it had to go further. Where one finds no
    room, the title says how many."""
    if not sizes:
        return
    to_pixels = axis.transData.transform
    anchors = [(float(x), float(y)) for x, y in (to_pixels(s.at) for s in sizes)]
    measured = []
    for s in sizes:
        probe = axis.text(0, 0, s.text, fontsize=LABEL_SIZE)
        extent = probe.get_window_extent(renderer)
        measured.append((extent.width, extent.height))
        probe.remove()
    # Every point is in the way of a label, the verdict's large markers more so.
    obstacles = [Box.around(x, y, 9, 9) for x, y in anchors]
    for collection in axis.collections:
        for x, y in to_pixels(collection.get_offsets()):
            obstacles.append(Box.around(float(x), float(y), 20, 20))
    placed = place_labels(anchors, measured, obstacles, _box(axis.bbox).grown(-2), GAP_PX)
    for s, (x, y), box in zip(sizes, anchors, placed, strict=True):
        if box is None:
            continue
        cx, cy = box.centre
        far = math.hypot(cx - x, cy - y) > 3 * GAP_PX + max(box.x1 - box.x0, box.y1 - box.y0) / 2
        leader = {
            "arrowstyle": "-",
            "color": colour_of(s.point.model),
            "linewidth": 0.6,
            "shrinkA": 1,
            "shrinkB": 3,
        }
        label = axis.annotate(
            s.text, s.at, xytext=(cx - x, cy - y), textcoords="offset pixels", ha="center", va="center",
            fontsize=LABEL_SIZE, color="#222", arrowprops=leader if far else None,
        )  # fmt: skip
        label.set_in_layout(False)
    left_out = sum(1 for box in placed if box is None)
    if left_out:
        # Short enough to stay within the panel's width, so that the layout stays as it is.
        axis.set_title(f"{axis.get_title()}; {left_out} left out")


def _speed_ups(axis: "Axes", verdict: Verdict) -> None:
    axis.set_label(SPEED_UPS)
    title = "against sync at the same size (below 1: faster)"
    if not verdict.speed_ups:
        _empty(axis, title, "no model to compare with sync at the same size")
        return
    for model in dict.fromkeys(s.model for s in verdict.speed_ups):
        mine = [s for s in verdict.speed_ups if s.model == model]
        ratios = [s.ratio for s in mine]
        axis.errorbar(
            [s.memory_mb for s in mine], ratios,
            yerr=error_bars(ratios, [s.low for s in mine], [s.high for s in mine]),
            marker="o", capsize=4, color=colour_of(model), label=model,
        )  # fmt: skip
    axis.axhline(1.0, color=colour_of("sync"), linestyle="--")
    memory_axis(axis, [s.memory_mb for s in verdict.speed_ups])
    _plain_formatter(axis.yaxis)
    axis.set_ylabel("warm duration / sync's (95% CI)")
    axis.set_title(title)


def _inits(axis: "Axes", results: Results) -> None:
    """Init Duration per size, whatever the concurrency (INIT does not depend on it):
    its median and the median's 95% CI, a point per model and size."""
    axis.set_label(INITS)
    found = cold_starts(results)
    if not found:
        _empty(axis, "cold starts: INIT", "no cold start recorded an Init Duration")
        return
    for model in dict.fromkeys(c.model for c in found):
        mine = sorted((c for c in found if c.model == model), key=lambda c: c.memory_mb)
        medians = [c.init.median for c in mine]
        axis.errorbar(
            [c.memory_mb for c in mine], medians,
            yerr=error_bars(medians, [c.init.median_low for c in mine], [c.init.median_high for c in mine]),
            marker="s", capsize=4, color=colour_of(model), label=model,
        )  # fmt: skip
    memory_axis(axis, [c.memory_mb for c in found])
    _plain_formatter(axis.yaxis)
    counts = sorted({c.init.n for c in found})
    axis.set_ylabel("Init Duration, ms (median and its 95% CI)")
    axis.set_title(f"cold starts: INIT ({_count(counts)} per size and model, any concurrency)")


def _count(counts: list[int]) -> str:
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _against_best(axis: "Axes", sweep: _Sweep, criterion: str) -> None:
    """What the verdict decided on: each size over the best by `criterion`, the Hodges-
    Lehmann ratio with its 95% CI; a CI that reaches 1 is the same within noise."""
    cost = criterion == CHEAPEST
    what = "cost" if cost else "duration"
    axis.set_label(AGAINST_CHEAPEST if cost else AGAINST_FASTEST)
    title = f"{what} against the best size: circled = the same within noise"
    drawn = []
    for model in sweep.verdict.models:
        choice = model.cheapest if cost else model.fastest
        if choice is None:
            continue
        mine = sorted((p for p in sweep.chosen if p.model == model.model and (p.costs or not cost)),
                      key=lambda p: p.memory_mb)  # fmt: skip
        ratios = [
            ratio(p.costs, choice.best.costs) if cost else ratio(p.durations, choice.best.durations)
            for p in mine
        ]
        estimates = [r.estimate for r in ratios]
        colour = colour_of(model.model)
        axis.errorbar([p.memory_mb for p in mine], estimates,
                      yerr=error_bars(estimates, [r.low for r in ratios], [r.high for r in ratios]),
                      marker="o", capsize=4, color=colour, label=model.model)  # fmt: skip
        same = {(t.memory_mb, t.concurrency) for t in choice.tied}
        tied = [
            (p.memory_mb, e)
            for p, e in zip(mine, estimates, strict=True)
            if (p.memory_mb, p.concurrency) in same
        ]
        axis.scatter([m for m, _ in tied], [e for _, e in tied], s=140, facecolors="none", edgecolors=colour,
                     linewidths=1.5, zorder=5)  # fmt: skip
        drawn += [p.memory_mb for p in mine]
    if not drawn:
        _empty(axis, title, f"no {what} to compare")
        return
    axis.axhline(1.0, color="#555", linestyle="--")
    log_over_memory(axis, drawn)
    axis.set_ylabel(f"warm {what} / the {'cheapest' if cost else 'fastest'} size's (95% CI)")
    axis.set_title(title)


@dataclass(frozen=True)
class _Numbers:
    """A heatmap's numbers, one a cell, to fit to the cells once the heatmap is laid out."""

    axis: "Axes"
    texts: list["Text"]
    columns: int


def _heatmap(
    axis: "Axes", mine: list[Point], value: Callable[[Point], float], title: str, colours: str
) -> _Numbers:
    """`value` of each point over memory (columns) x requests in flight (rows), each
    cell's number in black or white, whichever stands out more from the cell's colour."""
    from matplotlib.ticker import FuncFormatter

    axis.set_label(title)
    memories = sorted({p.memory_mb for p in mine})
    concurrencies = sorted({p.concurrency for p in mine}, key=_in_flight_order)
    grid = [[float("nan")] * len(memories) for _ in concurrencies]
    for p in mine:
        grid[concurrencies.index(p.concurrency)][memories.index(p.memory_mb)] = value(p)
    image = axis.imshow(grid, cmap=colours, aspect="auto", origin="lower")
    # The colour range fixed now, as it will be drawn: where every cell holds one value,
    # matplotlib would widen the range around it only when it draws, and a number's colour
    # chosen before would stand on another. One value is the middle of a range of its own.
    finite = [cell for line in grid for cell in line if math.isfinite(cell)]
    if finite:
        low, high = min(finite), max(finite)
        spread = 0.0 if high > low else (abs(low) / 10 or 1.0)
        image.set_clim(low - spread, high + spread)
    axis.set_xticks(range(len(memories)))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda index, _: str(memories[round(index)])))
    axis.set_yticks(range(len(concurrencies)))
    axis.yaxis.set_major_formatter(
        FuncFormatter(lambda index, _: _in_flight_text(concurrencies[round(index)]))
    )
    drawn = image.get_array()
    assert drawn is not None
    cells = image.to_rgba(drawn)  # rows x columns x RGBA, as the image shows them
    texts = []
    for row, line in enumerate(grid):
        for column, cell in enumerate(line):
            if math.isfinite(cell):
                shown = f"{cell:,.0f}" if cell >= 1000 else plain_number(float(f"{cell:.3g}"))
                background = tuple(float(channel) for channel in cells[row][column])
                texts.append(
                    axis.text(column, row, shown, ha="center", va="center", fontsize=NUMBER_SIZE,
                              color=text_colour_on(background))
                )  # fmt: skip
    axis.set_xlabel("memory (MB)")
    axis.set_ylabel("requests in flight")
    axis.set_title(title)
    axis.figure.colorbar(image, ax=axis)
    return _Numbers(axis, texts, len(memories))


def _fit_numbers(numbers: _Numbers, renderer: "RendererBase") -> None:
    """Smaller numbers where the widest would not fit its cell; none where even the
    smallest would not (the colour bar then reads the cells)."""
    if not numbers.texts:
        return
    cell = numbers.axis.bbox.width / numbers.columns - 2 * GAP_PX
    size = NUMBER_SIZE
    while max(t.get_window_extent(renderer).width for t in numbers.texts) > cell:
        size -= 0.5
        if size < SMALLEST_NUMBER_SIZE:
            for text in numbers.texts:
                text.set_visible(False)
            numbers.axis.set_title(numbers.axis.get_title() + " (see the colour bar)")
            return
        for text in numbers.texts:
            text.set_fontsize(size)
