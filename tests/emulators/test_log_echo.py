"""The functions' logs shown on a terminal: every line after its function's name, long
lines cut, and lines a slow terminal cannot take counted and said, never queued
without end and never holding an invocation up."""

import io
import threading

from hypothesis import given
from hypothesis import strategies as st

from concurrency_eval.emulators.lambda_service.log_echo import LogEcho


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60), max_size=30))
def test_every_line_is_shown_after_its_functions_name(lines: list[str]) -> None:
    # Given whatever a function writes, When it is echoed
    screen = io.StringIO()
    echo = LogEcho(screen).start()
    data = "\n".join(lines).encode()
    echo("concurrency-eval-sync", data)
    echo.close()
    # Then each line that is not blank is shown once, in order, after the function's name
    expected = [f"concurrency-eval-sync | {line}" for line in data.decode().splitlines() if line.strip()]
    assert screen.getvalue().splitlines() == expected


def test_a_long_line_is_cut_saying_by_how_much() -> None:
    screen = io.StringIO()
    echo = LogEcho(screen, max_chars=10).start()
    echo("f", b"0123456789abcdef\nshort\n")
    echo.close()
    assert screen.getvalue().splitlines() == ["f | 0123456789 ... (6 more characters)", "f | short"]


class SlowTerminal(io.StringIO):
    """A terminal that takes nothing until it is let go (scrolled back, or paused)."""

    def __init__(self) -> None:
        super().__init__()
        self.let_go = threading.Event()

    def write(self, text: str) -> int:
        self.let_go.wait()
        return super().write(text)


def test_lines_a_slow_terminal_cannot_take_are_counted_and_said() -> None:
    # Given a terminal that takes nothing, and room for two waiting lines
    screen = SlowTerminal()
    echo = LogEcho(screen, max_waiting=2).start()
    # When a function writes ten lines, Then the call returns at once (it never waits)
    echo("f", b"".join(b"line %d\n" % n for n in range(10)))
    # And once the terminal takes lines again, those shown and those counted make ten
    screen.let_go.set()
    echo.close()
    shown = [line for line in screen.getvalue().splitlines() if line.startswith("f | ")]
    (said,) = [line for line in screen.getvalue().splitlines() if "not shown" in line]
    dropped = int(said.removeprefix("(").split()[0])
    assert dropped >= 7
    assert len(shown) + dropped == 10
    assert shown == [f"f | line {n}" for n in range(len(shown))]
