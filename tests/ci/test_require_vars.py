"""scripts/require-vars, the workflows' first step: every missing variable named at once."""

import subprocess

from tests.handlers import ROOT

SCRIPT = str(ROOT / "scripts" / "require-vars")


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "AWS_REGION", "AWS_DEPLOY_ROLE_ARN", "ARTIFACT_BUCKET"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}, check=False,
    )  # fmt: skip


def test_names_each_missing_variable_and_fails() -> None:
    completed = run({"AWS_REGION": "eu-west-1", "ARTIFACT_BUCKET": ""})
    assert completed.returncode == 1
    assert "::error::AWS_DEPLOY_ROLE_ARN is not set" in completed.stderr
    assert "::error::ARTIFACT_BUCKET is not set" in completed.stderr
    assert "AWS_REGION" not in completed.stderr


def test_passes_when_all_are_set() -> None:
    completed = run(
        {"AWS_REGION": "eu-west-1", "AWS_DEPLOY_ROLE_ARN": "arn:aws:iam::1:role/d", "ARTIFACT_BUCKET": "b"}
    )
    assert completed.returncode == 0
