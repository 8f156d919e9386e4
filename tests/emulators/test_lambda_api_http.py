"""The Lambda API's HTTP, as a careless or hostile client meets it: every answer is
Lambda's JSON error shape, no request can exhaust the service, and the API's own
differences from Lambda (qualifiers, names, ARNs, limits) are Lambda's."""

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from concurrency_eval.emulators.lambda_service.server import LocalLambda
from contracts.lambda_limits import MAX_PAYLOAD_BYTES
from tests.emulators.conftest import lambda_client, spec_for

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def api(function_dirs: dict[str, Path], runtime_dir: Path) -> Iterator[LocalLambda]:
    spec = spec_for(function_dirs, runtime_dir, memory_mb=128)
    with LocalLambda(spec.__class__(**{**spec.__dict__, "idle_timeout_s": 1.0})) as running:
        yield running


def raw(api: LocalLambda, request: bytes, *, read_timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as it is; the status, headers and body of the answer."""
    host, port = api.endpoint.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=read_timeout) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split()[1]), headers, body


def post(path: str, headers: str, body: bytes = b"") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: local\r\n{headers}\r\n".encode() + body


INVOKE = "/2015-03-31/functions/echo/invocations"
ARN = "arn:aws:lambda"
NOT_FOUND = "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("request_bytes", "status", "error_type"),
    [
        (post(INVOKE, "Content-Length: abc\r\n"), 400, "InvalidRequestContentException"),
        (post(INVOKE, "Content-Length: -1\r\n"), 400, "InvalidRequestContentException"),
        (post(INVOKE, "Content-Length: 100000000000\r\n"), 413, "RequestTooLargeException"),
        (
            b"PATCH /2015-03-31/functions/echo HTTP/1.1\r\nHost: local\r\n\r\n",
            404,
            "UnknownOperationException",
        ),
        (
            b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: local\r\n\r\n",
            414,
            "InvalidRequestContentException",
        ),
    ],
    ids=[
        "content-length-not-a-number",
        "content-length-negative",
        "content-length-huge",
        "patch",
        "70-kb-path",
    ],
)
def test_malformed_requests_get_lambdas_json_errors(
    api: LocalLambda, request_bytes: bytes, status: int, error_type: str
) -> None:
    code, headers, body = raw(api, request_bytes)
    assert code == status
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-errortype"] == error_type
    assert "message" in json.loads(body)


def test_a_short_body_is_given_up_on_after_the_idle_timeout(api: LocalLambda) -> None:
    # Given a request that promises 100 bytes and sends 10
    started = time.monotonic()
    with pytest.raises((ConnectionError, TimeoutError, ValueError, IndexError)):
        raw(api, post(INVOKE, "Content-Length: 100\r\n", b"0123456789"), read_timeout=20)
    # Then the connection is closed once the service's idle timeout (1 s here) passes, not held
    assert time.monotonic() - started < 15


def test_silent_clients_are_let_go(api: LocalLambda) -> None:
    host, port = api.endpoint.removeprefix("http://").rsplit(":", 1)
    silent = [socket.create_connection((host, int(port))) for _ in range(50)]
    try:
        time.sleep(1.5)
        # Each was closed by the service: reading gives end-of-file
        for connection in silent:
            connection.settimeout(5)
            assert connection.recv(1) == b""
    finally:
        for connection in silent:
            connection.close()


def test_a_chunked_body_is_read(api: LocalLambda) -> None:
    event = json.dumps({"chunked": True}).encode()
    body = f"{len(event):x}\r\n".encode() + event + b"\r\n0\r\n\r\n"
    code, _, answer = raw(api, post(INVOKE, "Transfer-Encoding: chunked\r\n", body))
    assert code == 200
    assert json.loads(answer)["event"] == {"chunked": True}


def test_a_head_request_gets_no_body(api: LocalLambda) -> None:
    code, headers, body = raw(api, b"HEAD /2015-03-31/functions/echo HTTP/1.1\r\nHost: local\r\n\r\n")
    assert code == 404
    assert body == b""
    assert headers["x-amzn-errortype"] == "UnknownOperationException"


def error_of(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


@pytest.mark.parametrize(
    ("arguments", "status", "code", "fragment"),
    [
        ({"FunctionName": "echo", "Qualifier": ""}, 400, "ValidationException", "at 'qualifier'"),
        ({"FunctionName": "echo:"}, 400, "ValidationException", "regular expression pattern"),
        ({"FunctionName": "bad name!"}, 400, "ValidationException", "regular expression pattern"),
        ({"FunctionName": "ec/ho"}, 400, "ValidationException", "regular expression pattern"),
        ({"FunctionName": "x" * 171}, 400, "ValidationException", "length less than or equal to 170"),
        ({"FunctionName": f"{ARN}:eu-west-1:000000000000:function:echo"}, 404, NOT_FOUND, ""),
        ({"FunctionName": f"{ARN}:us-east-1:123456789012:function:echo"}, 404, NOT_FOUND, ""),
        ({"FunctionName": "echo", "Qualifier": "7"}, 404, "ResourceNotFoundException", "echo:7"),
        ({"FunctionName": "echo", "Payload": b'"' + b"x" * (MAX_PAYLOAD_BYTES - 2) + b'"'}, 413,
         "RequestTooLargeException", "smaller than 6291456 bytes"),
    ],
    ids=["empty-qualifier", "empty-qualifier-in-name", "bad-name", "slash", "too-long", "other-region",
         "other-account", "unknown-version", "exactly-6-mb"],
)  # fmt: skip
def test_invoke_refuses_what_lambda_refuses(
    api: LocalLambda, arguments: dict[str, Any], status: int, code: str, fragment: str
) -> None:
    client = lambda_client(api.endpoint, parameter_validation=False)
    assert error_of(lambda: client.invoke(**{"Payload": b"{}", **arguments}))[:2] == (status, code)
    assert fragment in error_of(lambda: client.invoke(**{"Payload": b"{}", **arguments}))[2]


def test_an_escaped_slash_is_part_of_the_name_not_a_path(api: LocalLambda) -> None:
    status, _, _ = raw(api, post("/2015-03-31/functions/ec%2Fho/invocations", "Content-Length: 2\r\n", b"{}"))
    assert status == 400


def test_an_event_invocation_is_queued_with_202(api: LocalLambda) -> None:
    client = lambda_client(api.endpoint)
    response = client.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"queued": 1}')
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""


def test_get_function_with_an_unknown_qualifier_is_not_found(api: LocalLambda) -> None:
    client = lambda_client(api.endpoint)
    assert (
        client.get_function(FunctionName="echo", Qualifier="live")["Configuration"]["FunctionName"] == "echo"
    )
    assert error_of(lambda: client.get_function(FunctionName="echo", Qualifier="9"))[:2] == (
        404,
        "ResourceNotFoundException",
    )


def test_reserved_concurrency_cannot_take_the_accounts_last_hundred(api: LocalLambda) -> None:
    client = lambda_client(api.endpoint, parameter_validation=False)
    status, code, message = error_of(
        lambda: client.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=10**9)
    )
    assert (status, code) == (400, "InvalidParameterValueException")
    assert "below its minimum value of [100]" in message
    client.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=900)
    try:
        assert (
            error_of(
                lambda: client.put_function_concurrency(FunctionName="sleepy", ReservedConcurrentExecutions=1)
            )[1]
            == "InvalidParameterValueException"
        )
    finally:
        client.delete_function_concurrency(FunctionName="echo")


def test_an_unknown_log_format_is_a_validation_error(api: LocalLambda) -> None:
    client = lambda_client(api.endpoint, parameter_validation=False)
    status, code, message = error_of(
        lambda: client.update_function_configuration(FunctionName="echo", LoggingConfig={"LogFormat": "XML"})
    )
    assert (status, code) == (400, "ValidationException")
    assert "Member must satisfy enum value set: [JSON, Text]" in message


def test_an_out_of_memory_report_never_says_more_than_the_memory_size(api: LocalLambda) -> None:
    client = lambda_client(api.endpoint)
    response = client.invoke(FunctionName="hungry", Payload=json.dumps({"mb": 300}).encode(), LogType="Tail")
    assert response.get("FunctionError") == "Unhandled"
    from contracts.lambda_logs import decode_tail, parse_report

    report = parse_report(decode_tail(response["LogResult"]))
    assert report.max_memory_used_mb <= 128


def test_the_environment_cap_is_sized_from_the_machine_and_said(api: LocalLambda) -> None:
    import psutil

    from concurrency_eval.emulators.lambda_service.server import (
        ENVIRONMENT_FOOTPRINT_MB,
        environments_this_machine_holds,
    )

    expected = psutil.virtual_memory().available / 2**20 / 2 / ENVIRONMENT_FOOTPRINT_MB
    assert environments_this_machine_holds() == pytest.approx(min(1000, int(expected)), rel=0.2)
    assert 1 <= api.max_environments <= 1000
