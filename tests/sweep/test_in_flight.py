"""Interrupts in a sweep: invocations in flight waited for and kept, or abandoned at a second;
signals during the restore noted, not obeyed."""

import os
import signal
import threading
import time

import pytest

from concurrency_eval.sweep.in_flight import run_all
from concurrency_eval.sweep.updates import _shielded_from_interrupts
from concurrency_eval.system import signals


def interrupt_after(*seconds: float) -> None:
    """Ctrl-C to this process after each delay, as a user would press it."""
    for delay in seconds:
        threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT)).start()


def slow(index: int) -> int:
    time.sleep(1.0)
    return index * 10


def slower(index: int) -> int:
    time.sleep(5.0)
    return index * 10


def test_answers_come_in_order_a_batch_at_a_time() -> None:
    answers: list[int] = []
    run_all(lambda i: i * 10, range(5), 2, answers.append, lambda _: None)
    assert answers == [0, 10, 20, 30, 40]


def test_an_interrupt_waits_for_the_invocation_under_way_and_keeps_its_answer() -> None:
    # Given an invocation that answers after a second, and Ctrl-C after a tenth of it
    answers: list[int] = []
    said: list[str] = []
    interrupt_after(0.1)
    # Then it says it is waiting, waits, keeps the answer, and ends as interrupted
    with pytest.raises(KeyboardInterrupt):
        run_all(slow, [7], 1, answers.append, said.append)
    assert answers == [70]
    assert said == [
        "interrupted: waiting for the invocation under way to answer, to keep what it measures; "
        "interrupt again to abandon it (the functions are restored either way)"
    ]


def test_a_second_interrupt_abandons_it() -> None:
    answers: list[int] = []
    said: list[str] = []
    interrupt_after(0.1, 0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_all(slower, [7], 1, answers.append, said.append)
    # It did not wait the five seconds out: the invocation was left to end on its own
    assert answers == []
    assert said[-1] == "abandoned the invocation under way"
    assert time.monotonic() - started < 4


def test_a_failure_in_an_invocation_reaches_the_caller() -> None:
    def broken(index: int) -> int:
        raise ValueError(f"no {index}")

    with pytest.raises(ValueError, match="no 3"):
        run_all(broken, [3], 1, lambda _: None, lambda _: None)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_signals_during_a_restore_are_noted_said_once_and_handed_back(signum: signal.Signals) -> None:
    # Given a restore under way, shielded from interrupts
    said: list[str] = []
    with _shielded_from_interrupts(lambda: said.append("still restoring; please wait")) as noted:
        # When the signal comes twice (as `uv run` forwards Ctrl-C)
        os.kill(os.getpid(), signum)
        os.kill(os.getpid(), signum)
        time.sleep(0.05)
    # Then the restore went on, said so once, and knows what came, to end as it asked after
    assert said == ["still restoring; please wait"]
    assert noted == [signum, signum]
    raised = signals.interrupt(noted[0])
    assert signals.exit_code(raised) == 128 + signum
