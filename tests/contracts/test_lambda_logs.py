"""Lambda's invocation log, both formats: read as AWS documents it, written as Lambda writes it."""

import base64
import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.lambda_logs import (
    JSON,
    TEXT,
    Report,
    ReportError,
    billed_duration_ms,
    decode_tail,
    end_lines,
    init_report_lines,
    parse_report,
    report_line,
    start_lines,
    tail,
)

GUIDE_ID = "1c8df7d3-xmpl-46da-9778-518e6eca8125"
TELEMETRY_ID = "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa"
JSON_ID = "b6f10e8b-0d7c-4d5c-ad67-0b4e6b7a2a6f"
MOMENT = datetime.datetime(2026, 11, 23, 10, 15, 30, 123000, tzinfo=datetime.UTC)

# https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html (an invocation's log,
# fields separated by tabs in the log itself, shown with spaces in the guide).
PYTHON_GUIDE_TEXT = (
    "START RequestId: 1c8df7d3-xmpl-46da-9778-518e6eca8125 Version: $LATEST\n"
    "## ENVIRONMENT VARIABLES\n"
    "/aws/lambda/my-function\n"
    "END RequestId: 1c8df7d3-xmpl-46da-9778-518e6eca8125\n"
    "REPORT RequestId: 1c8df7d3-xmpl-46da-9778-518e6eca8125\tDuration: 2.75 ms\tBilled Duration: 3 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 113.51 ms\t\n"
    "XRAY TraceId: 1-5e34a614-10bdxmplf1fb44f07bc535a1\tSegmentId: 07f5xmpl2d1f6f85\tSampled: true\n"
)
# The same line as the guide prints it, with spaces.
PYTHON_GUIDE_SPACES = (
    "REPORT RequestId: 1c8df7d3-xmpl-46da-9778-518e6eca8125  Duration: 2.75 ms   Billed Duration: 3 ms "
    "Memory Size: 128 MB Max Memory Used: 56 MB  Init Duration: 113.51 ms\n"
)
# https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html, the
# platform.report example verbatim (indented, no status, and a trailing comma).
TELEMETRY_GUIDE_REPORT = """{
    "time": "2022-10-12T00:01:15.000Z",
    "type": "platform.report",
    "record": {
        "metrics": {
            "billedDurationMs": 694,
            "durationMs": 693.92,
            "initDurationMs": 397.68,
            "maxMemoryUsedMB": 84,
            "memorySizeMB": 128
        },
        "requestId": "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa",
    }
}"""
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
# (JSON log format: the platform's records one a line, the function's own between).
JSON_TAIL = "\n".join(
    [
        '{"time":"2023-11-01T00:21:51.358Z","type":"platform.start","record":{'
        '"requestId":"b6f10e8b-0d7c-4d5c-ad67-0b4e6b7a2a6f","version":"$LATEST"}}',
        '{"timestamp":"2023-11-01T00:21:51.359Z","level":"INFO","message":"processed",'
        '"logger":"root","requestId":"b6f10e8b-0d7c-4d5c-ad67-0b4e6b7a2a6f"}',
        '{"time":"2023-11-01T00:21:51.362Z","type":"platform.report","record":{'
        '"requestId":"b6f10e8b-0d7c-4d5c-ad67-0b4e6b7a2a6f","metrics":{"durationMs":2.72,'
        '"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":217.72},'
        '"status":"success"}}',
    ]
)
TIMEOUT_TEXT = (
    "START RequestId: 5b6f-example Version: $LATEST\n"
    "2026-11-23T10:15:33.123Z 5b6f-example Task timed out after 3.00 seconds\n"
    "END RequestId: 5b6f-example\n"
    "REPORT RequestId: 5b6f-example\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 41 MB\tStatus: timeout\n"
)
OUT_OF_MEMORY_TEXT = (
    "REPORT RequestId: 0a7b-example\tDuration: 812.55 ms\tBilled Duration: 813 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\n"
)
SNAPSTART_TEXT = (
    "REPORT RequestId: 9f1c-example\tDuration: 21.25 ms\tBilled Duration: 151 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 98 MB\tRestore Duration: 302.51 ms\tBilled Restore Duration: 129 ms\t\n"
)


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (PYTHON_GUIDE_TEXT, (GUIDE_ID, 2.75, 3, 128, 56, 113.51, "success", None)),
        (PYTHON_GUIDE_SPACES, (GUIDE_ID, 2.75, 3, 128, 56, 113.51, "success", None)),
        (TELEMETRY_GUIDE_REPORT, (TELEMETRY_ID, 693.92, 694, 128, 84, 397.68, "success", None)),
        (JSON_TAIL, (JSON_ID, 2.72, 3, 128, 68, 217.72, "success", None)),
        (TIMEOUT_TEXT, ("5b6f-example", 3000.0, 3000, 128, 41, None, "timeout", None)),
        (OUT_OF_MEMORY_TEXT, ("0a7b-example", 812.55, 813, 128, 128, None, "error", "Runtime.OutOfMemory")),
        (SNAPSTART_TEXT, ("9f1c-example", 21.25, 151, 512, 98, None, "success", None)),
    ],
    ids=["python-guide", "spaces", "telemetry-guide", "json-tail", "timeout", "out-of-memory", "snapstart"],
)  # fmt: skip
def test_documented_reports_are_read(log: str, expected: tuple[object, ...]) -> None:
    report = parse_report(log)
    assert (
        report.request_id, report.duration_ms, report.billed_ms, report.memory_size_mb,
        report.max_memory_used_mb, report.init_ms, report.status, report.error_type,
    ) == expected  # fmt: skip


def test_a_json_timeout_and_error_carry_status_and_error_type() -> None:
    record = {
        "time": "2026-11-23T10:15:33.123Z",
        "type": "platform.report",
        "record": {
            "requestId": "r1",
            "metrics": {
                "durationMs": 3000.0,
                "billedDurationMs": 3000,
                "memorySizeMB": 128,
                "maxMemoryUsedMB": 40,
            },
            "status": "timeout",
            "errorType": "Sandbox.Timedout",
        },
    }
    report = parse_report(json.dumps(record))
    assert (report.status, report.error_type, report.init_ms) == ("timeout", "Sandbox.Timedout", None)


@pytest.mark.parametrize(
    ("log", "message"),
    [
        ("START RequestId: x Version: $LATEST\nsome output\n", "no REPORT line"),
        ("", "no REPORT line"),
        ("REPORT RequestId: x\tDuration: 2.0 ms\tMemory Size: 128 MB\t", "lacks billed_ms"),
        (JSON_TAIL[: JSON_TAIL.rindex('"billedDurationMs"')], "cut off"),
        ('{"type":"platform.report","record":{"metrics":{"durationMs":"fast"}}}', "unreadable"),
        ('{"type":"platform.report","record":{"metrics":{"durationMs":NaN,"billedDurationMs":1,'
         '"memorySizeMB":128,"maxMemoryUsedMB":1}}}', "unreadable"),
    ],
)  # fmt: skip
def test_a_missing_or_unreadable_report_is_an_error_never_zero(log: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        parse_report(log)


def test_the_last_report_of_the_tail_counts() -> None:
    # A tail can hold the end of an earlier invocation; the last report is this one's
    earlier = report_line(Report("old", 1.0, 1, 128, 10, None))
    assert parse_report(earlier + "\n" + JSON_TAIL).request_id == "b6f10e8b-0d7c-4d5c-ad67-0b4e6b7a2a6f"
    assert parse_report(JSON_TAIL + "\n" + earlier).request_id == "old"


def test_the_written_report_line_is_lambdas() -> None:
    report = Report("1c8df7d3-xmpl-46da-9778-518e6eca8125", 2.75, 3, 128, 56, 113.51)
    assert report_line(report) + "\n" in PYTHON_GUIDE_TEXT
    assert start_lines(TEXT, MOMENT, report.request_id or "") == [PYTHON_GUIDE_TEXT.splitlines()[0]]


def test_a_written_timeout_has_the_notice_and_the_status() -> None:
    report = Report("5b6f-example", 3000.0, 3000, 128, 41, None, "timeout", "Sandbox.Timedout")
    lines = end_lines(TEXT, datetime.datetime(2026, 11, 23, 10, 15, 33, 123000, tzinfo=datetime.UTC), report)
    assert "\n".join(lines) + "\n" == TIMEOUT_TEXT.split("\n", 1)[1].replace("Status: timeout\n", "") + (
        "Status: timeout\tError Type: Sandbox.Timedout\t\n"
    )


def test_a_function_error_leaves_the_text_report_plain_and_the_json_one_marked() -> None:
    report = Report("r", 5.0, 5, 128, 40, None, "failure", "ValueError")
    assert "Status" not in report_line(report)
    (line,) = end_lines(JSON, MOMENT, report)
    assert json.loads(line)["record"]["status"] == "failure"
    assert json.loads(line)["record"]["errorType"] == "ValueError"


reports = st.builds(
    Report,
    request_id=st.uuids().map(str),
    duration_ms=st.floats(0.01, 900_000).map(lambda value: round(value, 2)),
    billed_ms=st.integers(1, 900_000).map(float),
    memory_size_mb=st.integers(128, 10_240),
    max_memory_used_mb=st.integers(1, 10_240),
    init_ms=st.none() | st.floats(0.01, 10_000).map(lambda value: round(value, 2)),
    status=st.sampled_from(["success", "timeout", "error"]),
    error_type=st.none() | st.sampled_from(["Runtime.OutOfMemory", "Runtime.ExitError", "Sandbox.Timedout"]),
)


@given(report=reports, log_format=st.sampled_from([TEXT, JSON]), output=st.text(max_size=200))
def test_what_is_written_reads_back(report: Report, log_format: str, output: str) -> None:
    if report.status == "success":
        report = Report(**{**report.__dict__, "error_type": None})
    log = "\n".join(
        [
            *start_lines(log_format, MOMENT, report.request_id or ""),
            output,
            *end_lines(log_format, MOMENT, report),
        ]
    )
    assert parse_report(log) == report


@pytest.mark.parametrize(
    ("duration", "init", "billed"), [(2.75, None, 3), (2.0, None, 2), (0.01, None, 1), (2.72, 217.72, 221)]
)
def test_billed_duration_rounds_up_and_counts_the_init_phase(
    duration: float, init: float | None, billed: int
) -> None:
    assert billed_duration_ms(duration, init) == billed


def test_the_tail_is_the_last_4_kb_and_decodes_even_when_cut_mid_character() -> None:
    log = ("é" * 3000).encode()
    encoded = tail(log)
    assert len(base64.b64decode(encoded)) == 4096
    decoded = decode_tail(tail(b"x" + log, limit=4095))
    assert decoded.endswith("é")
    assert decode_tail(None) == ""
    assert decode_tail("not base64!") == ""


# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, "Failures
# during the Init phase": the INIT_REPORT of an INIT that timed out (fields separated by
# tabs in the log, as in REPORT lines; spaces in the guide).
GUIDE_INIT_TIMEOUT = "INIT_REPORT Init Duration: 1236.04 ms Phase: init Status: timeout"


def test_a_timed_out_init_is_reported_as_the_developer_guide_shows_it() -> None:
    (line,) = init_report_lines(TEXT, MOMENT, 1236.04)
    assert line.replace("\t", " ") == GUIDE_INIT_TIMEOUT
    assert line.count("\t") == 2


def test_a_timed_out_init_in_json_is_the_telemetry_apis_platform_init_report() -> None:
    # The Telemetry API's schema: PlatformInitReport has initializationType, phase,
    # status and metrics.durationMs (Lambda developer guide, "Lambda Telemetry API Event
    # schema reference", platform.initReport).
    (line,) = init_report_lines(JSON, MOMENT, 1236.04)
    event = json.loads(line)
    assert event["type"] == "platform.initReport"
    assert event["time"].startswith("2026-11-23T10:15:30.123")
    assert event["record"] == {
        "initializationType": "on-demand", "phase": "init", "status": "timeout",
        "metrics": {"durationMs": 1236.04},
    }  # fmt: skip
