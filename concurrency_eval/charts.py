"""The results as a PNG: warm duration, cold start, and resources, per model."""

from pathlib import Path

from concurrency_eval.results import Results

COLOURS = {"sync": "#4c72b0", "threaded": "#dd8452", "asyncio": "#55a868"}


def write_chart(results: Results, path: Path) -> Path:
    # Imported here: matplotlib takes a while to import and only charts need it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summaries = results.summaries()
    models = [s.model for s in summaries]
    colours = [COLOURS.get(m, "#8172b2") for m in models]
    figure, (warm_axis, cold_axis, memory_axis) = plt.subplots(1, 3, figsize=(15, 4.8))
    figure.suptitle(f"concurrency-eval, {results.kind} run {results.started_at}")

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

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
