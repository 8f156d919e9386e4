"""The live display of long work: starting the local stand-ins, seeding, building, and
a sweep's steps and invocations.

On a terminal, the phase under way is drawn live with rich; a phase that ends is
printed once as a line of its own (done, with its count and its time, or interrupted
with what it reached), and the live area is cleared when the work ends. Piped or
redirected, the same story is a plain log: a line per phase, per detail and per
invocation, and never a progress frame.
"""

import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from concurrency_eval.results.document import INTERRUPTED, Invocation, ModelRun
from concurrency_eval.sweep.settings import Step

DONE, STOPPED = "[green]✓[/green]", "[red]✗[/red]"


class _Counted(ProgressColumn):
    """A column drawn only for phases that count something: a phase of unknown length
    shows no bar and no `0/?`."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self._column = column

    def render(self, task: Task) -> Any:
        return self._column.render(task) if task.total is not None else Text("")


class Progress:
    """Progress of starting the local stand-ins, of seeding and of the sweep; the
    questions a sweep asks, put to the terminal. One phase is under way at a time."""

    def __init__(
        self,
        console: Console,
        out: Console | None = None,
        *,
        assume_yes: bool = False,
        get_time: Callable[[], float] | None = None,
    ) -> None:
        self._console = console
        self._out = out or console
        self._assume_yes = assume_yes
        self._live = console.is_terminal
        self._bar = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            _Counted(BarColumn()),
            _Counted(MofNCompleteColumn()),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[detail]}"),
            console=console,
            transient=True,
            disable=not self._live,
            get_time=get_time,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> "Progress":
        self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._end_phase(stopped=None if kind is None else _why(kind))
        self._bar.stop()

    # Starting the local deployment.
    def phase(self, description: str, total: int | None = None) -> None:
        """A new phase; the one before it ends, done."""
        self._end_phase()
        if not self._live:
            self._console.print(escape(description), soft_wrap=True)
        self._task = self._bar.add_task(escape(description), total=total, detail="")

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, steps)

    def detail(self, message: str) -> None:
        """Where the phase under way stands; the last detail stays on its line when it ends."""
        if self._task is not None:
            self._bar.update(self._task, detail=escape(message))
        if not self._live:
            self._console.print(escape(f"  {message}"), soft_wrap=True)

    def note(self, message: str) -> None:
        """A line to keep, whatever the phase."""
        self._console.print(f"[dim]{escape(message)}[/dim]", soft_wrap=True)

    # The sweep engine's observer.
    def step(self, message: str, total: int | None = None) -> None:
        self.phase(message, total)

    def invocation(self, model: str, step: Step, invocation: Invocation) -> None:
        self.advance()
        if not self._live:
            duration = "-" if invocation.duration_ms is None else f"{invocation.duration_ms:9.1f} ms"
            answer = invocation.error or invocation.result
            self._console.print(
                escape(f"  {step.memory_mb:>5} MB {model:<9} {invocation.kind:<4} {duration}  {answer}"),
                soft_wrap=True,
            )

    def ended(self, run: ModelRun) -> None:
        """A group ended: measured as sampling asked, or cut short by an interrupt."""
        if run.stop_reason == INTERRUPTED:
            self._end_phase(stopped="interrupted")
        else:
            self._end_phase()

    # The sweep flow's questions.
    def confirm(self, question: str) -> bool:
        # A question is asked on a still screen: the live area would redraw over the answer.
        self._end_phase()
        self._bar.stop()
        try:
            return confirm(question, self._assume_yes, self._console)
        finally:
            self._bar.start()

    def show(self, message: str) -> None:
        self._out.print(escape(message), soft_wrap=True)

    def _end_phase(self, stopped: str | None = None) -> None:
        """The phase under way, done (or `stopped` with the reason), as a line that stays."""
        if self._task is None:
            return
        ended = next(task for task in self._bar.tasks if task.id == self._task)
        self._task = None
        self._bar.stop_task(ended.id)
        self._bar.remove_task(ended.id)
        if not self._live and stopped is None:
            return
        count = "" if ended.total is None else f"  {_count(int(ended.completed), int(ended.total), stopped)}"
        detail = ended.fields.get("detail") or ""
        mark, outcome = (DONE, "") if stopped is None else (STOPPED, f"  [red]{escape(stopped)}[/red]")
        self._console.print(
            f"{mark} {ended.description}{count}  [progress.elapsed]{_clock(ended.elapsed or 0.0)}[/]"
            f"{outcome}{'  [dim]' + detail + '[/dim]' if detail else ''}",
            soft_wrap=True,
        )


def confirm(question: str, assume_yes: bool, err: Console) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        err.print(
            f"[red]{escape(question)}[/red] cannot be asked: standard input is not a terminal; pass --yes"
        )
        return False
    return err.input(f"{escape(question)} \\[y/N] ").strip().lower() in ("y", "yes")


def _count(done: int, planned: int, stopped: str | None) -> str:
    """'8/8' when all was done; '3 of 8' when it stopped short; '5 of up to 8' when
    sampling needed fewer than it could have made."""
    if done == planned:
        return f"{done}/{planned}"
    return f"{done} of {planned}" if stopped is not None else f"{done} of up to {planned}"


def _why(kind: type[BaseException]) -> str:
    return "interrupted" if issubclass(kind, KeyboardInterrupt) else "failed"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
