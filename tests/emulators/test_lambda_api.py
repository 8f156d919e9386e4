"""The local Lambda service through boto3's own lambda client, as a user points it there.

Each behaviour is checked against what Lambda does: the payload and headers of
Invoke, the log tail in both formats, unhandled errors, timeouts, out-of-memory
kills, updates and their waiter, reserved concurrency and throttles.
"""

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from bundling.reproducible_zip import write_zip
from concurrency_eval.emulators.lambda_service.server import LocalLambda
from contracts.lambda_logs import decode_tail, parse_report
from tests.emulators.conftest import lambda_client, set_configuration

pytestmark = pytest.mark.timeout(300)


def invoke(client: Any, name: str, event: object) -> tuple[dict[str, Any], Any, str]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    return response, json.loads(response["Payload"].read()), decode_tail(response.get("LogResult"))


def test_an_invocation_answers_with_the_payload_and_lambdas_report(client: Any) -> None:
    # Given a function that echoes its event, When it is invoked twice
    first, answer, tail = invoke(client, "echo", {"hello": "world"})
    _, again, second_tail = invoke(client, "echo", {"n": 2})
    # Then the answers come back as the handler returned them, with the request id
    assert first["StatusCode"] == 200
    assert "FunctionError" not in first
    assert answer["event"] == {"hello": "world"}
    assert answer["request_id"] == first["ResponseMetadata"]["RequestId"]
    assert 0 < answer["remaining_ms"] <= 30_000
    assert answer["handler"] == "handler.handler"
    # And the first was a cold start (an Init Duration) in a new environment; the
    # second reused it, warm
    cold, warm = parse_report(tail), parse_report(second_tail)
    assert cold.init_ms is not None
    assert cold.init_ms > 0
    assert warm.init_ms is None
    assert again["pid"] == answer["pid"]
    assert cold.memory_size_mb == 256
    assert cold.max_memory_used_mb > 5
    assert cold.billed_ms >= cold.duration_ms
    # And the function's own output sits between the platform's lines of its invocation
    assert "echo got {'n': 2}" in second_tail
    assert "echo got {'hello'" not in second_tail
    assert second_tail.startswith(f"START RequestId: {again['request_id']}")


def test_only_the_runtime_client_and_the_bundles_are_importable(client: Any) -> None:
    _, answer, _ = invoke(client, "echo", {})
    # The project's virtual environment never leaks into a function
    assert not any(".venv" in entry or "site-packages" in entry for entry in answer["path"]), answer["path"]
    assert answer["modules"] == []


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_the_tail_follows_the_functions_log_format(client: Any, log_format: str) -> None:
    # Given the function set to a log format, When it is invoked
    set_configuration(client, "echo", LoggingConfig={"LogFormat": log_format})
    try:
        _, answer, tail = invoke(client, "echo", {})
        # Then its runtime was told, and the tail is in that format, with the report readable
        assert answer["log_format"] == log_format
        report = parse_report(tail)
        assert report.request_id == answer["request_id"]
        if log_format == "JSON":
            records = [json.loads(line) for line in tail.splitlines() if line.startswith("{")]
            assert {"platform.start", "platform.report"} <= {record.get("type") for record in records}
        else:
            assert "REPORT RequestId: " in tail
            assert "END RequestId: " in tail
    finally:
        set_configuration(client, "echo", LoggingConfig={"LogFormat": "Text"})


@pytest.mark.parametrize(
    ("log_format", "levels"),
    [
        # JSON filters by level: Lambda sets both to INFO when none is given, as the stacks give none
        ("JSON", {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}),
        # Text has no levels
        ("Text", {}),
    ],
)
def test_the_configuration_describes_logging_as_lambda_does(
    client: Any, log_format: str, levels: dict[str, str]
) -> None:
    # Given the function set to a log format, When its configuration is read
    set_configuration(client, "echo", LoggingConfig={"LogFormat": log_format})
    try:
        configuration = client.get_function_configuration(FunctionName="echo")
    finally:
        set_configuration(client, "echo", LoggingConfig={"LogFormat": "Text"})
    # Then LoggingConfig has the format, the levels that format has, and the log group
    assert configuration["LoggingConfig"] == {
        "LogFormat": log_format,
        **levels,
        "LogGroup": "/aws/lambda/echo",
    }


def test_code_size_and_sha256_describe_the_functions_zip(
    client: Any, function_dirs: dict[str, Path], tmp_path: Path
) -> None:
    # Given the zip the function's code would be published as
    package = tmp_path / "echo.zip"
    sha256 = write_zip(function_dirs["echo"], package)
    # When its configuration is read, Then CodeSize is the zip's bytes and CodeSha256 its
    # hash, base64, as Lambda gives them
    configuration = client.get_function_configuration(FunctionName="echo")
    assert configuration["CodeSize"] == package.stat().st_size > 0
    assert base64.b64decode(configuration["CodeSha256"]).hex() == sha256


def test_an_unhandled_error_is_lambdas_error_payload_and_header(client: Any) -> None:
    response, answer, tail = invoke(client, "boom", {"why": "testing"})
    assert response["FunctionError"] == "Unhandled"
    assert answer["errorType"] == "ValueError"
    assert answer["errorMessage"] == "boom: testing"
    assert isinstance(answer["stackTrace"], list)
    assert parse_report(tail).duration_ms > 0


def test_a_failed_init_answers_with_the_init_error(client: Any) -> None:
    response, answer, _ = invoke(client, "broken", {})
    assert response["FunctionError"] == "Unhandled"
    assert answer["errorType"] == "Runtime.ImportModuleError"
    assert "a_module_that_does_not_exist" in answer["errorMessage"]


def test_a_timeout_is_reported_as_lambda_reports_it_and_replaces_the_environment(client: Any) -> None:
    # Given a function with a one-second timeout
    set_configuration(client, "sleepy", Timeout=1)
    try:
        invoke(client, "sleepy", {"seconds": 0})
        # When an invocation outlives it
        response, answer, tail = invoke(client, "sleepy", {"seconds": 30})
        _, after, after_tail = invoke(client, "sleepy", {"seconds": 0})
    finally:
        set_configuration(client, "sleepy", Timeout=30)
    # Then Lambda's timeout error comes back, with the report's status
    assert response["FunctionError"] == "Unhandled"
    assert answer["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in answer["errorMessage"]
    report = parse_report(tail)
    assert report.status == "timeout"
    assert 1000 <= report.duration_ms < 2000
    # And the next invocation meets a new environment (a cold start)
    assert after == {"slept": 0}
    assert parse_report(after_tail).init_ms is not None


def test_going_over_the_memory_size_is_an_out_of_memory_kill(client: Any) -> None:
    set_configuration(client, "hungry", MemorySize=128)
    _, fine, _ = invoke(client, "hungry", {"mb": 10})
    assert fine == {"allocated_mb": 10}
    response, answer, tail = invoke(client, "hungry", {"mb": 300})
    assert response["FunctionError"] == "Unhandled"
    assert answer["errorType"] == "Runtime.OutOfMemory"
    assert "signal: killed" in answer["errorMessage"]
    report = parse_report(tail)
    assert report.status == "error"
    assert report.error_type == "Runtime.OutOfMemory"
    assert report.max_memory_used_mb == 128


def test_an_update_is_in_progress_then_successful_and_retires_environments(client: Any) -> None:
    # Given a warm environment at 256 MB
    _, before, _ = invoke(client, "echo", {})
    # When the memory size changes
    updated = client.update_function_configuration(FunctionName="echo", MemorySize=512)
    # Then the update is in progress at first, and a second one meanwhile conflicts
    assert updated["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as conflict:
        client.update_function_configuration(FunctionName="echo", MemorySize=1024)
    assert conflict.value.response["Error"]["Code"] == "ResourceConflictException"
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    # And boto3's own waiter sees it through
    client.get_waiter("function_updated_v2").wait(FunctionName="echo", WaiterConfig={"Delay": 0.1})
    configuration = client.get_function_configuration(FunctionName="echo")
    assert configuration["LastUpdateStatus"] == "Successful"
    assert configuration["MemorySize"] == 512
    # And the next invocation starts a new environment with the new size, cold
    _, after, tail = invoke(client, "echo", {})
    assert after["memory"] == "512"
    assert after["pid"] != before["pid"]
    assert parse_report(tail).init_ms is not None
    set_configuration(client, "echo", MemorySize=256)


def test_environment_variables_update(client: Any) -> None:
    set_configuration(client, "echo", Environment={"Variables": {"EXTRA": "yes"}})
    _, answer, _ = invoke(client, "echo", {})
    assert answer["extra"] == "yes"
    set_configuration(client, "echo", Environment={"Variables": {}})


def test_unknown_functions_and_invalid_values_get_lambdas_errors(service: LocalLambda) -> None:
    # Given a client that skips its own checks, as another SDK might
    unchecked = lambda_client(service.endpoint, parameter_validation=False)
    with pytest.raises(ClientError) as missing:
        unchecked.invoke(FunctionName="nope", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "Function not found" in missing.value.response["Error"]["Message"]
    for field, value in (("MemorySize", 64), ("MemorySize", 20_000), ("Timeout", 0), ("Timeout", 901)):
        with pytest.raises(ClientError) as invalid:
            unchecked.update_function_configuration(FunctionName="echo", **{field: value})
        assert invalid.value.response["Error"]["Code"] == "ValidationException"
        assert f"'{value}'" in invalid.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as not_json:
        unchecked.invoke(FunctionName="echo", Payload=b"{not json")
    assert not_json.value.response["Error"]["Code"] == "InvalidRequestContentException"
    # And boto3's own validation agrees on the limits
    with pytest.raises(ParamValidationError):
        lambda_client(service.endpoint).update_function_configuration(FunctionName="echo", MemorySize=64)


@pytest.mark.parametrize(
    ("variables", "code", "message"),
    [
        ({"A=B": "x"}, "ValidationException", "Member must satisfy regular expression pattern: [a-zA-Z]"),
        ({"1BAD": "x"}, "ValidationException", "regular expression pattern"),
        ({"A-B": "x"}, "ValidationException", "regular expression pattern"),
        ({"": "x"}, "ValidationException", "regular expression pattern"),
        # As Lambda words it (from CloudFormation's and the CLI's reports of it)
        (
            {"AWS_REGION": "eu-west-1"},
            "InvalidParameterValueException",
            "Reserved keys used in this request: AWS_REGION",
        ),
        (
            {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
            "InvalidParameterValueException",
            "Reserved keys used in this request: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
        ),
        # Reserved, but refused by the API's pattern before Lambda looks for reserved keys
        ({"_HANDLER": "x"}, "ValidationException", "regular expression pattern"),
        ({"AWS_LAMBDA_RUNTIME_API": "x"}, "InvalidParameterValueException", "AWS_LAMBDA_RUNTIME_API"),
        ({"BIG": "x" * 200_000}, "InvalidParameterValueException", "exceeded the 4KB limit"),
        ({"NUL": "a\0b"}, "InvalidParameterValueException", "NUL character"),
    ],
)
def test_environment_variables_lambda_refuses_are_refused_as_lambda_does(
    client: Any, variables: dict[str, str], code: str, message: str
) -> None:
    with pytest.raises(ClientError) as refused:
        client.update_function_configuration(FunctionName="echo", Environment={"Variables": variables})
    assert refused.value.response["Error"]["Code"] == code
    assert message in refused.value.response["Error"]["Message"]
    # And the function still runs as it was
    _, answer, _ = invoke(client, "echo", {})
    assert answer["handler"] == "handler.handler"


def test_reserved_concurrency_set_during_an_update_survives_it(client: Any) -> None:
    # Given an update in progress
    client.update_function_configuration(FunctionName="sleepy", Timeout=29)
    try:
        # When reserved concurrency is set to 0 meanwhile
        client.put_function_concurrency(FunctionName="sleepy", ReservedConcurrentExecutions=0)
        client.get_waiter("function_updated_v2").wait(FunctionName="sleepy", WaiterConfig={"Delay": 0.1})
        # Then it is still 0 once the update is done, and every invocation is throttled
        assert client.get_function_concurrency(FunctionName="sleepy") == {
            "ReservedConcurrentExecutions": 0,
            "ResponseMetadata": ANY,
        }
        assert _invoke_or_error(client, 0.0) == "TooManyRequestsException"
    finally:
        client.delete_function_concurrency(FunctionName="sleepy")
        set_configuration(client, "sleepy", Timeout=30)


def test_parallel_invocations_get_environments_of_their_own(client: Any) -> None:
    # When four invocations are in flight at once
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: invoke(client, "sleepy", {"seconds": 1.5}), range(4)))
    # Then each ran in an environment of its own, and each was a cold start
    assert all(answer == {"slept": 1.5} for _, answer, _ in answers)
    inits = [parse_report(tail).init_ms for _, _, tail in answers]
    assert sum(init is not None for init in inits) >= 3  # one may reuse the environment left idle before


def test_reserved_concurrency_throttles_beyond_it(client: Any) -> None:
    # Given a reserved concurrency of 1
    client.put_function_concurrency(FunctionName="sleepy", ReservedConcurrentExecutions=1)
    try:
        assert client.get_function_concurrency(FunctionName="sleepy")["ReservedConcurrentExecutions"] == 1
        # When two invocations arrive together
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda s: _invoke_or_error(client, s), [2.0, 2.0]))
        # Then one runs and the other is throttled, as Lambda throttles
        assert sorted(map(str, outcomes)) == ["TooManyRequestsException", "{'slept': 2.0}"]
    finally:
        client.delete_function_concurrency(FunctionName="sleepy")


def _invoke_or_error(client: Any, seconds: float) -> object:
    try:
        return invoke(client, "sleepy", {"seconds": seconds})[1]
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return error.response["Error"]["Code"] if status == 429 else f"unexpected {status}"


@pytest.mark.timing
def test_the_cpu_share_follows_the_memory_size(client: Any, service: LocalLambda) -> None:
    if service.cpu_limit == "none":
        pytest.skip("this machine allows no CPU limit")
    # A fixed CPU-bound loop at 128 MB (1/14 of a vCPU) against 1769 MB (one vCPU)
    durations = {}
    for memory in (1769, 128):
        set_configuration(client, "spin", MemorySize=memory)
        invoke(client, "spin", {"loops": 1000})  # the cold start
        _, _, tail = invoke(client, "spin", {"loops": 1_500_000})
        durations[memory] = parse_report(tail).duration_ms
    # A wide margin: the mechanism works, whatever the machine's noise (13.8x expected)
    assert durations[128] >= 5 * durations[1769], durations
