"""What the commands print and ask: exit codes, progress, questions, and a sweep's
table, verdict and chart. Everything user-given is escaped before rich sees it."""

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from concurrency_eval.commands import copyable
from concurrency_eval.results.charts import write_chart
from concurrency_eval.results.document import Invocation, Results
from concurrency_eval.results.report import print_results, summary_document
from concurrency_eval.sweep.settings import Step

EXIT_OK, EXIT_WRONG, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def consoles() -> tuple[Console, Console]:
    """Standard output and standard error, each as wide as it should be."""
    # Piped or redirected output gets room for the whole table instead of 80 columns.
    out = Console() if sys.stdout.isatty() else Console(width=140)
    # Messages to a pipe or a log are not wrapped: a wrapped path is a broken path.
    err = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=1000)
    return out, err


def error(err: Console, message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}")


def warning(err: Console, message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}")


def progress_bar(console: Console) -> RichProgress:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return RichProgress(*columns, TimeElapsedColumn(), console=console)


class Progress:
    """Progress of starting the local stand-ins, of seeding and of the sweep, drawn with
    rich; the questions a sweep asks, put to the terminal."""

    def __init__(
        self, progress: RichProgress, out: Console | None = None, *, assume_yes: bool = False
    ) -> None:
        self._progress = progress
        self._out = out or progress.console
        self._task: TaskID | None = None
        self._assume_yes = assume_yes

    def phase(self, description: str, total: int | None = None) -> None:
        if not self._progress.console.is_terminal:
            # Bars are drawn on terminals only; logs and pipes get a line per phase.
            self._progress.console.print(escape(description))
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 1)
        self._task = self._progress.add_task(escape(description), total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)

    def note(self, message: str) -> None:
        self._progress.console.print(f"[dim]{escape(message)}[/dim]")

    # The sweep engine's observer.
    def step(self, message: str, total: int | None = None) -> None:
        self.phase(message, total)

    def invocation(self, model: str, step: Step, invocation: Invocation) -> None:
        self.advance()
        if not self._progress.console.is_terminal:
            duration = "-" if invocation.duration_ms is None else f"{invocation.duration_ms:9.1f} ms"
            answer = invocation.error or invocation.result
            self._progress.console.print(
                escape(f"  {step.memory_mb:>5} MB {model:<9} {invocation.kind:<4} {duration}  {answer}")
            )

    # The sweep flow's questions.
    def confirm(self, question: str) -> bool:
        return confirm(question, self._assume_yes, self._progress.console)

    def show(self, message: str) -> None:
        self._out.print(escape(message))


def confirm(question: str, assume_yes: bool, err: Console) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        err.print(
            f"[red]{escape(question)}[/red] cannot be asked: standard input is not a terminal; pass --yes"
        )
        return False
    return err.input(f"{escape(question)} \\[y/N] ").strip().lower() in ("y", "yes")


def show_sweep(results: Results, output: Path, args: argparse.Namespace, out: Console) -> int:
    """A finished sweep's table and verdict (or JSON summary), and its chart; the exit code."""
    balanced_weight, as_json = args.balanced_weight, args.json
    results = results.trimmed(args.trim)
    chart = write_chart(results, output / "chart.png", balanced_weight)
    if as_json:
        out.print_json(json.dumps(summary_document(results, balanced_weight)))
    else:
        print_results(results, out, balanced_weight)
        out.print(escape(f"results: {output / 'results.json'}  {output / 'results.csv'}  {chart}"))
    return EXIT_OK if results.all_correct() else EXIT_WRONG


def resume_hint(err: Console, output: Path, command: str) -> None:
    """After an interruption or an error: where the partial results are, and how to go on."""
    if (output / "results.json").exists():
        err.print(escape(f"partial results in {output}; continue with:"))
        copyable.print_line(err, copyable.tool_command(command, "--resume", output))
