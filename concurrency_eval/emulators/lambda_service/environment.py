"""One execution environment: a runtime process, its Runtime API, its limits, its logs.

An environment serves one invocation at a time, as on Lambda. It starts its process
inside its confinement (memory limit from the first instruction; CPU unthrottled for
the INIT phase, as Lambda runs an on-demand INIT, and at the memory's share from the
moment INIT ends, when the runtime client first asks for an event). An INIT that
outlives its limit is retried within the first invocation, throttled and under the
function's timeout, as Lambda retries it. Each invocation
is handed over through the Runtime API and lasts until the runtime posts its answer;
one that outlives the function's timeout, or whose process dies, ends the
environment. Everything is measured from outside the process: durations on the
service's clock, CPU time and peak memory from the operating system.
"""

import contextlib
import itertools
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psutil

from concurrency_eval.emulators.lambda_service import sandbox
from concurrency_eval.emulators.lambda_service.functions import Code, Configuration, Target, function_arn
from concurrency_eval.emulators.lambda_service.limits import Confinement
from concurrency_eval.emulators.lambda_service.runtime_api import RuntimeApiServer

#: How often a waiting invocation checks that the process is still alive.
_POLL_S = 0.02
#: Lambda's error type for a runtime killed for going over its memory size.
_OUT_OF_MEMORY = "Runtime.OutOfMemory"
_READ_CHUNK = 1 << 16
_ids = itertools.count(1)


@dataclass(frozen=True)
class EnvironmentPlan:
    """How to start one environment: the command, and the variables Lambda sets."""

    command: list[str]
    environment: dict[str, str]
    log_file: Path | None = None
    #: Where the log stream goes besides its file, with the function's name: the
    #: terminal `serve` shows it on (`log_echo`).
    log_echo: Callable[[str, bytes], None] | None = None
    #: What the runtime may read but never write (code, layers, the runtime), where the
    #: host allows environments walls (`sandbox`); None runs it without.
    read_only: tuple[Path, ...] | None = None


@dataclass
class InitOutcome:
    init_ms: float
    cpu_ms: float
    #: Lambda's error document and type when the INIT phase failed.
    error: dict[str, object] | None = None
    error_type: str | None = None
    #: INIT outlived its limit: Lambda retries it at the first invocation.
    timed_out: bool = False


@dataclass
class Outcome:
    """What one invocation produced, as the platform saw it."""

    request_id: str
    #: Invoke's response payload: the handler's answer, or Lambda's error document.
    payload: bytes
    #: Invoke's X-Amz-Function-Error: "Unhandled" for any function error, else None.
    function_error: str | None
    #: The report's status: "success", "failure" (a function error), "error" (the
    #: runtime failed) or "timeout".
    status: str
    #: The report's error type, where the platform names one.
    error_type: str | None
    duration_ms: float
    cpu_ms: float
    max_memory_used_mb: int
    #: What the function wrote during the invocation (its log lines).
    output: bytes
    #: The environment cannot serve again (timeout, crash, out of memory).
    lost: bool = False
    #: The invocation began with a retried INIT, which its duration includes.
    retried_init: bool = False


@dataclass
class _Pending:
    request_id: str
    payload: bytes
    timeout_s: float
    function_arn: str
    handed_over: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)
    started: float = 0.0
    cpu_started: float = 0.0
    finished: float = 0.0
    cpu_finished: float = 0.0
    body: bytes = b""
    error_type: str | None = None

    def headers(self) -> dict[str, str]:
        deadline_ms = int((time.time() + self.timeout_s) * 1000)
        trace = (
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        )
        return {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": trace,
        }


class _ProcessSide:
    """What one runtime process's Runtime API calls: the environment, told which process
    (by its invocation queue) is calling."""

    def __init__(
        self, environment: "ExecutionEnvironment", waiting_on: "queue.Queue[_Pending | None]"
    ) -> None:
        self._environment, self._queue = environment, waiting_on

    def next_invocation(self) -> _Pending | None:
        return self._environment.next_invocation(self._queue)

    def invocation_result(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        return self._environment.invocation_result(request_id, body, error_type, self._queue)

    def init_error(self, body: bytes, error_type: str | None) -> None:
        self._environment.init_error(body, error_type, self._queue)


class ExecutionEnvironment:
    """A runtime process serving one function's invocations, one at a time."""

    def __init__(
        self,
        function_name: str,
        code: Code,
        target: Target,
        confinement: Confinement,
    ) -> None:
        self.id = next(_ids)
        self.function_name = function_name
        self.code = code
        #: The version this environment runs, with its configuration and generation.
        self.target = target
        self.configuration: Configuration = target.configuration
        self.confinement = confinement
        #: The current runtime process's invocations; a process that ended keeps its own.
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._api = self._runtime_api()
        self._current: _Pending | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._init_error: tuple[bytes, str | None] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._spawned = 0.0
        self._init_done = 0.0
        self._init_cpu = 0.0
        self._output = bytearray()
        self._output_lock = threading.Lock()
        self._log: IO[bytes] | None = None
        self._log_echo: Callable[[str, bytes], None] | None = None
        self._closed = False
        # Reentrant: a close that reaches close again in its own thread returns at once.
        self._close_lock = threading.RLock()
        #: When a retried INIT began: the first invocation's duration and timeout count from it.
        self._retried_init_at: float | None = None
        self.invocations = 0
        #: The environment's own /tmp, where it has walls.
        self._tmp: Path | None = None
        #: The runtime process's run-queue wait when it became the runtime (`_init_elapsed_s`).
        self._waited_before_s = 0.0

    def _runtime_api(self) -> RuntimeApiServer:
        """A Runtime API for the current runtime process, answering only this environment's
        processes (where its cgroups say which they are)."""
        return RuntimeApiServer(_ProcessSide(self, self._queue), self.confinement.processes)

    # -- the Runtime API side (called from its server's threads) ----------------
    # Each takes the queue of the runtime process that called: a process that has ended
    # (its INIT retried) may still have a request on its way, and it changes nothing.

    def next_invocation(self, waiting_on: "queue.Queue[_Pending | None]") -> _Pending | None:
        with self._lock:
            if waiting_on is not self._queue:
                return None
            if not self._ready.is_set():
                self._init_done = time.perf_counter()
                self._init_cpu = self.confinement.cpu_seconds()
                self.confinement.init_ended()
                self._ready.set()
        pending = waiting_on.get()
        if pending is not None:
            pending.cpu_started = self.confinement.cpu_seconds()
            pending.started = time.perf_counter()
            pending.handed_over.set()
        return pending

    def invocation_result(
        self, request_id: str, body: bytes, error_type: str | None, source: "queue.Queue[_Pending | None]"
    ) -> bool:
        finished = time.perf_counter()
        with self._lock:
            pending = self._current if source is self._queue else None
        if pending is None or pending.request_id != request_id or pending.answered.is_set():
            return False
        pending.finished, pending.cpu_finished = finished, self.confinement.cpu_seconds()
        pending.body, pending.error_type = body, error_type
        pending.answered.set()
        return True

    def init_error(self, body: bytes, error_type: str | None, source: "queue.Queue[_Pending | None]") -> None:
        with self._lock:
            if source is not self._queue:
                return
            self._init_error = (body, error_type)
            self._ready.set()

    # -- the service side ---------------------------------------------------------

    @property
    def address(self) -> str:
        return self._api.address

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, plan: EnvironmentPlan) -> None:
        """Start the runtime process, inside its confinement, talking to our Runtime API."""
        self._api.start()
        if plan.log_file is not None:
            plan.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = plan.log_file.open("ab")
        self._log_echo = plan.log_echo
        self._spawn(plan)

    def retry_init(self, plan: EnvironmentPlan) -> None:
        """INIT outlived its limit: end the process and start INIT again as part of the
        first invocation, at the memory's share of CPU and under the function's timeout."""
        self.kill()
        self._close_pipes()
        # The new process gets a queue and a Runtime API of its own: whatever the ended
        # one still asks (a `next` made just before its end) is answered from its old
        # queue, released at once, and never takes the new process's invocation.
        with self._lock:
            abandoned, self._queue = self._queue, queue.Queue()
            self._ready.clear()
            self._init_error = None
        abandoned.put(None)
        ended, self._api = self._api, self._runtime_api()
        self._api.start()
        ended.stop()
        self._retried_init_at = time.perf_counter()
        self._spawn(plan)
        self.confinement.init_ended()

    def _spawn(self, plan: EnvironmentPlan) -> None:
        environment = {**plan.environment, "AWS_LAMBDA_RUNTIME_API": self._api.address}
        command = plan.command
        if plan.read_only is not None:
            if self._tmp is None:
                self._tmp = sandbox.private_tmp(f"{self.function_name}-{self.id}")
            environment["TMPDIR"] = str(self._tmp)
            command = sandbox.walled(command, plan.read_only)
        self._spawned = time.perf_counter()
        self._waited_before_s = 0.0
        self._process = subprocess.Popen(
            self.confinement.command(command),
            # Never written: its end-of-file tells the runtime process the service is gone.
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=self.code.task_root,
            # Terminal signals (Ctrl-C) go to the tool; the service ends environments itself.
            start_new_session=True,
        )
        assert self._process.stdout is not None
        os.set_blocking(self._process.stdout.fileno(), False)
        self.confinement.started(self._process.pid)
        threading.Thread(
            target=self._pump_output, args=(self._process,), name=f"env-{self.id}-output", daemon=True
        ).start()
        if Path(f"/proc/{self._process.pid}/exe").exists():
            threading.Thread(
                target=self._watch_runtime_start,
                args=(self._process,),
                name=f"env-{self.id}-exec",
                daemon=True,
            ).start()

    def _watch_runtime_start(self, process: "subprocess.Popen[bytes]") -> None:
        """Lambda's Init Duration starts with the runtime, not with the sandbox made for it:
        the INIT is counted from the moment the process becomes the interpreter (the last
        exec after joining its cgroups and building its walls), found to the millisecond."""
        give_up = time.perf_counter() + 5.0
        executable = f"/proc/{process.pid}/exe"
        while process.poll() is None and time.perf_counter() < give_up:
            with contextlib.suppress(OSError):
                if Path(os.readlink(executable)).name.startswith("python"):
                    self._runtime_started(process)
                    return
            time.sleep(0.001)

    def _runtime_started(self, process: "subprocess.Popen[bytes]") -> None:
        """The INIT's start, unless the INIT has ended already: on a busy host this watch
        may run only after a quick INIT's end, and counting from then would make its
        duration negative. It then stays counted from the process's start, a few
        milliseconds early at worst."""
        with self._lock:
            if process is self._process and not self._ready.is_set():
                self._spawned = time.perf_counter()
                self._waited_before_s = self._run_queue_wait_s() or 0.0

    def wait_init(self, timeout_s: float) -> InitOutcome:
        """Wait for the INIT phase: the first `next`, an init error, a crash, or the limit,
        counted as Lambda would count it (`_init_elapsed_s`)."""
        while not self._ready.wait(_POLL_S):
            if self._exited() or self._init_elapsed_s() >= timeout_s:
                break
        if self._ready.is_set() and self._init_error is None:
            return InitOutcome((self._init_done - self._spawned) * 1000, self._init_cpu * 1000)
        elapsed_ms = (time.perf_counter() - self._spawned) * 1000
        cpu_ms = self.confinement.cpu_seconds() * 1000
        if self._init_error is not None:
            body, error_type = self._init_error
            document = _json_object(body)
            return InitOutcome(elapsed_ms, cpu_ms, document, error_type or str(document.get("errorType")))
        if self._exited():
            error_type, message = self._exit_error()
            return InitOutcome(
                elapsed_ms, cpu_ms, {"errorType": error_type, "errorMessage": message}, error_type
            )
        return InitOutcome(elapsed_ms, cpu_ms, timed_out=True)

    def invoke(self, request_id: str, payload: bytes, qualifier: str | None = None) -> Outcome:
        """Hand one event to the runtime and wait for its answer, or its end."""
        timeout_s = float(self.configuration.timeout_s)
        arn = function_arn(self.function_name) + (f":{qualifier}" if qualifier else "")
        pending = _Pending(request_id, payload, timeout_s, arn)
        # What the function wrote since the last invocation (its INIT logs, or a
        # background thread's) belongs to the stream, not to this invocation.
        self.write_log(self.take_output())
        with self._lock:
            self._current = pending
        self.invocations += 1
        self._queue.put(pending)
        try:
            return self._await(pending)
        finally:
            with self._lock:
                self._current = None

    def _await(self, pending: _Pending) -> Outcome:
        # The runtime is waiting in `next` already (INIT ended there), or is running a
        # retried INIT that counts against this invocation; a runtime that died in
        # between is caught by the same loop.
        began, self._retried_init_at = self._retried_init_at, None
        while not pending.handed_over.wait(_POLL_S):
            if self._exited():
                return self._lost(pending, time.perf_counter())
            if began is not None and self._init_error is not None:
                return self._failed_retried_init(pending, began)
            if began is not None and time.perf_counter() >= began + pending.timeout_s:
                pending.started, pending.cpu_started = began, 0.0
                return self._timed_out(pending)
        if began is not None:
            pending.started, pending.cpu_started = began, 0.0
        deadline = pending.started + pending.timeout_s
        while not pending.answered.wait(min(_POLL_S, max(0.0, deadline - time.perf_counter()))):
            if self._exited():
                return self._lost(pending, time.perf_counter())
            if time.perf_counter() >= deadline:
                return self._timed_out(pending)
        output = self.take_output()
        duration_ms = (pending.finished - pending.started) * 1000
        cpu_ms = (pending.cpu_finished - pending.cpu_started) * 1000
        memory = self._max_memory_used_mb()
        retried = began is not None
        if pending.error_type is None:
            return Outcome(
                pending.request_id, pending.body, None, "success", None, duration_ms, cpu_ms, memory, output,
                retried_init=retried,
            )  # fmt: skip
        document = _json_object(pending.body)
        error_type = str(document.get("errorType") or pending.error_type)
        return Outcome(
            pending.request_id, pending.body, "Unhandled", "error", error_type, duration_ms, cpu_ms, memory,
            output, retried_init=retried,
        )  # fmt: skip

    def _failed_retried_init(self, pending: _Pending, began: float) -> Outcome:
        """A retried INIT failed: the invocation answers with the init error."""
        assert self._init_error is not None
        body, error_type = self._init_error
        document = _json_object(body)
        kind = error_type or str(document.get("errorType"))
        duration_ms = (time.perf_counter() - began) * 1000
        cpu_ms = self.confinement.cpu_seconds() * 1000
        memory = self._max_memory_used_mb()
        self.kill()
        return Outcome(
            pending.request_id, json.dumps(document).encode(), "Unhandled", "error", kind, duration_ms,
            cpu_ms, memory, self.take_output(), lost=True, retried_init=True,
        )  # fmt: skip

    def _timed_out(self, pending: _Pending) -> Outcome:
        cpu_ms = (self.confinement.cpu_seconds() - pending.cpu_started) * 1000
        memory = self._max_memory_used_mb()
        self.kill()
        output = self.take_output()
        message = (
            f"RequestId: {pending.request_id} Error: Task timed out after {pending.timeout_s:.2f} seconds"
        )
        document = {"errorType": "Sandbox.Timedout", "errorMessage": message}
        return Outcome(
            pending.request_id, json.dumps(document).encode(), "Unhandled", "timeout", "Sandbox.Timedout",
            pending.timeout_s * 1000, cpu_ms, memory, output, lost=True,
        )  # fmt: skip

    def _lost(self, pending: _Pending, ended: float) -> Outcome:
        started = pending.started or ended
        error_type, message = self._exit_error()
        # Killed for going over its size, it reached the size on the way: Lambda's report
        # then gives the size as used (or a megabyte or two short), where the last reading
        # of a process that allocated fast may have been long before.
        memory = self.configuration.memory_mb if error_type == _OUT_OF_MEMORY else self._max_memory_used_mb()
        output = self.take_output()
        document = {
            "errorType": error_type,
            "errorMessage": f"RequestId: {pending.request_id} Error: {message}",
        }
        return Outcome(
            pending.request_id, json.dumps(document).encode(), "Unhandled", "error", error_type,
            (ended - started) * 1000, (self.confinement.cpu_seconds() - pending.cpu_started) * 1000,
            memory, output, lost=True,
        )  # fmt: skip

    def _exit_error(self) -> tuple[str, str]:
        """Lambda's error type and message for a runtime process that ended."""
        assert self._process is not None
        code = self._process.wait()
        how = f"signal: {_signal_name(-code)}" if code < 0 else f"exit status {code}"
        if self.confinement.out_of_memory():
            return _OUT_OF_MEMORY, f"Runtime exited with error: {how}"
        return "Runtime.ExitError", f"Runtime exited with error: {how}"

    def _init_elapsed_s(self) -> float:
        """The INIT phase's time so far as Lambda would count it: wall time less the time
        the runtime process waited for a CPU that other processes held (the kernel's
        run-queue wait, /proc/<pid>/schedstat). On Lambda every environment has its own
        vCPUs; here many INITs at once share the machine's cores, and a busy host must not
        fail an INIT that Lambda would run. Where the kernel does not say, wall time."""
        wall = time.perf_counter() - self._spawned
        waited_s = self._run_queue_wait_s()
        # Only what it waited since it became the runtime: the wall time starts there.
        return wall if waited_s is None else max(0.0, wall - (waited_s - self._waited_before_s))

    def _run_queue_wait_s(self) -> float | None:
        """How long the runtime process has waited for a CPU, in all; None where unknown."""
        if self._process is None:
            return None
        try:
            return int(Path(f"/proc/{self._process.pid}/schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return None

    def _max_memory_used_mb(self) -> int:
        # Lambda reports whole megabytes, rounded up: 40.2 MB used is "41 MB"; never more
        # than the memory size (a process over it is killed on the way there).
        peak = self.confinement.peak_rss_mb()
        return min(max(1, int(-(-peak // 1))), self.configuration.memory_mb)

    def _exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    # -- output ---------------------------------------------------------------------

    def _pump_output(self, process: "subprocess.Popen[bytes]") -> None:
        """Read the process's output as it comes, so a chatty function never blocks on a full pipe."""
        stream = process.stdout
        assert stream is not None
        while True:
            with contextlib.suppress(OSError, ValueError):
                select.select([stream], [], [], 0.05)
            if not self._drain(process) and process.poll() is not None:
                self._drain(process)
                return

    def _drain(self, process: "subprocess.Popen[bytes] | None" = None) -> bool:
        """Move what the pipe holds into the buffer; True if anything was there."""
        process = process or self._process
        if process is None or process.stdout is None or process.stdout.closed:
            return False
        got = False
        with self._output_lock:
            while True:
                try:
                    chunk = os.read(process.stdout.fileno(), _READ_CHUNK)
                except (BlockingIOError, InterruptedError):
                    break
                except (OSError, ValueError):
                    break
                if not chunk:
                    break
                got = True
                self._output.extend(chunk)
        return got

    def take_output(self) -> bytes:
        """Everything the process wrote since the last call.

        The runtime writes its logs before it posts an answer, so once the answer has
        arrived, draining the pipe gives the whole invocation's output, in order.
        """
        self._drain()
        with self._output_lock:
            output = bytes(self._output)
            self._output.clear()
        return output

    def write_log(self, data: bytes) -> None:
        """Append to this environment's log stream (the CloudWatch stream's stand-in): its
        file, and the terminal it is echoed to."""
        if self._log is not None:
            self._log.write(data)
            self._log.flush()
        if self._log_echo is not None and data:
            self._log_echo(self.function_name, data)

    # -- ending ---------------------------------------------------------------------

    def kill(self) -> None:
        """End the runtime process and every process the function started, as Lambda ends
        the whole sandbox: its descendants, its process group (the runtime leads a session
        of its own) and whatever is left in its cgroups."""
        process = self._process
        if process is None:
            return
        doomed: set[int] = set()
        if process.poll() is None:
            with contextlib.suppress(psutil.Error):
                doomed = {child.pid for child in psutil.Process(process.pid).children(recursive=True)}
            # The group outlives its leader only while a member lives; killed before the
            # leader is reaped, its number cannot belong to anyone else.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        for pid in doomed | self.confinement.processes():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        process.wait()

    def close(self) -> None:
        """End the processes and free everything; safe to call more than once and from
        several threads at once: each call returns once everything is freed."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
            self.kill()
            self._api.stop()
            self.confinement.close()
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
            self._close_pipes()
            if self._log is not None:
                self._log.close()

    def _close_pipes(self) -> None:
        if self._process is not None:
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()


def _json_object(body: bytes) -> dict[str, object]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {"errorMessage": body.decode("utf-8", "replace")}
    return document if isinstance(document, dict) else {"errorMessage": str(document)}


def _signal_name(number: int) -> str:
    """A signal as Lambda's runtime errors name it ("killed", "segmentation fault")."""
    description = signal.strsignal(number)
    return description.lower() if description else str(number)
