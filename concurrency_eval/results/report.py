"""A sweep's results for people (a table that fits 80 columns, the verdict under it) and
for programs (the same as one JSON document), and two runs compared.

Everything not written by the tool itself (paths, bucket and function names, error
types, settings) is escaped before rich reads it, so no input can be taken as markup.
"""

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from concurrency_eval.results.document import BUDGET, CEILING, STOP_REASONS, Results, Summary, cold_starts
from concurrency_eval.results.statistics import Distribution
from concurrency_eval.results.verdict import (
    CHEAPEST,
    DEFAULT_BALANCED_WEIGHT,
    Choice,
    Point,
    Verdict,
    decide,
    memory_setting,
)
from contracts.buckets import EXPRESS


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


class _Durations:
    """Milliseconds, or seconds where a table's durations reach 10 s: narrow columns either way."""

    def __init__(self, summaries: list[Summary]) -> None:
        longest = max(
            (v for s in summaries for v in (s.cold_ms, s.warm_p90_ms, s.init_ms) if v is not None),
            default=0.0,
        )
        self.seconds = longest >= 10_000
        self.unit = "s" if self.seconds else "ms"

    def __call__(self, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value / 1000:,.1f}" if self.seconds else f"{value:,.0f}"

    def interval(self, distribution: Distribution | None) -> str:
        if distribution is None:
            return "-"
        return f"{self(distribution.median_low)}-{self(distribution.median_high)}"


def _micro_dollars(value: float | None) -> str:
    if value is None:
        return "-"
    micro = value * 1e6
    return f"{micro:.2f}" if micro < 10 else f"{micro:.1f}" if micro < 100 else f"{micro:,.0f}"


def _table() -> Table:
    # No borders and one space between columns: ten numbers a row fit 80 columns whole.
    return Table(
        box=None, padding=(0, 1, 0, 0), pad_edge=False, title_justify="left", header_style="bold underline"
    )


def sweep_table(results: Results) -> Table:
    """One row per model, memory size and concurrency."""
    summaries = results.summaries()
    sync = {s.memory_mb: s.warm_median_ms for s in summaries if s.model == "sync"}
    local = not results.on_aws
    duration = _Durations(summaries)
    table = _table()
    table.title = escape(title(results))
    table.caption = (
        f"{duration.unit}; req = requests in flight (- the functions' default, 64); "
        "cold = first invocation of a new environment, init its "
        "INIT phase; n warm invocations, their p50 and its 95% CI; /sync = warm p50 over sync's at the "
        "same size; "
        "used = Max Memory Used, MB; "
        "µ$ = the median cost of a warm invocation in millionths of a dollar"
        + ("; S3 = the emulator's share of a CPU" if local else "")
    )
    columns = ["model", "MB", "req", "init", "cold", "n", "p50", "95% CI", "/sync", "used", "µ$", "ok"]
    if local:
        columns.append("S3")
    for column in columns:
        table.add_column(column, justify="left" if column == "model" else "right", no_wrap=True)
    for summary in summaries:
        base = sync.get(summary.memory_mb)
        ratio = "-"
        if base and summary.warm_median_ms is not None and summary.model != "sync":
            ratio = f"{summary.warm_median_ms / base:.2f}"
        row = [
            summary.model,
            "-" if summary.memory_mb is None else str(summary.memory_mb),
            "-" if summary.concurrency is None else str(summary.concurrency),
            duration(summary.init_ms),
            duration(summary.cold_ms),
            str(summary.warm_count),
            duration(summary.warm_median_ms),
            duration.interval(summary.duration),
            ratio,
            "-" if summary.peak_rss_mb is None else f"{summary.peak_rss_mb:.0f}",
            _micro_dollars(None if summary.cost is None else summary.cost.median),
            f"{summary.correct}/{summary.invocations}",
        ]
        if local:
            row.append("-" if summary.server_cpu_share is None else f"{summary.server_cpu_share:.0%}")
        style = None if summary.correct == summary.invocations else "red"
        table.add_row(*(escape(cell) for cell in row), style=style)
    return table


def cold_start_table(results: Results) -> Table | None:
    """Cold starts as a question of their own: where a size had more than one, their
    Init Duration, the cold invocations' Duration and what INIT adds to the bill."""
    found = cold_starts(results)
    if not any(c.init.n > 1 for c in found):
        return None
    table = _table()
    table.title = "cold starts (each in a new execution environment)"
    table.caption = (
        "ms; n cold starts; init = Init Duration, its p50, the p50's 95% CI and p90; cold = the cold "
        "invocations' Duration, p50; INIT µ$ = what the INIT phase adds to the bill, p50"
    )
    for column in ("model", "MB", "n", "init", "95% CI", "p90", "cold", "INIT µ$"):
        table.add_column(column, justify="left" if column == "model" else "right", no_wrap=True)
    for c in found:
        table.add_row(
            *(
                escape(cell)
                for cell in (
                    c.model, str(c.memory_mb), str(c.init.n), _ms(c.init.median),
                    f"{_ms(c.init.median_low)}-{_ms(c.init.median_high)}", _ms(c.init.p90),
                    _ms(None if c.cold is None else c.cold.median),
                    _micro_dollars(None if c.init_cost is None else c.init_cost.median),
                )
            )
        )  # fmt: skip
    return table


def verdict_lines(results: Results, verdict: Verdict) -> list[str]:
    lines = []
    for model in verdict.models:
        fastest = _choice_words(
            model.fastest, "fastest", "are equally fast", lambda p: f"{_ms(p.median_ms)} ms"
        )
        lines.append(escape(f"{model.model}: {fastest}"))
        if model.cheapest is not None:
            cheapest = _choice_words(
                model.cheapest, "cheapest", "cost the same", lambda p: f"{_micro_dollars(p.cost_usd)} µ$"
            )
            lines.append(escape(f"{model.model}: {cheapest}"))
        balanced = _choice_words(model.balanced, "balanced", "score the same", None)
        lines.append(
            escape(f"{model.model}: {balanced}: deploy it with `{memory_setting(model.balanced.point)}`")
        )
    for speed_up in verdict.speed_ups:
        lines.append(
            escape(
                f"{speed_up.model} at {speed_up.memory_mb} MB: {speed_up.ratio:.2f}x sync's duration "
                f"(95% CI {speed_up.low:.2f}-{speed_up.high:.2f}; {speed_up.warm} and {speed_up.sync_warm} "
                "warm invocations)"
            )
        )
    for summary in results.summaries():
        if summary.errors:
            errors = ", ".join(f"{kind} x{count}" for kind, count in sorted(summary.errors.items()))
            lines.append(f"[red]{escape(f'{summary.model} at {summary.memory_mb} MB: {errors}')}[/red]")
    sampled = sampling_line(results)
    if sampled:
        lines.append(escape(sampled))
    lines.extend(f"[yellow]warning:[/yellow] {escape(warning)}" for warning in verdict.warnings)
    prices = results.settings.get("prices", {})
    if prices:
        lines.append(
            escape(
                f"cost of the whole run: ${verdict.total_cost_usd:.6f} at {prices.get('region')}'s prices "
                f"of {prices.get('date')} (balanced weight {verdict.balanced_weight:g}: "
                "0 favours speed, 1 cost)"
            )
        )
    if results.partial:
        lines.append("[yellow]partial:[/yellow] the sweep stopped before the end; continue it with --resume")
    return lines


def _choice_words(choice: Choice, name: str, same: str, value: Callable[[Point], str] | None) -> str:
    """'fastest at 1024 MB (2,798 ms)', or where sizes tie, which do and which is named."""
    shown = "" if value is None else f" ({value(choice.point)})"
    if choice.clear:
        return f"{name} at {_size(choice.point)}{shown}"
    pick = "fastest" if choice.criterion == CHEAPEST else "cheapest"
    tied = _sizes(choice.tied)
    return f"{name}: {tied} {same} within noise; {_size(choice.point)} is the {pick} of them{shown}"


def _sizes(tied: Sequence[Point]) -> str:
    """'256, 1024 and 1769 MB', or with concurrencies where they differ."""
    if all(_size(p).endswith(" MB") for p in tied):
        names = [str(p.memory_mb) for p in tied]
        return f"{', '.join(names[:-1])} and {names[-1]} MB"
    names = [_size(p) for p in tied]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def sampling_line(results: Results) -> str | None:
    """How many invocations the points got and why each stopped, when sampling until clear."""
    sweep = results.settings.get("sweep", {})
    if not isinstance(sweep, dict) or sweep.get("max_invocations") is None:
        return None
    summaries = results.summaries()
    reasons: dict[str, list[str]] = {}
    for summary in summaries:
        if summary.stop_reason is not None:
            reasons.setdefault(summary.stop_reason, []).append(f"{summary.model} {summary.memory_mb} MB")
    counts = [s.warm_count for s in summaries]
    told = []
    for reason in STOP_REASONS:
        where = reasons.get(reason, [])
        if where:
            told.append(
                f"{len(where)} {reason}" + (f" ({', '.join(where)})" if reason in (CEILING, BUDGET) else "")
            )
    spent = f"{min(counts, default=0)}-{max(counts, default=0)}"
    return (
        f"sampled until clear (median's 95% CI within ±{float(sweep.get('target_ci', 0.05)):.0%}, "
        f"{sweep.get('invocations')} to {sweep.get('max_invocations')} warm per point): "
        f"{spent} warm per point; stopped: {', '.join(told) or 'none'}"
    )


def _size(point: Any) -> str:
    concurrency = "" if point.concurrency in (None, 1) or point.model == "sync" else f" x{point.concurrency}"
    return f"{point.memory_mb} MB{concurrency}"


def title(results: Results) -> str:
    settings = results.settings
    dataset = settings.get("dataset", {})
    where = settings.get("stack") or results.kind
    region = results.environment.get("region")
    parts = [f"{where} sweep {results.started_at}"]
    if region:
        parts.append(str(region))
    if results.bucket_type == EXPRESS:
        parts.append("S3 Express One Zone")
    if dataset:
        parts.append(
            f"{dataset.get('objects')} objects of {dataset.get('min_size')}-{dataset.get('max_size')} B"
        )
    sweep = settings.get("sweep", {})
    if sweep and sweep.get("max_invocations") is not None:
        parts.append(
            f"n = {sweep.get('invocations')}-{sweep.get('max_invocations')} warm per point, until clear"
        )
    elif sweep:
        parts.append(f"n = {sweep.get('invocations')} warm per point")
    return ", ".join(parts)


def print_results(
    results: Results, console: Console, balanced_weight: float = DEFAULT_BALANCED_WEIGHT
) -> None:
    console.print(sweep_table(results))
    colds = cold_start_table(results)
    if colds is not None:
        console.print(colds)
    for line in verdict_lines(results, decide(results, balanced_weight)):
        console.print(line)
    if results.expected_result is not None:
        console.print(f"expected answer: {escape(results.expected_result)}")


def summary_document(results: Results, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> dict[str, Any]:
    """The table and the verdict as one JSON document, for `--json`."""
    verdict = decide(results, balanced_weight)

    def point(value: Point) -> dict[str, Any]:
        described = {k: v for k, v in asdict(value).items() if k not in ("durations", "costs")}
        described["setting"] = memory_setting(value)
        return described

    def choice(value: Choice | None) -> dict[str, Any] | None:
        if value is None:
            return None
        return point(value.point) | {
            "clear": value.clear,
            "best_memory_mb": value.best.memory_mb,
            "tied_memory_mb": [p.memory_mb for p in value.tied],
        }

    return {
        "kind": results.kind,
        "started_at": results.started_at,
        "partial": results.partial,
        "title": title(results),
        "bucket_type": results.bucket_type,
        "rows": [asdict(summary) for summary in results.summaries()],
        "verdict": {
            model.model: {
                "fastest": choice(model.fastest),
                "cheapest": choice(model.cheapest),
                "balanced": choice(model.balanced),
                "best_concurrency": {str(k): v for k, v in model.best_concurrency.items()},
            }
            for model in verdict.models
        },
        "speed_ups": [asdict(speed_up) for speed_up in verdict.speed_ups],
        "cold_starts": [asdict(c) for c in cold_starts(results)],
        "sampling": sampling_line(results),
        "warnings": verdict.warnings,
        "total_cost_usd": verdict.total_cost_usd,
        "balanced_weight": verdict.balanced_weight,
        "prices": results.settings.get("prices"),
        "expected_result": results.expected_result,
        "all_correct": results.all_correct(),
    }


def comparison_table(before: Results, after: Results) -> Table:
    table = _table()
    table.title = escape(f"A: {title(before)}\nB: {title(after)}")
    for column in ("model", "MB", "req", "p50 A", "p50 B", "B/A", "init A", "init B", "ok B"):
        table.add_column(column, justify="left" if column == "model" else "right", no_wrap=True)
    # A sweep has a row per model, size and concurrency: each is compared with its own.
    first = {(s.model, s.memory_mb, s.concurrency): s for s in before.summaries()}
    for summary in after.summaries():
        base = first.get((summary.model, summary.memory_mb, summary.concurrency))
        ratio = "-"
        if base and base.warm_median_ms and summary.warm_median_ms is not None:
            ratio = f"{summary.warm_median_ms / base.warm_median_ms:.2f}"
        cells = [
            summary.model,
            "-" if summary.memory_mb is None else str(summary.memory_mb),
            "-" if summary.concurrency is None else str(summary.concurrency),
            _ms(base.warm_median_ms if base else None),
            _ms(summary.warm_median_ms),
            ratio,
            _ms(base.init_ms if base else None),
            _ms(summary.init_ms),
            f"{summary.correct}/{summary.invocations}",
        ]
        table.add_row(*(escape(cell) for cell in cells))
    return table
