"""What the embedded S3 adds around moto: each request classified, its latency and fault
drawn, counters kept, and the control API under `/_embedded_s3/` (no bucket name can
start with `_`). It knows nothing of HTTP: the server asks it, then answers."""

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from concurrency_eval.emulators.embedded_s3.faults import FaultRule, Faults, Operation

CONTROL_PREFIX = "/_embedded_s3/"


@dataclass
class _Stats:
    requests: Counter[str] = field(default_factory=Counter)
    faults_injected: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    fast_path: int = 0


@dataclass(frozen=True)
class Draw:
    """What happens to one request: its delay, and the fault rule that fires, if any."""

    delay_s: float
    rule: FaultRule | None

    @property
    def error(self) -> tuple[int, str] | None:
        """The status and S3 error code to answer with instead of the real answer."""
        if self.rule is None or self.rule.status is None:
            return None
        return self.rule.status, self.rule.code


_AT_ONCE = Draw(0.0, None)


class Instrument:
    """Latency, faults and counters for every request; the control actions."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._fired: Counter[int] = Counter()
        self.set_faults(faults or Faults())

    def draw(self, operation: Operation, key: str) -> Draw:
        """The wait before the answer and the rule (if any) that apply to this request."""
        faults = self.faults
        if self._quiet:
            return _AT_ONCE
        with self._lock:
            delay_ms = faults.first_byte_ms(self._random)
            for index, rule in enumerate(faults.rules):
                if rule.operation not in (operation, "any") or (rule.key is not None and rule.key != key):
                    continue
                if rule.times is not None and self._fired[index] >= rule.times:
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                self._fired[index] += 1
                self._stats.faults_injected += 1
                return Draw((delay_ms + rule.delay_ms) / 1000, rule)
        return Draw(delay_ms / 1000, None)

    def transfer_s(self, body_bytes: int) -> float:
        """How long the answer's body takes to reach the client on its connection."""
        return self.faults.latency.transfer_ms(body_bytes) / 1000

    def served_fast(self) -> None:
        with self._lock:
            self._stats.fast_path += 1

    def enter(self, operation: str) -> None:
        with self._lock:
            stats = self._stats
            stats.requests[operation] += 1
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)

    def leave(self) -> None:
        with self._lock:
            self._stats.in_flight -= 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            stats = self._stats
            return {
                "requests": dict(stats.requests),
                "fast_path": stats.fast_path,
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
            #: Nothing to draw: every request is answered at once, as it is.
            self._quiet = not faults.rules and not faults.waits

    def control(self, action: str, method: str, body: bytes) -> tuple[int, object]:
        """A control action's status and JSON answer."""
        try:
            if action == "stats" and method == "GET":
                return 200, self.stats()
            if action == "reset" and method == "POST":
                self.reset()
                return 200, self.stats()
            if action == "faults" and method == "PUT":
                self.set_faults(Faults.from_dict(json.loads(body)))
                return 200, self.faults.to_dict()
        except (ValueError, TypeError, AttributeError) as error:
            return 400, {"error": str(error)}
        return 404, {"error": f"no control action {method} {action}"}


def classify(method: str, path: str, query: str) -> tuple[Operation, str, str]:
    """The S3 operation, bucket and key of a path-style request (`path` percent-decoded)."""
    bucket, _, key = path.lstrip("/").partition("/")
    operation: Operation = "other"
    if method == "GET":
        listing = not any(
            parameter.partition("=")[0] in ("uploads", "session") for parameter in query.split("&")
        )
        operation = "get" if key else ("list" if listing else "other")
    elif method == "HEAD":
        operation = "head"
    elif method == "PUT" and key:
        operation = "put"
    elif method == "DELETE":
        operation = "delete"
    return operation, bucket, key


def error_body(code: str, resource: str) -> bytes:
    """S3's XML error document, for an error the embedded S3 injects."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>Injected by the embedded S3</Message>"
        f"<Resource>{_xml_escape(resource)}</Resource><RequestId>embedded</RequestId></Error>"
    ).encode()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
