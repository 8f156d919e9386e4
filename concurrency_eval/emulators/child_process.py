"""A local stand-in as a server in a child process, both sides of it.

The parent starts `python -m <module> ... --exit-with-stdin`, waits for the one JSON
line the child prints when it is ready, and stops it whatever happens. The child serves
until SIGTERM, SIGINT, or its standard input closes (the parent is gone, even killed).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self


class StartsAndStops:
    """Started on entering a `with` block and stopped on leaving it, whatever happens."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class StandInStopped(RuntimeError):
    """A stand-in (the embedded S3, the local Lambda service) ended while it was needed."""


class ChildServer:
    """The parent's side: start the child, read its ready line, stop it on exit."""

    def __init__(
        self,
        module: str,
        arguments: Sequence[str],
        *,
        what: str,
        start_timeout: float,
        grace_s: float,
        new_session: bool = False,
        failure: Callable[[str], Exception] = RuntimeError,
    ) -> None:
        self.module, self.arguments, self.what = module, tuple(arguments), what
        self._start_timeout, self._grace_s, self._new_session = start_timeout, grace_s, new_session
        self._failure = failure
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> dict[str, Any]:
        """Start the child and return what it printed when ready (its "endpoint" at least)."""
        command = [sys.executable, "-m", self.module, *self.arguments, "--exit-with-stdin"]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=self._new_session,
        )
        ready: dict[str, Any] = {}
        reader = threading.Thread(target=lambda: ready.update(self._read_ready()), daemon=True)
        reader.start()
        reader.join(self._start_timeout)
        if "endpoint" in ready:
            return ready
        try:
            # A child that died at once has closed its output before its exit is reaped.
            exited: int | None = self._process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            exited = None
        self.stop()
        if "error" in ready:
            raise self._failure(str(ready["error"]))
        if exited is None:
            waited = f"{self._start_timeout:.0f} s"
            raise self._failure(
                f"{self.what} did not start within {waited}; run `python -m {self.module}` to see why"
            )
        raise self._failure(f"{self.what} failed to start (exit {exited}); its error is printed above")

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def check_alive(self) -> None:
        """Raise StandInStopped, saying how it ended, if the child is no longer running."""
        code = None if self._process is None else self._process.poll()
        if code is not None:
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            raise StandInStopped(f"{self.what} stopped while it was needed ({how})")

    def _read_ready(self) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        ready: dict[str, Any] = json.loads(line) if line.strip() else {}
        return ready

    def stop(self) -> None:
        """Close its standard input (it stops when that closes), ask it to end, and kill
        it if it has not within the grace period; nothing of it is left running."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        process.terminate()
        try:
            process.wait(timeout=self._grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def serve_until_told(on_stop: Callable[[], None], exit_with_stdin: bool) -> None:
    """The child's side: call `on_stop` once, at SIGTERM, SIGINT or SIGHUP (a closed
    terminal sends it to the whole process group), or when standard input closes if
    `exit_with_stdin`."""
    stopped = threading.Event()

    def stop(*_: object) -> None:
        if not stopped.is_set():
            stopped.set()
            on_stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    if exit_with_stdin:

        def stop_when_stdin_closes() -> None:
            sys.stdin.read()
            stop()

        threading.Thread(target=stop_when_stdin_closes, daemon=True).start()


def announce_ready(**fields: Any) -> None:
    """The child's ready line, which the parent waits for: its endpoint and pid at least."""
    print(json.dumps({**fields, "pid": os.getpid()}), flush=True)
