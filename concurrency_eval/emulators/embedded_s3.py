"""An S3 on loopback: moto's server, instrumented and able to misbehave on purpose.

Runs in a process of its own (`python -m concurrency_eval.emulators.embedded_s3`) so that its
CPU time, memory and global state stay apart from the functions under test. Around
moto's WSGI app it adds what an evaluation needs and moto lacks:

- latency per request, as real S3 answers in tens of milliseconds, not microseconds;
- faults: a share of requests answered 503 SlowDown or 500 InternalError, slow
  answers, errors pinned to given keys, objects deleted right after being listed;
- counters: requests by operation, requests in flight and their peak, CPU seconds.

It is driven over HTTP under `/_embedded_s3/` (no bucket name can start with `_`), and
`EmbeddedS3` is the client side that starts, drives and stops it.
"""

import argparse
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import Any, Literal, Self, get_args
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from concurrency_eval.emulators.child_process import stop_child

CONTROL_PREFIX = "/_embedded_s3/"
Operation = Literal["list", "get", "head", "put", "delete", "other"]
OPERATIONS: tuple[str, ...] = (*get_args(Operation), "any")


@dataclass(frozen=True)
class FaultRule:
    """Answer matching requests with an S3 error, or slowly, at a given rate.

    With `status` set, a matching request gets that status and S3 error `code`; with
    only `delay_ms`, it is answered normally after that extra delay.
    """

    operation: str = "get"
    key: str | None = None
    rate: float = 1.0
    status: int | None = None
    code: str = "InternalError"
    delay_ms: float = 0.0
    #: How many times the rule fires at most; None for no limit.
    times: int | None = None

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.status is None and self.delay_ms <= 0:
            raise ValueError("a rule needs a status, a delay_ms, or both")


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rules: tuple[FaultRule, ...] = ()
    #: Keys deleted as soon as a listing that includes them has been answered.
    delete_after_list: tuple[str, ...] = ()
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Faults":
        rules = tuple(FaultRule(**rule) for rule in data.get("rules", ()))
        return cls(
            latency_ms=float(data.get("latency_ms", 0.0)),
            jitter_ms=float(data.get("jitter_ms", 0.0)),
            rules=rules,
            delete_after_list=tuple(data.get("delete_after_list", ())),
            seed=int(data.get("seed", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Stats:
    requests: Counter[str] = field(default_factory=Counter)
    faults_injected: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0


class InstrumentedS3:
    """WSGI middleware around moto's app: latency, faults, counters, control API."""

    def __init__(self, app: WSGIApplication, faults: Faults | None = None) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._fired: Counter[int] = Counter()
        self.faults = faults or Faults()
        self._random = random.Random(self.faults.seed)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(path[len(CONTROL_PREFIX) :], environ, start_response)
        operation, bucket, key = classify(environ)
        # The answer is complete before it leaves the in-flight count and only then is
        # sent: a client cannot have the next request in flight until it has this one,
        # so the peak counted here is never above the client's own.
        self._enter(operation)
        try:
            return self._serve(environ, start_response, operation, bucket, key)
        finally:
            self._leave()

    def _serve(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        operation: Operation,
        bucket: str,
        key: str,
    ) -> Iterable[bytes]:
        delay_ms, rule = self._draw(operation, key)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)
        if rule is not None and rule.status is not None:
            return _error_response(start_response, rule.status, rule.code, key or bucket)
        body = _read_all(self._app(environ, start_response))
        if operation == "list" and self.faults.delete_after_list:
            self._delete(environ, bucket, self.faults.delete_after_list)
        return body

    def _draw(self, operation: Operation, key: str) -> tuple[float, FaultRule | None]:
        """The delay and the rule (if any) that apply to this request."""
        faults = self.faults
        with self._lock:
            delay = faults.latency_ms + (self._random.random() * faults.jitter_ms if faults.jitter_ms else 0)
            for index, rule in enumerate(faults.rules):
                if rule.operation not in (operation, "any") or (rule.key is not None and rule.key != key):
                    continue
                if rule.times is not None and self._fired[index] >= rule.times:
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                self._fired[index] += 1
                self._stats.faults_injected += 1
                return delay + rule.delay_ms, rule
        return delay, None

    def _delete(self, environ: WSGIEnvironment, bucket: str, keys: Iterable[str]) -> None:
        for key in keys:
            raw_path = "/" + urllib.parse.quote(f"{bucket}/{key}")
            request = dict(environ)
            request.update(
                REQUEST_METHOD="DELETE",
                PATH_INFO=f"/{bucket}/{key}".encode().decode("latin-1"),
                RAW_URI=raw_path,
                REQUEST_URI=raw_path,
                QUERY_STRING="",
                CONTENT_LENGTH="0",
            )
            request["wsgi.input"] = io.BytesIO(b"")
            _read_all(self._app(request, lambda status, headers, exc_info=None: lambda data: None))

    def _enter(self, operation: str) -> None:
        with self._lock:
            stats = self._stats
            stats.requests[operation] += 1
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._stats.in_flight -= 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            stats = self._stats
            return {
                "requests": dict(stats.requests),
                "faults_injected": stats.faults_injected,
                "in_flight": stats.in_flight,
                "peak_in_flight": stats.peak_in_flight,
                "cpu_seconds": time.process_time(),
                "faults": self.faults.to_dict(),
            }

    def reset(self) -> None:
        with self._lock:
            self._stats = _Stats(in_flight=self._stats.in_flight)
            self._fired.clear()

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)
            self._fired.clear()

    def _control(
        self, action: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if action == "stats" and method == "GET":
                return _json_response(start_response, 200, self.stats())
            if action == "reset" and method == "POST":
                self.reset()
                return _json_response(start_response, 200, self.stats())
            if action == "faults" and method == "PUT":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                self.set_faults(Faults.from_dict(json.loads(environ["wsgi.input"].read(length))))
                return _json_response(start_response, 200, self.faults.to_dict())
        except (ValueError, TypeError) as error:
            return _json_response(start_response, 400, {"error": str(error)})
        return _json_response(start_response, 404, {"error": f"no control action {method} {action}"})


def _read_all(response: Iterable[bytes]) -> list[bytes]:
    try:
        return [b"".join(response)]
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()


def classify(environ: WSGIEnvironment) -> tuple[Operation, str, str]:
    """The S3 operation, bucket and key of a path-style request."""
    method = environ.get("REQUEST_METHOD", "GET")
    # WSGI hands PATH_INFO over as latin-1 text of the raw, percent-decoded bytes.
    path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
    bucket, _, key = path.lstrip("/").partition("/")
    query = environ.get("QUERY_STRING", "")
    operation: Operation = "other"
    if method == "GET":
        operation = "get" if key else ("list" if "uploads" not in query else "other")
    elif method == "HEAD":
        operation = "head"
    elif method == "PUT" and key:
        operation = "put"
    elif method == "DELETE":
        operation = "delete"
    return operation, bucket, key


def _error_response(start_response: StartResponse, status: int, code: str, resource: str) -> list[bytes]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>Injected by the embedded S3</Message>"
        f"<Resource>{_xml_escape(resource)}</Resource><RequestId>embedded</RequestId></Error>"
    ).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
    )
    return [body]


_REASONS = {403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Slow Down"}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_response(start_response: StartResponse, status: int, data: object) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(f"{status} {'OK' if status == 200 else 'Error'}", [("Content-Type", "application/json")])
    return [body]


def serve(host: str, port: int, faults: Faults, exit_with_stdin: bool) -> None:
    """Serve until SIGTERM or SIGINT, or until standard input closes (the parent is gone)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class QuietRequestHandler(MotoRequestHandler):
        # One log line per request would cost the server more CPU than the request.
        def log_request(self, *args: object, **kwargs: object) -> None:
            pass

    app = InstrumentedS3(DomainDispatcherApplication(create_backend_app), faults)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    stop = threading.Event()

    def shutdown(*_: object) -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    if exit_with_stdin:

        def shutdown_when_stdin_closes() -> None:
            sys.stdin.read()
            shutdown()

        threading.Thread(target=shutdown_when_stdin_closes, daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    print(json.dumps({"endpoint": f"http://{bound_host!s}:{bound_port}", "pid": os.getpid()}), flush=True)
    server.serve_forever()


class EmbeddedS3:
    """Start the embedded S3 in a child process; stop it, whatever happens, on exit."""

    def __init__(self, faults: Faults | None = None, start_timeout: float = 30.0) -> None:
        self._faults = faults or Faults()
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self.endpoint = ""

    def start(self) -> Self:
        command = [
            sys.executable, "-m", "concurrency_eval.emulators.embedded_s3",
            "--port", "0", "--exit-with-stdin",
            "--faults", json.dumps(self._faults.to_dict()),
        ]  # fmt: skip
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready: dict[str, str] = {}
        reader = threading.Thread(target=lambda: ready.update(self._read_ready()), daemon=True)
        reader.start()
        reader.join(self._start_timeout)
        if "endpoint" not in ready:
            self.stop()
            raise RuntimeError(
                f"the embedded S3 did not start within {self._start_timeout:.0f} s; "
                "run `python -m concurrency_eval.emulators.embedded_s3` to see why"
            )
        self.endpoint = ready["endpoint"]
        return self

    @property
    def pid(self) -> int | None:
        """The server process, for tests that stop and continue it."""
        return None if self._process is None else self._process.pid

    def _read_ready(self) -> dict[str, str]:
        assert self._process is not None
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        return json.loads(line) if line.strip() else {}

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_child(process, grace_s=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._call("POST", "reset")

    def set_faults(self, faults: Faults) -> None:
        self._call("PUT", "faults", faults.to_dict())

    def _call(self, method: str, action: str, body: object = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint}{CONTROL_PREFIX}{action}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m concurrency_eval.emulators.embedded_s3",
        description="Serve an instrumented moto S3 on loopback until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--faults", default="{}", help="fault plan as JSON (see Faults)")
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args(argv)
    try:
        faults = Faults.from_dict(json.loads(args.faults))
    except (ValueError, TypeError) as error:
        parser.error(f"--faults: {error}")
    serve(args.host, args.port, faults, args.exit_with_stdin)


if __name__ == "__main__":
    main()
