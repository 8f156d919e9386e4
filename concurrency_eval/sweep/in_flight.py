"""Invocations in flight, and what an interrupt does to them.

A synchronous Invoke answers when the function does: up to its timeout (900 s on AWS).
An interrupt (Ctrl-C, SIGTERM, SIGHUP) therefore first waits for the invocations under
way, saying so, so that what they measured (and on AWS, paid for) is kept; a second
interrupt abandons them. They run on daemon threads, which end with the process: an
abandoned invocation does not hold the exit. On AWS it still runs to its end there.
"""

import threading
from collections.abc import Callable, Sequence

_POLL_S = 0.1


def run_all[Answer](
    work: Callable[[int], Answer],
    indexes: Sequence[int],
    parallelism: int,
    on_answer: Callable[[Answer], None],
    on_waiting: Callable[[str], None],
) -> None:
    """`work` for every index, `parallelism` at a time; each answer goes to `on_answer`,
    in the order of `indexes`, in this thread, also those that came after an interrupt."""
    answers: dict[int, Answer] = {}
    failures: list[BaseException] = []
    handed = 0

    def hand_over() -> None:
        nonlocal handed
        while handed < len(indexes) and indexes[handed] in answers:
            on_answer(answers[indexes[handed]])
            handed += 1

    def one(index: int) -> None:
        try:
            answers[index] = work(index)
        except BaseException as failure:  # noqa: BLE001 - handed to the caller's thread
            failures.append(failure)

    for first in range(0, len(indexes), parallelism):
        threads = [
            threading.Thread(target=one, args=(index,), name=f"invoke-{index}", daemon=True)
            for index in indexes[first : first + parallelism]
        ]
        for thread in threads:
            thread.start()
        try:
            _join(threads, on_waiting)
        finally:
            hand_over()
        if failures:
            raise failures[0]


def _join(threads: Sequence[threading.Thread], on_waiting: Callable[[str], None]) -> None:
    try:
        _wait(threads)
    except KeyboardInterrupt:
        if any(thread.is_alive() for thread in threads):
            on_waiting(
                "interrupted: waiting for the invocation under way to answer, to keep what it measures; "
                "interrupt again to abandon it (the functions are restored either way)"
            )
            try:
                _wait(threads)
            except KeyboardInterrupt:
                on_waiting("abandoned the invocation under way")
        raise


def _wait(threads: Sequence[threading.Thread]) -> None:
    # A join with a timeout, in a loop: a signal reaches the main thread between polls.
    for thread in threads:
        while thread.is_alive():
            thread.join(_POLL_S)
