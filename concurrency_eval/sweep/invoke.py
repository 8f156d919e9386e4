"""One invocation through the Lambda API, measured by Lambda's own report.

The same code reads AWS and the local Lambda service: Invoke with `LogType=Tail`,
Lambda's report from the log tail (Text or JSON, whichever the function logs in),
the function's answer from the payload. Failures (throttles, function errors,
timeouts, a missing report) are recorded as data, never as zeros.
"""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from contracts.lambda_logs import Report, ReportError, decode_tail, parse_report

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient

#: Headers the local Lambda service adds: CPU time measured from outside the process.
CPU_HEADER = "x-local-cpu-ms"
INIT_CPU_HEADER = "x-local-init-cpu-ms"


@dataclass(frozen=True)
class Answer:
    """What one Invoke gave back: Lambda's report (if any), the payload, and an error."""

    report: Report | None
    payload: dict[str, Any] | None
    #: The error type: the function's structured error, Lambda's, or the API's.
    error: str | None
    cpu_ms: float | None = None
    init_cpu_ms: float | None = None
    request_id: str | None = None

    @property
    def result(self) -> Any:
        return None if self.payload is None else self.payload.get("result")


def invoke_once(
    client: "LambdaClient", function: str, event: dict[str, Any], qualifier: str | None = None
) -> Answer:
    """One synchronous Invoke of `function` (of its version or alias `qualifier`, if given)."""
    try:
        response = client.invoke(
            FunctionName=function if qualifier is None else f"{function}:{qualifier}",
            Payload=json.dumps(event).encode(),
            LogType="Tail",
        )
    except ClientError as failure:
        code = failure.response.get("Error", {}).get("Code", "ClientError")
        return Answer(None, None, "Throttled" if code == "TooManyRequestsException" else code)
    except BotoCoreError as failure:
        return Answer(None, None, type(failure).__name__)
    metadata = response.get("ResponseMetadata", {})
    headers = metadata.get("HTTPHeaders", {})
    measured: dict[str, Any] = {
        "cpu_ms": _number(headers.get(CPU_HEADER)),
        "init_cpu_ms": _number(headers.get(INIT_CPU_HEADER)),
        "request_id": metadata.get("RequestId"),
    }
    try:
        payload = json.loads(response["Payload"].read() or b"null")
    except ValueError:
        payload = None
    document = payload if isinstance(payload, dict) else None
    try:
        report: Report | None = parse_report(decode_tail(response.get("LogResult")))
    except ReportError:
        report = None
    if response.get("FunctionError"):
        error = (document or {}).get("errorType") or (report.error_type if report else None)
        if report is not None and report.status == "timeout":
            error = "Sandbox.Timedout"
        return Answer(report, document, str(error or response["FunctionError"]), **measured)
    if report is None:
        # Without Lambda's report nothing this invocation measured can be trusted.
        return Answer(None, document, "ReportMissing", **measured)
    structured = (document or {}).get("error")
    error = structured.get("type") if isinstance(structured, dict) else None
    return Answer(report, document, error, **measured)


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None
