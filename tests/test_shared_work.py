"""What pytest-xdist's workers share (tests/fixtures/shared.py): a thing made once for all,
a block the first runs alone, bytecode written once. Threads stand in for the workers:
their file locks exclude each other as separate processes' do."""

import py_compile
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest

from tests.fixtures.shared import bytecode_written, first_alone, made_once

#: How long a test waits for what must happen at once; never reached when it works.
HANG_GUARD_S = 30.0
#: How long a test watches for what must not happen: longer than it would take if it did.
WATCH_S = 0.3


def in_thread(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_the_first_runs_alone_and_the_others_wait_for_it(tmp_path: Path) -> None:
    # Given a worker in the block, not yet out of it
    inside, leave, second_inside = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with first_alone(tmp_path, "collection"):
            inside.set()
            leave.wait(HANG_GUARD_S)

    def second() -> None:
        with first_alone(tmp_path, "collection"):
            second_inside.set()

    first_thread = in_thread(first)
    assert inside.wait(HANG_GUARD_S)
    # When another reaches it, Then it waits
    second_thread = in_thread(second)
    assert not second_inside.wait(WATCH_S)
    # And it goes in once the first has left
    leave.set()
    assert second_inside.wait(HANG_GUARD_S)
    for thread in (first_thread, second_thread):
        thread.join(HANG_GUARD_S)


@pytest.mark.parametrize("first_fails", [False, True], ids=["first-done", "first-failed"])
def test_once_the_first_has_left_the_others_run_it_at_once(tmp_path: Path, first_fails: bool) -> None:
    # Given the first worker through the block, done or failed
    with pytest.raises(RuntimeError) if first_fails else nullcontext(), first_alone(tmp_path, "collection"):
        if first_fails:
            raise RuntimeError("collection failed")
    # When three more reach it, Then they are in it together
    together = threading.Barrier(3, timeout=HANG_GUARD_S)

    def later() -> None:
        with first_alone(tmp_path, "collection"):
            together.wait()

    threads = [in_thread(later) for _ in range(3)]
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert not together.broken


def test_made_once_is_made_by_one_and_read_by_all(tmp_path: Path) -> None:
    # Given four workers asking at once for the same folder
    made: list[int] = []
    got: list[Path] = []

    def make(directory: Path) -> None:
        made.append(1)
        (directory / "template.json").write_text("{}")

    def ask() -> None:
        got.append(made_once(tmp_path / "cdk.out", make))

    threads = [in_thread(ask) for _ in range(4)]
    for thread in threads:
        thread.join(HANG_GUARD_S)
    # Then one made it, and all four read it whole
    assert made == [1]
    assert got == [tmp_path / "cdk.out"] * 4
    assert (tmp_path / "cdk.out" / "template.json").read_text() == "{}"


def test_a_failed_make_leaves_nothing_and_the_next_makes_it_again(tmp_path: Path) -> None:
    def fail(directory: Path) -> None:
        (directory / "half").write_text("")
        raise RuntimeError("synth failed")

    with pytest.raises(RuntimeError):
        made_once(tmp_path / "cdk.out", fail)
    made_once(tmp_path / "cdk.out", lambda directory: (directory / "whole").write_text(""))
    assert sorted(p.name for p in (tmp_path / "cdk.out").iterdir()) == ["whole"]


def test_bytecode_is_written_after_compiling_and_not_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a module never imported, in a fresh folder
    (tmp_path / "fresh_module_for_bytecode.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # Then its bytecode is not written, nor is an unknown module's
    assert not bytecode_written("fresh_module_for_bytecode")
    assert not bytecode_written("pytest", "no_such_module_anywhere")
    # When it is compiled as its first import would, Then it is
    py_compile.compile(str(tmp_path / "fresh_module_for_bytecode.py"), doraise=True)
    assert bytecode_written("fresh_module_for_bytecode")
    assert not bytecode_written("fresh_module_for_bytecode", "no_such_module_anywhere")


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    assert not [t for t in threading.enumerate() if t not in before and t.is_alive()]
