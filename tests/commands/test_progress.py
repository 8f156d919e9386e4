"""The live display: a phase that ends is a line that stays, done or stopped, with a
timer that stopped when it ended; piped, a plain log with no progress frame."""

import io
import re

import pytest
from rich.console import Console

from concurrency_eval.commands.progress import Progress
from concurrency_eval.results.document import FIXED, INTERRUPTED, Invocation, ModelRun
from concurrency_eval.sweep.settings import Step

STEP = Step(256, None, ("asyncio",))
#: What rich draws only for live progress: bar segments and spinner frames.
FRAME_MARKS = ("━", "╸", "⠋", "⠙", "⠹", "⠸")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def terminal() -> tuple[Console, io.StringIO]:
    sink = io.StringIO()
    return Console(file=sink, force_terminal=True, width=100, color_system=None), sink


def visible_lines(sink: io.StringIO) -> list[str]:
    """What stays on the screen line by line, the terminal's control sequences left out."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", sink.getvalue())
    return [line.rstrip() for line in text.replace("\r", "\n").splitlines() if line.strip()]


def piped() -> tuple[Console, io.StringIO]:
    sink = io.StringIO()
    return Console(file=sink, force_terminal=False, width=1000), sink


def warm(index: int) -> Invocation:
    return Invocation(
        model="asyncio", kind="warm", index=index, duration_ms=100.0, cpu_ms=None, peak_rss_mb=None,
        result="k", handler_time_s=None, objects=1, error=None, correct=True,
    )  # fmt: skip


def group(count: int, stop_reason: str) -> ModelRun:
    run = ModelRun("asyncio", None, None, None, memory_mb=256, stop_reason=stop_reason)
    run.invocations = [warm(i) for i in range(count)]
    return run


def test_a_finished_phase_is_a_line_with_its_count_and_a_stopped_timer() -> None:
    # Given a terminal and a clock
    console, sink = terminal()
    clock = Clock()
    with Progress(console, get_time=clock) as progress:
        # When a phase of unknown length takes 2 s, then a counted one 5 s, then an hour passes
        progress.phase("seeding 2 objects", total=2)
        progress.advance(2)
        progress.phase("building the bundles")
        clock.now += 2
        progress.detail("5 bundles for host-py3.13")
        progress.step("256 MB: asyncio", total=8)
        for index in range(6):
            progress.invocation("asyncio", STEP, warm(index))
        clock.now += 5
        progress.ended(group(6, FIXED))
        clock.now += 3600
    lines = visible_lines(sink)
    # Then each is one line, done: the first with its detail and no count, the second with
    # what it did; each with its own time, not the time until the end
    assert "✓ building the bundles  0:00:02  5 bundles for host-py3.13" in lines
    assert "✓ seeding 2 objects  2/2  0:00:00" in lines
    assert "✓ 256 MB: asyncio  6 of up to 8  0:00:05" in lines
    assert "0/?" not in sink.getvalue()
    assert "1:00:0" not in sink.getvalue()


@pytest.mark.parametrize("why", [KeyboardInterrupt, RuntimeError])
def test_a_group_cut_short_is_drawn_stopped_never_complete(why: type[BaseException]) -> None:
    # Given a group of eight planned invocations that had done three
    console, sink = terminal()

    def interrupted_sweep() -> None:
        with Progress(console) as progress:
            progress.step("256 MB: asyncio", total=8)
            for index in range(3):
                progress.invocation("asyncio", STEP, warm(index))
            # When the sweep is interrupted (the engine says so) and the restore note follows
            progress.ended(group(3, INTERRUPTED))
            progress.note("restoring the original configurations")
            progress.step("256 MB: threaded", total=8)
            raise why

    with pytest.raises(why):
        interrupted_sweep()
    lines = visible_lines(sink)
    text = "\n".join(lines)
    # Then the group is drawn stopped with what it reached, and so is the phase under way
    assert "✗ 256 MB: asyncio  3 of 8" in text
    assert "interrupted" in text
    assert "✓ 256 MB: asyncio" not in text
    assert "3/3" not in text
    assert "✗ 256 MB: threaded  0 of 8" in text
    (threaded,) = [line for line in lines if line.startswith("✗ 256 MB: threaded")]
    assert threaded.endswith("interrupted" if why is KeyboardInterrupt else "failed")


def test_piped_the_progress_is_a_plain_log() -> None:
    # Given standard error redirected to a file
    console, sink = piped()
    with Progress(console) as progress:
        # When the work goes through its phases
        progress.phase("seeding 30 objects", total=30)
        progress.advance(30)
        progress.detail("30 uploaded, 0 already there")
        progress.step("256 MB: asyncio", total=3)
        progress.invocation("asyncio", STEP, warm(0))
        progress.ended(group(1, FIXED))
    text = sink.getvalue()
    # Then it reads as a log, a line per phase, detail and invocation, and holds no frame
    assert text.splitlines() == [
        "seeding 30 objects",
        "  30 uploaded, 0 already there",
        "256 MB: asyncio",
        "    256 MB asyncio   warm     100.0 ms  k",
    ]
    assert not any(mark in text for mark in FRAME_MARKS)
    assert "\x1b" not in text
