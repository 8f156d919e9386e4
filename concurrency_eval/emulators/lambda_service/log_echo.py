"""The functions' logs, echoed to a terminal as they are written, as `sam local
start-lambda` shows its functions' output while it serves.

Every line goes out after its function's name, so that the functions' lines can be told
apart when several run at once. A thread of its own writes them: a terminal that is slow
(or paused) never holds an invocation up. Lines that come faster than the terminal takes
them wait in a bounded queue; beyond it they are counted and the count is said, never
queued without end. A very long line is cut, saying by how much.
"""

import contextlib
import queue
import threading
from typing import Self, TextIO

#: Lines waiting for the terminal, at most; more are counted and dropped.
MAX_WAITING_LINES = 2000
#: A line longer than this is cut (a function that logs a whole payload on one line).
MAX_LINE_CHARS = 2000


class LogEcho:
    """Call it with a function's name and what it logged; `close` writes what is waiting."""

    def __init__(
        self, stream: TextIO, *, max_waiting: int = MAX_WAITING_LINES, max_chars: int = MAX_LINE_CHARS
    ) -> None:
        self._stream = stream
        self._max_chars = max_chars
        self._waiting: queue.Queue[str | None] = queue.Queue(max_waiting)
        self._dropped = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._write_all, name="log-echo", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def __call__(self, function: str, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            if not line.strip():
                continue
            try:
                self._waiting.put_nowait(f"{function} | {self._cut(line)}")
            except queue.Full:
                with self._lock:
                    self._dropped += 1

    def close(self, timeout_s: float = 2.0) -> None:
        """Write what is waiting (for at most `timeout_s`), then stop."""
        with contextlib.suppress(queue.Full):
            self._waiting.put(None, timeout=timeout_s)
        self._thread.join(timeout_s)

    def _cut(self, line: str) -> str:
        if len(line) <= self._max_chars:
            return line
        return f"{line[: self._max_chars]} ... ({len(line) - self._max_chars:,} more characters)"

    def _write_all(self) -> None:
        while True:
            line = self._waiting.get()
            self._say_dropped()
            if line is None:
                return
            self._write(line)

    def _say_dropped(self) -> None:
        with self._lock:
            dropped, self._dropped = self._dropped, 0
        if dropped:
            self._write(f"({dropped:,} log lines not shown: they came faster than this terminal took them)")

    def _write(self, line: str) -> None:
        # A terminal that is gone (the tool ended first) must not end the service.
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(line + "\n")
            self._stream.flush()
