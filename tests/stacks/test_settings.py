"""cdk.json context and -c values: typed when right, every mistake named when wrong."""

import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from contracts import cdk_json
from contracts.bundles import BUNDLES
from stacks.settings import AppSettings, GitHubSettings, SettingsError, from_context
from tests.handlers import ROOT

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
PUBLISHED = json.dumps(
    {
        "bucket": "ci-artifacts-bucket",
        "artifacts": {name: {"key": f"{name}.zip", "version": "1"} for name in BUNDLES},
    }
)


def test_defaults() -> None:
    assert from_context({}) == AppSettings()


def test_command_line_strings_are_parsed() -> None:
    config = from_context(
        {"memory": "1769", "timeout": " 90 ", "architecture": "x86_64", "reservedConcurrency": "5",
         "provisionedConcurrency": "2", "logRetentionDays": "7", "removalPolicy": "destroy"}
    )  # fmt: skip
    assert (config.memory_mb, config.timeout_seconds, config.architecture) == (1769, 90, "x86_64")
    assert (config.reserved_concurrency, config.provisioned_concurrency) == (5, 2)
    assert (config.log_retention_days, config.removal_policy) == (7, "destroy")


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, ("arm64",)),
        ({"architecture": "x86_64"}, ("x86_64",)),
        ({"architectures": "x86_64"}, ("x86_64",)),
        ({"architectures": "arm64,x86_64"}, ("arm64", "x86_64")),
        ({"architectures": "x86_64, arm64"}, ("arm64", "x86_64")),
        ({"architectures": ["x86_64", "arm64"]}, ("arm64", "x86_64")),
    ],
)
def test_the_architectures_deployed(context: dict[str, Any], expected: tuple[str, ...]) -> None:
    # -c gives a comma-separated string, cdk.json a list; the order is always the same
    assert from_context(context).deployed_architectures == expected


@pytest.mark.parametrize(
    ("context", "express", "zone", "vpc"),
    [
        ({}, False, None, False),
        ({"dataBucket": "general-purpose", "vpc": "false"}, False, None, False),
        ({"dataBucket": "express", "dataBucketZone": "use1-az4"}, True, "use1-az4", False),
        ({"dataBucket": "express", "dataBucketZone": " usw2-lax1-az1 "}, True, "usw2-lax1-az1", False),
        ({"vpc": "true"}, False, None, True),
        ({"vpc": "TRUE"}, False, None, True),
        ({"vpc": True}, False, None, True),
    ],
)
def test_data_bucket_and_vpc(context: dict[str, Any], express: bool, zone: str | None, vpc: bool) -> None:
    config = from_context(context)
    assert (config.express, config.data_bucket_zone, config.vpc) == (express, zone, vpc)


def test_github_subjects() -> None:
    config = from_context(
        {"githubRepository": "octo/eval", "githubBranch": "release/1", "githubEnvironment": "prod"}
    )
    assert config.github == GitHubSettings("octo", "eval", "release/1", "prod")
    assert config.github.branch_subject == "repo:octo/eval:ref:refs/heads/release/1"
    assert config.github.environment_subject == "repo:octo/eval:environment:prod"


def test_cdk_own_keys_are_not_settings() -> None:
    assert from_context({"@aws-cdk/aws-lambda:recognizeLayerVersion": True, "aws:cdk:bundling-stacks": []})


@pytest.mark.parametrize(
    ("context", "fragment"),
    [
        ({"memory": "1GB"}, "memory='1GB': must be a whole number"),
        ({"memory": 64}, "memory=64: must be between 128 and 10240"),
        ({"memory": True}, "memory=True: must be a whole number"),
        ({"timeout": 901}, "timeout=901: must be between 1 and 900"),
        ({"architecture": "arm"}, "architecture='arm': must be one of arm64, x86_64"),
        ({"runtime": "python3.9"}, "runtime='python3.9': must be one of"),
        ({"removalPolicy": "snapshot"}, "removalPolicy='snapshot': must be one of retain, destroy"),
        ({"logRetentionDays": 31}, "is not a retention period CloudWatch Logs accepts"),
        ({"githubRepository": "just-a-name"}, "githubRepository='just-a-name': must be owner/repo"),
        ({"artifactPrefix": "artifacts"}, "'artifacts' is not a key prefix"),
        ({"artifactPrefix": "*/"}, "'*/' is not a key prefix"),
        ({"artifactPrefix": "a?/"}, "'a?/' is not a key prefix"),
        ({"artifactPrefix": "../"}, "'../' is not a key prefix"),
        ({"artifactPrefix": "a/../b/"}, "'a/../b/' is not a key prefix"),
        ({"artifactPrefix": "/artifacts/"}, "'/artifacts/' is not a key prefix"),
        ({"githubRepository": "owner/repo\n"}, "must be owner/repo"),
        ({"githubBranch": "main\n"}, "must be a branch name"),
        ({"oidcProviderArn": "arn:aws:iam::1:oidc-provider/x"}, "oidcProviderArn="),
        ({"stackPrefix": "1st"}, "stackPrefix='1st'"),
        (
            {"reservedConcurrency": 2, "provisionedConcurrency": 3},
            "provisionedConcurrency=3 exceeds reservedConcurrency=2",
        ),
        ({"memorySize": 512}, "'memorySize' is not a setting of this app; did you mean 'memory'?"),
        ({"githubRepo": "a/b"}, "did you mean 'githubRepository'?"),
        ({"oidcProviderArn": PROVIDER}, "oidcProviderArn is set but githubRepository is not"),
        ({"architectures": "arm"}, "architectures='arm': must list one or both of arm64, x86_64"),
        ({"architectures": ""}, None),
        ({"architectures": "arm64,"}, "must list one or both of arm64, x86_64"),
        ({"architectures": "arm64,arm64"}, "names an architecture twice"),
        (
            {"architecture": "arm64", "architectures": "arm64,x86_64"},
            "architecture and architectures are both set; set architectures alone",
        ),
        (
            {"architectures": "arm64,x86_64", "publishedArtifacts": PUBLISHED},
            "publishedArtifacts holds one architecture's zips, but architectures deploys two",
        ),
        (
            {"architectures": "arm64,x86_64", "stackPrefix": "A" * 39},
            f"stackPrefix makes the function name '{'A' * 39}Evaluation-threaded-x86_64' longer than "
            "Lambda's 64 characters; choose a prefix 1 shorter",
        ),
        ({"dataBucket": "s3express"}, "dataBucket='s3express': must be one of general-purpose, express"),
        ({"dataBucket": "express"}, "dataBucket=express needs the zone of the directory bucket"),
        ({"dataBucketZone": "use1-az4"}, "dataBucketZone is set but dataBucket is not express"),
        (
            {"dataBucket": "express", "dataBucketZone": "us-east-1a"},
            "'us-east-1a' is not a zone ID: use one like use1-az4",
        ),
        (
            {
                "dataBucket": "express",
                "dataBucketZone": "use1-az4",
                "stackPrefix": "LongerThanTheBucketAllows",
            },
            "longerthanthebucketallowsevaluation-000000000000--use1-az4--x-s3' is invalid: it must be 3",
        ),
        ({"vpc": "yes"}, "vpc='yes': must be true or false; use true or false"),
    ],
)
def test_each_bad_value_is_named_with_its_fix(context: dict[str, Any], fragment: str | None) -> None:
    if fragment is None:  # an empty value is no value, as with every setting
        from_context(context)
        return
    with pytest.raises(SettingsError) as raised:
        from_context(context)
    assert fragment in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        from_context({"memory": "x", "timeout": "y", "architecture": "z"})
    message = str(raised.value)
    assert "memory=" in message
    assert "timeout=" in message
    assert "architecture=" in message


def test_synth_with_a_bad_value_exits_with_the_message() -> None:
    # As `cdk synth -c memory=huge` runs it: context through CDK_CONTEXT_JSON
    context = cdk_json.context() | {"memory": "huge"}
    completed = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            **os.environ,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_OUTDIR": "/nonexistent/never-written",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "error: invalid cdk context:" in completed.stderr
    assert "memory='huge': must be a whole number; Lambda memory is 128 to 10240 MB" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_readme_lists_every_setting_with_its_default() -> None:
    # Given the settings table in the README, which users read instead of the code
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
    documented = {key.strip().strip("`"): default.strip().strip("`") for key, default in rows}
    # When it is compared with the settings the app declares
    declared = {
        field.metadata["setting"].key: shown(field.default) for field in dataclasses.fields(AppSettings)
    }
    # Then it names each of them, once, with the default the app uses
    assert documented == declared


def shown(default: Any) -> str:
    """A default as the README writes it: none, false, 1024, `arm64`."""
    if default is None:
        return "none"
    if isinstance(default, bool):
        return str(default).lower()
    return str(default)
