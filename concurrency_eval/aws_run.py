"""The evaluation on AWS: a memory sweep of the three deployed functions, side by side.

Like AWS Lambda Power Tuning, but for three models at once. For each memory size it
updates the three functions (which forces new execution environments), waits until
the update is done, records one cold invocation and then warm ones, reading Lambda's
own REPORT line for each. Every function's original configuration is restored at the
end, also after an error or Ctrl-C. Failures (function errors, throttles, timeouts)
are recorded as data.
"""

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from concurrency_eval.build import FUNCTIONS
from concurrency_eval.dataset import DataSetSpec
from concurrency_eval.lambda_report import decode_tail, parse_report
from concurrency_eval.pricing import DEFAULT_PRICES, Prices
from concurrency_eval.results import Invocation, ModelRun, Results

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient
    from types_boto3_lambda import LambdaClient

DEFAULT_MEMORY_SIZES = (128, 256, 512, 1024, 1769, 3008)
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10240
#: Set on each function during a sweep step so that every step starts cold.
SWEEP_VARIABLE = "CONCURRENCY_EVAL_SWEEP"


class RunError(RuntimeError):
    """The sweep cannot start or go on; the message says why and what to do."""


class OverBudget(RunError):
    """The plan may cost more than --budget allows: the settings, not AWS, must change."""


@dataclass(frozen=True)
class Deployment:
    stack: str
    data_bucket: str
    functions: dict[str, str]


@dataclass(frozen=True)
class SweepSettings:
    memory_sizes: tuple[int, ...] = DEFAULT_MEMORY_SIZES
    invocations: int = 10
    parallelism: int = 1
    dataset: DataSetSpec = field(default_factory=DataSetSpec)
    concurrency: int | None = None
    models: tuple[str, ...] = FUNCTIONS
    prices: Prices = DEFAULT_PRICES
    budget_usd: float | None = None
    #: Seconds assumed per invocation for the estimate; the worst case is the timeout.
    expected_seconds: float = 5.0

    def event(self, bucket: str) -> dict[str, Any]:
        return self.dataset.event(bucket, self.concurrency)


@dataclass(frozen=True)
class Plan:
    steps: tuple[int, ...]
    models: tuple[str, ...]
    invocations: int
    gb_seconds_expected: float
    gb_seconds_worst: float
    cost_expected_usd: float
    cost_worst_usd: float

    def describe(self) -> str:
        return (
            f"memory sizes {', '.join(f'{m} MB' for m in self.steps)} x {', '.join(self.models)}: "
            f"{self.invocations} invocations; about {self.gb_seconds_expected:,.0f} GB-s "
            f"(${self.cost_expected_usd:.4f}), at most {self.gb_seconds_worst:,.0f} GB-s "
            f"(${self.cost_worst_usd:.4f}) if every invocation ran to its timeout"
        )


def validate_memory_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    bad = [size for size in sizes if not MIN_MEMORY_MB <= size <= MAX_MEMORY_MB]
    if bad:
        raise ValueError(f"memory sizes must be {MIN_MEMORY_MB} to {MAX_MEMORY_MB} MB; got {bad[0]}")
    if len(set(sizes)) != len(sizes):
        raise ValueError("memory sizes repeat")
    return tuple(sizes)


def discover(cloudformation: "CloudFormationClient", stack: str, models: Sequence[str]) -> Deployment:
    """The data bucket and function names, from the evaluation stack's outputs."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise RunError(
            f"stack {stack!r} was not found ({error}); deploy it with `npx cdk deploy --all`"
        ) from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    wanted = ["DataBucketName", *(f"{m.capitalize()}FunctionName" for m in models)]
    missing = [key for key in wanted if key not in outputs]
    if missing:
        raise RunError(
            f"stack {stack!r} lacks the outputs {', '.join(missing)}; is it this app's evaluation stack?"
        )
    return Deployment(
        stack, outputs["DataBucketName"], {m: outputs[f"{m.capitalize()}FunctionName"] for m in models}
    )


def plan(settings: SweepSettings, configurations: dict[str, dict[str, Any]]) -> Plan:
    per_step = len(settings.models) * (1 + settings.invocations)
    architecture = _architecture(next(iter(configurations.values())))
    expected = worst = 0.0
    cost_expected = cost_worst = 0.0
    for memory in settings.memory_sizes:
        for model in settings.models:
            timeout = float(configurations[model]["Timeout"])
            calls = 1 + settings.invocations
            expected += calls * settings.expected_seconds * memory / 1024
            worst += calls * timeout * memory / 1024
            cost_expected += calls * settings.prices.invocation_cost(
                settings.expected_seconds * 1000, memory, architecture
            )
            cost_worst += calls * settings.prices.invocation_cost(timeout * 1000, memory, architecture)
    return Plan(
        settings.memory_sizes, settings.models, per_step * len(settings.memory_sizes),
        expected, worst, cost_expected, cost_worst,
    )  # fmt: skip


def check_budget(the_plan: Plan, budget_usd: float | None) -> None:
    if budget_usd is not None and the_plan.cost_worst_usd > budget_usd:
        raise OverBudget(
            f"the plan may cost up to ${the_plan.cost_worst_usd:.4f}, over the budget of ${budget_usd:.4f}; "
            "sweep fewer memory sizes, run fewer invocations, or raise --budget"
        )


class Sweep:
    """Runs the plan against the deployed functions, restoring them whatever happens."""

    def __init__(
        self,
        lambda_client: "LambdaClient",
        deployment: Deployment,
        settings: SweepSettings,
        on_invocation: Callable[[str, int, Invocation], None] = lambda *_: None,
        on_step: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._lambda = lambda_client
        self._deployment = deployment
        self._settings = settings
        self._on_invocation = on_invocation
        self._on_step = on_step
        self._run_id = uuid.uuid4().hex[:12]

    def configurations(self) -> dict[str, dict[str, Any]]:
        return {
            model: dict(self._lambda.get_function_configuration(FunctionName=name))
            for model, name in self._deployment.functions.items()
        }

    def run(self, originals: dict[str, dict[str, Any]]) -> list[ModelRun]:
        runs: list[ModelRun] = []
        with self._restoring(originals):
            for memory in self._settings.memory_sizes:
                self._on_step(f"{memory} MB: updating the functions")
                for model in self._settings.models:
                    self._configure(model, memory, originals[model], step=str(memory))
                for model in self._settings.models:
                    self._wait(model)
                for model in self._settings.models:
                    self._on_step(f"{memory} MB: {model}")
                    runs.append(self._measure(model, memory, originals[model]))
        return runs

    @contextmanager
    def _restoring(self, originals: dict[str, dict[str, Any]]) -> Iterator[None]:
        try:
            yield
        finally:
            self._on_step("restoring the original configurations")
            for model in self._settings.models:
                self._configure(model, originals[model]["MemorySize"], originals[model], step=None)
            for model in self._settings.models:
                self._wait(model)

    def _configure(self, model: str, memory: int, original: dict[str, Any], step: str | None) -> None:
        variables = dict(original.get("Environment", {}).get("Variables", {}))
        if step is not None:
            variables[SWEEP_VARIABLE] = f"{self._run_id}-{step}"
        self._lambda.update_function_configuration(
            FunctionName=self._deployment.functions[model],
            MemorySize=memory,
            Environment={"Variables": variables},
        )

    def _wait(self, model: str) -> None:
        waiter = self._lambda.get_waiter("function_updated_v2")
        waiter.wait(
            FunctionName=self._deployment.functions[model], WaiterConfig={"Delay": 1, "MaxAttempts": 300}
        )

    def _measure(self, model: str, memory: int, original: dict[str, Any]) -> ModelRun:
        architecture = _architecture(original)
        cold = self._invoke(model, memory, 0, "cold", architecture)
        run = ModelRun(
            model,
            init_ms=cold.init_ms or 0.0,
            init_cpu_ms=0.0,
            init_rss_mb=cold.peak_rss_mb,
            memory_mb=memory,
        )
        run.invocations.append(cold)
        indexes = range(1, 1 + self._settings.invocations)
        with ThreadPoolExecutor(self._settings.parallelism) as pool:
            warm = pool.map(lambda i: self._invoke(model, memory, i, "warm", architecture), indexes)
            run.invocations.extend(warm)
        return run

    def _invoke(self, model: str, memory: int, index: int, kind: str, architecture: str) -> Invocation:
        event = self._settings.event(self._deployment.data_bucket)
        expected = self._settings.dataset.magic_key
        invocation = invoke_once(self._lambda, self._deployment.functions[model], event)
        billed = invocation.pop("billed_ms")
        prices = self._settings.prices
        record = Invocation(
            model=model, kind=kind, index=index, memory_mb=memory, cpu_ms=None,
            correct=invocation["error"] is None and invocation["result"] == expected,
            cost_usd=None if billed is None else prices.invocation_cost(billed, memory, architecture),
            billed_ms=billed, **invocation,
        )  # fmt: skip
        self._on_invocation(model, memory, record)
        return record


def invoke_once(client: "LambdaClient", function: str, event: dict[str, Any]) -> dict[str, Any]:
    """One synchronous invocation, with its REPORT line; failures become data."""
    fields: dict[str, Any] = {
        "duration_ms": 0.0, "peak_rss_mb": 0.0, "result": None, "handler_time_s": None,
        "objects": None, "error": None, "billed_ms": None, "init_ms": None,
    }  # fmt: skip
    try:
        response = client.invoke(FunctionName=function, Payload=json.dumps(event).encode(), LogType="Tail")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        fields["error"] = "Throttled" if code == "TooManyRequestsException" else code
        return fields
    except BotoCoreError as error:
        fields["error"] = type(error).__name__
        return fields
    report = parse_report(decode_tail(response.get("LogResult")))
    if report is not None:
        fields.update(
            duration_ms=report.duration_ms, billed_ms=report.billed_ms, init_ms=report.init_ms,
            peak_rss_mb=float(report.max_memory_used_mb),
        )  # fmt: skip
    try:
        payload = json.loads(response["Payload"].read() or b"null")
    except json.JSONDecodeError:
        payload = None
    if response.get("FunctionError"):
        error_type = payload.get("errorType") if isinstance(payload, dict) else None
        fields["error"] = error_type or (report.error_type if report else None) or response["FunctionError"]
        if report is not None and report.status == "timeout":
            fields["error"] = "Sandbox.Timedout"
        return fields
    if isinstance(payload, dict):
        structured = payload.get("error")
        fields.update(
            result=payload.get("result"), handler_time_s=payload.get("time"), objects=payload.get("objects"),
            error=structured.get("type") if isinstance(structured, dict) else None,
        )  # fmt: skip
    return fields


def _architecture(configuration: dict[str, Any]) -> str:
    architectures = configuration.get("Architectures") or ["x86_64"]
    return str(architectures[0])


RECORDED_CONFIGURATION = (
    "FunctionName",
    "Runtime",
    "Architectures",
    "MemorySize",
    "Timeout",
    "CodeSha256",
    "Layers",
)


def results(
    deployment: Deployment,
    settings: SweepSettings,
    originals: dict[str, dict[str, Any]],
    runs: list[ModelRun],
    started_at: str,
    region: str | None,
) -> Results:
    described = asdict(settings)
    described["event"] = settings.event(deployment.data_bucket)
    described["stack"] = deployment.stack
    return Results(
        kind="aws",
        started_at=started_at,
        settings=described,
        environment={
            "region": region,
            "functions": {
                model: {key: original.get(key) for key in RECORDED_CONFIGURATION}
                for model, original in originals.items()
            },
        },
        expected_result=settings.dataset.magic_key,
        models=runs,
    )
