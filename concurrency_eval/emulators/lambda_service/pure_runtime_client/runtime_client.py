"""A pure-Python `runtime_client`: the transport of AWS's runtime interface client.

awslambdaric's own transport is a C extension of this name, published for Linux
only. Where it cannot load (a Mac, say), Python's import system finds this module
next on the path (see bootstrap.py), and awslambdaric runs on it unchanged: the same
functions, with the same arguments and results, over the Lambda Runtime API
(Lambda developer guide, "Using the Lambda runtime API for custom runtimes").

Standard library only; one keep-alive HTTP/1.1 connection, as the C client keeps.
"""

import http.client
import json
import os
import threading

_API_VERSION = "2018-06-01"
_ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
_XRAY_CAUSE = "Lambda-Runtime-Function-XRay-Error-Cause"
_DEADLINE = "Lambda-Runtime-Deadline-Ms"
_connection: http.client.HTTPConnection | None = None
_user_agent = "aws-lambda-python"
_lock = threading.Lock()


def initialize_client(user_agent: str) -> None:
    global _user_agent
    _user_agent = user_agent


def _request(
    method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """One request on the kept connection, reconnecting once if the server closed it."""
    global _connection
    with _lock:
        for attempt in (1, 2):
            if _connection is None:
                # No timeout: `next` waits as long as it takes for an event.
                _connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"], timeout=None)
            try:
                _connection.request(
                    method, path, body=body, headers={"User-Agent": _user_agent, **(headers or {})}
                )
                response = _connection.getresponse()
                payload = response.read()
                return response.status, payload, dict(response.getheaders())
            except (http.client.HTTPException, ConnectionError):
                _connection.close()
                _connection = None
                if attempt == 2:
                    raise
    raise RuntimeError("unreachable")


def next() -> tuple[bytes, dict[str, str | int]]:
    """The next invocation: its event and its Lambda-Runtime-* headers, the deadline as
    an integer of epoch milliseconds, as the C extension gives it."""
    status, body, headers = _request("GET", f"/{_API_VERSION}/runtime/invocation/next")
    if status != 200:
        raise RuntimeError(f"Failed to get next invocation: HTTP {status}: {body.decode(errors='replace')}")
    result: dict[str, str | int] = dict(headers)
    if _DEADLINE in headers:
        result[_DEADLINE] = int(headers[_DEADLINE])
    return body, result


def post_invocation_result(
    invoke_id: str,
    result_data: bytes,
    content_type: str = "application/json",
    invocation_id: str | None = None,
) -> None:
    status, body, _ = _request(
        "POST",
        f"/{_API_VERSION}/runtime/invocation/{invoke_id}/response",
        result_data,
        {"Content-Type": content_type or "application/json"},
    )
    if status != 202:
        raise RuntimeError(
            f"Failed to post invocation result: HTTP {status}: {body.decode(errors='replace')}"
        )


def post_error(
    invoke_id: str, error_response_data: str, xray_fault: str, invocation_id: str | None = None
) -> None:
    try:
        error_type = str(json.loads(error_response_data).get("errorType") or "Unhandled")
    except (ValueError, AttributeError):
        error_type = "Unhandled"
    headers = {"Content-Type": "application/json", _ERROR_TYPE: error_type}
    if xray_fault:
        headers[_XRAY_CAUSE] = xray_fault
    status, body, _ = _request(
        "POST", f"/{_API_VERSION}/runtime/invocation/{invoke_id}/error", error_response_data.encode(), headers
    )
    if status != 202:
        raise RuntimeError(f"Failed to post invocation error: HTTP {status}: {body.decode(errors='replace')}")
