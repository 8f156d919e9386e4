"""The sweep engine against the local Lambda service hosting the real functions.

The same engine sweeps AWS; here it meets a Lambda that behaves like Lambda: updates
that stay InProgress, reports in the functions' log format, environments that start
cold after each update. Interruptions are raised from inside boto3's own event hooks,
at the exact moment an update has been accepted or an invocation answered.
"""

import json
import math
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
from botocore.exceptions import ClientError

from concurrency_eval.backends.local import LocalDeployment
from concurrency_eval.backends.local_options import LocalOptions
from concurrency_eval.backends.under_test import FunctionsUnderTest
from concurrency_eval.results.document import Results, cold_starts
from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.sweep.engine import Sweep, Unobserved
from concurrency_eval.sweep.runner import new_results, resume, run_sweep
from concurrency_eval.sweep.settings import SweepSettings
from concurrency_eval.sweep.updates import SWEEP_VARIABLE, RestoreFailed
from concurrency_eval.workload.dataset import DataSetSpec
from contracts.function import DEPLOYED_LOG_FORMAT
from contracts.lambda_logs import Report, parse_report
from tests.commands.stand_in_stack import listed
from tests.emulators.conftest import set_configuration
from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(600)
MODELS = ("sync", "threaded", "asyncio")
DATASET = DataSetSpec(objects=20, min_size=100, max_size=2000)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    """The functions as deployed (DEPLOYED_LOG_FORMAT); a test that needs the other log
    format switches to it through the Lambda API, as a user would (`in_log_format`)."""
    options = LocalOptions(latency_ms=1, jitter_ms=0, timeout_s=30)
    assert options.log_format == DEPLOYED_LOG_FORMAT
    logs = tmp_path_factory.mktemp("logs")
    with LocalDeployment(ROOT, options, DATASET, MODELS, logs) as running:
        yield running


@contextmanager
def in_log_format(target: FunctionsUnderTest, log_format: Literal["JSON", "Text"]) -> Iterator[None]:
    """Every function in `log_format` (LoggingConfig) while the block runs, then as before."""
    before = {
        name: target.client.get_function_configuration(FunctionName=name)["LoggingConfig"]["LogFormat"]
        for name in target.functions.values()
    }

    for name in before:
        set_configuration(target.client, name, LoggingConfig={"LogFormat": log_format})
    try:
        yield
    finally:
        for name, was in before.items():
            set_configuration(target.client, name, LoggingConfig={"LogFormat": was})


def settings(**overrides: Any) -> SweepSettings:
    values: dict[str, Any] = {"memory_sizes": (512, 1769), "invocations": 2, "dataset": DATASET}
    return SweepSettings(**(values | overrides))


def start(
    deployment: LocalDeployment, sweep_settings: SweepSettings, budget_usd: float | None = None
) -> tuple[Sweep, dict[str, Any], Results]:
    sweep = Sweep(
        deployment.functions_under_test(), sweep_settings, DEFAULT_PRICES, Unobserved(), deployment.meter(),
        budget_usd=budget_usd,
    )  # fmt: skip
    originals = sweep.configurations()
    results = new_results("local", sweep_settings, DEFAULT_PRICES, deployment.describe(), event={})
    return sweep, originals, results


def configurations(target: FunctionsUnderTest) -> dict[str, tuple[int, dict[str, str], str]]:
    found: dict[str, tuple[int, dict[str, str], str]] = {}
    for model, name in target.functions.items():
        configuration = target.client.get_function_configuration(FunctionName=name)
        variables = configuration.get("Environment", {}).get("Variables", {})
        found[model] = (configuration["MemorySize"], variables, configuration["LastUpdateStatus"])
    return found


def published(target: FunctionsUnderTest) -> dict[str, tuple[list[str], list[str]]]:
    """Each function's aliases and versions, as the Lambda API lists them."""
    return {name: listed(target.client, name) for name in target.functions.values()}


def reports_in_logs(logs: Path) -> dict[str, tuple[Report, str]]:
    """Every report the functions' log streams hold, and the log format it was written
    in, by request id (an environment, and so its stream, keeps one format)."""
    reports = {}
    for stream in logs.rglob("*.log"):
        text = stream.read_text()
        log_format = "Text" if "START RequestId: " in text else "JSON"
        chunks = text.split("START RequestId: ") if log_format == "Text" else text.split('"platform.start"')
        for chunk in chunks[1:]:
            report = parse_report(chunk)
            assert report.request_id is not None
            reports[report.request_id] = (report, log_format)
    return reports


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_the_sweep_records_what_lambda_reports(
    deployment: LocalDeployment, tmp_path: Path, log_format: Literal["JSON", "Text"]
) -> None:
    # Given the three functions on the local service, logging in either of Lambda's
    # formats, When the engine sweeps two sizes
    with in_log_format(deployment.functions_under_test(), log_format):
        sweep, originals, results = start(deployment, settings())
        run_sweep(sweep, originals, results, tmp_path)
    # Then every group of each size is there, cold first, every answer right
    assert [(run.model, run.memory_mb) for run in results.models] == [
        (model, memory) for memory in (512, 1769) for model in MODELS
    ]
    assert results.all_correct()
    assert not results.partial
    # And every figure is the one in Lambda's report, in the functions' log format
    assert deployment.logs_dir is not None
    reports = reports_in_logs(deployment.logs_dir)
    for run in results.models:
        assert [i.kind for i in run.invocations] == ["cold", "warm", "warm"]
        assert run.init_ms == run.invocations[0].init_ms
        for invocation in run.invocations:
            assert invocation.request_id is not None
            report, written_in = reports[invocation.request_id]
            assert written_in == log_format
            assert invocation.duration_ms == report.duration_ms
            assert invocation.billed_ms == report.billed_ms
            assert invocation.init_ms == report.init_ms
            assert invocation.peak_rss_mb == report.max_memory_used_mb
            assert report.memory_size_mb == run.memory_mb
            assert invocation.cost_usd is not None
            assert invocation.cost_usd > 0
            assert invocation.cpu_ms is not None
            assert invocation.cpu_ms > 0
    # And the functions are as they were, with none of the versions the sweep published left
    target = deployment.functions_under_test()
    assert configurations(target) == {
        model: (o["MemorySize"], o["Environment"]["Variables"], "Successful")
        for model, o in originals.items()
    }
    assert published(target) == {name: (["live"], ["$LATEST", "1"]) for name in target.functions.values()}
    assert json.loads((tmp_path / "results.json").read_text())["partial"] is False


def test_cold_starts_each_in_a_new_environment_then_sampling_until_clear(
    deployment: LocalDeployment, tmp_path: Path
) -> None:
    # Given a sweep asking for three cold starts per point, and a CI target so tight
    # that sampling goes on to the ceiling
    sweep_settings = settings(
        memory_sizes=(1769,), models=("asyncio",), invocations=2, max_invocations=4, target_ci=0.0001,
        cold_starts=3,
    )  # fmt: skip
    sweep, originals, results = start(deployment, sweep_settings)
    run_sweep(sweep, originals, results, tmp_path)
    # Then the point has three cold invocations, each with Lambda's Init Duration and
    # what INIT added to the bill, then warm ones to the ceiling, and says why it stopped
    (group,) = results.models
    assert [i.kind for i in group.invocations] == ["cold"] * 3 + ["warm"] * 4
    assert [i.index for i in group.invocations] == list(range(7))
    for cold in group.invocations[:3]:
        assert cold.init_ms is not None
        assert cold.init_cost_usd == pytest.approx(
            DEFAULT_PRICES.duration_cost(math.ceil(cold.init_ms), 1769, "x86_64")
            if originals["asyncio"].get("Architectures", ["x86_64"])[0] == "x86_64"
            else DEFAULT_PRICES.duration_cost(math.ceil(cold.init_ms), 1769, "arm64")
        )
    assert group.stop_reason == "ceiling"
    assert len({i.request_id for i in group.invocations}) == 7
    # And the table's cold-start rows come from all three
    (colds,) = cold_starts(results)
    assert colds.init.n == 3


def test_sampling_stops_when_the_median_is_clear(deployment: LocalDeployment, tmp_path: Path) -> None:
    # Given a CI target no two invocations can miss (half the median either side)
    sweep_settings = settings(
        memory_sizes=(1769,), models=("asyncio",), invocations=2, max_invocations=20, target_ci=0.9
    )
    sweep, originals, results = start(deployment, sweep_settings)
    run_sweep(sweep, originals, results, tmp_path)
    (group,) = results.models
    # Then it stops after the first two, as clear
    assert [i.kind for i in group.invocations] == ["cold", "warm", "warm"]
    assert group.stop_reason == "clear"


def test_sampling_never_spends_past_the_budget(deployment: LocalDeployment, tmp_path: Path) -> None:
    # Given a budget that pays for the committed invocations but not one more at the
    # functions' 30 s timeout (1769 MB: about 0.86 milli-dollars each)
    sweep_settings = settings(
        memory_sizes=(1769,), models=("asyncio",), invocations=2, max_invocations=20, target_ci=0.0001
    )
    sweep, originals, results = start(deployment, sweep_settings, budget_usd=0.0005)
    run_sweep(sweep, originals, results, tmp_path)
    (group,) = results.models
    # Then it stops after the first two, for the budget, having spent less than it
    assert [i.kind for i in group.invocations] == ["cold", "warm", "warm"]
    assert group.stop_reason == "budget"
    assert sum(i.cost_usd or 0 for i in group.invocations) < 0.0005


@pytest.mark.parametrize(
    ("moment", "count", "finished", "interrupted"),
    [
        ("UpdateFunctionConfiguration", 3, [], []),
        ("Invoke", 3, [("sync", 512)], [("asyncio", 512, 1)]),
        ("Invoke", 4, [("sync", 512), ("asyncio", 512)], []),
    ],
    ids=["while-publishing", "in-the-middle-of-a-group", "between-groups"],
)
def test_an_interrupt_removes_the_versions_restores_every_function_and_resume_completes(
    deployment: LocalDeployment,
    tmp_path: Path,
    moment: str,
    count: int,
    finished: list[tuple[str, int]],
    interrupted: list[tuple[str, int, int]],
) -> None:
    # Given a sweep that will be interrupted (Ctrl-C, to the process) right after an update
    # was accepted while it publishes its versions, or after an invocation answered
    sweep_settings = settings(models=("sync", "asyncio"), invocations=1)
    sweep, originals, results = start(deployment, sweep_settings)
    target = deployment.functions_under_test()
    calls = []

    def interrupt(**kwargs: Any) -> None:
        operation = kwargs["model"].name
        calls.append(operation)
        if operation == moment and calls.count(moment) == count:
            os.kill(os.getpid(), signal.SIGINT)
            if moment == "Invoke":
                # (the group's own thread answered: the sweep must hear of it before it goes on)
                sweep._stopping.wait(timeout=30)

    sweep._under_test.client.meta.events.register("after-call.lambda", interrupt)
    # When it runs
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, originals, results, tmp_path)
    # Then every function is back as it was, with no update left in progress, and no
    # version or alias of the sweep's left
    for model, (memory, variables, status) in configurations(target).items():
        assert memory == originals[model]["MemorySize"]
        assert SWEEP_VARIABLE not in variables
        assert status == "Successful"
    assert published(target) == {name: (["live"], ["$LATEST", "1"]) for name in target.functions.values()}
    # And the results file holds what was measured, marked partial; a group interrupted
    # half way is kept with what it measured, and says so
    written = Results.read(tmp_path / "results.json")
    assert written.partial
    assert [
        (run.model, run.memory_mb) for run in written.models if run.stop_reason != "interrupted"
    ] == finished
    assert [
        (run.model, run.memory_mb, len(run.invocations))
        for run in written.models
        if run.stop_reason == "interrupted"
    ] == interrupted
    # When the sweep is resumed from that folder
    resumed, resumed_settings, done = resume(tmp_path, "local")
    sweep = Sweep(target, resumed_settings, DEFAULT_PRICES, Unobserved(), deployment.meter())
    run_sweep(sweep, sweep.configurations(), resumed, tmp_path, done)
    # Then it finishes without repeating a finished group
    final = Results.read(tmp_path / "results.json")
    assert not final.partial
    groups = [(run.model, run.memory_mb) for run in final.models]
    assert sorted(groups) == sorted((m, s) for m in ("sync", "asyncio") for s in (512, 1769))
    assert "interrupted" not in {run.stop_reason for run in final.models}
    assert final.all_correct()


def test_a_failing_restore_still_restores_the_others_and_names_the_failure(
    deployment: LocalDeployment, tmp_path: Path
) -> None:
    # Given a sweep whose restore of the sync function is refused
    sweep_settings = settings(memory_sizes=(640,), invocations=1)
    sweep, originals, results = start(deployment, sweep_settings)
    target = deployment.functions_under_test()
    refused = deployment.functions["sync"]

    def refuse(params: dict[str, Any], **kwargs: Any) -> None:
        if (
            params.get("FunctionName") == refused
            and params.get("MemorySize") == originals["sync"]["MemorySize"]
        ):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Update")

    sweep._under_test.client.meta.events.register(
        "provide-client-params.lambda.UpdateFunctionConfiguration", refuse
    )
    # When it runs, Then the restore reports the one failure by name
    with pytest.raises(RestoreFailed) as failure:
        run_sweep(sweep, originals, results, tmp_path)
    assert list(failure.value.failures) == [refused]
    # And the other functions were restored all the same
    after = configurations(target)
    for model in ("threaded", "asyncio"):
        assert after[model][0] == originals[model]["MemorySize"]
        assert SWEEP_VARIABLE not in after[model][1]
    # Put sync back for the tests that follow
    set_configuration(
        target.client,
        refused,
        MemorySize=originals["sync"]["MemorySize"],
        Environment=originals["sync"]["Environment"],
    )


def test_a_cold_start_metric_per_environment_from_powertools(deployment: LocalDeployment) -> None:
    # Given a new execution environment of the asyncio function (a configuration change)
    target = deployment.functions_under_test()
    name = deployment.functions["asyncio"]
    configuration = target.client.get_function_configuration(FunctionName=name)
    variables = {**configuration["Environment"]["Variables"], "COLD_START_TEST": "1"}
    set_configuration(target.client, name, Environment={"Variables": variables})
    event = json.dumps(DATASET.event(target.data_bucket)).encode()
    try:
        # When it is invoked twice
        for _ in range(2):
            target.client.invoke(FunctionName=name, Payload=event)["Payload"].read()
        # Then its log stream holds one ColdStart metric (the first invocation's), as
        # Powertools' log_metrics(capture_cold_start_metric=True) publishes it
        assert deployment.logs_dir is not None
        newest = max((deployment.logs_dir / name).glob("*.log"), key=lambda path: path.stat().st_mtime)
        lines = newest.read_text().splitlines()
        documents = [json.loads(line) for line in lines if line.startswith('{"_aws"')]
        cold = [d for d in documents if "ColdStart" in d]
        assert len(cold) == 1
        assert cold[0]["ColdStart"] == [1.0]
        assert sum("ObjectsRead" in d for d in documents) == 2
    finally:
        set_configuration(
            target.client, name, Environment={"Variables": configuration["Environment"]["Variables"]}
        )


def test_the_smoke_test_reads_each_live_alias_and_says_which_answered_wrong(
    deployment: LocalDeployment,
) -> None:
    from concurrency_eval.sweep.smoke import SMOKE_DATA, smoke_test

    target = deployment.functions_under_test()
    # Given the deployment as deployed, When the smoke test runs against the live aliases
    answers = smoke_test(target.client, deployment.s3_client(), target.functions, target.data_bucket)
    # Then every function answers with the key that holds the magic string
    assert [(a.model, a.ok) for a in answers] == [(model, True) for model in MODELS]
    assert all(SMOKE_DATA.magic_key in a.detail for a in answers)
    # And against an alias that does not exist, each is reported, not raised
    wrong = smoke_test(target.client, deployment.s3_client(), target.functions, target.data_bucket, "nope")
    assert [(a.ok, a.detail.split(":")[0]) for a in wrong] == [(False, "ResourceNotFoundException")] * 3
