"""The service's process: what it hosts (a spec), how it runs, and how the tool starts it.

`python -m concurrency_eval.emulators.lambda_service --spec FILE` serves the Lambda API on
loopback (or --host, --port) until SIGTERM, SIGINT, or (with --exit-with-stdin) until the
tool that started it is gone. `LocalLambda` is the tool's side: it starts that process, reads
its endpoint, and stops it, whatever happens; every execution environment and
cgroup goes with it.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Self

import psutil

from concurrency_eval.emulators.child_process import (
    ChildServer,
    StartsAndStops,
    announce_ready,
    serve_until_told,
)
from concurrency_eval.emulators.lambda_service import limits, sandbox
from concurrency_eval.emulators.lambda_service.environment import EnvironmentPlan, ExecutionEnvironment
from concurrency_eval.emulators.lambda_service.functions import REGION, Code, Configuration, HostedFunction
from concurrency_eval.emulators.lambda_service.lambda_api import IDLE_TIMEOUT_S, LambdaApiServer
from concurrency_eval.emulators.lambda_service.log_echo import LogEcho
from concurrency_eval.emulators.lambda_service.runtime import runtime_command
from concurrency_eval.emulators.lambda_service.service import LambdaService, log_file, log_stream_name
from contracts.function import ALIAS
from contracts.lambda_limits import ACCOUNT_CONCURRENCY, INIT_TIMEOUT_S


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    code: Code
    configuration: Configuration


@dataclass(frozen=True)
class ServiceSpec:
    """Everything the service process needs to host its functions."""

    functions: tuple[FunctionSpec, ...]
    #: The Python interpreter of the runtime's version, and AWS's runtime client bundle.
    python: Path
    runtime_dir: Path
    #: Use the pure-Python transport even where the runtime client's C extension loads.
    pure_python_client: bool = False
    #: "auto", "cgroup-v2", "cgroup-v1", "duty-cycle", or "none" (no CPU limit).
    cpu_limit: str = "auto"
    logs_dir: Path | None = None
    #: How long an UpdateFunctionConfiguration stays InProgress.
    update_seconds: float = 0.3
    #: Execution environments alive at once, across functions; None sizes it from this
    #: machine's memory (`environments_this_machine_holds`).
    max_environments: int | None = None
    #: Variables every environment gets, as Lambda gives credentials and the region.
    base_environment: Mapping[str, str] = field(default_factory=dict)
    #: A Lambda vCPU's speed against one of this machine's cores: each environment's CPU
    #: quota is its Lambda share times this (1.0: a core here is a Lambda vCPU).
    cpu_speed: float = 1.0
    #: How long an on-demand INIT may take before it is retried at the first invocation
    #: (Lambda's 10 seconds; shorter only where a test cannot wait that long).
    init_timeout_s: float = INIT_TIMEOUT_S
    #: How long the Lambda API keeps a silent connection open.
    idle_timeout_s: float = IDLE_TIMEOUT_S
    #: Echo every environment's log stream to standard error, after the function's name.
    echo_logs: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> "ServiceSpec":
        data = json.loads(text)
        functions = tuple(
            FunctionSpec(
                name=f["name"],
                code=Code(
                    task_root=Path(f["code"]["task_root"]),
                    layers=tuple(Path(p) for p in f["code"]["layers"]),
                    handler=f["code"]["handler"],
                    runtime=f["code"]["runtime"],
                    architecture=f["code"]["architecture"],
                ),
                configuration=Configuration(**f["configuration"]),
            )
            for f in data.pop("functions")
        )
        logs_dir = data.pop("logs_dir", None)
        return cls(
            functions=functions,
            python=Path(data.pop("python")),
            runtime_dir=Path(data.pop("runtime_dir")),
            logs_dir=Path(logs_dir) if logs_dir else None,
            **data,
        )


def environment_variables(
    spec: ServiceSpec, function: HostedFunction, environment: ExecutionEnvironment
) -> dict[str, str]:
    """What Lambda puts in a function's environment: its own variables, then the reserved ones."""
    configuration = environment.configuration
    version = function.code.runtime.removeprefix("python")
    reserved = {
        "_HANDLER": function.code.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": environment.target.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration.memory_mb),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name(function, environment),
        "AWS_LAMBDA_LOG_FORMAT": configuration.log_format,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": str(function.code.task_root),
        "LAMBDA_RUNTIME_DIR": str(spec.runtime_dir),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    return {**configuration.environment, **spec.base_environment, **reserved}


class _Planner:
    def __init__(self, spec: ServiceSpec, log_echo: Callable[[str, bytes], None] | None) -> None:
        self._spec = spec
        self._log_echo = log_echo

    def __call__(self, function: HostedFunction, environment: ExecutionEnvironment) -> EnvironmentPlan:
        spec = self._spec
        command = runtime_command(
            spec.python, function.code.task_root, function.code.layers, spec.runtime_dir,
            pure_python_client=spec.pure_python_client,
        )  # fmt: skip
        interpreter = Path(spec.python).resolve().parent.parent
        walls = (function.code.task_root, *function.code.layers, spec.runtime_dir, interpreter)
        return EnvironmentPlan(
            command=command,
            environment=environment_variables(spec, function, environment),
            log_file=None if spec.logs_dir is None else log_file(spec.logs_dir, function, environment),
            log_echo=self._log_echo,
            read_only=None if sandbox.unavailable() else walls,
        )


def build_service(spec: ServiceSpec, log_echo: Callable[[str, bytes], None] | None = None) -> LambdaService:
    method = limits.choose_method(spec.cpu_limit)
    functions = [HostedFunction(f.name, f.code, f.configuration, spec.update_seconds) for f in spec.functions]
    for function in functions:
        # As the stacks deploy every function: a published version and the alias on it.
        version = function.publish(None, None, None)["Version"]
        function.create_alias(ALIAS, version, "")
    cap = spec.max_environments or environments_this_machine_holds()
    return LambdaService(
        functions, _Planner(spec, log_echo), method, cap, cpu_speed=spec.cpu_speed,
        init_timeout_s=spec.init_timeout_s,
    )  # fmt: skip


#: What an execution environment holds resident: a Python runtime with boto3, aiobotocore
#: and Powertools measures 55-90 MB (Max Memory Used); Lambda's smallest size, with room.
ENVIRONMENT_FOOTPRINT_MB = 128


def environments_this_machine_holds() -> int:
    """As many environments as half the free memory holds, at most Lambda's account
    concurrency: beyond that Lambda would throttle anyway, and this machine would swap."""
    available_mb = psutil.virtual_memory().available / 2**20
    return max(1, min(ACCOUNT_CONCURRENCY, int(available_mb / 2 / ENVIRONMENT_FOOTPRINT_MB)))


class CannotListen(RuntimeError):
    """The Lambda API cannot listen where it was told (the port is taken, the address is
    not this machine's); the message says where and why."""


def serve(spec: ServiceSpec, host: str, port: int, exit_with_stdin: bool) -> None:
    """Serve until SIGTERM or SIGINT, or until standard input closes (the tool is gone)."""
    limits.remove_stale()
    log_echo = LogEcho(sys.stderr).start() if spec.echo_logs else None
    service = build_service(spec, log_echo)
    try:
        api = LambdaApiServer(service, host, port, spec.idle_timeout_s)
    except OSError as error:
        service.close()
        raise CannotListen(f"the Lambda API cannot listen on {host} port {port}: {error.strerror}") from None
    stop = threading.Event()
    serve_until_told(stop.set, exit_with_stdin)
    api.start()
    announce_ready(
        endpoint=api.endpoint, cpu_limit=service.cpu_limit, max_environments=service.max_environments,
        isolation=sandbox.unavailable() or "walled",
    )  # fmt: skip
    try:
        while not stop.wait(0.5):
            pass
    finally:
        api.stop()
        service.close()
        if log_echo is not None:
            log_echo.close()


class ServiceError(RuntimeError):
    """The service could not start; the message says why and what to do."""


class LocalLambda(StartsAndStops):
    """Start the local Lambda service in a child process; stop it, whatever happens, on exit."""

    def __init__(
        self, spec: ServiceSpec, start_timeout: float = 60.0, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._spec = spec
        self._start_timeout = start_timeout
        self._host, self._port = host, port
        self._child: ChildServer | None = None
        self._spec_file: Path | None = None
        self.endpoint = ""
        self.cpu_limit = ""
        self.max_environments = 0
        self.isolation = ""

    def start(self) -> Self:
        handle, name = tempfile.mkstemp(prefix="lambda-service-", suffix=".json")
        with os.fdopen(handle, "w") as spec_file:
            spec_file.write(self._spec.to_json())
        self._spec_file = Path(name)
        self._child = ChildServer(
            "concurrency_eval.emulators.lambda_service",
            ["--spec", name, "--host", self._host, "--port", str(self._port)],
            what="the local Lambda service",
            start_timeout=self._start_timeout,
            # Its environments and cgroups go with it: give it time to end them.
            grace_s=15,
            new_session=True,
            failure=ServiceError,
        )
        try:
            ready = self._child.start()
        except ServiceError:
            self.stop()
            raise
        finally:
            # Read by the child before it is ready: gone now, whatever happens later.
            self._remove_spec()
        self.endpoint, self.cpu_limit = ready["endpoint"], ready["cpu_limit"]
        self.max_environments = int(ready["max_environments"])
        #: "walled", or why environments run without walls here (`sandbox`).
        self.isolation = str(ready["isolation"])
        return self

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()
        self._remove_spec()

    def _remove_spec(self) -> None:
        if self._spec_file is not None:
            self._spec_file.unlink(missing_ok=True)
            self._spec_file = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m concurrency_eval.emulators.lambda_service",
        description="Serve the Lambda API on loopback for the functions a spec file names.",
    )
    parser.add_argument("--spec", type=Path, required=True, help="the service spec (JSON)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args(argv)
    try:
        spec = ServiceSpec.from_json(args.spec.read_text())
    except (OSError, ValueError, KeyError, TypeError) as error:
        parser.error(f"--spec: {error}")
    try:
        serve(spec, args.host, args.port, args.exit_with_stdin)
    except (limits.LimitsUnavailable, CannotListen) as error:
        print(json.dumps({"error": str(error)}), flush=True)
        sys.exit(3)
