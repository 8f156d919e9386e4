"""Interrupts in a sweep: groups under way told to stop, their invocations in flight
waited for and kept, or abandoned at a second; signals during the restore noted, not obeyed."""

import functools
import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from concurrency_eval.sweep.in_flight import run_all, run_groups
from concurrency_eval.system import signals


def interrupt_after(*seconds: float) -> None:
    """Ctrl-C to this process after each delay, as a user would press it."""
    for delay in seconds:
        threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT)).start()


def test_answers_come_in_order_a_batch_at_a_time() -> None:
    answers: list[int] = []
    run_all(lambda i: i * 10, range(5), 2, answers.append)
    assert answers == [0, 10, 20, 30, 40]


def test_a_failure_in_an_invocation_reaches_the_caller_after_the_answers_before_it() -> None:
    answers: list[int] = []

    def broken(index: int) -> int:
        if index == 3:
            raise ValueError(f"no {index}")
        return index

    with pytest.raises(ValueError, match="no 3"):
        run_all(broken, range(5), 1, answers.append)
    assert answers == [0, 1, 2]


class Group:
    """A group of `count` invocations of `seconds` each, that stops when told to."""

    def __init__(self, name: str, count: int, seconds: float, stopping: threading.Event) -> None:
        self.name, self.count, self.seconds, self.stopping = name, count, seconds, stopping
        self.done: list[int] = []
        self.started = threading.Event()

    def __call__(self) -> "Group | None":
        for index in range(self.count):
            if self.stopping.is_set():
                return self if self.done else None
            self.started.set()
            time.sleep(self.seconds)
            self.done.append(index)
        return self


class Tally:
    """How many groups run at once, at most."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def run(self, work: Callable[[], object]) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            work()
        finally:
            with self.lock:
                self.now -= 1


def test_one_worker_runs_the_groups_one_after_another_in_order() -> None:
    tally, handed = Tally(), list[str]()

    def group(name: str) -> str:
        tally.run(lambda: time.sleep(0.01))
        return name

    run_groups([functools.partial(group, name) for name in "abc"], 1, handed.append, threading.Event(), print)
    assert (handed, tally.most) == (["a", "b", "c"], 1)


@pytest.mark.parametrize("workers", [2, 3])
def test_more_workers_run_groups_at_once_and_hand_each_over_as_it_finishes(workers: int) -> None:
    # Given a first group that can only finish once the last one has
    tally, handed, last_done = Tally(), list[str](), threading.Event()

    def first() -> str:
        tally.run(lambda: last_done.wait(timeout=60))
        return "first"

    def other(name: str) -> str:
        tally.run(lambda: time.sleep(0.01))
        if name == "last":
            last_done.set()
        return name

    # When they run with two workers or more, Then the others ran beside the first and were
    # handed over before it, never more at once than the workers
    run_groups(
        [first, lambda: other("second"), lambda: other("last")], workers, handed.append, threading.Event(),
        lambda _: None,
    )  # fmt: skip
    # (with two, the last starts once the second is done; with three all start at once, so
    # the second, which waits for nothing, may be handed over at any place)
    if workers == 2:
        assert handed == ["second", "last", "first"]
    else:
        assert sorted(handed) == ["first", "last", "second"]
        assert handed.index("last") < handed.index("first")
    assert 2 <= tally.most <= workers


def test_an_interrupt_stops_new_invocations_waits_for_those_under_way_and_keeps_them() -> None:
    # Given two groups of one-second invocations at once, and Ctrl-C a tenth of a second in
    stopping = threading.Event()
    groups = [Group("a", 5, 1.0, stopping), Group("b", 5, 1.0, stopping), Group("c", 5, 1.0, stopping)]
    handed: list[Group] = []
    said: list[str] = []
    interrupt_after(0.1)
    # Then it says it is waiting, waits, hands over what the groups under way measured,
    # starts no other group, and ends as interrupted
    with pytest.raises(KeyboardInterrupt):
        run_groups(groups, 2, handed.append, stopping, said.append)
    assert sorted((group.name, group.done) for group in handed) == [("a", [0]), ("b", [0])]
    assert said == [
        "interrupted: waiting for the invocations under way to answer, to keep what they measure; "
        "interrupt again to abandon them (the functions are restored either way)"
    ]


def test_a_second_interrupt_abandons_them() -> None:
    stopping = threading.Event()
    handed: list[Group] = []
    said: list[str] = []
    interrupt_after(0.1, 0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_groups([Group("a", 1, 5.0, stopping)], 1, handed.append, stopping, said.append)
    # It did not wait the five seconds out: the invocation was left to end on its own
    assert handed == []
    assert said[-1] == "abandoned the invocations under way"
    assert time.monotonic() - started < 4


def test_a_failing_group_stops_the_others_and_reaches_the_caller() -> None:
    # Given a group that fails while another is under way
    stopping = threading.Event()
    slow = Group("slow", 3, 0.2, stopping)

    def broken() -> Group:
        time.sleep(0.05)
        raise ValueError("no")

    handed: list[Group] = []
    with pytest.raises(ValueError, match="no"):
        run_groups(
            [slow, broken, Group("never", 1, 0.0, stopping)], 2, handed.append, stopping, lambda _: None
        )
    # Then the one under way stopped after its invocation in flight and was handed over;
    # none started after the failure
    assert [(group.name, group.done) for group in handed] == [("slow", [0])]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_signals_during_a_restore_are_noted_said_once_and_handed_back(signum: signal.Signals) -> None:
    # Given a restore under way, shielded from interrupts
    said: list[str] = []
    with signals.shielded(lambda: said.append("still restoring; please wait")) as noted:
        # When the signal comes twice (as `uv run` forwards Ctrl-C)
        os.kill(os.getpid(), signum)
        os.kill(os.getpid(), signum)
        time.sleep(0.05)
    # Then the restore went on, said so once, and knows what came, to end as it asked after
    assert said == ["still restoring; please wait"]
    assert noted == [signum, signum]
    raised = signals.interrupt(noted[0])
    assert signals.exit_code(raised) == 128 + signum
