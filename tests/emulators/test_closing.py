"""Environments end side by side: the service's stop, and a deleted version's or an old
configuration's idle environments, wait for the slowest close, not for the sum of them."""

import threading

import pytest

from concurrency_eval.emulators.lambda_service.service import MAX_CLOSING, side_by_side

#: Long enough never to be reached while the closes run together; a close left waiting
#: this long means they ran one after another.
HANG_GUARD_S = 30.0


@pytest.mark.parametrize("count", [2, 8, MAX_CLOSING])
def test_every_close_runs_at_once_and_all_have_ended_on_return(count: int) -> None:
    # Given closes that each finish only once every one of them has started
    everyone = threading.Barrier(count, timeout=HANG_GUARD_S)
    closed: list[int] = []

    def close(environment: int) -> None:
        everyone.wait()
        closed.append(environment)

    # When they are closed side by side
    side_by_side(close, list(range(count)))

    # Then none was left waiting for another to end, and all had ended on return
    assert not everyone.broken
    assert sorted(closed) == list(range(count))


def test_more_than_the_most_at_once_are_all_closed() -> None:
    # Given more environments than are closed at once
    closed: list[int] = []
    lock = threading.Lock()
    at_once = {"now": 0, "most": 0}

    def close(environment: int) -> None:
        with lock:
            at_once["now"] += 1
            at_once["most"] = max(at_once["most"], at_once["now"])
        closed.append(environment)
        with lock:
            at_once["now"] -= 1

    # When they are closed side by side, Then every one is, never more than the most at once
    side_by_side(close, list(range(3 * MAX_CLOSING)))
    assert sorted(closed) == list(range(3 * MAX_CLOSING))
    assert at_once["most"] <= MAX_CLOSING


def test_a_close_that_fails_is_raised_once_the_others_have_ended() -> None:
    # Given one close of eight that fails
    closed: list[int] = []

    def close(environment: int) -> None:
        if environment == 3:
            raise OSError("cgroup busy")
        closed.append(environment)

    # When they are closed side by side, Then its error is raised, and every other was closed
    with pytest.raises(OSError, match="cgroup busy"):
        side_by_side(close, list(range(8)))
    assert sorted(closed) == [0, 1, 2, 4, 5, 6, 7]
