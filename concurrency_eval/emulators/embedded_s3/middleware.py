"""The WSGI middleware around moto's S3 app: latency, faults, counters, and the
control API under `/_embedded_s3/` (no bucket name can start with `_`)."""

import io
import json
import random
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from concurrency_eval.emulators.embedded_s3.faults import FaultRule, Faults, Operation

CONTROL_PREFIX = "/_embedded_s3/"


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
