"""Tables of results: one run's models side by side, or two runs compared."""

from rich.console import Console
from rich.table import Table

from concurrency_eval.results import Results, Summary


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _spread(summary: Summary) -> str:
    if summary.warm_p10_ms is None:
        return "-"
    return f"{_ms(summary.warm_p10_ms)}-{_ms(summary.warm_p90_ms)}"


def _answers(summary: Summary) -> str:
    total = summary.invocations
    if summary.correct == total:
        return f"[green]{summary.correct}/{total} ok[/green]"
    errors = ", ".join(f"{kind} x{count}" for kind, count in sorted(summary.errors.items()))
    return f"[red]{summary.correct}/{total} ok[/red]" + (f" [red]{errors}[/red]" if errors else "")


def results_table(results: Results) -> Table:
    summaries = results.summaries()
    baseline = next((s.warm_median_ms for s in summaries if s.model == "sync"), None)
    table = Table(title=_title(results), title_justify="left")
    table.caption = (
        "ms: init = handler import; cold = first invocation; warm = the rest (p50, p10-p90). "
        "CPU = function CPU ms per object. S3 CPU = the emulator's share of one core."
    )
    table.add_column("model", no_wrap=True)
    for column in ("init", "cold", "warm p50", "p10-p90", "x sync", "CPU/obj", "RSS MB", "S3 CPU"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("answers")
    for summary in summaries:
        ratio = (
            f"{summary.warm_median_ms / baseline:.2f}x"
            if baseline and summary.warm_median_ms is not None
            else "-"
        )
        table.add_row(
            summary.model,
            _ms(summary.init_ms),
            _ms(summary.cold_ms),
            _ms(summary.warm_median_ms),
            _spread(summary),
            ratio,
            "-" if summary.cpu_ms_per_object is None else f"{summary.cpu_ms_per_object:.2f}",
            f"{summary.peak_rss_mb:.0f}",
            "-" if summary.server_cpu_share is None else f"{summary.server_cpu_share:.0%}",
            _answers(summary),
        )
    return table


def comparison_table(before: Results, after: Results) -> Table:
    table = Table(title=f"{_title(before)}\n  vs {_title(after)}", title_justify="left")
    for column in (
        "model",
        "memory MB",
        "warm median ms (A)",
        "warm median ms (B)",
        "B/A",
        "init ms (A)",
        "init ms (B)",
        "answers (B)",
    ):
        table.add_column(column, justify="left" if column == "model" else "right")
    # A sweep has a row per model and memory size: each is compared with its own.
    first = {(s.model, s.memory_mb): s for s in before.summaries()}
    for summary in after.summaries():
        base = first.get((summary.model, summary.memory_mb))
        ratio = "-"
        if base and base.warm_median_ms and summary.warm_median_ms is not None:
            ratio = f"{summary.warm_median_ms / base.warm_median_ms:.2f}x"
        table.add_row(
            summary.model,
            "-" if summary.memory_mb is None else str(summary.memory_mb),
            _ms(base.warm_median_ms if base else None),
            _ms(summary.warm_median_ms),
            ratio,
            _ms(base.init_ms if base else None),
            _ms(summary.init_ms),
            _answers(summary),
        )
    return table


def _title(results: Results) -> str:
    settings = results.settings
    dataset = settings.get("dataset", {})
    parts = [f"{results.kind} run {results.started_at}"]
    if dataset:
        parts.append(
            f"{dataset.get('objects')} objects of {dataset.get('min_size')}-{dataset.get('max_size')} B"
        )
    if "latency_ms" in settings:
        parts.append(f"{settings['latency_ms']:g} ms latency")
    if "concurrency" in settings:
        parts.append(f"concurrency {settings['concurrency']}")
    return ", ".join(parts)


def print_results(results: Results, console: Console) -> None:
    if results.kind == "aws":
        console.print(sweep_table(results))
        for line in best_settings(results):
            console.print(line)
    else:
        console.print(results_table(results))
    if results.expected_result is not None:
        console.print(f"expected answer: {results.expected_result}")


def sweep_table(results: Results) -> Table:
    """An AWS memory sweep: one row per model and memory size."""
    table = Table(title=_title(results), title_justify="left")
    table.caption = (
        "REPORT-line figures. warm = invocations after the cold one (p50, p10-p90); "
        "cost = mean USD per warm invocation."
    )
    table.add_column("model", no_wrap=True)
    for column in (
        "memory MB",
        "init ms",
        "cold ms",
        "warm p50 ms",
        "p10-p90",
        "max used MB",
        "cost/inv USD",
    ):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("answers")
    for summary in results.summaries():
        table.add_row(
            summary.model,
            str(summary.memory_mb),
            _ms(summary.init_ms),
            _ms(summary.cold_ms),
            _ms(summary.warm_median_ms),
            _spread(summary),
            f"{summary.peak_rss_mb:.0f}",
            "-" if summary.warm_cost_usd is None else f"{summary.warm_cost_usd:.8f}",
            _answers(summary),
        )
    return table


def best_settings(results: Results) -> list[str]:
    """Per model, the fastest and the cheapest memory size (by warm median and mean cost)."""
    lines = []
    for model, summaries in results.summaries_by_model().items():
        timed = [s for s in summaries if s.warm_median_ms is not None]
        costed = [s for s in summaries if s.warm_cost_usd is not None]
        if not timed:
            lines.append(f"{model}: no successful warm invocation")
            continue
        fastest = min(timed, key=lambda s: s.warm_median_ms or 0)
        line = f"{model}: fastest at {fastest.memory_mb} MB ({_ms(fastest.warm_median_ms)} ms)"
        if costed:
            cheapest = min(costed, key=lambda s: s.warm_cost_usd or 0)
            line += f", cheapest at {cheapest.memory_mb} MB (${cheapest.warm_cost_usd:.8f} per invocation)"
        lines.append(line)
    return lines
