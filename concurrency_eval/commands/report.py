"""`concurrency-eval report`: the table, verdict and chart of a results file, or the
comparison of two."""

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import arguments, console
from concurrency_eval.results.document import Results
from concurrency_eval.results.report import comparison_table, summary_document


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "report",
        help="show the table and write the chart of a results file, or compare two",
        description="Render results.json as a table and chart.png beside it; with two files, compare them.",
    )
    parser.add_argument("results", type=Path, help="a results.json")
    parser.add_argument("other", type=Path, nargs="?", help="a second results.json to compare with the first")
    parser.add_argument(
        "--chart", type=Path, help="where to write the chart (default: chart.png beside RESULTS)"
    )
    parser.add_argument("--no-chart", action="store_true", help="print the table only")
    arguments.add_verdict_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    chart = args.chart or (args.other or args.results).with_name("chart.png")
    if not args.no_chart and chart.suffix.lower() != ".png":
        arguments.refuse(args, f"--chart: the chart is a PNG picture; name it with .png, not {chart.name!r}")
    if not args.no_chart and chart.parent.exists() and not chart.parent.is_dir():
        arguments.refuse(args, f"--chart: {chart.parent} is a file, not a folder; name a chart in a folder")
    first = Results.read(args.results).trimmed(args.trim)
    shown = first if args.other is None else Results.read(args.other).trimmed(args.trim)
    if args.json:
        out.print_json(json.dumps(summary_document(shown, args.balanced_weight)))
    elif args.other is None:
        console.print_results(first, out, args.balanced_weight)
    else:
        out.print(comparison_table(first, shown))
    if not args.no_chart:
        from concurrency_eval.results.charts import write_chart

        written = write_chart(shown, chart, args.balanced_weight)
        if not args.json:
            out.print(f"chart: {escape(str(written))}")
    return console.EXIT_OK if shown.all_correct() else console.EXIT_WRONG
