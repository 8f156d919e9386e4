"""`concurrency-eval report`: the table, verdict and chart of a results file, or B
compared with A, the baseline."""

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from concurrency_eval.commands import arguments, console, copyable, help_text
from concurrency_eval.results.folders import CHART, COMPARISON_CHART

if TYPE_CHECKING:
    from concurrency_eval.results.document import Results

#: Pre-wrapped, as the example under it must stay on one line to be copied.
DESCRIPTION = f"""\
Render results file A as a table and verdict, and its chart as {CHART} beside it.
Given the folder of a run of two architectures (run --architectures), show it as the
run did: each sweep, B against A, and the choice among every size on either.

With a second file B, compare B with A. A is the baseline: for each point (model,
memory size, concurrency) of either run, A's and B's warm median and B/A, the ratio
of B's warm durations to A's with its 95% CI (below 1: B is faster; a CI holding 1:
the same within noise). Points measured in one run only are marked "only in A" or
"only in B". Every difference between what the two files record of their data set,
settings and environment is a warning on standard error. The comparison's chart is
{COMPARISON_CHART} beside B; neither run's {CHART} is touched. With --json, one
JSON document: both runs' summaries, every point compared, and the differences."""


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "report",
        help="show the table and write the chart of a results file, or compare B with A, the baseline",
        description=DESCRIPTION,
        epilog=help_text.examples(
            ("one run's table, verdict and chart", ["report", "results/local-20261123-101500"]),
            ("the run in after/ against the run in before/, the baseline", ["report", "before", "after"]),
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results",
        type=arguments.results_file,
        metavar="A",
        help="a results.json, or the folder a sweep wrote it to; with B, the baseline",
    )
    parser.add_argument(
        "other",
        type=arguments.results_file,
        metavar="B",
        nargs="?",
        help="a second results.json (or its folder), compared with A (B/A)",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        help=f"where to write the chart (default: {CHART} beside A, or with B {COMPARISON_CHART} beside B)",
    )
    arguments.add_verdict_arguments(
        parser,
        json_help="print the summary and verdict as one JSON document instead of a table; with B, the "
        "comparison: both runs' summaries, every point compared, and the differences",
        no_chart_help="print the table only (or with --json the document only): draw no chart",
    )
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.results.is_dir():
        return _architectures(args, out, err)
    chart = args.chart or (
        args.results.with_name(CHART) if args.other is None else args.other.with_name(COMPARISON_CHART)
    )
    if not args.no_chart and chart.suffix.lower() != ".png":
        arguments.refuse(args, f"--chart: the chart is a PNG picture; name it with .png, not {chart.name!r}")
    if not args.no_chart and chart.parent.exists() and not chart.parent.is_dir():
        arguments.refuse(args, f"--chart: {chart.parent} is a file, not a folder; name a chart in a folder")
    from concurrency_eval.results.document import Results

    first = Results.read(args.results).trimmed(args.trim)
    if args.other is None:
        return _report(first, chart, args, out)
    return _compare(first, Results.read(args.other).trimmed(args.trim), chart, args, out, err)


def _architectures(args: argparse.Namespace, out: Console, err: Console) -> int:
    """A run of two architectures (`run --architectures`), shown as the run showed it."""
    if args.other is not None:
        arguments.refuse(args, f"{args.results} holds a run of two architectures, compared already; drop B")
    if args.chart is not None:
        arguments.refuse(
            args,
            "a run of two architectures keeps its charts beside its sweeps; drop --chart (or draw none: "
            "--no-chart)",
        )
    from concurrency_eval.commands import rendering
    from concurrency_eval.results import architectures

    sweeps = architectures.read(args.results)
    return rendering.show_architectures(sweeps, args.results, args, out, err)


def _report(results: "Results", chart: Path, args: argparse.Namespace, out: Console) -> int:
    from concurrency_eval.commands import rendering
    from concurrency_eval.results.report import summary_document

    if args.json:
        out.print_json(json.dumps(summary_document(results, args.balanced_weight)))
    else:
        rendering.print_results(results, out, args.balanced_weight)
    if not args.no_chart:
        from concurrency_eval.results.charts import write_chart

        written = write_chart(results, chart, args.balanced_weight)
        if not args.json:
            copyable.print_line(out, f"chart: {copyable.path(written)}")
    return console.EXIT_OK if results.all_correct() else console.EXIT_WRONG


def _compare(
    a: "Results", b: "Results", chart: Path, args: argparse.Namespace, out: Console, err: Console
) -> int:
    from concurrency_eval.commands import rendering
    from concurrency_eval.results.comparison import compare
    from concurrency_eval.results.report import comparison_document

    comparison = compare(a, b)
    for warning in comparison.warnings:
        console.warning(err, warning)
    if args.json:
        out.print_json(json.dumps(comparison_document(comparison, args.balanced_weight)))
    else:
        rendering.print_comparison(comparison, out)
    if not args.no_chart:
        from concurrency_eval.results.comparison_chart import write_comparison_chart

        written = write_comparison_chart(comparison, chart)
        if not args.json:
            copyable.print_line(out, f"chart: {copyable.path(written)}")
    return console.EXIT_OK if comparison.all_correct() else console.EXIT_WRONG
