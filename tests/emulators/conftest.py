"""The local Lambda service with small test functions: one per behaviour Lambda has."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bundling.build import Builder, Target, find_python
from concurrency_eval.emulators.lambda_service import limits
from concurrency_eval.emulators.lambda_service.functions import Code, Configuration
from concurrency_eval.emulators.lambda_service.server import FunctionSpec, LocalLambda, ServiceSpec
from contracts.bundles import RUNTIME
from tests.handlers import ROOT

#: Each test function's handler module, by name.
HANDLERS = {
    "echo": """
import os, sys
def handler(event, context):
    print("echo got", event)
    return {
        "event": event,
        "pid": os.getpid(),
        "memory": os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "path": sys.path,
        "modules": sorted(m for m in ("boto3", "botocore", "concurrency_eval") if m in sys.modules),
        "handler": os.environ["_HANDLER"],
        "log_format": os.environ.get("AWS_LAMBDA_LOG_FORMAT"),
        "extra": os.environ.get("EXTRA"),
        "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
        "invoked_arn": context.invoked_function_arn,
    }
""",
    "boom": """
def handler(event, context):
    raise ValueError("boom: " + str(event.get("why")))
""",
    "sleepy": """
import time
def handler(event, context):
    time.sleep(event["seconds"])
    return {"slept": event["seconds"]}
""",
    "hungry": """
def handler(event, context):
    block = bytearray(event["mb"] * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return {"allocated_mb": event["mb"]}
""",
    "spin": """
import time
def handler(event, context):
    started = time.perf_counter()
    total = 0
    for number in range(event["loops"]):
        total += number * number
    return {"seconds": time.perf_counter() - started}
""",
    "spawner": """
import subprocess, time
def handler(event, context):
    # A process of its own, in the runtime's session or one of its own (as a daemon would)
    child = subprocess.Popen(["sleep", "120"], start_new_session=event.get("escape", False))
    time.sleep(event.get("then_sleep", 0))
    return {"child": child.pid}
""",
    "broken": """
import a_module_that_does_not_exist
def handler(event, context):
    return {}
""",
}


@pytest.fixture(scope="session")
def runtime_dir() -> Path:
    builder = Builder(ROOT, Target.host(), progress=lambda _: None)
    return builder.build(RUNTIME).path


@pytest.fixture(scope="session")
def function_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directories = {}
    for name, source in HANDLERS.items():
        directory = tmp_path_factory.mktemp(f"function-{name}")
        (directory / "handler.py").write_text(source)
        directories[name] = directory
    return directories


def spec_for(
    function_dirs: dict[str, Path],
    runtime_dir: Path,
    *,
    pure_python_client: bool = False,
    cpu_limit: str = "auto",
    logs: Path | None = None,
    **configuration: Any,
) -> ServiceSpec:
    functions = tuple(
        FunctionSpec(
            name,
            Code(task_root=directory, layers=(), handler="handler.handler"),
            Configuration(**{"memory_mb": 256, "timeout_s": 30, "log_format": "Text", **configuration}),
        )
        for name, directory in function_dirs.items()
    )
    return ServiceSpec(
        functions=functions,
        python=find_python("3.13"),
        runtime_dir=runtime_dir,
        pure_python_client=pure_python_client,
        cpu_limit=cpu_limit,
        logs_dir=logs,
        update_seconds=0.2,
    )


def lambda_client(endpoint: str, **config: Any) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=120, **config),
    )


@pytest.fixture(scope="module", params=["c-extension", "pure-python"])
def service(
    request: pytest.FixtureRequest, function_dirs: dict[str, Path], runtime_dir: Path
) -> Iterator[LocalLambda]:
    """The service with every test function, under each transport of the runtime client."""
    spec = spec_for(function_dirs, runtime_dir, pure_python_client=request.param == "pure-python")
    with LocalLambda(spec) as running:
        yield running


@pytest.fixture
def client(service: LocalLambda) -> Any:
    return lambda_client(service.endpoint)


def set_configuration(client: Any, name: str, **changes: Any) -> None:
    """Update a function's configuration and wait, as boto3's waiter does, until it is done."""
    client.update_function_configuration(FunctionName=name, **changes)
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})


def cgroups_of(pid: int) -> list[Path]:
    """cgroup directories named after a service process, wherever the tool makes them:
    by their whole name, as another service's (`concurrency-eval-17021` for 702) or a
    function's (`concurrency-eval-sync-a702f...`) may hold the same digits."""
    found: list[Path] = []
    for root in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/unified")):
        if root.is_dir():
            found.extend(p for p in root.rglob(limits.service_cgroup_name(pid)) if p.is_dir())
    return found


def process_table() -> dict[int, tuple[int, str]]:
    """Every process's parent and state (R, S, Z, ...), from /proc."""
    table: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def environment_pids(service_pid: int) -> list[int]:
    """The service's child processes (its execution environments)."""
    return [pid for pid, (parent, _) in process_table().items() if parent == service_pid]
