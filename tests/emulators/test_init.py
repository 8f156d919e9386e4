"""The INIT phase as Lambda runs it: unthrottled for an on-demand environment, the memory's
share from its end on, and an INIT over its limit retried in the first invocation."""

import base64
import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from concurrency_eval.emulators.lambda_service.environment import ExecutionEnvironment, InitOutcome
from concurrency_eval.emulators.lambda_service.server import LocalLambda, build_service
from contracts.lambda_logs import parse_report
from tests.emulators.conftest import lambda_client, set_configuration, spec_for
from tests.emulators.test_lambda_api import invoke

pytestmark = pytest.mark.timeout(240)

#: Spins as much at import (INIT) as in the handler, and says how long each took.
HEAVY_INIT = """
import time
def spin(loops):
    started = time.perf_counter()
    total = 0
    for number in range(loops):
        total += number * number
    return time.perf_counter() - started
INIT_SECONDS = spin(1_500_000)
def handler(event, context):
    return {"init_seconds": INIT_SECONDS, "seconds": spin(event["loops"])}
"""
#: Sleeps past the (shortened) INIT limit at import, every time INIT runs.
SLOW_INIT = """
import time
time.sleep(1.5)
def handler(event, context):
    return {"answered": True}
"""
#: About 0.4 s of CPU at import (well inside the test's 1 s INIT limit alone): eight at
#: once on two cores take 1.6 s or more each.
BUSY_INIT = """
total = 0
for number in range(1_500_000):
    total += number * number
def handler(event, context):
    return {"answered": True}
"""
#: The test service's INIT limit: Lambda's 10 s, shortened so that the tests need not wait.
INIT_LIMIT_S = 1.0


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, runtime_dir: Path) -> Iterator[LocalLambda]:
    directories = {}
    for name, source in (("heavy-init", HEAVY_INIT), ("slow-init", SLOW_INIT), ("busy-init", BUSY_INIT)):
        directory = tmp_path_factory.mktemp(name)
        (directory / "handler.py").write_text(source)
        directories[name] = directory
    spec = dataclasses.replace(spec_for(directories, runtime_dir), init_timeout_s=INIT_LIMIT_S)
    with LocalLambda(spec) as running:
        yield running


@pytest.fixture
def client(service: LocalLambda) -> Any:
    return lambda_client(service.endpoint)


def cold_and_warm(client: Any, memory_mb: int, tries: int = 2) -> tuple[float, float]:
    """The Init Duration of a cold start, and the Duration of the same CPU-bound work warm:
    the least of a few tries, since another process may take the CPU from any one."""
    inits, durations = [], []
    for attempt in range(tries):
        # A new value makes a new configuration, so the next invocation starts cold.
        set_configuration(
            client, "heavy-init", MemorySize=memory_mb, Environment={"Variables": {"TRY": str(attempt)}}
        )
        _, _, cold_tail = invoke(client, "heavy-init", {"loops": 1})
        _, _, warm_tail = invoke(client, "heavy-init", {"loops": 1_500_000})
        init_ms = parse_report(cold_tail).init_ms
        assert init_ms is not None, cold_tail
        inits.append(init_ms)
        durations.append(parse_report(warm_tail).duration_ms)
    return min(inits), min(durations)


@pytest.mark.timing
def test_init_runs_unthrottled_and_the_invoke_phase_at_the_memorys_share(
    client: Any, service: LocalLambda
) -> None:
    if service.cpu_limit == "none":
        pytest.skip("this machine allows no CPU limit")
    # Given the same CPU-bound work at import and in the handler
    # When it runs at 1769 MB (one vCPU) and at 128 MB (a fourteenth of one)
    init_full, invoke_full = cold_and_warm(client, 1769)
    init_small, invoke_small = cold_and_warm(client, 128)
    # Then INIT takes about as long at either size (Lambda does not throttle it), while the
    # invoke phase is throttled to the memory's share (13.8x expected; wide margins)
    assert init_small <= 1.5 * init_full, (init_small, init_full)
    assert invoke_small >= 5 * invoke_full, (invoke_small, invoke_full)


def test_an_init_over_its_limit_is_retried_in_the_first_invocation(client: Any) -> None:
    # Given a function whose INIT takes longer than the limit, every time
    set_configuration(client, "slow-init", Timeout=30)
    # When it is first invoked
    response, payload, tail = invoke(client, "slow-init", {})
    # Then INIT is retried within the invocation: it answers, its report has no Init
    # Duration, and its Duration (billed) includes the retried INIT; the timed-out INIT
    # is reported as Lambda reports it
    report = parse_report(tail)
    assert "FunctionError" not in response
    assert payload == {"answered": True}
    assert report.init_ms is None
    assert report.duration_ms >= 1500, report
    assert report.billed_ms >= report.duration_ms
    assert "INIT_REPORT Init Duration:" in tail
    assert "Phase: init\tStatus: timeout" in tail
    # And the environment, initialised now, serves the next invocation warm
    response, _, tail = invoke(client, "slow-init", {})
    assert "FunctionError" not in response
    assert parse_report(tail).duration_ms < 1000


def test_a_retried_init_that_outlives_the_timeout_times_out(client: Any) -> None:
    # Given a function whose INIT takes longer than both the INIT limit and its timeout
    set_configuration(client, "slow-init", Timeout=1)
    # When it is first invoked
    response, payload, tail = invoke(client, "slow-init", {})
    # Then the invocation times out as Lambda reports it
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    assert parse_report(tail).status == "timeout"


# Timing: the INITs' own load on the machine is what it checks; the other test workers'
# (their disk and their processes) would add waits no run queue counts.
@pytest.mark.timing
def test_inits_that_share_the_host_are_not_failed_for_the_time_they_wait(client: Any) -> None:
    # Given eight cold starts at once, each 0.4 s of CPU, on a machine whose cores they
    # share (on Lambda each would have its own two vCPUs and take 0.4 s)
    set_configuration(client, "busy-init", Environment={"Variables": {"ROUND": "concurrent"}})
    with ThreadPoolExecutor(8) as pool:
        tails = list(pool.map(lambda _: invoke(client, "busy-init", {})[2], range(8)))
    # Then none of them ran into the (1 s) INIT limit: each report has its Init Duration,
    # as an INIT that finished in time does (a retried one has none)
    reports = [parse_report(tail) for tail in tails]
    assert all(report.init_ms is not None for report in reports), tails
    assert "INIT_REPORT" not in "".join(tails)


@pytest.mark.parametrize("pure_python_client", [False, True], ids=["awslambdaric", "pure-python"])
def test_an_init_over_before_its_start_was_seen_is_counted_from_the_process_start(
    tmp_path: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch, pure_python_client: bool
) -> None:
    # Given a service whose watch for the runtime's start runs late, only once INIT has
    # ended, as a thread of a busy host may (a quick INIT takes a few milliseconds)
    watch = ExecutionEnvironment._watch_runtime_start
    wait_init = ExecutionEnvironment.wait_init

    def watch_after_init(environment: ExecutionEnvironment, timeout_s: float) -> InitOutcome:
        assert environment._ready.wait(timeout_s)
        watch(environment, environment._process)  # type: ignore[arg-type]
        return wait_init(environment, timeout_s)

    monkeypatch.setattr(ExecutionEnvironment, "_watch_runtime_start", lambda *_: None)
    monkeypatch.setattr(ExecutionEnvironment, "wait_init", watch_after_init)
    (tmp_path / "handler.py").write_text("def handler(event, context):\n    return event\n")
    spec = spec_for({"quick": tmp_path}, runtime_dir, pure_python_client=pure_python_client, cpu_limit="none")
    service = build_service(spec)
    try:
        # When it is invoked cold
        result = service.invoke("quick", None, b"{}", tail=True)
    finally:
        service.close()
    # Then its report counts the INIT from the process's start: never a negative
    # Init Duration or Billed Duration
    assert result.log_result is not None
    report = parse_report(base64.b64decode(result.log_result).decode())
    assert report.init_ms is not None
    assert report.init_ms > 0, report
    assert report.billed_ms >= 1, report
