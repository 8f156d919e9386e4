"""The sweep with groups at once, each on a published version of its own, on the local
Lambda service hosting the real functions; what it publishes removed whatever happens,
and what a killed sweep left found and removed by `clean_up`."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from concurrency_eval.backends.local import LocalDeployment
from concurrency_eval.backends.local_options import LocalOptions
from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.sweep.budget import Budget
from concurrency_eval.sweep.engine import Sweep, Unobserved
from concurrency_eval.sweep.runner import new_results, run_sweep
from concurrency_eval.sweep.updates import SWEEP_VARIABLE, ConfigurationError, Configurator
from concurrency_eval.sweep.versions import ALIAS_PREFIX, DESCRIPTION_PREFIX, Publisher, clean_up
from concurrency_eval.sweep.versions import alias_name as sweep_alias
from contracts.function import ALIAS
from tests.handlers import ROOT
from tests.sweep.test_engine import (
    DATASET,
    MODELS,
    configurations,
    published,
    reports_in_logs,
    settings,
)

pytestmark = pytest.mark.timeout(600)
UNTOUCHED = (["live"], ["$LATEST", "1"])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    options = LocalOptions(latency_ms=1, jitter_ms=0, timeout_s=30, cpu_limit="none")
    with LocalDeployment(ROOT, options, DATASET, MODELS, tmp_path_factory.mktemp("logs")) as running:
        yield running


def test_groups_run_at_once_each_on_a_version_of_its_own(deployment: LocalDeployment, tmp_path: Path) -> None:
    # Given three invocations in flight across the sweep, two sizes of three models
    target = deployment.functions_under_test()
    before = configurations(target)
    sweep = Sweep(target, settings(parallel=3), DEFAULT_PRICES, Unobserved(), deployment.meter())
    originals = sweep.configurations()
    results = new_results("local", settings(parallel=3), DEFAULT_PRICES, deployment.describe(), event={})
    # When it runs
    run_sweep(sweep, originals, results, tmp_path)
    # Then every group is there, each cold first then warm, every answer right
    assert sorted((run.model, run.memory_mb) for run in results.models) == sorted(
        (model, memory) for memory in (512, 1769) for model in MODELS
    )
    assert results.all_correct()
    assert all([i.kind for i in run.invocations] == ["cold", "warm", "warm"] for run in results.models)
    # And each ran at its own memory size (Lambda's report says so) in environments of its own:
    # a cold start each, and no environment served two groups
    assert deployment.logs_dir is not None
    reports = reports_in_logs(deployment.logs_dir)
    for run in results.models:
        assert {reports[i.request_id][0].memory_size_mb for i in run.invocations if i.request_id} == {
            run.memory_mb
        }
    streams = {
        stream: {
            run.memory_mb for run in results.models for i in run.invocations if (i.request_id or "-") in text
        }
        for stream in deployment.logs_dir.rglob("*.log")
        if (text := stream.read_text())
    }
    assert all(len(memories) <= 1 for memories in streams.values())
    # (the embedded S3's CPU cannot be told apart per group when groups overlap: not recorded)
    assert {run.server_cpu_s for run in results.models} == {None}
    # And nothing the sweep published is left; $LATEST is as it was
    assert published(target) == dict.fromkeys(target.functions.values(), UNTOUCHED)
    assert configurations(target) == before


def test_a_failure_while_publishing_removes_what_was_published(
    deployment: LocalDeployment, tmp_path: Path
) -> None:
    # Given a sweep whose second alias cannot be made
    target = deployment.functions_under_test()
    sweep = Sweep(target, settings(models=("sync", "asyncio")), DEFAULT_PRICES, Unobserved())
    originals = sweep.configurations()
    made: list[str] = []

    def refuse_second(params: dict[str, Any], **kwargs: Any) -> None:
        made.append(params["Name"])
        if len(made) == 2:
            raise ClientError({"Error": {"Code": "ServiceException", "Message": "no"}}, "CreateAlias")

    sweep._under_test.client.meta.events.register("provide-client-params.lambda.CreateAlias", refuse_second)
    results = new_results("local", settings(), DEFAULT_PRICES, deployment.describe(), event={})
    # When it runs, Then the error comes through
    with pytest.raises(ClientError, match="no"):
        run_sweep(sweep, originals, results, tmp_path)
    # And neither the version that got its alias nor the one that did not is left
    assert published(target) == dict.fromkeys(target.functions.values(), UNTOUCHED)
    assert all(SWEEP_VARIABLE not in variables for _, variables, _ in configurations(target).values())


def test_clean_up_removes_what_a_killed_sweep_left_and_nothing_else(deployment: LocalDeployment) -> None:
    # Given what a sweep killed (SIGKILL) while it published leaves: versions behind aliases,
    # one version without its alias yet, and $LATEST changed; and beside them a version of
    # the user's own, described as a sweep's but named by an alias of theirs
    target = deployment.functions_under_test()
    client, name = target.client, target.functions["sync"]
    originals = Sweep(target, settings(), DEFAULT_PRICES, Unobserved()).configurations()
    configurator = Configurator(client, target.functions, originals, target.poll_seconds)
    killed = Publisher(
        client, target.functions, "killed", {m: o["CodeSha256"] for m, o in originals.items()}, 0.1
    )
    for memory in (512, 640):
        configurator.configure(("sync",), memory, f"killed-{memory}")
        killed.publish("sync", memory, f"killed-{memory}", sweep_alias("killed", memory, None, 0))
    configurator.configure(("sync",), 768, "killed-768")
    orphan = client.publish_version(FunctionName=name, Description=f"{DESCRIPTION_PREFIX}killed: orphan")
    configurator.configure(("sync",), 896, "users")
    theirs = client.publish_version(FunctionName=name, Description=f"{DESCRIPTION_PREFIX}mine")["Version"]
    client.create_alias(FunctionName=name, Name="mine", FunctionVersion=theirs)
    configurator.configure(("sync",), 1152, "killed-1152")
    left = [v for v in published(target)[name][1] if v not in ("$LATEST", "1", theirs)]
    try:
        # When the clean-up runs over every function
        cleaned = clean_up(client, target.functions, ALIAS)
        # Then the sweep's aliases and versions are gone from the function it touched, and
        # its $LATEST is back as the stack's version holds it; the user's alias and version
        # and the stack's stay, and the other functions had nothing to remove
        assert cleaned.aliases[name] == [sweep_alias("killed", memory, None, 0) for memory in (512, 640)]
        assert cleaned.versions[name] == left
        assert len(left) == 3
        assert orphan["Version"] in left
        assert cleaned.restored == [name]
        aliases, versions = published(target)[name]
        assert (aliases, versions) == (["live", "mine"], ["$LATEST", "1", theirs])
        deployed = client.get_function_configuration(FunctionName=name, Qualifier=ALIAS)
        latest = client.get_function_configuration(FunctionName=name)
        assert (latest["MemorySize"], latest["Environment"]) == (
            deployed["MemorySize"],
            deployed["Environment"],
        )
        others = [n for n in target.functions.values() if n != name]
        assert all(not cleaned.aliases[n] and not cleaned.versions[n] for n in others)
        assert not any(a.startswith(ALIAS_PREFIX) for n in others for a in published(target)[n][0])
        # And a second clean-up finds nothing
        assert clean_up(client, target.functions, ALIAS).nothing
    finally:
        client.delete_alias(FunctionName=name, Name="mine")
        client.delete_function(FunctionName=name, Qualifier=theirs)


def test_clean_up_waits_out_an_update_in_progress_then_puts_latest_back(deployment: LocalDeployment) -> None:
    # Given $LATEST as a killed sweep left it, and another update of the function made just
    # as the clean-up puts it back (a deploy meanwhile), which Lambda refuses to overlap
    target = deployment.functions_under_test()
    client, name = target.client, target.functions["sync"]
    originals = Sweep(target, settings(), DEFAULT_PRICES, Unobserved()).configurations()
    Configurator(client, target.functions, originals, target.poll_seconds).configure(("sync",), 640, "killed")
    deploy = deployment.lambda_client()
    attempts: list[str] = []

    def a_deploy_meanwhile(**_: Any) -> None:
        if not attempts:
            deploy.update_function_configuration(FunctionName=name, MemorySize=768)
        attempts.append(name)

    client.meta.events.register("before-call.lambda.UpdateFunctionConfiguration", a_deploy_meanwhile)
    # When the clean-up runs
    cleaned = clean_up(client, target.functions, ALIAS, poll_seconds=target.poll_seconds)
    # Then its first update was refused, and it waited for the other to finish and tried again
    assert attempts == [name, name]
    # And $LATEST is as the stack's version holds it
    assert cleaned.restored == [name]
    deployed = client.get_function_configuration(FunctionName=name, Qualifier=ALIAS)
    latest = client.get_function_configuration(FunctionName=name)
    assert (latest["MemorySize"], latest["Environment"], latest["LastUpdateStatus"]) == (
        deployed["MemorySize"],
        deployed["Environment"],
        "Successful",
    )


@pytest.mark.parametrize(
    ("limit", "spent", "committed", "asks", "granted"),
    [
        (None, 5.0, 5.0, [100.0], [True]),
        (1.0, 0.2, 0.5, [0.3, 0.01], [True, False]),
        (1.0, 0.0, 1.0, [0.01], [False]),
    ],
    ids=["no-budget", "fills-up", "committed-first"],
)
def test_a_batch_is_granted_only_within_what_is_not_spent_or_held(
    limit: float | None, spent: float, committed: float, asks: list[float], granted: list[bool]
) -> None:
    # Given a budget with some spent and some committed, When batches are asked for at once
    budget = Budget(limit, spent, committed)
    # Then each is granted only while spent, held and asked stay within the limit
    assert [budget.grant(ask) for ask in asks] == granted


def test_a_released_batch_makes_room_for_the_next() -> None:
    budget = Budget(1.0, 0.0, 0.6)
    assert not budget.grant(0.5)
    budget.record(0.1)
    budget.release(0.6)
    assert budget.grant(0.5)
    assert budget.spent == pytest.approx(0.1)


def test_a_version_lambda_gives_back_unchanged_is_refused_and_left_alone(deployment: LocalDeployment) -> None:
    # Given a function whose $LATEST is as its newest version (the stack's) holds it
    target = deployment.functions_under_test()
    originals = Sweep(target, settings(), DEFAULT_PRICES, Unobserved()).configurations()
    publisher = Publisher(
        target.client, target.functions, "unchanged", {m: o["CodeSha256"] for m, o in originals.items()}, 0.1
    )
    # When the sweep publishes it as though it had been updated, Lambda gives back that version
    with pytest.raises(ConfigurationError, match="is not the configuration the sweep published"):
        publisher.publish("sync", 512, "never-set", sweep_alias("unchanged", 512, None, 0))
    # Then the sweep refuses it, and removing what it published leaves the stack's version be
    assert publisher.remove_all(lambda _: None) is None
    assert published(target)[target.functions["sync"]] == UNTOUCHED


def test_groups_at_once_keep_within_a_functions_reserved_concurrency(
    deployment: LocalDeployment, tmp_path: Path
) -> None:
    # Given a function that may run one invocation at a time (reserved concurrency 1), and a
    # sweep of three of its sizes with three invocations in flight
    target = deployment.functions_under_test()
    name = target.functions["sync"]
    target.client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    sweep_settings = settings(models=("sync",), memory_sizes=(512, 1024, 1769), parallel=3)
    sweep = Sweep(target, sweep_settings, DEFAULT_PRICES, Unobserved())
    results = new_results("local", sweep_settings, DEFAULT_PRICES, deployment.describe(), event={})
    try:
        # When it runs
        run_sweep(sweep, sweep.configurations(), results, tmp_path)
    finally:
        target.client.delete_function_concurrency(FunctionName=name)
    # Then no invocation was throttled: the groups took turns at the function
    assert sorted(run.memory_mb or 0 for run in results.models) == [512, 1024, 1769]
    assert results.all_correct()
    assert {i.error for run in results.models for i in run.invocations} == {None}
