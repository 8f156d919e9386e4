"""The evaluation on this machine: embedded S3, host bundles, one process per function.

Each model runs alone, one after another, so that they never compete for the CPU:
a fresh process (its init is the cold start), a first (cold) invocation, then warm
invocations. The S3 server's CPU time is recorded per model, to show when the
emulator rather than the function sets the pace.
"""

import datetime
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from concurrency_eval.build import FUNCTIONS, Builder, Target
from concurrency_eval.dataset import DataSetSpec, seed
from concurrency_eval.embedded_s3 import EmbeddedS3, FaultRule, Faults
from concurrency_eval.function_process import FunctionProcess, InvocationRecord, lambda_environment
from concurrency_eval.results import Invocation, ModelRun, Results, started_now

BUCKET = "concurrency-eval-local"
#: Median S3 latency for small GETs is "in the tens of milliseconds" (AWS whitepaper
#: "Best Practices Design Patterns: Optimizing Amazon S3 Performance", section
#: "Timeouts and Retries for Latency-Sensitive Applications"); 20 ms sits there.
DEFAULT_LATENCY_MS = 20.0
DEFAULT_JITTER_MS = 5.0


@dataclass(frozen=True)
class LocalSettings:
    dataset: DataSetSpec = field(default_factory=DataSetSpec)
    invocations: int = 2
    concurrency: int = 64
    latency_ms: float = DEFAULT_LATENCY_MS
    jitter_ms: float = DEFAULT_JITTER_MS
    error_rate: float = 0.0
    server_error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = 1000.0
    fault_keys: tuple[str, ...] = ()
    models: tuple[str, ...] = FUNCTIONS
    timeout_s: float = 60.0
    memory_mb: int = 1024
    #: The functions' S3 retry settings (S3FANOUT_MAX_ATTEMPTS, S3FANOUT_RETRY_MODE);
    #: None keeps the framework's defaults.
    max_attempts: int | None = None
    retry_mode: str | None = None

    def function_settings(self) -> dict[str, str]:
        settings = {}
        if self.max_attempts is not None:
            settings["S3FANOUT_MAX_ATTEMPTS"] = str(self.max_attempts)
        if self.retry_mode is not None:
            settings["S3FANOUT_RETRY_MODE"] = self.retry_mode
        return settings

    def faults(self) -> Faults:
        rules = [FaultRule(key=key, status=503, code="SlowDown") for key in self.fault_keys]
        if self.error_rate:
            rules.append(FaultRule(rate=self.error_rate, status=503, code="SlowDown"))
        if self.server_error_rate:
            rules.append(FaultRule(rate=self.server_error_rate, status=500, code="InternalError"))
        if self.slow_rate:
            rules.append(FaultRule(rate=self.slow_rate, delay_ms=self.slow_ms))
        return Faults(
            latency_ms=self.latency_ms, jitter_ms=self.jitter_ms, rules=tuple(rules), seed=self.dataset.seed
        )

    def event(self) -> dict[str, Any]:
        return self.dataset.event(BUCKET, self.concurrency)


class Progress:
    """What a local run reports as it goes; the command line draws it with rich."""

    def phase(self, description: str, total: int | None = None) -> None: ...

    def advance(self, steps: int = 1) -> None: ...

    def note(self, message: str) -> None: ...


def run_local(root: Path, settings: LocalSettings, logs: Path, progress: Progress | None = None) -> Results:
    progress = progress or Progress()
    started_at = started_now()
    with EmbeddedS3() as server:
        progress.note(f"embedded S3 on {server.endpoint}")
        client = boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(max_pool_connections=16, retries={"mode": "standard"}),
        )
        progress.phase(f"seeding {settings.dataset.objects} objects", total=settings.dataset.objects)
        seeded = seed(client, BUCKET, settings.dataset, create_bucket=True, on_object=progress.advance)
        progress.note(f"seeded: {seeded.uploaded} uploaded, {seeded.unchanged} unchanged")

        progress.phase("building host bundles with uv")
        builder = Builder(root, Target.host(), progress=progress.note)
        bundles = builder.build_all(("pypi", "framework", *settings.models))

        server.set_faults(settings.faults())
        runs = []
        for model in settings.models:
            progress.phase(
                f"{model}: cold start, then {settings.invocations} warm", total=1 + settings.invocations
            )
            environment = lambda_environment(model, bundles[model].path, server.endpoint, settings.memory_mb)
            environment.update(settings.function_settings())
            process = FunctionProcess(model, bundles, environment, logs / f"{model}.log", settings.timeout_s)
            runs.append(_run_model(model, process, server, settings, progress.advance))
    return Results(
        kind="local",
        started_at=started_at,
        settings=_describe(settings),
        environment=_environment(builder),
        expected_result=settings.dataset.magic_key,
        models=runs,
    )


def _run_model(
    model: str,
    process: FunctionProcess,
    server: EmbeddedS3,
    settings: LocalSettings,
    advance: Callable[[], None],
) -> ModelRun:
    server.reset_stats()
    cpu_before, wall_before = server.stats()["cpu_seconds"], time.perf_counter()
    with process:
        init = process.start()
        run = ModelRun(model, init.init_ms, init.cpu_ms, init.peak_rss_kb / 1024)
        event = settings.event()
        cold = True
        for index in range(1 + settings.invocations):
            if process.pid is None:
                # A timeout or a crash ended the environment: the next one starts cold.
                process.start()
                cold = True
            record = process.invoke(event)
            run.invocations.append(_invocation(model, index, record, settings, cold))
            cold = False
            advance()
    run.wall_s = time.perf_counter() - wall_before
    stats = server.stats()
    run.server_cpu_s = stats["cpu_seconds"] - cpu_before
    run.server_requests = stats["requests"]
    run.faults_injected = stats["faults_injected"]
    return run


def _invocation(
    model: str, index: int, record: InvocationRecord, settings: LocalSettings, cold: bool
) -> Invocation:
    response = record.response or {}
    structured = response.get("error")
    error = structured["type"] if structured else record.error.get("errorType") if record.error else None
    result = response.get("result")
    return Invocation(
        model=model,
        kind="cold" if cold else "warm",
        index=index,
        duration_ms=record.duration_ms,
        cpu_ms=record.cpu_ms,
        peak_rss_mb=record.peak_rss_kb / 1024,
        result=result,
        handler_time_s=response.get("time"),
        objects=response.get("objects"),
        error=error,
        correct=error is None and result == settings.dataset.magic_key,
        memory_mb=settings.memory_mb,
    )


def _describe(settings: LocalSettings) -> dict[str, Any]:
    described = asdict(settings)
    described["event"] = settings.event()
    return described


def _environment(builder: Builder) -> dict[str, Any]:
    return {
        "runner_python": sys.version.split()[0],
        "function_python": str(builder.python()),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "bundle_keys": {name: builder.key(name)[:16] for name in ("pypi", "framework")},
    }


def default_output(base: Path, now: datetime.datetime | None = None) -> Path:
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return base / f"local-{stamp}"


def parse_models(text: str, known: Sequence[str] = FUNCTIONS) -> tuple[str, ...]:
    models = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [model for model in models if model not in known]
    if unknown or not models:
        raise ValueError(f"unknown model {unknown[0] if unknown else text!r}; choose from {', '.join(known)}")
    return models
