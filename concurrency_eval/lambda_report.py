"""Lambda's REPORT log line: the platform's own measurement of an invocation."""

import base64
import re
from dataclasses import dataclass

_FIELDS = {
    "duration_ms": r"(?<!Billed )(?<!Init )Duration: ([\d.]+) ms",
    "billed_ms": r"Billed Duration: ([\d.]+) ms",
    "memory_size_mb": r"Memory Size: (\d+) MB",
    "max_memory_used_mb": r"Max Memory Used: (\d+) MB",
    "init_ms": r"Init Duration: ([\d.]+) ms",
}
_STATUS = re.compile(r"Status: (\w+)")
_ERROR_TYPE = re.compile(r"Error Type: ([\w.]+)")


@dataclass(frozen=True)
class Report:
    duration_ms: float
    billed_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    #: Present on a cold start only.
    init_ms: float | None
    #: "success" unless the platform says otherwise ("timeout", "error").
    status: str
    error_type: str | None = None


def parse_report(log: str) -> Report | None:
    """The last REPORT line in `log` (the invocation's tail), or None if there is none."""
    lines = [line for line in log.splitlines() if line.startswith("REPORT ")]
    if not lines:
        return None
    line = lines[-1]
    values: dict[str, str] = {}
    for name, pattern in _FIELDS.items():
        match = re.search(pattern, line)
        if match:
            values[name] = match.group(1)
    if "duration_ms" not in values or "billed_ms" not in values:
        return None
    status = _STATUS.search(line)
    error = _ERROR_TYPE.search(line)
    return Report(
        duration_ms=float(values["duration_ms"]),
        billed_ms=float(values["billed_ms"]),
        memory_size_mb=int(values.get("memory_size_mb", 0)),
        max_memory_used_mb=int(values.get("max_memory_used_mb", 0)),
        init_ms=float(values["init_ms"]) if "init_ms" in values else None,
        status=status.group(1) if status else "success",
        error_type=error.group(1) if error else None,
    )


def decode_tail(log_result: str | None) -> str:
    """Invoke's LogResult: the base64 of the invocation's last 4 KB of log."""
    if not log_result:
        return ""
    return base64.b64decode(log_result).decode("utf-8", "replace")
