"""How the tool ends on a signal: SIGTERM and SIGHUP as Ctrl-C.

A cancelled CI job, `timeout` and `kill` send SIGTERM; a closed terminal or ssh session
sends SIGHUP. Each is raised in the main thread as `Ended`, a KeyboardInterrupt, so
every path that cleans up after Ctrl-C (stopping servers, restoring functions, keeping
partial results) runs for them too, and the process then exits 128 + the signal's
number, as a shell reports a process that signal ended.
"""

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

#: The signals that end the tool, and that a restore notes rather than obeys.
ENDING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Ended(KeyboardInterrupt):
    """The tool was told to end by a signal other than SIGINT."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _end(signum: int, _frame: FrameType | None) -> None:
    raise Ended(signum)


@contextlib.contextmanager
def ending_as_interrupts() -> Iterator[None]:
    """Within: SIGTERM and SIGHUP raise `Ended` in the main thread (SIGINT already raises
    KeyboardInterrupt); the handlers before are restored after. Only the main thread
    can set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in ENDING}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _end)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def shielded(on_interrupt: Callable[[], None]) -> Iterator[list[int]]:
    """Within: Ctrl-C, SIGTERM and SIGHUP are noted (yielded, in order, and said once),
    not obeyed, for work that must not be cut short (putting functions back as they
    were). Only the main thread can set handlers."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def note(signum: int, _frame: object) -> None:
        if not noted:
            on_interrupt()
        noted.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in ENDING}
    try:
        yield noted
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def deferred() -> contextlib.AbstractContextManager[list[int]]:
    """Within: Ctrl-C, SIGTERM and SIGHUP are noted (yielded, in order), not raised, for
    code whose waits take locks that other threads need too (concurrent.futures.wait);
    it looks at the list where it may stop, and raises `interrupt` once out of them."""
    return shielded(lambda: None)


def ignore_further() -> None:
    """Once the command has ended (after an interrupt, everything is cleaned up): further
    signals, such as the second Ctrl-C `uv run` forwards, are ignored while the outcome is
    told and the interpreter exits. Ignored, not handled: Python's exit puts signals
    with a handler back to their default, which would end the process as killed by the
    signal, but leaves ignored ones ignored."""
    if threading.current_thread() is threading.main_thread():
        for signum in ENDING:
            signal.signal(signum, signal.SIG_IGN)


def interrupt(signum: int) -> KeyboardInterrupt:
    """What `signum` raises in the main thread: KeyboardInterrupt for SIGINT, else Ended."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Ended(signum)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + (interrupt.signum if isinstance(interrupt, Ended) else signal.SIGINT)


def name(interrupt: KeyboardInterrupt) -> str:
    return signal.Signals(interrupt.signum).name if isinstance(interrupt, Ended) else "SIGINT"
