"""The service: hosted functions, their execution environments, and Invoke.

Environments are made on demand and kept while what they run is unchanged: an
invocation takes an idle environment of the version it names, as that version is
configured now (warm), or gets a new one (cold, with an INIT phase) when every such
environment is busy, up to the function's reserved concurrency (shared by all its
versions, as on Lambda) and the service's own limit, beyond which it is throttled, as
Lambda throttles. A configuration change of $LATEST retires $LATEST's environments, and
deleting a version retires that version's: idle ones at once, busy ones when their
invocation ends. A published version's configuration never changes, so its
environments run with its memory size whatever $LATEST becomes.
"""

import base64
import datetime
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from concurrency_eval.emulators.lambda_service.environment import (
    EnvironmentPlan,
    ExecutionEnvironment,
    InitOutcome,
    Outcome,
)
from concurrency_eval.emulators.lambda_service.functions import (
    HostedFunction,
    LambdaApiError,
    Target,
    not_found,
)
from concurrency_eval.emulators.lambda_service.limits import confine
from contracts import lambda_logs
from contracts.lambda_limits import INIT_TIMEOUT_S, LOG_TAIL_BYTES, MAX_PAYLOAD_BYTES

#: Planned per environment: the command and variables that start its runtime.
Planner = Callable[[HostedFunction, ExecutionEnvironment], EnvironmentPlan]


@dataclass
class InvokeResult:
    """Invoke's answer: payload, function error, log tail, and what the service measured."""

    payload: bytes
    function_error: str | None
    log_result: str | None
    request_id: str
    #: Measured from outside the process; not part of Lambda's answer.
    cpu_ms: float
    init_cpu_ms: float | None
    cold: bool
    #: The version that ran ($LATEST or a number): Invoke's X-Amz-Executed-Version.
    version: str


@dataclass
class _Pool:
    environments: list[ExecutionEnvironment] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)


class LambdaService:
    """Functions by name, each with its pool of execution environments."""

    def __init__(
        self,
        functions: list[HostedFunction],
        planner: Planner,
        cpu_limit: str,
        max_environments: int,
        *,
        cpu_speed: float = 1.0,
        init_timeout_s: float = INIT_TIMEOUT_S,
    ) -> None:
        self._functions = {function.name: function for function in functions}
        self._planner = planner
        self._cpu_limit = cpu_limit
        self._max_environments = max_environments
        self._cpu_speed = cpu_speed
        self._init_timeout_s = init_timeout_s
        self._pools = {name: _Pool() for name in self._functions}
        self._lock = threading.Lock()
        self._closed = False
        #: Environments out of their pools whose close is under way in another thread.
        self._retiring: set[ExecutionEnvironment] = set()

    @property
    def cpu_limit(self) -> str:
        return self._cpu_limit

    @property
    def max_environments(self) -> int:
        return self._max_environments

    def environment_processes(self) -> set[int]:
        """Every process inside an execution environment now (by their cgroups)."""
        with self._lock:
            environments = [e for pool in self._pools.values() for e in pool.environments]
        return {pid for environment in environments for pid in environment.confinement.processes()}

    def function(self, name: str) -> HostedFunction:
        try:
            return self._functions[name]
        except KeyError:
            raise not_found(name) from None

    def functions(self) -> list[HostedFunction]:
        return list(self._functions.values())

    def update(self, name: str, changes: dict[str, object]) -> HostedFunction:
        function = self.function(name)
        function.update(changes, on_applied=self._retire_idle)
        return function

    def delete_version(self, name: str, qualifier: str) -> None:
        """DeleteFunction with a Qualifier; the version's idle environments end now."""
        function = self.function(name)
        function.delete_version(qualifier)
        self._retire_idle(function)

    # -- Invoke -------------------------------------------------------------------

    def invoke(self, name: str, qualifier: str | None, payload: bytes, tail: bool) -> InvokeResult:
        function = self.function(name)
        target = function.target(qualifier)
        if len(payload) >= MAX_PAYLOAD_BYTES:
            raise LambdaApiError(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation",
            )
        try:
            json.loads(payload or b"{}")
        except ValueError as error:
            raise LambdaApiError(
                400, "InvalidRequestContentException", f"Could not parse request body into json: {error}"
            ) from None
        environment, cold = self._acquire(function, target)
        request_id = str(uuid.uuid4())
        log_format = environment.configuration.log_format
        start = b""
        try:
            init = environment.wait_init(self._init_timeout_s) if cold else None
            if init is not None and init.timed_out:
                # Lambda retries an INIT that outlived its limit at the first invocation,
                # under the function's timeout: the report then has no Init Duration, and
                # the invocation's Duration (billed) includes the retried INIT.
                start = _lines(lambda_logs.init_report_lines(log_format, _now(), init.init_ms))
                environment.retry_init(self._planner(function, environment))
                init = None
            elif init is not None and init.error is not None:
                outcome = _init_failure(request_id, init.error, init.error_type, environment)
                return self._answer(function, environment, outcome, init, b"", tail)
            start += _lines(lambda_logs.start_lines(log_format, _now(), request_id))
            outcome = environment.invoke(request_id, payload or b"{}", qualifier)
            return self._answer(function, environment, outcome, init, start, tail)
        finally:
            self._release(function, environment)

    def _answer(
        self,
        function: HostedFunction,
        environment: ExecutionEnvironment,
        outcome: Outcome,
        init: InitOutcome | None,
        start: bytes,
        tail: bool,
    ) -> InvokeResult:
        init_ms = None if init is None else init.init_ms
        report = lambda_logs.Report(
            request_id=outcome.request_id,
            duration_ms=outcome.duration_ms,
            billed_ms=lambda_logs.billed_duration_ms(outcome.duration_ms, init_ms),
            memory_size_mb=environment.configuration.memory_mb,
            max_memory_used_mb=outcome.max_memory_used_mb,
            init_ms=init_ms,
            status=outcome.status,
            error_type=outcome.error_type,
        )
        end = _lines(lambda_logs.end_lines(environment.configuration.log_format, _now(), report))
        log = start + outcome.output + end
        environment.write_log(log)
        payload, function_error = outcome.payload, outcome.function_error
        if len(payload) >= MAX_PAYLOAD_BYTES:
            payload = json.dumps(
                {
                    "errorMessage": f"Response payload size ({len(payload)} bytes) exceeded maximum "
                    f"allowed payload size ({MAX_PAYLOAD_BYTES} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            ).encode()
            function_error = "Unhandled"
        if outcome.lost:
            self._discard(function, environment)
        return InvokeResult(
            payload=payload,
            function_error=function_error,
            log_result=base64.b64encode(log[-LOG_TAIL_BYTES:]).decode() if tail else None,
            request_id=outcome.request_id,
            cpu_ms=outcome.cpu_ms,
            init_cpu_ms=None if init is None else init.cpu_ms,
            cold=init is not None or outcome.retried_init,
            version=environment.target.version,
        )

    # -- environments ----------------------------------------------------------------

    def _acquire(self, function: HostedFunction, target: Target) -> tuple[ExecutionEnvironment, bool]:
        configuration = target.configuration
        with self._lock:
            if self._closed:
                raise LambdaApiError(503, "ServiceException", "the local Lambda service is shutting down")
            pool = self._pools[function.name]
            # Concurrency is invocations in flight: the reservation bounds them, warm or cold.
            reserved = configuration.reserved_concurrency
            if reserved is not None and len(pool.busy) >= reserved:
                raise _throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
            for environment in pool.environments:
                if environment.id not in pool.busy and environment.target == target:
                    pool.busy.add(environment.id)
                    return environment, False
            if sum(len(p.environments) for p in self._pools.values()) >= self._max_environments:
                self._evict_idle_locked()
                if sum(len(p.environments) for p in self._pools.values()) >= self._max_environments:
                    raise _throttled("ConcurrentInvocationLimitExceeded")
            confinement = confine(
                f"{function.name}-{uuid.uuid4().hex[:8]}", configuration.memory_mb, self._cpu_limit,
                cpu_speed=self._cpu_speed,
            )  # fmt: skip
            environment = ExecutionEnvironment(function.name, function.code, target, confinement)
            pool.environments.append(environment)
            pool.busy.add(environment.id)
        try:
            environment.start(self._planner(function, environment))
        except BaseException:
            self._discard(function, environment)
            raise
        return environment, True

    def _release(self, function: HostedFunction, environment: ExecutionEnvironment) -> None:
        current = function.runs(environment.target)
        with self._lock:
            pool = self._pools[function.name]
            pool.busy.discard(environment.id)
            retire = not current and environment in pool.environments
            if retire:
                pool.environments.remove(environment)
                self._retiring.add(environment)
        if retire:
            self._close_retired(environment)

    def _discard(self, function: HostedFunction, environment: ExecutionEnvironment) -> None:
        with self._lock:
            pool = self._pools[function.name]
            if environment in pool.environments:
                pool.environments.remove(environment)
            self._retiring.add(environment)
        self._close_retired(environment)

    def _retire_idle(self, function: HostedFunction) -> None:
        """After a configuration change or a deleted version: idle environments of what no
        longer runs end now."""
        with self._lock:
            pool = self._pools[function.name]
            idle = [e for e in pool.environments if e.id not in pool.busy]
        retired_ids = {e.id for e in idle if not function.runs(e.target)}
        with self._lock:
            retired = [e for e in pool.environments if e.id in retired_ids and e.id not in pool.busy]
            for environment in retired:
                pool.environments.remove(environment)
            self._retiring.update(retired)
        side_by_side(self._close_retired, retired)

    def _close_retired(self, environment: ExecutionEnvironment) -> None:
        """Close an environment no pool holds any more; `close` waits for it to finish."""
        try:
            environment.close()
        finally:
            with self._lock:
                self._retiring.discard(environment)

    def _evict_idle_locked(self) -> None:
        """Make room: end idle environments of any function (Lambda reclaims idle ones too)."""
        for pool in self._pools.values():
            for environment in [e for e in pool.environments if e.id not in pool.busy]:
                pool.environments.remove(environment)
                self._retiring.add(environment)
                threading.Thread(target=self._close_retired, args=(environment,), daemon=True).start()

    def environments(self, name: str) -> list[ExecutionEnvironment]:
        with self._lock:
            return list(self._pools[self.function(name).name].environments)

    def close(self) -> None:
        """End every environment, those still being retired in the background included:
        each close returns only once its processes and cgroups are gone."""
        with self._lock:
            self._closed = True
            environments = [e for pool in self._pools.values() for e in pool.environments]
            environments.extend(self._retiring)
            for pool in self._pools.values():
                pool.environments.clear()
        for function in self._functions.values():
            function.cancel_pending()
        side_by_side(ExecutionEnvironment.close, environments)


#: Environments closed at once, at most: each close is mostly waiting.
MAX_CLOSING = 64


def side_by_side[T](close: Callable[[T], None], environments: Sequence[T]) -> None:
    """Close environments side by side, and return once every close has ended: each waits up to
    half a second for its Runtime API server's loop to notice the stop, so closed one after
    another, the eight environments of a concurrent burst took 2.4 s to end."""
    if len(environments) <= 1:
        for environment in environments:
            close(environment)
        return
    with ThreadPoolExecutor(min(len(environments), MAX_CLOSING), thread_name_prefix="close") as pool:
        closing = [pool.submit(close, environment) for environment in environments]
    # Every close has ended (a failing one cancels none of the others); then the first error.
    for each in closing:
        each.result()


def _init_failure(
    request_id: str, error: dict[str, object], error_type: str | None, environment: ExecutionEnvironment
) -> Outcome:
    """An invocation whose environment failed to initialise answers with the init error."""
    environment.kill()
    return Outcome(
        request_id=request_id,
        payload=json.dumps(error).encode(),
        function_error="Unhandled",
        status="error",
        error_type=error_type,
        duration_ms=0.0,
        cpu_ms=0.0,
        max_memory_used_mb=1,
        output=environment.take_output(),
        lost=True,
    )


def _throttled(reason: str) -> LambdaApiError:
    return LambdaApiError(429, "TooManyRequestsException", "Rate Exceeded.", Reason=reason)


def _lines(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def log_stream_name(function: HostedFunction, environment: ExecutionEnvironment) -> str:
    """Lambda's log stream naming: date, version, and the environment's id."""
    day = _now().strftime("%Y/%m/%d")
    return f"{day}/[{environment.target.version}]{environment.id:032x}"


def log_file(logs: Path, function: HostedFunction, environment: ExecutionEnvironment) -> Path:
    return logs / function.name / f"environment-{environment.id:04d}.log"
