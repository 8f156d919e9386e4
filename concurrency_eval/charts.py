"""The results as a PNG: warm duration, cold start, and resources, per model."""

from pathlib import Path
from typing import Any

from concurrency_eval.results import Results

COLOURS = {"sync": "#4c72b0", "threaded": "#dd8452", "asyncio": "#55a868"}


def _three_panels(title: str, width: float) -> tuple[Any, tuple[Any, Any, Any]]:
    # Imported here: matplotlib takes a while to import and only charts need it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(width, 4.8))
    figure.suptitle(title)
    return figure, (axes[0], axes[1], axes[2])


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_chart(results: Results, path: Path) -> Path:
    summaries = results.summaries()
    models = [s.model for s in summaries]
    colours = [COLOURS.get(m, "#8172b2") for m in models]
    figure, (warm_axis, cold_axis, memory_axis) = _three_panels(
        f"concurrency-eval, {results.kind} run {results.started_at}", 15
    )

    # Warm invocations: every one as a dot, the median as a bar.
    medians = [s.warm_median_ms or 0 for s in summaries]
    warm_axis.bar(models, medians, color=colours, alpha=0.6)
    for position, run in enumerate(results.models):
        durations = [i.duration_ms for i in run.warm()]
        warm_axis.scatter([position] * len(durations), durations, color="black", s=12, zorder=3)
    warm_axis.set_title("warm invocation (median, each dot one run)")
    warm_axis.set_ylabel("ms")

    # Cold start: the init (import) and the first invocation, stacked.
    inits = [s.init_ms for s in summaries]
    firsts = [s.cold_ms or 0 for s in summaries]
    cold_axis.bar(models, inits, color=colours, alpha=0.9, label="init (import)")
    cold_axis.bar(models, firsts, bottom=inits, color=colours, alpha=0.4, label="first invocation")
    cold_axis.set_title("cold start")
    cold_axis.set_ylabel("ms")
    cold_axis.legend()

    memory_axis.bar(models, [s.peak_rss_mb for s in summaries], color=colours, alpha=0.8)
    for position, summary in enumerate(summaries):
        if summary.cpu_ms_per_object is not None:
            memory_axis.annotate(
                f"{summary.cpu_ms_per_object:.2f} CPU ms/object",
                (position, summary.peak_rss_mb),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    memory_axis.set_title("peak RSS")
    memory_axis.set_ylabel("MB")

    return _save(figure, path)


def write_sweep_chart(results: Results, path: Path) -> Path:
    """Duration (median, p10-p90 band) and cost by memory per model, and cold init."""
    figure, (duration_axis, cost_axis, init_axis) = _three_panels(
        f"concurrency-eval, AWS memory sweep {results.started_at}", 16
    )
    for model, summaries in results.summaries_by_model().items():
        colour = COLOURS.get(model, "#8172b2")
        timed = sorted((s for s in summaries if s.warm_median_ms is not None), key=lambda s: s.memory_mb or 0)
        memory = [s.memory_mb for s in timed]
        duration_axis.plot(memory, [s.warm_median_ms for s in timed], marker="o", color=colour, label=model)
        duration_axis.fill_between(
            memory,
            [s.warm_p10_ms or 0 for s in timed],
            [s.warm_p90_ms or 0 for s in timed],
            color=colour,
            alpha=0.2,
        )
        costed = [s for s in timed if s.warm_cost_usd is not None]
        cost_axis.plot(
            [s.memory_mb for s in costed], [(s.warm_cost_usd or 0) * 1e6 for s in costed],
            marker="o", color=colour, label=model,
        )  # fmt: skip
        init_axis.plot(memory, [s.init_ms for s in timed], marker="s", color=colour, label=model)
    for axis, title, unit in (
        (duration_axis, "warm duration (median, p10-p90)", "ms"),
        (cost_axis, "cost per warm invocation", "USD per million"),
        (init_axis, "cold init duration", "ms"),
    ):
        axis.set_title(title)
        axis.set_xlabel("memory (MB)")
        axis.set_ylabel(unit)
        axis.set_xscale("log", base=2)
        axis.legend()
    return _save(figure, path)


def write_any_chart(results: Results, path: Path) -> Path:
    return write_sweep_chart(results, path) if results.kind == "aws" else write_chart(results, path)
