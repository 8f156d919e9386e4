"""The sweep's plan, steps, budget, and the AWS-only paths (stack discovery, prerequisites).

The main path (update, wait, invoke, report, restore) is tested against the local
Lambda service in tests/service; botocore's Stubber stands in only for CloudFormation.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from concurrency_eval.backends.aws import DeployedStack, StackNotFound, discover
from concurrency_eval.results.pricing import DEFAULT_PRICES, Prices
from concurrency_eval.sweep.plan import OverBudget, check_budget, plan
from concurrency_eval.sweep.settings import Step, SweepSettings, validate_memory_sizes
from concurrency_eval.workload.dataset import DataSetSpec

SPEC = DataSetSpec(objects=10, min_size=20, max_size=40)
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))


def configuration(name: str) -> dict[str, Any]:
    return {"FunctionName": name, "MemorySize": 1024, "Timeout": 60, "Architectures": ["arm64"]}


def test_steps_sweep_concurrency_for_the_concurrent_models_only() -> None:
    settings = SweepSettings(memory_sizes=(256, 1024), concurrencies=(16, 64))
    assert list(settings.steps()) == [
        Step(256, 16, ("sync", "threaded", "asyncio")),
        Step(256, 64, ("threaded", "asyncio")),
        Step(1024, 16, ("sync", "threaded", "asyncio")),
        Step(1024, 64, ("threaded", "asyncio")),
    ]
    # Sync is recorded at one request in flight; the others at the step's concurrency
    step = Step(256, 16, ("sync", "asyncio"))
    assert step.group("sync") == ("sync", 256, 1)
    assert step.group("asyncio") == ("asyncio", 256, 16)
    assert "concurrency" not in settings.event("b", "sync", 16)
    assert settings.event("b", "threaded", 16)["concurrency"] == 16


def test_settings_survive_the_results_file() -> None:
    settings = SweepSettings(memory_sizes=(128,), concurrencies=(8, None), invocations=3, dataset=SPEC)
    assert SweepSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


@pytest.mark.parametrize(
    ("billed_ms", "memory", "architecture", "expected"),
    [
        # 1 s at 1 GB on arm64: 1 GB-s x $0.0000133334 + $0.0000002 per request
        (1000, 1024, "arm64", 0.0000133334 + 0.0000002),
        # 1.235 s at 128 MB on x86_64: 0.154375 GB-s x $0.0000166667 + $0.0000002
        (1235, 128, "x86_64", 0.154375 * 0.0000166667 + 0.0000002),
    ],
)
def test_cost_arithmetic(billed_ms: float, memory: int, architecture: str, expected: float) -> None:
    assert DEFAULT_PRICES.invocation_cost(billed_ms, memory, architecture) == pytest.approx(
        expected, rel=1e-12
    )


def test_plan_estimates_counts_resumed_groups_out_and_the_budget_refuses() -> None:
    configurations = {"sync": configuration("fn-sync"), "asyncio": configuration("fn-asyncio")}
    settings = SweepSettings(
        memory_sizes=(1024, 2048), invocations=4, models=("sync", "asyncio"), expected_seconds=2
    )
    the_plan = plan(settings, configurations, DEFAULT_PRICES)
    assert the_plan.invocations == 2 * 2 * 5
    # expected: 5 calls x 2 s x (1 + 2 GB) x 2 models; worst: the same at the 60 s timeout
    assert the_plan.gb_seconds_expected == pytest.approx(60)
    assert the_plan.gb_seconds_worst == pytest.approx(1800)
    assert the_plan.cost_worst_usd == pytest.approx(1800 * 0.0000133334 + 20 * 0.0000002)
    check_budget(the_plan, 1.0)
    with pytest.raises(OverBudget, match=r"over the budget of \$0\.0100"):
        check_budget(the_plan, 0.01)
    # A resumed sweep plans only what is left
    resumed = plan(
        settings, configurations, DEFAULT_PRICES, frozenset({("sync", 1024, 1), ("asyncio", 1024, None)})
    )
    assert resumed.invocations == 2 * 5
    assert resumed.steps == 1


@pytest.mark.parametrize(
    ("sizes", "message"),
    [([64], "128 to 10240"), ([128, 20000], "got 20000"), ([256, 256], "repeat"), ([], "at least one")],
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
    stack = {"StackName": "S", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
    with Stubber(client) as stubber:
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
        assert discover(client, "S", ("sync", "asyncio")) == DeployedStack(
            "S", "data-b", {"sync": "s", "asyncio": "a"}
        )
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
        with pytest.raises(StackNotFound, match="lacks the outputs ThreadedFunctionName"):
            discover(client, "S", ("sync", "threaded"))
        stubber.add_client_error("describe_stacks", "ValidationError", "Stack with id S does not exist")
        with pytest.raises(StackNotFound, match="npx cdk deploy"):
            discover(client, "S", ("sync",))


def _run(
    tmp_path: Path, environment: dict[str, str], *arguments: str, command: tuple[str, ...] = ("run", "--yes")
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    nowhere = str(tmp_path / "none")
    isolated = {
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [COMMAND, *command, *arguments],
        capture_output=True, text=True, check=False, cwd=tmp_path, env=clean | isolated | environment,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "no AWS region"),
        ({"AWS_DEFAULT_REGION": "eu-west-1"}, "no AWS credentials"),
        (
            {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
             "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"},
            "Could not connect",
        ),
    ],
)  # fmt: skip
def test_aws_prerequisites_exit_3_with_a_message(
    tmp_path: Path, environment: dict[str, str], message: str
) -> None:
    completed = _run(tmp_path, environment, "--output", str(tmp_path / "out"))
    assert completed.returncode == 3, completed.stderr
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_prices_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    document = {"gb_second": {"arm64": 0.00001, "x86_64": 0.00002}, "request": 0.0, "region": "eu-west-1"}
    path.write_text(json.dumps(document))
    prices = Prices.load(path)
    assert prices.invocation_cost(2000, 512, "arm64") == pytest.approx(0.00001)


def test_the_smoke_test_without_aws_exits_3(tmp_path: Path) -> None:
    completed = _run(tmp_path, {}, command=("smoke",))
    assert completed.returncode == 3
    assert "no AWS region or credentials" in completed.stderr
