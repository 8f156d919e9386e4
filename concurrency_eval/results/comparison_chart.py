"""Two runs compared as one PNG: against memory, a line per model (and concurrency),
each point's warm median in A and in B with their 95% CIs, and B/A with its 95% CI;
where the runs were priced apart (two architectures), B/A of the cost too.

It draws in the single-run chart's style (its colours, memory axis and numbers).
matplotlib is imported when the chart is drawn, not before: it takes a while to import.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from concurrency_eval.results.charts import colour_of, error_bars, log_over_memory, thin_tick_labels
from concurrency_eval.results.comparison import KINDS, ONLY_IN_A, ONLY_IN_B, Comparison, Pair
from concurrency_eval.results.report import title
from concurrency_eval.results.statistics import Distribution, Ratio
from concurrency_eval.system.files import write_atomically

#: A's points are drawn a little to the left of B's at the same size, so that both CIs show.
_NUDGE = 2**0.04
#: One marker per concurrency, in the order the concurrencies come.
_MARKERS = "osD^vP*X"


def write_comparison_chart(comparison: Comparison, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    placed = [(pair.memory_mb, pair) for pair in comparison.pairs if pair.memory_mb is not None]
    # Runs priced apart (two architectures) get a third panel: what B costs against A.
    priced_apart = comparison.priced_apart
    figure, axes = plt.subplots(1, 3 if priced_apart else 2, figsize=(20 if priced_apart else 14, 6))
    figure.suptitle(f"A (the baseline): {title(comparison.a)}\nB: {title(comparison.b)}", fontsize=10)
    _medians(axes[0], placed)
    _ratios(axes[1], placed, DURATION)
    if priced_apart:
        _ratios(axes[2], placed, COST)
    notes = _notes(comparison)
    for line, note in enumerate(reversed(notes)):
        figure.text(0.5, 0.005 + 0.025 * line, note, ha="center", fontsize=9, color="#a33")
    figure.tight_layout(rect=(0, 0.03 * len(notes), 1, 0.93))
    # Every swept size is a tick: where close sizes would touch, some labels give way.
    thin_tick_labels(figure)
    picture = io.BytesIO()
    figure.savefig(picture, dpi=100, format="png")
    plt.close(figure)
    return write_atomically(path, picture.getvalue())


Placed = list[tuple[int, Pair]]


def _series(placed: Placed) -> Iterator[tuple[str, str, str, Placed]]:
    """Each model and concurrency's points by memory size, with its label, colour and marker."""
    variants = list(dict.fromkeys(pair.variant for _, pair in placed))
    concurrencies = list(dict.fromkeys(pair.concurrency for _, pair in placed if pair.variant != pair.model))
    for variant in variants:
        mine = sorted(((m, p) for m, p in placed if p.variant == variant), key=lambda mp: mp[0])
        first = mine[0][1]
        marker = 0 if first.variant == first.model else 1 + concurrencies.index(first.concurrency)
        yield variant, colour_of(first.model), _MARKERS[marker % len(_MARKERS)], mine


def _medians(axis: Any, placed: Placed) -> None:
    """Each run's warm median and its 95% CI: A dashed and hollow, B solid and filled."""
    for label, colour, marker, mine in _series(placed):
        for run, nudge, style, face in (("A", 1 / _NUDGE, "--", "white"), ("B", _NUDGE, "-", colour)):
            shown = [(memory * nudge, d) for memory, pair in mine if (d := _duration(pair, run)) is not None]
            if not shown:
                continue
            medians = [d.median for _, d in shown]
            axis.errorbar(
                [m for m, _ in shown], medians,
                yerr=error_bars(medians, [d.median_low for _, d in shown], [d.median_high for _, d in shown]),
                marker=marker, linestyle=style, capsize=3, color=colour, markerfacecolor=face,
                label=f"{label} {run}",
            )  # fmt: skip
    log_over_memory(axis, [memory for memory, _ in placed])
    axis.set_ylabel("warm duration, ms (median and its 95% CI)")
    axis.set_title("each run: A dashed and hollow, B solid and filled")
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=7, ncol=2)


def _duration(pair: Pair, run: str) -> Distribution | None:
    side = pair.a if run == "A" else pair.b
    return None if side is None else side.duration


@dataclass(frozen=True)
class _Measure:
    """What a ratio panel compares: the ratio and its CI of a pair, and its words."""

    ratio: Callable[[Pair], Ratio | None]
    interval: Callable[[Pair], tuple[float, float] | None]
    ylabel: str
    title: str


DURATION = _Measure(
    lambda pair: pair.ratio, lambda pair: pair.interval, "B's warm duration / A's (95% CI)",
    "B against A: below 1 B is faster; a CI across 1 is the same within noise",
)  # fmt: skip
COST = _Measure(
    lambda pair: pair.cost_ratio, lambda pair: pair.cost_interval,
    "B's warm invocation cost / A's, each at its own prices (95% CI)",
    "B's cost against A's: below 1 B is cheaper",
)  # fmt: skip


def _ratios(axis: Any, placed: Placed, measure: _Measure) -> None:
    """B/A with its 95% CI; where too few invocations allow no CI, the estimate alone (x)."""
    for label, colour, marker, mine in _series(placed):
        bounded = [
            (m, r, i)
            for m, p in mine
            if (r := measure.ratio(p)) is not None and (i := measure.interval(p)) is not None
        ]
        if bounded:
            estimates = [r.estimate for _, r, _ in bounded]
            axis.errorbar(
                [m for m, _, _ in bounded], estimates,
                yerr=error_bars(estimates, [i[0] for _, _, i in bounded], [i[1] for _, _, i in bounded]),
                marker=marker, capsize=4, color=colour, label=label,
            )  # fmt: skip
        unbounded = [
            (m, r) for m, p in mine if (r := measure.ratio(p)) is not None and measure.interval(p) is None
        ]
        axis.scatter([m for m, _ in unbounded], [r.estimate for _, r in unbounded], marker="x", color=colour)
    axis.axhline(1.0, color="#555", linestyle="--")
    log_over_memory(axis, [memory for memory, _ in placed])
    axis.set_ylabel(measure.ylabel)
    axis.set_title(measure.title)
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=7)


def _notes(comparison: Comparison) -> list[str]:
    """What the chart cannot show: points in one run only, points without a memory size,
    ratios without a CI, and that the runs were not measured alike."""
    notes = []
    for change in (ONLY_IN_A, ONLY_IN_B):
        found = [pair.label for pair in comparison.pairs if pair.change == change]
        if found:
            notes.append(f"{change}: {', '.join(found)}")
    unplaced = [pair.label for pair in comparison.pairs if pair.memory_mb is None]
    if unplaced:
        notes.append(f"not drawn, without a memory size: {', '.join(unplaced)}")
    if any(pair.ratio is not None and pair.interval is None for pair in comparison.pairs):
        notes.append("x: too few warm invocations for a 95% CI of B/A")
    if comparison.differences:
        kinds = [kind for kind in KINDS if any(d.kind == kind for d in comparison.differences)]
        notes.append(
            f"A and B differ in {len(comparison.differences)} recorded values ({', '.join(kinds)}): "
            "see the warnings of `report`; the ratios include those differences"
        )
    return [note if len(note) <= 160 else note[:159] + "…" for note in notes]
