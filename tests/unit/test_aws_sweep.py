"""The AWS memory sweep, offline: botocore's Stubber stands in for Lambda and CloudFormation,
and asserts every call, its order and its parameters."""

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from rich.console import Console

from concurrency_eval.aws_run import (
    SWEEP_VARIABLE,
    Deployment,
    OverBudget,
    RunError,
    Sweep,
    SweepSettings,
    check_budget,
    discover,
    plan,
    results,
    validate_memory_sizes,
)
from concurrency_eval.charts import write_sweep_chart
from concurrency_eval.dataset import DataSetSpec
from concurrency_eval.lambda_report import parse_report
from concurrency_eval.pricing import DEFAULT_PRICES, Prices
from concurrency_eval.report import best_settings, sweep_table

SPEC = DataSetSpec(objects=10, min_size=20, max_size=40)
DEPLOYMENT = Deployment("Stack", "data-bucket", {"sync": "fn-sync", "asyncio": "fn-asyncio"})
ORIGINAL_ENV = {"POWERTOOLS_SERVICE_NAME": "concurrency-eval"}


def report_line(duration: float, memory: int, init: float | None = None, extra: str = "") -> str:
    line = (
        f"REPORT RequestId: 6f1e\tDuration: {duration} ms\tBilled Duration: {int(duration) + 1} ms\t"
        f"Memory Size: {memory} MB\tMax Memory Used: 71 MB\t"
    )
    if init is not None:
        line += f"Init Duration: {init} ms\t"
    return f"START RequestId: 6f1e\nEND RequestId: 6f1e\n{line}{extra}\n"


def invoke_response(
    duration: float,
    memory: int,
    init: float | None = None,
    payload: Any = None,
    function_error: str | None = None,
    extra: str = "",
) -> dict[str, Any]:
    body = json.dumps(
        payload if payload is not None else {"result": SPEC.magic_key, "time": 0.5, "objects": 10}
    )
    response: dict[str, Any] = {
        "StatusCode": 200,
        "LogResult": base64.b64encode(report_line(duration, memory, init, extra).encode()).decode(),
        "Payload": StreamingBody(io.BytesIO(body.encode()), len(body)),
    }
    if function_error:
        response["FunctionError"] = function_error
    return response


def configuration(name: str) -> dict[str, Any]:
    return {
        "FunctionName": name, "MemorySize": 1024, "Timeout": 60, "Runtime": "python3.13",
        "Architectures": ["arm64"], "Environment": {"Variables": dict(ORIGINAL_ENV)}, "CodeSha256": "abc",
    }  # fmt: skip


@pytest.fixture
def lambda_stub() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_configurations(stubber: Stubber) -> None:
    for name in DEPLOYMENT.functions.values():
        stubber.add_response("get_function_configuration", configuration(name), {"FunctionName": name})


def expect_update(stubber: Stubber, memory: int, restore: bool = False) -> None:
    for name in DEPLOYMENT.functions.values():
        environment = {"Variables": dict(ORIGINAL_ENV)} if restore else ANY
        stubber.add_response(
            "update_function_configuration",
            {"FunctionName": name, "MemorySize": memory},
            {"FunctionName": name, "MemorySize": memory, "Environment": environment},
        )
    for name in DEPLOYMENT.functions.values():
        stubber.add_response(
            "get_function", {"Configuration": {"LastUpdateStatus": "Successful"}}, {"FunctionName": name}
        )


def expect_invocations(stubber: Stubber, memory: int, warm: int) -> None:
    for name in DEPLOYMENT.functions.values():
        params = {"FunctionName": name, "Payload": ANY, "LogType": "Tail"}
        stubber.add_response("invoke", invoke_response(900.0, memory, init=300.0), params)
        for _ in range(warm):
            stubber.add_response("invoke", invoke_response(400.0, memory), params)


SETTINGS = SweepSettings(memory_sizes=(128, 512), invocations=2, dataset=SPEC, models=("sync", "asyncio"))


def expect_full_sweep(stubber: Stubber) -> None:
    """SETTINGS's sweep, call by call: read, then per size update, wait, invoke; restore."""
    expect_configurations(stubber)
    for memory in SETTINGS.memory_sizes:
        expect_update(stubber, memory)
        expect_invocations(stubber, memory, warm=2)
    expect_update(stubber, 1024, restore=True)


def test_sweep_order_then_restore(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stubber = lambda_stub
    # Given two functions and two memory sizes; the Stubber fails on any other call order
    expect_full_sweep(stubber)
    sweep = Sweep(client, DEPLOYMENT, SETTINGS)
    # When the sweep runs
    runs = sweep.run(sweep.configurations())
    # Then each size updated both functions, waited, measured each (cold, then warm), and
    # the original memory and environment came back
    assert [(run.model, run.memory_mb) for run in runs] == [
        ("sync", 128), ("asyncio", 128), ("sync", 512), ("asyncio", 512),
    ]  # fmt: skip
    for run in runs:
        assert [i.kind for i in run.invocations] == ["cold", "warm", "warm"]
        assert run.init_ms == 300.0
        assert all(i.correct for i in run.invocations)
        assert run.invocations[1].billed_ms == 401.0


def test_each_step_marks_the_environment_so_it_starts_cold(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stubber = lambda_stub
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.lambda.UpdateFunctionConfiguration", lambda params, **_: seen.append(params)
    )
    expect_configurations(stubber)
    settings = SweepSettings(memory_sizes=(1024,), invocations=1, dataset=SPEC, models=("sync", "asyncio"))
    expect_update(stubber, 1024)
    expect_invocations(stubber, 1024, warm=1)
    expect_update(stubber, 1024, restore=True)
    sweep = Sweep(client, DEPLOYMENT, settings)
    sweep.run(sweep.configurations())
    step, restore = seen[0]["Environment"]["Variables"], seen[-1]["Environment"]["Variables"]
    # The same memory size as before still gets new environments: the variable changes
    assert SWEEP_VARIABLE in step
    assert step["POWERTOOLS_SERVICE_NAME"] == "concurrency-eval"
    assert restore == ORIGINAL_ENV


def test_interrupted_mid_sweep_still_restores(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stubber = lambda_stub
    expect_configurations(stubber)
    expect_update(stubber, 128)
    params = {"FunctionName": "fn-sync", "Payload": ANY, "LogType": "Tail"}
    stubber.add_response("invoke", invoke_response(900.0, 128, init=300.0), params)
    expect_update(stubber, 1024, restore=True)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    sweep = Sweep(client, DEPLOYMENT, SETTINGS, on_invocation=interrupt)
    # When Ctrl-C arrives after the first invocation, Then the restore calls still run
    with pytest.raises(KeyboardInterrupt):
        sweep.run(sweep.configurations())


def test_throttles_and_function_errors_are_data(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stubber = lambda_stub
    settings = SweepSettings(memory_sizes=(256,), invocations=3, dataset=SPEC, models=("sync",))
    deployment = Deployment("Stack", "data-bucket", {"sync": "fn-sync"})
    stubber.add_response("get_function_configuration", configuration("fn-sync"), {"FunctionName": "fn-sync"})
    stubber.add_response(
        "update_function_configuration",
        {},
        {"FunctionName": "fn-sync", "MemorySize": 256, "Environment": ANY},
    )
    stubber.add_response(
        "get_function", {"Configuration": {"LastUpdateStatus": "Successful"}}, {"FunctionName": "fn-sync"}
    )
    stubber.add_client_error("invoke", "TooManyRequestsException", "Rate exceeded", 429)
    crash = {"errorType": "Runtime.ExitError", "errorMessage": "exited"}
    stubber.add_response(
        "invoke", invoke_response(80.0, 256, payload=crash, function_error="Unhandled", extra="Status: error")
    )
    stubber.add_response(
        "invoke",
        invoke_response(
            60000.0,
            256,
            payload={"errorMessage": "timed out"},
            function_error="Unhandled",
            extra="Status: timeout",
        ),
    )
    structured = {"result": None, "time": 1.0, "objects": 3, "error": {"type": "ObjectsFailed"}}
    stubber.add_response("invoke", invoke_response(500.0, 256, payload=structured))
    stubber.add_response(
        "update_function_configuration",
        {},
        {"FunctionName": "fn-sync", "MemorySize": 1024, "Environment": ANY},
    )
    stubber.add_response(
        "get_function", {"Configuration": {"LastUpdateStatus": "Successful"}}, {"FunctionName": "fn-sync"}
    )
    sweep = Sweep(client, deployment, settings)
    (run,) = sweep.run(sweep.configurations())
    assert [i.error for i in run.invocations] == [
        "Throttled",
        "Runtime.ExitError",
        "Sandbox.Timedout",
        "ObjectsFailed",
    ]
    assert not any(i.correct for i in run.invocations)
    assert run.invocations[0].billed_ms is None
    assert run.invocations[0].cost_usd is None
    assert run.invocations[2].billed_ms == 60001.0


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (report_line(1234.56, 128, init=345.67), (1234.56, 1235.0, 128, 71, 345.67, "success")),
        (report_line(20.5, 3008), (20.5, 21.0, 3008, 71, None, "success")),
        (report_line(3000.0, 256, extra="Status: timeout"), (3000.0, 3001.0, 256, 71, None, "timeout")),
        (
            report_line(12.0, 256, extra="Status: error\tError Type: Runtime.ExitError"),
            (12.0, 13.0, 256, 71, None, "error"),
        ),
    ],
)
def test_report_lines(log: str, expected: tuple[Any, ...]) -> None:
    report = parse_report(log)
    assert report is not None
    assert (report.duration_ms, report.billed_ms, report.memory_size_mb, report.max_memory_used_mb,
            report.init_ms, report.status) == expected  # fmt: skip


def test_report_error_type_and_absence() -> None:
    report = parse_report(report_line(12.0, 256, extra="Status: error\tError Type: Runtime.ExitError"))
    assert report is not None
    assert report.error_type == "Runtime.ExitError"
    assert parse_report("START RequestId: x\nsome log line\n") is None


@pytest.mark.parametrize(
    ("billed_ms", "memory", "architecture", "expected"),
    [
        # 1 s at 1 GB on arm64: 1 GB-s x $0.0000133334 + $0.0000002 per request
        (1000, 1024, "arm64", 0.0000133334 + 0.0000002),
        # 1.235 s at 128 MB on x86_64: 0.154375 GB-s x $0.0000166667 + $0.0000002
        (1235, 128, "x86_64", 0.154375 * 0.0000166667 + 0.0000002),
        # 100 ms at 3008 MB on arm64: 0.29375 GB-s
        (100, 3008, "arm64", 0.29375 * 0.0000133334 + 0.0000002),
    ],
)
def test_cost_arithmetic(billed_ms: float, memory: int, architecture: str, expected: float) -> None:
    assert DEFAULT_PRICES.invocation_cost(billed_ms, memory, architecture) == pytest.approx(
        expected, rel=1e-12
    )


def test_prices_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"gb_second": {"arm64": 0.00001}, "request": 0.0, "region": "eu-west-1"}))
    prices = Prices.load(path)
    assert prices.invocation_cost(2000, 512, "arm64") == pytest.approx(0.00001)
    path.write_text("{}")
    with pytest.raises(ValueError, match="expected"):
        Prices.load(path)


def test_plan_estimates_and_the_budget_refuses() -> None:
    configurations = {"sync": configuration("fn-sync"), "asyncio": configuration("fn-asyncio")}
    settings = SweepSettings(
        memory_sizes=(1024, 2048), invocations=4, models=("sync", "asyncio"), expected_seconds=2
    )
    the_plan = plan(settings, configurations)
    assert the_plan.invocations == 2 * 2 * 5
    # expected: 5 calls x 2 s x (1 + 2 GB) x 2 models; worst: the same at the 60 s timeout
    assert the_plan.gb_seconds_expected == pytest.approx(60)
    assert the_plan.gb_seconds_worst == pytest.approx(1800)
    assert the_plan.cost_worst_usd == pytest.approx(1800 * 0.0000133334 + 20 * 0.0000002)
    check_budget(the_plan, 1.0)
    with pytest.raises(OverBudget, match=r"over the budget of \$0\.0100"):
        check_budget(the_plan, 0.01)


@pytest.mark.parametrize(
    ("sizes", "message"), [([64], "128 to 10240"), ([128, 20000], "got 20000"), ([256, 256], "repeat")]
)
def test_memory_sizes_are_validated(sizes: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_memory_sizes(sizes)


def test_discover_reads_stack_outputs() -> None:
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    values = {"DataBucketName": "data-b", "SyncFunctionName": "s", "AsyncioFunctionName": "a"}
    outputs = [{"OutputKey": key, "OutputValue": value} for key, value in values.items()]
    with Stubber(client) as stubber:
        stack = {"StackName": "S", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
        assert discover(client, "S", ("sync", "asyncio")) == Deployment(
            "S", "data-b", {"sync": "s", "asyncio": "a"}
        )
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
        with pytest.raises(RunError, match="lacks the outputs ThreadedFunctionName"):
            discover(client, "S", ("sync", "threaded"))
        stubber.add_client_error("describe_stacks", "ValidationError", "Stack with id S does not exist")
        with pytest.raises(RunError, match="npx cdk deploy"):
            discover(client, "S", ("sync",))


def test_results_chart_and_summary(lambda_stub: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = lambda_stub
    expect_full_sweep(stubber)
    sweep = Sweep(client, DEPLOYMENT, SETTINGS)
    originals = sweep.configurations()
    run = results(
        DEPLOYMENT, SETTINGS, originals, sweep.run(originals), "2026-11-22T00:00:00+00:00", "us-east-1"
    )
    json_path, csv_path = run.write(tmp_path)
    again = type(run).read(json_path)
    assert again.kind == "aws"
    assert again.environment["functions"]["sync"]["CodeSha256"] == "abc"
    assert "billed_ms" in csv_path.read_text().splitlines()[0]
    assert write_sweep_chart(again, tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    console = Console(width=200, record=True)
    console.print(sweep_table(again))
    text = console.export_text()
    assert "512" in text
    assert "0.0000" in text
    lines = best_settings(again)
    # 400 ms at both sizes: the smaller is as fast (first found) and cheaper
    assert lines[0].startswith("sync: fastest at 128 MB (400 ms), cheapest at 128 MB")


def test_a_missing_data_set_is_counted() -> None:
    from moto import mock_aws

    from concurrency_eval.dataset import missing_objects, seed

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="data-bucket")
        assert missing_objects(s3, "data-bucket", SPEC) == 10
        seed(s3, "data-bucket", DataSetSpec(objects=4, min_size=20, max_size=40, prefix=SPEC.folder))
        assert missing_objects(s3, "data-bucket", SPEC) == 6
        seed(s3, "data-bucket", SPEC)
        assert missing_objects(s3, "data-bucket", SPEC) == 0
