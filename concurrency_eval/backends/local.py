"""The local backend: the embedded S3, seeded, and the local Lambda service hosting
the three functions from the bundles the deployment uses.

`LocalDeployment` starts both (and stops both, whatever happens), and gives the sweep
the same thing the AWS backend gives it: a Lambda client, the function names and the
data bucket. It also meters the embedded S3 around each group of invocations, since
the emulator's own CPU can set the pace of the concurrent models.
"""

import os
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

import boto3
from botocore.config import Config

from bundling.build import Builder, Bundle, Target, find_python, host_architecture
from concurrency_eval.backends.local_options import LOCAL_KEY, LocalOptions, function_name
from concurrency_eval.backends.under_test import INVOKE_CONFIG, FunctionsUnderTest
from concurrency_eval.emulators.child_process import StartsAndStops
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from concurrency_eval.emulators.lambda_service import cpu_speed
from concurrency_eval.emulators.lambda_service.functions import Code, Configuration
from concurrency_eval.emulators.lambda_service.server import FunctionSpec, LocalLambda, ServiceSpec
from concurrency_eval.results.document import ModelRun
from concurrency_eval.workload.dataset import DataSetSpec, seed
from contracts.bundles import RUNTIME, runtime_name
from contracts.function import HANDLER
from contracts.lambda_limits import INIT_VCPUS

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient


class Progress(Protocol):
    """What starting the local deployment reports; the command line draws it."""

    def phase(self, description: str, total: int | None = None) -> None: ...

    def advance(self, steps: int = 1) -> None: ...

    def detail(self, message: str) -> None:
        """Where the phase under way stands."""

    def note(self, message: str) -> None: ...


class _Silent:
    def phase(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


def evaluation_function(
    name: str,
    model: str,
    bundles: Mapping[str, Bundle],
    python_version: str,
    architecture: str,
    configuration: Configuration,
) -> FunctionSpec:
    """`model`'s function as the stack deploys it, from the built bundles: its own code
    on the dependencies' and the framework's layers, for `architecture` as Lambda reports
    it (the code runs on this machine's)."""
    return FunctionSpec(
        name=name,
        code=Code(
            task_root=bundles[model].path,
            layers=(bundles["pypi"].path, bundles["framework"].path),
            handler=HANDLER,
            runtime=runtime_name(python_version),
            architecture=architecture,
        ),
        configuration=configuration,
    )


class LocalDeployment(StartsAndStops):
    """The embedded S3 with the data set and the local Lambda service with the functions."""

    def __init__(
        self,
        root: Path,
        options: LocalOptions,
        dataset: DataSetSpec,
        models: tuple[str, ...],
        logs_dir: Path | None,
        progress: Progress | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        echo_logs: bool = False,
    ) -> None:
        """`host` and `port` are where the Lambda API listens (0: any free port);
        `echo_logs` shows every environment's log on standard error as it is written."""
        self._root = root
        self._options = options
        self._dataset = dataset
        self._models = models
        self._logs_dir = logs_dir
        self._progress = progress or _Silent()
        self._host, self._port, self._echo_logs = host, port, echo_logs
        self._builder = Builder(root, Target.host(), progress=self._progress.detail)
        self.s3 = EmbeddedS3(tls=options.tls)
        self.cpu_speed: cpu_speed.CpuSpeed | None = None
        self.service: LocalLambda | None = None
        self.functions = {model: function_name(model) for model in models}

    def start(self) -> Self:
        """Start the S3 and the service (once); on any failure, stop whatever had started."""
        if self.service is not None:
            return self
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        progress = self._progress
        self.s3.start()
        objects = self._dataset.objects
        progress.phase(f"seeding {self._dataset.describe_size()}", total=objects)
        seeded = seed(
            self.s3_client(), self._options.data_bucket, self._dataset, create_bucket=True,
            on_object=progress.advance,
        )  # fmt: skip
        progress.detail(f"{seeded.uploaded} uploaded, {seeded.unchanged} already there")
        progress.phase("building the bundles and AWS's runtime client with uv")
        bundles = self._builder.build_all(("pypi", "framework", RUNTIME, *self._models))
        progress.detail(f"{len(bundles)} bundles for {self._builder.target.label}")
        self.s3.set_faults(self._options.faults(self._dataset.seed))
        python = find_python(self._builder.target.python_version)
        self.cpu_speed = self._cpu_speed(python)
        options = self._options
        functions = tuple(
            evaluation_function(
                name, model, bundles, self._builder.target.python_version, host_architecture(),
                Configuration(
                    memory_mb=options.memory_mb, timeout_s=options.timeout_s, log_format=options.log_format,
                    environment={**options.function_settings(), **options.overrides.get(model, {})},
                ),
            )
            for model, name in self.functions.items()
        )  # fmt: skip
        spec = ServiceSpec(
            functions=functions,
            python=python,
            runtime_dir=bundles[RUNTIME].path,
            pure_python_client=self._options.pure_python_client,
            cpu_limit=self._options.cpu_limit,
            logs_dir=self._logs_dir,
            update_seconds=0.3,
            base_environment=self._s3_environment(),
            cpu_speed=self.cpu_speed.factor,
            echo_logs=self._echo_logs,
        )
        progress.phase("starting the local Lambda service")
        self.service = LocalLambda(spec, host=self._host, port=self._port).start()
        progress.note(f"local Lambda service started (CPU limit: {self.service.cpu_limit})")

    def _cpu_speed(self, python: Path) -> cpu_speed.CpuSpeed:
        if self._options.cpu_speed != "auto":
            return cpu_speed.given(float(self._options.cpu_speed))
        self._progress.phase("measuring this machine's CPU against Lambda's")
        return cpu_speed.measure(python, host_architecture())

    def _s3_environment(self) -> dict[str, str]:
        """What the functions need to reach the embedded S3 as they reach S3: its endpoint,
        and over HTTPS the certificate authority to verify it against (AWS_CA_BUNDLE)."""
        environment = {
            "AWS_ACCESS_KEY_ID": LOCAL_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_KEY,
            "AWS_SESSION_TOKEN": LOCAL_KEY,
            "AWS_ENDPOINT_URL_S3": self.s3.endpoint,
        }
        if self.s3.ca_bundle is not None:
            environment["AWS_CA_BUNDLE"] = str(self.s3.ca_bundle)
        return environment

    @property
    def logs_dir(self) -> Path | None:
        """Where each execution environment's log stream is written."""
        return self._logs_dir

    def s3_client(self) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.s3.endpoint, region_name="us-east-1",
            aws_access_key_id=LOCAL_KEY, aws_secret_access_key=LOCAL_KEY,
            verify=None if self.s3.ca_bundle is None else str(self.s3.ca_bundle),
            config=Config(max_pool_connections=16, retries={"mode": "standard"}),
        )  # fmt: skip

    def lambda_client(self) -> "LambdaClient":
        assert self.service is not None
        return boto3.client(
            "lambda", endpoint_url=self.service.endpoint, region_name="us-east-1", config=INVOKE_CONFIG,
            aws_access_key_id=LOCAL_KEY, aws_secret_access_key=LOCAL_KEY,
        )  # fmt: skip

    def functions_under_test(self) -> FunctionsUnderTest:
        return FunctionsUnderTest(
            self.lambda_client(), dict(self.functions), self._options.data_bucket, poll_seconds=0.1
        )

    def meter(self) -> "S3Meter":
        return S3Meter(self.s3)

    def describe(self) -> dict[str, Any]:
        return {
            "region": "us-east-1",
            "runner_python": sys.version.split()[0],
            "function_python": str(self._builder.python()),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "cpu_limit": self.service.cpu_limit if self.service else None,
            "max_environments": self.service.max_environments if self.service else None,
            "isolation": self.service.isolation if self.service else None,
            "cpu_speed": None if self.cpu_speed is None else self.cpu_speed.to_dict(),
            "init_vcpus": INIT_VCPUS,
            "log_format": self._options.log_format,
            "bundle_keys": {name: self._builder.key(name)[:16] for name in ("pypi", "framework", RUNTIME)},
        }

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None
        self.s3.stop()


class S3Meter:
    """The embedded S3's CPU time, requests and injected faults while one group ran."""

    def __init__(self, server: EmbeddedS3) -> None:
        self._server = server
        self._cpu = 0.0
        self._started = 0.0

    def begin(self) -> None:
        self._cpu = self._server.reset_stats()["cpu_seconds"]
        self._started = time.perf_counter()

    def end(self, run: ModelRun) -> None:
        stats = self._server.stats()
        run.wall_s = time.perf_counter() - self._started
        run.server_cpu_s = stats["cpu_seconds"] - self._cpu
        run.server_requests = stats["requests"]
        run.faults_injected = stats["faults_injected"]
