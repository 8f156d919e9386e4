"""Invocations in flight, groups of them run at once, and what an interrupt does to them.

A synchronous Invoke answers when the function does: up to its timeout (900 s on AWS).
A sweep runs its groups of invocations on worker threads, a few at once; an interrupt
(Ctrl-C, SIGTERM, SIGHUP) reaches the main thread, which tells the groups to start no
more invocations and first waits for those under way, saying so, so that what they
measured (and on AWS, paid for) is kept; a second interrupt abandons them. Workers are
daemon threads, which end with the process: an abandoned invocation does not hold the
exit. On AWS it still runs to its end there.
"""

import queue
import threading
from collections.abc import Callable, Sequence

_POLL_S = 0.1


class Stopped(Exception):
    """Raised in a group's thread when the sweep was told to start no more invocations."""


def run_all[Answer](
    work: Callable[[int], Answer],
    indexes: Sequence[int],
    parallelism: int,
    on_answer: Callable[[Answer], None],
) -> None:
    """`work` for every index, `parallelism` at a time; each answer goes to `on_answer`,
    in the order of `indexes`, in this thread, also those that came before a failure."""
    answers: dict[int, Answer] = {}
    failures: list[BaseException] = []
    handed = 0

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
        for thread in threads:
            thread.join()
        while handed < len(indexes) and indexes[handed] in answers:
            on_answer(answers[indexes[handed]])
            handed += 1
        if failures:
            raise failures[0]


def run_groups[Result](
    groups: Sequence[Callable[[], Result | None]],
    workers: int,
    on_done: Callable[[Result], None],
    stopping: threading.Event,
    on_waiting: Callable[[str], None],
) -> None:
    """Run `groups` in order, `workers` at once; each result goes to `on_done` in this
    thread as its group finishes. A group sees `stopping` set when the sweep ends early
    and returns what it measured so far (or None); then none starts. On an interrupt in
    this thread, or a failure in a group, the groups under way are waited for and their
    results handed over before it is raised; a second interrupt abandons them."""
    finished: queue.Queue[tuple[Result | None, BaseException | None]] = queue.Queue()
    pending = list(reversed(groups))
    lock = threading.Lock()

    def worker() -> None:
        while not stopping.is_set():
            with lock:
                if not pending:
                    return
                group = pending.pop()
            try:
                finished.put((group(), None))
            except BaseException as failure:  # noqa: BLE001 - handed to the caller's thread
                stopping.set()
                finished.put((None, failure))

    threads = [
        threading.Thread(target=worker, name=f"group-{number}", daemon=True)
        for number in range(min(workers, len(groups)))
    ]
    for thread in threads:
        thread.start()
    failures: list[BaseException] = []

    def hand_over(until: Callable[[], bool]) -> None:
        while not until():
            try:
                result, failure = finished.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if failure is not None:
                stopping.set()
                failures.append(failure)
            elif result is not None:
                on_done(result)

    def all_done() -> bool:
        return not any(thread.is_alive() for thread in threads) and finished.empty()

    try:
        hand_over(all_done)
    except BaseException as stopped:
        stopping.set()
        if any(thread.is_alive() for thread in threads):
            if isinstance(stopped, KeyboardInterrupt):
                on_waiting(
                    "interrupted: waiting for the invocations under way to answer, to keep what they "
                    "measure; interrupt again to abandon them (the functions are restored either way)"
                )
            try:
                hand_over(all_done)
            except KeyboardInterrupt:
                on_waiting("abandoned the invocations under way")
        raise
    if failures:
        raise failures[0]
