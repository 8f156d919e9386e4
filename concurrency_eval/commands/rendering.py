"""What the commands show of a finished sweep: its table, verdict and chart, or one JSON
document of them; two architectures' sweeps and their comparison. Everything user-given
is escaped before rich sees it."""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import copyable
from concurrency_eval.commands.console import EXIT_OK, EXIT_WRONG, warning
from concurrency_eval.results.architectures import ArchitectureSweeps
from concurrency_eval.results.charts import write_chart
from concurrency_eval.results.comparison import Comparison
from concurrency_eval.results.comparison_chart import write_comparison_chart
from concurrency_eval.results.document import Results
from concurrency_eval.results.folders import CHART, COMPARISON_CHART, RESULTS, TABLE
from concurrency_eval.results.report import (
    architecture_lines,
    architectures_document,
    cold_start_table,
    comparison_headings,
    comparison_legend,
    comparison_table,
    deploy_commands,
    legend,
    summary_document,
    sweep_table,
    title,
    verdict_lines,
)
from concurrency_eval.results.verdict import DEFAULT_BALANCED_WEIGHT, ModelVerdict, decide


def print_results(
    results: Results,
    console: Console,
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT,
    *,
    deploy: bool = True,
) -> None:
    """A sweep's title, table and legend, its verdict, and the commands that deploy it
    (unless `deploy` is False: one sweep of several has no choice of its own to deploy)."""
    console.print(escape(title(results)), style="bold", soft_wrap=True)
    console.print(sweep_table(results))
    for line in legend(results):
        console.print(escape(line), style="dim", soft_wrap=True)
    colds = cold_start_table(results)
    if colds is not None:
        console.print(colds)
    verdict = decide(results, balanced_weight)
    for line in verdict_lines(results, verdict):
        console.print(line, soft_wrap=True)
    if results.expected_result is not None:
        console.print(f"expected answer: {escape(results.expected_result)}", soft_wrap=True)
    if deploy:
        print_deploy_commands(verdict.models, console)


def print_deploy_commands(models: Sequence[ModelVerdict], console: Console) -> None:
    for whose, command in deploy_commands(models):
        console.print(escape(f"to deploy the balanced choice of {whose}:"), soft_wrap=True)
        copyable.print_line(console, command)


def show_sweep(results: Results, output: Path, args: argparse.Namespace, out: Console, err: Console) -> int:
    """A finished sweep's table and verdict (or JSON summary), and its chart (none under
    --no-chart); where they were written (on standard error under --json, so the JSON stays
    alone); the exit code."""
    balanced_weight, as_json = args.balanced_weight, args.json
    results = results.trimmed(args.trim)
    chart = None if args.no_chart else write_chart(results, output / CHART, balanced_weight)
    if as_json:
        out.print_json(json.dumps(summary_document(results, balanced_weight)))
    else:
        print_results(results, out, balanced_weight)
    _print_files(err if as_json else out, "results:", output, chart)
    return EXIT_OK if results.all_correct() else EXIT_WRONG


def show_architectures(
    sweeps: ArchitectureSweeps, output: Path, args: argparse.Namespace, out: Console, err: Console
) -> int:
    """Each architecture's sweep as `show_sweep` shows it, then B against A and the choice
    among every size on either, and the comparison's chart (or one JSON document of it all)."""
    sweeps = sweeps.trimmed(args.trim)
    written_to = err if args.json else out
    for architecture, results in sweeps.runs.items():
        folder = output / architecture
        chart = None if args.no_chart else write_chart(results, folder / CHART, args.balanced_weight)
        if not args.json:
            out.rule(escape(architecture))
            print_results(results, out, args.balanced_weight, deploy=False)
        _print_files(written_to, f"results ({escape(architecture)}):", folder, chart)
    comparison = sweeps.comparison
    for message in comparison.warnings:
        warning(err, message)
    compared = None if args.no_chart else write_comparison_chart(comparison, output / COMPARISON_CHART)
    if args.json:
        out.print_json(json.dumps(architectures_document(sweeps, args.balanced_weight)))
    else:
        verdict = sweeps.verdict(args.balanced_weight)
        first, second = sweeps.architectures
        out.rule(escape(f"{second} against {first}"))
        print_comparison(comparison, out)
        for line in architecture_lines(sweeps, verdict):
            out.print(line, soft_wrap=True)
        print_deploy_commands(verdict, out)
    if compared is not None:
        written_to.print("comparison:", soft_wrap=True)
        copyable.print_line(written_to, copyable.path(compared))
    return EXIT_OK if sweeps.all_correct() else EXIT_WRONG


def _print_files(console: Console, heading: str, folder: Path, chart: Path | None) -> None:
    """Where a sweep's files are (its chart, unless none was drawn), a line each, to be copied."""
    console.print(heading, soft_wrap=True)
    for written in (folder / RESULTS, folder / TABLE, *([] if chart is None else [chart])):
        copyable.print_line(console, copyable.path(written))


def print_comparison(comparison: Comparison, console: Console) -> None:
    """Which run is which, the comparison's table, and its legend."""
    for line in comparison_headings(comparison):
        console.print(escape(line), style="bold", soft_wrap=True)
    console.print(comparison_table(comparison))
    for line in comparison_legend(comparison):
        console.print(escape(line), style="dim", soft_wrap=True)
