"""CI deploys what a laptop deploys: both read the settings committed in cdk.json."""

import itertools
import subprocess
from pathlib import Path

import pytest

from stacks.settings import SettingsError
from tests.handlers import ROOT
from tests.stacks.synthesis import ARTIFACTS, EVALUATION, synth

REPOSITORY = "octo-org/concurrency-eval"
#: What a user commits in cdk.json's context after README's "Configuring the repository".
COMMITTED = {
    "githubRepository": REPOSITORY,
    "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    "artifactPrefix": "team/artifacts/",
}


def ci_deploy() -> tuple[dict[str, str], dict[str, str]]:
    """The environment and the -c key=value arguments of `make deploy`, as GitHub Actions runs it."""
    dry = subprocess.run(
        ["make", "-n", "deploy"], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout  # fmt: skip
    (command,) = [line for line in dry.splitlines() if "cdk deploy" in line]
    # Let the shell expand the command as make would run it: its environment, then arguments.
    printed = subprocess.run(
        ["bash", "-c", command.replace("npx cdk deploy", "env; echo ---; printf '%s\\n'", 1)],
        capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_ACTIONS": "true"},
    ).stdout  # fmt: skip
    environment, _, argv = printed.partition("---\n")
    variables = dict(line.split("=", 1) for line in environment.splitlines() if "=" in line)
    pairs = {}
    for flag, value in itertools.pairwise(argv.splitlines()):
        if flag == "-c":
            key, _, setting = value.partition("=")
            pairs[key] = setting
    return variables, pairs


def test_the_ci_deploy_synthesizes_the_laptops_stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the settings committed in cdk.json, deployed from a laptop
    laptop = synth(tmp_path / "laptop", COMMITTED)
    # When CI deploys with `make deploy`'s arguments, as GitHub Actions runs it
    environment, arguments = ci_deploy()
    assert set(arguments) <= {"publishedArtifacts"}, arguments
    monkeypatch.setenv("CONCURRENCY_EVAL_DEPLOYING_FOR", environment["CONCURRENCY_EVAL_DEPLOYING_FOR"])
    ci = synth(tmp_path / "ci", {**COMMITTED, **arguments})
    # Then the stacks that hold the OIDC provider, the roles and the prefix are the same
    assert ci[ARTIFACTS] == laptop[ARTIFACTS]
    assert ci[EVALUATION] == laptop[EVALUATION]


@pytest.mark.parametrize("committed", [{}, {"githubRepository": "someone/else"}])
def test_ci_refuses_a_cdk_json_that_does_not_name_its_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed: dict[str, str]
) -> None:
    # Given `make deploy` under GitHub Actions, for this repository
    environment, _ = ci_deploy()
    monkeypatch.setenv("CONCURRENCY_EVAL_DEPLOYING_FOR", environment["CONCURRENCY_EVAL_DEPLOYING_FOR"])
    # When cdk.json does not name it, Then nothing is synthesized, and the fix is named
    with pytest.raises(SettingsError, match=f'set "githubRepository": "{REPOSITORY}"'):
        synth(tmp_path, committed)
