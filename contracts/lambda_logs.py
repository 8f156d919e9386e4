"""Lambda's invocation log, in both log formats: written by the local service, read by the sweep.

With `LoggingConfig.LogFormat` Text, the platform writes `START`, `END` and `REPORT`
lines around the function's own output (and, on a timeout, a "Task timed out" line);
with JSON it writes one JSON object per line, `platform.start` and `platform.report`
records in the Telemetry API's event schema (Lambda developer guide, "Configuring
JSON and plain text log formats" and "Lambda Telemetry API Event schema reference").
`Invoke` with `LogType=Tail` returns the last 4 KB of that log, base64-encoded.

Standard library only: the local service's process imports this too.
"""

import base64
import binascii
import datetime
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from contracts.lambda_limits import LOG_TAIL_BYTES

TEXT, JSON = "Text", "JSON"


class ReportError(ValueError):
    """The log holds no readable report of the invocation."""


@dataclass(frozen=True)
class Report:
    """The platform's own measurement of one invocation."""

    request_id: str | None
    duration_ms: float
    billed_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    #: Present on a cold start only.
    init_ms: float | None
    #: "success"; "failure" (the function reported an error), "error" (the runtime
    #: failed, as when killed for memory) or "timeout".
    status: str = "success"
    error_type: str | None = None


def billed_duration_ms(duration_ms: float, init_ms: float | None) -> int:
    """Billed Duration: the duration rounded up to the next millisecond, the INIT phase
    included on a cold start.

    Lambda bills in 1 ms increments ("AWS Lambda changes duration billing granularity
    from 100ms to 1ms", 2020-12-01), and from 2025-08-01 bills the INIT phase of
    on-demand functions with managed runtimes as part of the first invocation ("AWS
    Lambda standardizes billing for INIT phase", 2025-04-29).
    """
    return math.ceil(duration_ms + (init_ms or 0.0) - 1e-9)


# -- writing ----------------------------------------------------------------------


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def start_lines(log_format: str, moment: datetime.datetime, request_id: str) -> list[str]:
    """What the platform writes when an invocation starts."""
    if log_format == JSON:
        record = {"requestId": request_id, "version": "$LATEST"}
        return [_json_line(moment, "platform.start", record)]
    return [f"START RequestId: {request_id} Version: $LATEST"]


def end_lines(log_format: str, moment: datetime.datetime, report: Report) -> list[str]:
    """What the platform writes when an invocation ends: a timeout notice if it timed
    out, then `END` and `REPORT` (Text) or the `platform.report` record (JSON)."""
    request_id = report.request_id or ""
    if log_format == JSON:
        metrics: dict[str, Any] = {
            "durationMs": round(report.duration_ms, 3),
            "billedDurationMs": int(report.billed_ms),
            "memorySizeMB": report.memory_size_mb,
            "maxMemoryUsedMB": report.max_memory_used_mb,
        }
        if report.init_ms is not None:
            metrics["initDurationMs"] = round(report.init_ms, 3)
        record: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": report.status}
        if report.error_type is not None:
            record["errorType"] = report.error_type
        return [_json_line(moment, "platform.report", record)]
    lines = []
    if report.status == "timeout":
        lines.append(
            f"{_timestamp(moment)} {request_id} Task timed out after {report.duration_ms / 1000:.2f} seconds"
        )
    lines.append(f"END RequestId: {request_id}")
    lines.append(report_line(report))
    return lines


def init_report_lines(log_format: str, moment: datetime.datetime, duration_ms: float) -> list[str]:
    """What the platform writes when an on-demand INIT outlives its limit and is retried at
    the first invocation: `INIT_REPORT ... Phase: init Status: timeout` (Text) or the
    `platform.initReport` record (JSON), per the Telemetry API's event schema."""
    if log_format == JSON:
        record = {
            "initializationType": "on-demand",
            "phase": "init",
            "status": "timeout",
            "metrics": {"durationMs": round(duration_ms, 3)},
        }
        return [_json_line(moment, "platform.initReport", record)]
    return [f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: init\tStatus: timeout"]


def report_line(report: Report) -> str:
    """The Text format's REPORT line, fields separated (and ended) by tabs."""
    fields = [
        f"REPORT RequestId: {report.request_id or ''}",
        f"Duration: {report.duration_ms:.2f} ms",
        f"Billed Duration: {int(report.billed_ms)} ms",
        f"Memory Size: {report.memory_size_mb} MB",
        f"Max Memory Used: {report.max_memory_used_mb} MB",
    ]
    if report.init_ms is not None:
        fields.append(f"Init Duration: {report.init_ms:.2f} ms")
    # A function's own error ("failure") leaves the line as it is; the platform names
    # only what it saw go wrong itself: a timeout, or a runtime that died.
    if report.status not in ("success", "failure"):
        fields.append(f"Status: {report.status}")
        if report.error_type is not None:
            fields.append(f"Error Type: {report.error_type}")
    return "\t".join(fields) + "\t"


def _json_line(moment: datetime.datetime, kind: str, record: dict[str, Any]) -> str:
    return json.dumps({"time": _timestamp(moment), "type": kind, "record": record}, separators=(",", ":"))


def tail(log: bytes, limit: int = LOG_TAIL_BYTES) -> str:
    """Invoke's LogResult: the last `limit` bytes of the invocation's log, base64."""
    return base64.b64encode(log[-limit:]).decode()


# -- reading ----------------------------------------------------------------------

# Fields are separated by tabs in the log itself, by spaces where documentation shows
# it: either will do. "Duration" must not be read out of "Billed Duration" and the rest.
_TEXT_FIELDS = {
    "duration_ms": re.compile(r"(?<!Billed )(?<!Init )(?<!Restore )\bDuration: ([\d.]+) ms"),
    "billed_ms": re.compile(r"\bBilled Duration: ([\d.]+) ms"),
    "memory_size_mb": re.compile(r"\bMemory Size: (\d+) MB"),
    "max_memory_used_mb": re.compile(r"\bMax Memory Used: (\d+) MB"),
    "init_ms": re.compile(r"\bInit Duration: ([\d.]+) ms"),
}
_REQUEST_ID = re.compile(r"^REPORT RequestId: (\S+)")
_STATUS = re.compile(r"\bStatus: (\w+)")
_ERROR_TYPE = re.compile(r"\bError Type: ([\w.]+)")
_REPORT_LINE = re.compile(r"^REPORT RequestId:.*$", re.MULTILINE)
_OBJECT_START = re.compile(r"^\s*\{", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def parse_report(log: str) -> Report:
    """The last report in `log` (an invocation's tail), in either format.

    Raises ReportError when there is none, or when the one there is cut off or
    malformed: a figure that cannot be read is never taken as zero.
    """
    text = max(_REPORT_LINE.finditer(log), key=lambda m: m.start(), default=None)
    record = _last_json_report(log)
    if record is not None and (text is None or record[0] > text.start()):
        return _json_report(record[1])
    if text is not None:
        return _text_report(text.group(0))
    if '"platform.report"' in log:
        raise ReportError("the platform.report record is cut off or not valid JSON")
    raise ReportError("the log holds no REPORT line and no platform.report record")


def _last_json_report(log: str) -> tuple[int, dict[str, Any]] | None:
    """The last platform.report event in the log and where it starts. Lambda writes one
    object a line; documentation prints them indented over several: both are read."""
    decoder = json.JSONDecoder()
    found = None
    for start in _OBJECT_START.finditer(log):
        position = start.end() - 1
        chunk = log[position:]
        try:
            event, _ = decoder.raw_decode(chunk)
        except ValueError:
            try:
                event, _ = decoder.raw_decode(_TRAILING_COMMA.sub(r"\1", chunk))
            except ValueError:
                continue
        if isinstance(event, dict) and event.get("type") == "platform.report":
            found = (position, event)
    return found


def _text_report(line: str) -> Report:
    values: dict[str, str] = {}
    for name, pattern in _TEXT_FIELDS.items():
        match = pattern.search(line)
        if match:
            values[name] = match.group(1)
    required = ("duration_ms", "billed_ms", "memory_size_mb", "max_memory_used_mb")
    missing = [name for name in required if name not in values]
    if missing:
        raise ReportError(f"the REPORT line lacks {', '.join(missing)}: {line!r}")
    request_id, status, error = _REQUEST_ID.search(line), _STATUS.search(line), _ERROR_TYPE.search(line)
    return Report(
        request_id=request_id.group(1) if request_id else None,
        duration_ms=float(values["duration_ms"]),
        billed_ms=float(values["billed_ms"]),
        memory_size_mb=int(values["memory_size_mb"]),
        max_memory_used_mb=int(values["max_memory_used_mb"]),
        init_ms=float(values["init_ms"]) if "init_ms" in values else None,
        status=status.group(1) if status else "success",
        error_type=error.group(1) if error else None,
    )


def _json_report(event: dict[str, Any]) -> Report:
    try:
        record = event["record"]
        metrics = record["metrics"]
        init = metrics.get("initDurationMs")
        return Report(
            request_id=record.get("requestId"),
            duration_ms=_number(metrics["durationMs"]),
            billed_ms=_number(metrics["billedDurationMs"]),
            memory_size_mb=int(_number(metrics["memorySizeMB"])),
            max_memory_used_mb=int(_number(metrics["maxMemoryUsedMB"])),
            init_ms=None if init is None else _number(init),
            status=str(record.get("status", "success")),
            error_type=record.get("errorType"),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ReportError(
            f"the platform.report record is unreadable ({type(error).__name__}: {error})"
        ) from None


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def decode_tail(log_result: str | None) -> str:
    """Invoke's LogResult decoded; a multi-byte character cut by the 4 KB limit is replaced."""
    if not log_result:
        return ""
    try:
        return base64.b64decode(log_result, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
