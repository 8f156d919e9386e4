"""Run a function the way Lambda does, in a Python 3.13 process of its own.

Only the bundle directories are on its path (code first, then the layers, as in
/var/task and /opt/python), it writes no bytecode, it gets Lambda's environment
variables and a context object with a deadline, and an invocation that outlives its
timeout kills the process, as Lambda kills the execution environment.
"""

import contextlib
import json
import os
import select
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from concurrency_eval.build import DEFAULT_PYTHON_VERSION, Bundle, find_python
from concurrency_eval.function_config import FUNCTION_ENVIRONMENT, HANDLER

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")


class FunctionFailed(RuntimeError):
    """The function process could not start, or died."""


@dataclass(frozen=True)
class InitRecord:
    init_ms: float
    cpu_ms: float
    peak_rss_kb: int


@dataclass(frozen=True)
class InvocationRecord:
    duration_ms: float
    cpu_ms: float
    peak_rss_kb: int
    response: dict[str, Any] | None
    #: An unhandled error or a timeout, shaped as Lambda reports it.
    error: dict[str, Any] | None


def lambda_environment(
    model: str, code: Path, endpoint: str, memory_mb: int, region: str = "us-east-1"
) -> dict[str, str]:
    name = f"concurrency-eval-local-{model}"
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": str(code),
        "_HANDLER": HANDLER,
        # The embedded S3 accepts any credentials; these keep the SDK off real ones.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_S3": endpoint,
        **FUNCTION_ENVIRONMENT,
    }


class FunctionProcess:
    def __init__(
        self,
        model: str,
        bundles: dict[str, Bundle],
        environment: dict[str, str],
        log_path: Path,
        timeout_s: float,
        python_version: str = DEFAULT_PYTHON_VERSION,
    ) -> None:
        self.model = model
        self._paths = [
            bundles[model].path,
            bundles["framework"].path / "python",
            bundles["pypi"].path / "python",
        ]
        self._environment = environment
        self._log_path = log_path
        self._timeout_s = timeout_s
        self._python = find_python(python_version)
        self._process: subprocess.Popen[bytes] | None = None
        self._results_fd: int | None = None
        self._buffer = b""

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> InitRecord:
        """Spawn the process and wait for its init phase (the handler import)."""
        self.stop()
        read_fd, write_fd = os.pipe()
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(self._python), "-I", "-S", "-B", str(BOOTSTRAP), str(write_fd), *map(str, self._paths)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._environment,
                cwd=self._paths[0],
                pass_fds=(write_fd,),
            )
        os.close(write_fd)
        self._results_fd, self._buffer = read_fd, b""
        message = self._receive(self._timeout_s)
        if message.get("type") != "init":
            error = message.get("error", {})
            self.stop()
            raise FunctionFailed(
                f"{self.model} failed to initialise: {error.get('errorType')}: {error.get('errorMessage')}"
            )
        return InitRecord(
            init_ms=message["init_ms"],
            cpu_ms=message["cpu_ms"],
            peak_rss_kb=message["peak_rss_kb"],
        )

    def invoke(self, event: dict[str, Any]) -> InvocationRecord:
        """One invocation; a timeout kills the process (the next start is cold)."""
        assert self._process is not None, "start() first"
        assert self._process.stdin is not None
        request = {"event": event, "request_id": str(uuid.uuid4()), "timeout_ms": int(self._timeout_s * 1000)}
        started = time.perf_counter()
        try:
            self._process.stdin.write((json.dumps(request) + "\n").encode())
            self._process.stdin.flush()
            message = self._receive(self._timeout_s + 1)
        except (TimeoutError, BrokenPipeError, FunctionFailed) as failure:
            self.stop()
            kind = "Task timed out" if isinstance(failure, TimeoutError) else "Runtime exited"
            return InvocationRecord(
                duration_ms=(time.perf_counter() - started) * 1000,
                cpu_ms=0.0,
                peak_rss_kb=0,
                response=None,
                error={"errorType": "Sandbox.Timedout" if kind == "Task timed out" else "Runtime.ExitError",
                       "errorMessage": f"{kind} after {time.perf_counter() - started:.2f} seconds"},
            )  # fmt: skip
        return InvocationRecord(
            duration_ms=message["duration_ms"],
            cpu_ms=message["cpu_ms"],
            peak_rss_kb=message["peak_rss_kb"],
            response=message["response"],
            error=message["error"],
        )

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        assert self._results_fd is not None
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.model} did not answer within {timeout_s:.0f} s")
            ready, _, _ = select.select([self._results_fd], [], [], remaining)
            if ready:
                chunk = os.read(self._results_fd, 1 << 16)
                if not chunk:
                    raise FunctionFailed(f"the {self.model} process exited; see {self._log_path}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def stop(self) -> None:
        process, self._process = self._process, None
        if self._results_fd is not None:
            os.close(self._results_fd)
            self._results_fd = None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()  # the bootstrap exits when its input closes
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> "FunctionProcess":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
