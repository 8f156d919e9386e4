"""A sweep as one PNG: duration and cost against memory, speed-up over sync, cold starts,
the comparisons the verdict decided on (each size against the best, with its 95% CI),
and, where concurrency was swept, heatmaps over memory x concurrency per model.

matplotlib is imported when a chart is drawn, not before: it takes a while to import.
"""

import io
import math
from pathlib import Path
from typing import Any

from concurrency_eval.results.document import Results, cold_starts
from concurrency_eval.results.statistics import ratio
from concurrency_eval.results.verdict import (
    CHEAPEST,
    DEFAULT_BALANCED_WEIGHT,
    FASTEST,
    Point,
    decide,
    emulator_busy,
    points,
)
from concurrency_eval.system.files import write_atomically

COLOURS = {"sync": "#4c72b0", "threaded": "#dd8452", "asyncio": "#55a868"}
#: Memory sizes people know, as axis ticks, where they fall in the swept range.
MEMORY_TICKS = (128, 256, 512, 1024, 1769, 3008, 5120, 10240)


def write_chart(results: Results, path: Path, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    every = points(results, results.trim)
    verdict = decide(results, balanced_weight)
    concurrencies = sorted({p.concurrency or 0 for p in every if p.model != "sync"})
    heat_models = (
        [m for m in ("threaded", "asyncio") if any(p.model == m for p in every)]
        if len(concurrencies) > 1
        else []
    )
    rows = 3 + len(heat_models)
    figure, axes = plt.subplots(rows, 2, figsize=(14, 5 * rows), squeeze=False)
    figure.suptitle(_title(results, every))
    best = {(v.model, m): c for v in verdict.models for m, c in v.best_concurrency.items()}
    chosen = [p for p in every if best.get((p.model, p.memory_mb), p.concurrency) == p.concurrency]

    _durations(axes[0][0], chosen)
    _costs(axes[0][1], chosen, verdict)
    _speed_ups(axes[1][0], verdict)
    _inits(axes[1][1], results)
    _against_best(axes[2][0], verdict, chosen, FASTEST)
    _against_best(axes[2][1], verdict, chosen, CHEAPEST)
    for row, model in enumerate(heat_models, start=3):
        mine = [p for p in every if p.model == model]
        _heatmap(axes[row][0], mine, lambda p: p.median_ms, f"{model}: warm median ms", "viridis_r")
        _heatmap(
            axes[row][1],
            mine,
            lambda p: (p.cost_usd or 0) * 1e6,
            f"{model}: µ$ per warm invocation",
            "magma_r",
        )
    note = _emulator_note(results)
    if note:
        figure.text(0.5, 0.005, note, ha="center", fontsize=9, color="#a33")
    figure.tight_layout(rect=(0, 0.02, 1, 0.97))
    picture = io.BytesIO()
    figure.savefig(picture, dpi=100, format="png")
    plt.close(figure)
    return write_atomically(path, picture.getvalue())


def _title(results: Results, every: list[Point]) -> str:
    where = results.settings.get("stack") or "local"
    region = results.environment.get("region") or "no region"
    warm = sorted({p.warm for p in every})
    n = f"n = {warm[0]}" if len(warm) == 1 else f"n = {warm[0]}-{warm[-1]}" if warm else "n = 0"
    partial = " (partial)" if results.partial else ""
    day = results.started_at[:10]
    return f"concurrency-eval: {where}, {region}, {day}, {n} warm invocations per point{partial}"


def _plain_numbers(axis: Any) -> None:
    """1,500 rather than 1.5 x 10^3 on log axes: people read durations, not exponents."""
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 10 else f"{value:g}")
    axis.yaxis.set_major_formatter(plain)
    axis.yaxis.set_minor_formatter(plain)


def _memory_axis(axis: Any, memories: list[int]) -> None:
    axis.set_xscale("log", base=2)
    if memories:
        low, high = min(memories), max(memories)
        ticks = [t for t in MEMORY_TICKS if low <= t <= high] or sorted(set(memories))
        axis.set_xticks(ticks)
        axis.set_xticklabels([str(t) for t in ticks])
        axis.minorticks_off()
    axis.set_xlabel("memory (MB)")


def _durations(axis: Any, chosen: list[Point]) -> None:
    for model in dict.fromkeys(p.model for p in chosen):
        mine = sorted((p for p in chosen if p.model == model), key=lambda p: p.memory_mb)
        memory = [p.memory_mb for p in mine]
        colour = COLOURS.get(model, "#8172b2")
        medians = [p.median_ms for p in mine]
        axis.errorbar(
            memory, medians, yerr=[[m - p.duration.median_low for m, p in zip(medians, mine, strict=True)],
                                   [p.duration.median_high - m for m, p in zip(medians, mine, strict=True)]],
            marker="o", capsize=4, color=colour, label=model,
        )  # fmt: skip
    _memory_axis(axis, [p.memory_mb for p in chosen])
    axis.set_yscale("log")
    _plain_numbers(axis)
    axis.set_ylabel("warm duration, ms (median and its 95% CI)")
    axis.set_title("duration against memory (best concurrency per size)")
    if axis.get_legend_handles_labels()[0]:
        axis.legend()


def _costs(axis: Any, chosen: list[Point], verdict: Any) -> None:
    for model in dict.fromkeys(p.model for p in chosen):
        mine = sorted(
            (p for p in chosen if p.model == model and p.cost_usd is not None), key=lambda p: p.memory_mb
        )
        colour = COLOURS.get(model, "#8172b2")
        axis.plot([p.median_ms for p in mine], [(p.cost_usd or 0) * 1e6 for p in mine], marker="o",
                  color=colour, label=model, alpha=0.7)  # fmt: skip
        for p in mine:
            axis.annotate(f"{p.memory_mb}", (p.median_ms, (p.cost_usd or 0) * 1e6), fontsize=7,
                          textcoords="offset points", xytext=(3, 3))  # fmt: skip
    for model in verdict.models:
        colour = COLOURS.get(model.model, "#8172b2")
        choices = ((model.fastest, "^", "fastest"), (model.cheapest, "v", "cheapest"))
        for choice, marker, label in (*choices, (model.balanced, "*", "balanced")):
            point = None if choice is None else choice.point
            if point is not None and point.cost_usd is not None:
                axis.scatter([point.median_ms], [point.cost_usd * 1e6], marker=marker, s=160, color=colour,
                             edgecolors="black", zorder=5, label=f"{model.model} {label}")  # fmt: skip
    axis.set_xscale("log")
    from matplotlib.ticker import FuncFormatter

    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axis.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axis.set_xlabel("warm duration, ms")
    axis.set_ylabel("µ$ per warm invocation")
    axis.set_title("cost against duration (labels: MB; ▲ fastest ▼ cheapest ★ balanced)")
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=7, ncol=2)


def _speed_ups(axis: Any, verdict: Any) -> None:
    for model in dict.fromkeys(s.model for s in verdict.speed_ups):
        mine = [s for s in verdict.speed_ups if s.model == model]
        colour = COLOURS.get(model, "#8172b2")
        axis.errorbar(
            [s.memory_mb for s in mine], [s.ratio for s in mine],
            yerr=[[s.ratio - s.low for s in mine], [s.high - s.ratio for s in mine]],
            marker="o", capsize=4, color=colour, label=model,
        )  # fmt: skip
    axis.axhline(1.0, color=COLOURS["sync"], linestyle="--", label="sync")
    _memory_axis(axis, [s.memory_mb for s in verdict.speed_ups])
    axis.set_ylabel("warm duration / sync's (95% CI)")
    axis.set_title("against sync at the same size (below 1: faster)")
    if axis.get_legend_handles_labels()[0]:
        axis.legend()


def _inits(axis: Any, results: Results) -> None:
    """Init Duration per size, whatever the concurrency: its median and the median's 95% CI."""
    found = cold_starts(results)
    for model in dict.fromkeys(c.model for c in found):
        mine = sorted((c for c in found if c.model == model), key=lambda c: c.memory_mb)
        medians = [c.init.median for c in mine]
        axis.errorbar(
            [c.memory_mb for c in mine], medians,
            yerr=[[m - c.init.median_low for m, c in zip(medians, mine, strict=True)],
                  [c.init.median_high - m for m, c in zip(medians, mine, strict=True)]],
            marker="s", capsize=4, color=COLOURS.get(model, "#8172b2"), label=model,
        )  # fmt: skip
    _memory_axis(axis, [c.memory_mb for c in found])
    counts = sorted({c.init.n for c in found})
    axis.set_ylabel("Init Duration, ms (median and its 95% CI)")
    axis.set_title(f"cold starts: the INIT phase ({_count(counts)} per size)")
    if axis.get_legend_handles_labels()[0]:
        axis.legend()


def _count(counts: list[int]) -> str:
    if not counts:
        return "none"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _against_best(axis: Any, verdict: Any, chosen: list[Point], criterion: str) -> None:
    """What the verdict decided on: each size over the best by `criterion`, the Hodges-
    Lehmann ratio with its 95% CI; a CI that reaches 1 is the same within noise."""
    cost = criterion == CHEAPEST
    for model in verdict.models:
        choice = model.cheapest if cost else model.fastest
        if choice is None:
            continue
        mine = sorted((p for p in chosen if p.model == model.model and (p.costs or not cost)),
                      key=lambda p: p.memory_mb)  # fmt: skip
        ratios = [
            ratio(p.costs, choice.best.costs) if cost else ratio(p.durations, choice.best.durations)
            for p in mine
        ]
        low = [max(r.estimate - r.low, 0.0) for r in ratios]
        high = [r.high - r.estimate if math.isfinite(r.high) else 0.0 for r in ratios]
        colour = COLOURS.get(model.model, "#8172b2")
        axis.errorbar([p.memory_mb for p in mine], [r.estimate for r in ratios], yerr=[low, high],
                      marker="o", capsize=4, color=colour, label=model.model)  # fmt: skip
        same = {(t.memory_mb, t.concurrency) for t in choice.tied}
        tied = [p for p in mine if (p.memory_mb, p.concurrency) in same]
        axis.scatter([p.memory_mb for p in tied], [ratios[mine.index(p)].estimate for p in tied], s=140,
                     facecolors="none", edgecolors=colour, linewidths=1.5, zorder=5)  # fmt: skip
    axis.axhline(1.0, color="#555", linestyle="--")
    _memory_axis(axis, [p.memory_mb for p in chosen])
    axis.set_yscale("log")
    _plain_numbers(axis)
    what = "cost" if cost else "duration"
    axis.set_ylabel(f"warm {what} / the {'cheapest' if cost else 'fastest'} size's (95% CI)")
    axis.set_title(f"{what} against the best size: circled = the same within noise")
    if axis.get_legend_handles_labels()[0]:
        axis.legend()


def _heatmap(axis: Any, mine: list[Point], value: Any, title: str, colours: str) -> None:
    memories = sorted({p.memory_mb for p in mine})
    concurrencies = sorted({p.concurrency or 0 for p in mine})
    grid = [[float("nan")] * len(memories) for _ in concurrencies]
    for p in mine:
        grid[concurrencies.index(p.concurrency or 0)][memories.index(p.memory_mb)] = value(p)
    image = axis.imshow(grid, cmap=colours, aspect="auto", origin="lower")
    axis.set_xticks(range(len(memories)), [str(m) for m in memories])
    axis.set_yticks(range(len(concurrencies)), [str(c or "default") for c in concurrencies])
    for row, line in enumerate(grid):
        for column, cell in enumerate(line):
            if cell == cell:  # not NaN
                axis.text(column, row, f"{cell:,.0f}" if cell >= 10 else f"{cell:.2f}", ha="center",
                          va="center", fontsize=8, color="white")  # fmt: skip
    axis.set_xlabel("memory (MB)")
    axis.set_ylabel("requests in flight")
    axis.set_title(title)
    axis.figure.colorbar(image, ax=axis)


def _emulator_note(results: Results) -> str:
    busy = emulator_busy(results)
    return "" if busy is None else busy[0].upper() + busy[1:] + "."
