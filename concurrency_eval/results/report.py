"""A sweep's results for people (a table that fits 80 columns, the verdict under it) and
for programs (the same as one JSON document), and two runs compared.

Everything not written by the tool itself (paths, bucket and function names, error
types, settings) is escaped before rich reads it, so no input can be taken as markup.
"""

import math
import shlex
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from rich.markup import escape
from rich.table import Table

from concurrency_eval.results.architectures import ArchitectureSweeps
from concurrency_eval.results.comparison import Comparison, Pair, Side
from concurrency_eval.results.document import (
    BUDGET,
    CEILING,
    DEFAULT_REQUESTS_IN_FLIGHT,
    STOP_REASONS,
    Results,
    Summary,
    cold_starts,
)
from concurrency_eval.results.statistics import CONFIDENCE, Distribution, Ratio
from concurrency_eval.results.verdict import (
    CHEAPEST,
    DEFAULT_BALANCED_WEIGHT,
    Choice,
    ModelVerdict,
    Point,
    Verdict,
    decide,
    deploy_settings,
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

    @property
    def legend(self) -> str:
        """The legend's first line, shared by every table of durations."""
        words = "seconds" if self.seconds else "milliseconds"
        return f"durations in {words} ({self.unit}); MB: the memory size; req: requests in flight"

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
    """One row per model, memory size and concurrency; every header names its unit."""
    summaries = results.summaries()
    sync = {s.memory_mb: s.warm_median_ms for s in summaries if s.model == "sync"}
    local = not results.on_aws
    duration = _Durations(summaries)
    unit = duration.unit
    table = _table()
    columns = [
        "model", "MB", "req", f"init\n{unit}", f"cold\n{unit}", "n", f"p50\n{unit}", f"95% CI\n{unit}",
        "/sync", "used\nMB", f"µ$\n{results.priced_architecture or ''}".rstrip(), "ok",
    ]  # fmt: skip
    if local:
        columns.append("S3\nCPU")
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


def legend(results: Results) -> list[str]:
    """What the table's columns mean, a sentence a line."""
    lines = [
        _Durations(results.summaries()).legend,
        "init: the INIT phase of the first invocation in a new environment; cold: that invocation's duration",
        "n: warm invocations; p50: their median duration, with its 95% CI",
        "/sync: the p50 over sync's at the same size (below 1: faster)",
        "used: Max Memory Used; ok: correct answers of all invocations",
        f"µ$: the median cost of a warm invocation in millionths of a dollar, {cost_basis(results)}",
    ]
    if not results.on_aws:
        lines.append("S3 CPU: the share of a CPU the S3 stand-in used while the row ran")
    return lines


def cost_basis(results: Results) -> str:
    """How costs were found: 'estimated at AWS prices for arm64 (us-east-1, 2025-06-01)'."""
    prices = results.settings.get("prices")
    prices = prices if isinstance(prices, dict) else {}
    architecture = results.priced_architecture
    where = ", ".join(str(prices[key]) for key in ("region", "date") if prices.get(key))
    return (
        "estimated at AWS prices"
        + (f" for {architecture}" if architecture else " for each function's architecture")
        + (f" ({where})" if where else "")
    )


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


def choice_lines(model: ModelVerdict) -> list[str]:
    """A model's three choices, a line each (rich markup)."""
    fastest = _choice_words(model.fastest, "fastest", "are equally fast", lambda p: f"{_ms(p.median_ms)} ms")
    lines = [escape(f"{model.model}: {fastest}")]
    if model.cheapest is not None:
        cheapest = _choice_words(
            model.cheapest, "cheapest", "cost the same", lambda p: f"{_micro_dollars(p.cost_usd)} µ$"
        )
        lines.append(escape(f"{model.model}: {cheapest}"))
    balanced = _choice_words(model.balanced, "balanced", "score the same", None)
    lines.append(escape(f"{model.model}: {balanced}"))
    return lines


def verdict_lines(results: Results, verdict: Verdict) -> list[str]:
    lines = [line for model in verdict.models for line in choice_lines(model)]
    for speed_up in verdict.speed_ups:
        interval = (
            f"95% CI {speed_up.low:.2f}-{speed_up.high:.2f}"
            if math.isfinite(speed_up.high) and speed_up.low > 0
            else "too few invocations for a 95% CI"
        )
        lines.append(
            escape(
                f"{speed_up.model} at {speed_up.memory_mb} MB, {speed_up.concurrency} requests in flight: "
                f"{speed_up.ratio:.2f}x sync's duration ({interval}; {speed_up.warm} and "
                f"{speed_up.sync_warm} warm invocations)"
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
    if results.settings.get("prices"):
        spent = (
            "the sweep's invocations cost" if results.on_aws else "on AWS, the sweep's invocations would cost"
        )
        lines.append(escape(f"{spent} ${verdict.total_cost_usd:.6f}, {cost_basis(results)}"))
    lines.append(
        escape(f"balanced: weight {verdict.balanced_weight:g} (0 favours speed, 1 cost; --balanced-weight)")
    )
    if results.partial:
        lines.append("[yellow]partial:[/yellow] the sweep stopped before the end; continue it with --resume")
    return lines


DEPLOY_COMMAND = ("npx", "cdk", "deploy", "--all")


def deploy_commands(models: Sequence[ModelVerdict]) -> list[tuple[str, str]]:
    """Each balanced choice as the command that deploys it: (whose, command). The stack
    deploys the three functions alike, so models that chose alike share a command."""
    chosen: dict[str, list[str]] = {}
    for model in models:
        command = shlex.join([*DEPLOY_COMMAND, *deploy_settings(model.balanced.point)])
        chosen.setdefault(command, []).append(model.model)
    return [(_names(models), command) for command, models in chosen.items()]


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


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


def _size(point: Point) -> str:
    """'1024 MB', or with the requests in flight where they are not the default, and the
    architecture where points of two are compared ('1024 MB on arm64')."""
    default = point.concurrency in (None, 1, DEFAULT_REQUESTS_IN_FLIGHT) or point.model == "sync"
    size = f"{point.memory_mb} MB" + ("" if default else f", {point.concurrency} requests in flight")
    return size if point.architecture is None else f"{size} on {point.architecture}"


def title(results: Results) -> str:
    settings = results.settings
    dataset = settings.get("dataset", {})
    where = settings.get("stack") or results.kind
    region = results.environment.get("region")
    parts = [f"{where} sweep {results.started_at}"]
    if region:
        parts.append(str(region))
    options = settings.get("options")
    variant = options.get("architecture") if isinstance(options, dict) else None
    if isinstance(variant, str):
        parts.append(variant)
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


def summary_document(results: Results, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> dict[str, Any]:
    """The table and the verdict as one JSON document, for `--json`."""
    verdict = decide(results, balanced_weight)
    document: dict[str, Any] = rounded(
        {
            "kind": results.kind,
            "started_at": results.started_at,
            "partial": results.partial,
            "title": title(results),
            "bucket_type": results.bucket_type,
            "rows": [asdict(summary) for summary in results.summaries()],
            "verdict": {
                model.model: _choices_document(model)
                | {"best_concurrency": {str(k): v for k, v in model.best_concurrency.items()}}
                for model in verdict.models
            },
            "speed_ups": [asdict(speed_up) for speed_up in verdict.speed_ups],
            "cold_starts": [asdict(c) for c in cold_starts(results)],
            "sampling": sampling_line(results),
            "warnings": verdict.warnings,
            "total_cost_usd": verdict.total_cost_usd,
            "balanced_weight": verdict.balanced_weight,
            "prices": results.settings.get("prices"),
            "priced_architecture": results.priced_architecture,
            "cost_basis": cost_basis(results),
            "deploy": [
                {"models": models, "command": command} for models, command in deploy_commands(verdict.models)
            ],
            "expected_result": results.expected_result,
            "all_correct": results.all_correct(),
        }
    )
    return document


def _choices_document(model: ModelVerdict) -> dict[str, Any]:
    return {
        "fastest": _choice_document(model.fastest),
        "cheapest": _choice_document(model.cheapest),
        "balanced": _choice_document(model.balanced),
    }


def _choice_document(value: Choice | None) -> dict[str, Any] | None:
    if value is None:
        return None
    described = {k: v for k, v in asdict(value.point).items() if k not in ("durations", "costs")}
    described |= {
        "setting": memory_setting(value.point),
        "clear": value.clear,
        "best_memory_mb": value.best.memory_mb,
        "tied_memory_mb": [p.memory_mb for p in value.tied],
    }
    if value.point.architecture is not None:
        described |= {
            "best_architecture": value.best.architecture,
            "tied_architectures": [p.architecture for p in value.tied],
        }
    return described


def architecture_lines(sweeps: ArchitectureSweeps, verdict: Sequence[ModelVerdict]) -> list[str]:
    """The choices among every size on both architectures, and what both sweeps cost."""
    first, second = sweeps.architectures
    lines = [f"[bold]{escape(f'across {first} and {second}, each at its own prices:')}[/bold]"]
    lines.extend(line for model in verdict for line in choice_lines(model))
    total = sum(results.cost_usd for results in sweeps.runs.values())
    on_aws = all(results.on_aws for results in sweeps.runs.values())
    spent = "the sweeps' invocations cost" if on_aws else "on AWS, the sweeps' invocations would cost"
    lines.append(escape(f"{spent} ${total:.6f}"))
    if sweeps.partial:
        lines.append(
            "[yellow]partial:[/yellow] a sweep stopped before the end; continue the run with --resume"
        )
    return lines


def architectures_document(
    sweeps: ArchitectureSweeps, balanced_weight: float = DEFAULT_BALANCED_WEIGHT
) -> dict[str, Any]:
    """Both sweeps as one JSON document: the comparison as `report A B --json` prints it
    (each sweep's summary in it), and the verdict among every size on both."""
    verdict = sweeps.verdict(balanced_weight)
    document: dict[str, Any] = rounded(
        {
            "architectures": list(sweeps.architectures),
            "baseline": sweeps.architectures[0],
            "comparison": comparison_document(sweeps.comparison, balanced_weight),
            "verdict": {model.model: _choices_document(model) for model in verdict},
            "deploy": [
                {"models": models, "command": command} for models, command in deploy_commands(verdict)
            ],
            "partial": sweeps.partial,
            "all_correct": sweeps.all_correct(),
        }
    )
    return document


#: Significant digits a figure keeps in JSON: more than any measurement holds, fewer
#: than the float arithmetic's noise (2.0000000000000002e-07 is 2e-07).
SIGNIFICANT_DIGITS = 12


def rounded(value: Any) -> Any:
    """`value` with every float in it rounded to SIGNIFICANT_DIGITS."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    return value


def comparison_table(comparison: Comparison) -> Table:
    """B against A, point by point: every point of either run, the ones measured in one
    run only marked so."""
    duration = _Durations([*comparison.a.summaries(), *comparison.b.summaries()])
    unit = duration.unit
    table = _table()
    costed = comparison.priced_apart
    columns = (
        "model", "MB", "req", "n\nA/B", f"p50 A\n{unit}", f"p50 B\n{unit}", "B/A", "95% CI", "change",
        *(("cost\nB/A", "cost\n95% CI") if costed else ()), "ok A", "ok B",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("model", "change") else "right", no_wrap=True)
    for pair in comparison.pairs:
        cells = [
            pair.model,
            "-" if pair.memory_mb is None else str(pair.memory_mb),
            str(pair.concurrency or "-"),
            "/".join("-" if side is None else str(len(side.durations)) for side in (pair.a, pair.b)),
            *(duration(None if side is None or side.duration is None else side.duration.median)
              for side in (pair.a, pair.b)),
            *_ratio_cells(pair.ratio, pair.interval),
            pair.change,
            *(_ratio_cells(pair.cost_ratio, pair.cost_interval) if costed else ()),
            *("-" if side is None else f"{side.correct}/{side.invocations}" for side in (pair.a, pair.b)),
        ]  # fmt: skip
        wrong = any(side is not None and side.correct < side.invocations for side in (pair.a, pair.b))
        table.add_row(*(escape(cell) for cell in cells), style="red" if wrong else None)
    return table


def _ratio_cells(found: Ratio | None, interval: tuple[float, float] | None) -> tuple[str, str]:
    """A ratio and its 95% CI as two cells, '-' for what is not there."""
    return (
        "-" if found is None else f"{found.estimate:.2f}",
        "-" if interval is None else f"{interval[0]:.2f}-{interval[1]:.2f}",
    )


def comparison_headings(comparison: Comparison) -> list[str]:
    """Which run is which, a line each, above the comparison's table."""
    return [f"A (the baseline): {title(comparison.a)}", f"B: {title(comparison.b)}"]


def comparison_legend(comparison: Comparison) -> list[str]:
    """What the comparison's columns mean, a sentence a line, under its table."""
    return [
        _Durations([*comparison.a.summaries(), *comparison.b.summaries()]).legend,
        "n: warm invocations in A and in B; p50: their median",
        "B/A: the Hodges-Lehmann ratio of B's warm durations to A's, with its 95% CI (below 1: B is faster)",
        "change: faster or slower where that CI leaves out 1, same where it holds 1, too few where no 95% CI "
        "can be had",
        *(
            ["cost B/A: the same ratio of the warm invocations' cost, each run at its own prices "
             "(below 1: B is cheaper)"]
            if comparison.priced_apart
            else []
        ),
        "ok: right answers of all invocations",
    ]  # fmt: skip


def comparison_document(
    comparison: Comparison, balanced_weight: float = DEFAULT_BALANCED_WEIGHT
) -> dict[str, Any]:
    """B against A as one JSON document, for `report A B --json`: each run's summary as
    `report --json` prints it, each point compared, and what differs between the runs."""
    document: dict[str, Any] = rounded(
        {
            "baseline": "a",
            "a": summary_document(comparison.a, balanced_weight),
            "b": summary_document(comparison.b, balanced_weight),
            "points": [_pair_document(pair) for pair in comparison.pairs],
            "differences": [difference.to_dict() for difference in comparison.differences],
            "warnings": comparison.warnings,
            "all_correct": comparison.all_correct(),
        }
    )
    return document


def _pair_document(pair: Pair) -> dict[str, Any]:
    return {
        "model": pair.model,
        "memory_mb": pair.memory_mb,
        "concurrency": pair.concurrency,
        "change": pair.change,
        "a": _side_document(pair.a),
        "b": _side_document(pair.b),
        "b_over_a": _ratio_document(pair.ratio, pair.interval),
        "cost_b_over_a": _ratio_document(pair.cost_ratio, pair.cost_interval),
    }


def _ratio_document(found: Ratio | None, interval: tuple[float, float] | None) -> dict[str, Any] | None:
    # An interval that cannot be had (too few invocations) is null at both ends.
    if found is None:
        return None
    return {
        "estimate": found.estimate,
        "low": None if interval is None else interval[0],
        "high": None if interval is None else interval[1],
        "confidence": CONFIDENCE,
    }


def _side_document(side: Side | None) -> dict[str, Any] | None:
    if side is None:
        return None
    return {
        "invocations": side.invocations,
        "correct": side.correct,
        "warm": None if side.duration is None else asdict(side.duration),
    }
