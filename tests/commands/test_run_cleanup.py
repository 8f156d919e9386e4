"""`concurrency-eval run --cleanup` as a user runs it: a real command finding the stack on
a CloudFormation on loopback (moto's server), the functions on the local Lambda service
(as `AWS_ENDPOINT_URL_LAMBDA` points it there), what a killed sweep left removed, and
the stack's own alias and version kept."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from concurrency_eval.commands.cli import main
from concurrency_eval.commands.console import EXIT_ENVIRONMENT
from concurrency_eval.emulators.lambda_service.server import LocalLambda
from concurrency_eval.sweep import flow
from concurrency_eval.sweep.updates import ConfigurationError
from concurrency_eval.sweep.versions import DESCRIPTION_PREFIX, alias_name
from contracts.bundles import MODELS
from contracts.stack import DATA_BUCKET_OUTPUT, function_output
from tests.commands.stand_in_stack import (
    IGNORE_WAIT_CONDITION,
    STACK,
    aws_environment,
    listed,
    stand_in_stack,
)
from tests.emulators.conftest import (  # noqa: F401 - fixtures
    function_dirs,
    lambda_client,
    runtime_dir,
    set_configuration,
    spec_for,
)

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings(IGNORE_WAIT_CONDITION),
]
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))


@pytest.fixture(scope="module")
def cloudformation() -> Iterator[str]:
    """An evaluation stack's outputs on moto's CloudFormation."""
    outputs = {DATA_BUCKET_OUTPUT: "data", **{function_output(m): f"concurrency-eval-{m}" for m in MODELS}}
    with stand_in_stack(outputs) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def service(function_dirs: dict[str, Path], runtime_dir: Path) -> Iterator[LocalLambda]:  # noqa: F811
    names = {f"concurrency-eval-{model}": function_dirs["echo"] for model in MODELS}
    with LocalLambda(spec_for(names, runtime_dir)) as running:
        yield running


def cleanup(tmp_path: Path, cloudformation: str, service: LocalLambda) -> subprocess.CompletedProcess[str]:
    environment = aws_environment(tmp_path, cloudformation=cloudformation, **{"lambda": service.endpoint})
    return subprocess.run(
        [COMMAND, "run", "--cleanup", "--stack", STACK], capture_output=True, text=True, check=False,
        cwd=tmp_path, env=environment,
    )  # fmt: skip


def test_cleanup_removes_what_a_killed_sweep_left_and_keeps_the_stacks_own(
    tmp_path: Path, cloudformation: str, service: LocalLambda
) -> None:
    # Given what a killed sweep left on the threaded function: a version behind its alias,
    # and $LATEST with the sweep's memory size and variable
    client = lambda_client(service.endpoint)
    name = "concurrency-eval-threaded"
    deployed = client.get_function_configuration(FunctionName=name)
    changed = {"Variables": {**deployed["Environment"]["Variables"], "CONCURRENCY_EVAL_SWEEP": "killed-512"}}
    set_configuration(client, name, MemorySize=512, Environment=changed)
    version = client.publish_version(FunctionName=name, Description=f"{DESCRIPTION_PREFIX}killed: 512")[
        "Version"
    ]
    client.create_alias(FunctionName=name, Name=alias_name("killed", 512, None, 0), FunctionVersion=version)
    # When the user runs the clean-up
    completed = cleanup(tmp_path, cloudformation, service)
    # Then it exits 0 and says, per function, what it removed and put back
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert (
        f"{name}: removed aliases {alias_name('killed', 512, None, 0)}; removed versions {version}; put "
        in (" ".join(lines))
    )
    assert "concurrency-eval-sync: nothing left by a sweep" in lines
    # And the sweep's alias and version are gone, the stack's live alias and version 1 kept,
    # and $LATEST is as deployed
    assert listed(client, name) == (["live"], ["$LATEST", "1"])
    latest = client.get_function_configuration(FunctionName=name)
    assert (latest["MemorySize"], latest["Environment"]) == (deployed["MemorySize"], deployed["Environment"])
    # And run again, it finds nothing
    again = cleanup(tmp_path, cloudformation, service)
    assert again.stdout.count("nothing left by a sweep") == len(MODELS), again.stdout


def test_cleanup_resumes_nothing(tmp_path: Path) -> None:
    completed = subprocess.run(
        [COMMAND, "run", "--cleanup", "--resume", str(tmp_path)], capture_output=True, text=True, check=False,
        cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "--cleanup removes what killed sweeps left; it resumes none (drop --resume)" in completed.stderr


def test_an_update_that_never_ends_is_a_message_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a function whose updates stay in progress through every attempt the clean-up makes
    def always_in_progress(*_: object) -> NoReturn:
        raise ConfigurationError("concurrency-eval-sync: an update stayed in progress through 10 attempts")

    monkeypatch.setattr(flow, "clean_up_on_aws", always_in_progress)
    # When the clean-up runs, Then it says which function, and exits 3 (the environment)
    assert main(["run", "--cleanup"]) == EXIT_ENVIRONMENT
    assert (
        "concurrency-eval-sync: an update stayed in progress through 10 attempts" in capsys.readouterr().err
    )
