"""Assertions on the synthesized templates: what the stacks promise, exactly."""

from typing import Any

import pytest

from contracts.function import HANDLER
from tests.infra.conftest import GITHUB

ARTIFACTS = "ConcurrencyEvalArtifacts"
EVALUATION = "ConcurrencyEvalEvaluation"


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(template, kind)
    assert len(found) == 1, found.keys()
    properties: dict[str, Any] = next(iter(found.values()))["Properties"]
    return properties


def policy_of_role(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def role_id(template: dict[str, Any], description_start: str) -> str:
    for name, role in resources(template, "AWS::IAM::Role").items():
        if role["Properties"].get("Description", "").startswith(description_start):
            return name
    raise AssertionError(f"no role described as {description_start!r}")


# -- artifact bucket -----------------------------------------------------------------


def test_artifact_bucket_is_versioned_encrypted_private_retained(templates: dict[str, Any]) -> None:
    buckets = resources(templates[ARTIFACTS], "AWS::S3::Bucket")
    artifact = next(b for b in buckets.values() if "VersioningConfiguration" in b["Properties"])
    props = artifact["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert artifact["DeletionPolicy"] == "Retain"
    assert artifact["UpdateReplacePolicy"] == "Retain"
    rule = props["LifecycleConfiguration"]["Rules"][0]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rule["Status"] == "Enabled"
    assert "LoggingConfiguration" in props


def test_every_bucket_refuses_plain_http(templates: dict[str, Any]) -> None:
    for stack in (ARTIFACTS, EVALUATION):
        buckets = set(resources(templates[stack], "AWS::S3::Bucket"))
        policies = resources(templates[stack], "AWS::S3::BucketPolicy").values()
        enforced = {
            p["Properties"]["Bucket"]["Ref"]
            for p in policies
            if any(
                s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
                for s in p["Properties"]["PolicyDocument"]["Statement"]
            )
        }
        assert enforced == buckets, stack


# -- GitHub OIDC ------------------------------------------------------------------------


def test_oidc_provider_is_github_with_sts_audience(templates: dict[str, Any]) -> None:
    provider = only(templates[ARTIFACTS], "AWS::IAM::OIDCProvider")
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize(
    ("description", "subject"),
    [
        ("Publishes", "repo:octo-org/concurrency-eval:ref:refs/heads/main"),
        ("Deploys", "repo:octo-org/concurrency-eval:environment:production"),
    ],
)
def test_roles_trust_only_the_configured_repository(
    templates: dict[str, Any], description: str, subject: str
) -> None:
    template = templates[ARTIFACTS]
    role = template["Resources"][role_id(template, description)]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {
        "Federated": {"Ref": next(iter(resources(template, "AWS::IAM::OIDCProvider")))}
    }
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }
    assert role["MaxSessionDuration"] == 3600


def test_publisher_may_only_write_and_read_under_the_prefix(templates: dict[str, Any]) -> None:
    template = templates[ARTIFACTS]
    statements = policy_of_role(template, role_id(template, "Publishes"))
    bucket = next(
        name
        for name, b in resources(template, "AWS::S3::Bucket").items()
        if "VersioningConfiguration" in b["Properties"]
    )
    assert statements == [
        {
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/artifacts/*"]]},
            "Sid": "PutAndCompareArtifacts",
        },
        {
            "Action": "s3:ListBucket",
            "Condition": {"StringLike": {"s3:prefix": ["artifacts/*"]}},
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [bucket, "Arn"]},
            "Sid": "ListArtifactPrefix",
        },
    ]


def test_deployer_may_only_assume_the_cdk_bootstrap_roles_and_smoke_test(templates: dict[str, Any]) -> None:
    template = templates[ARTIFACTS]
    statements = {s["Sid"]: s for s in policy_of_role(template, role_id(template, "Deploys"))}
    assert set(statements) == {
        "AssumeCdkBootstrapRoles", "SmokeTestReadStack", "SmokeTestInvokeLiveAliases",
        "SmokeTestListData", "SmokeTestSeedData",
    }  # fmt: skip
    # The smoke test: the live aliases of the evaluation stack's functions only, and the
    # smoke/ prefix of its data bucket only
    invoke = statements["SmokeTestInvokeLiveAliases"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert invoke["Resource"]["Fn::Sub"].endswith(":function:ConcurrencyEvalEvaluation-*:live")
    assert statements["SmokeTestSeedData"]["Action"] == "s3:PutObject"
    assert statements["SmokeTestListData"]["Condition"] == {"StringLike": {"s3:prefix": ["smoke/*"]}}
    statement = statements["AssumeCdkBootstrapRoles"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    roles = [resource["Fn::Sub"] for resource in statement["Resource"]]
    assert roles == [
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-{name}-${{AWS::AccountId}}-${{AWS::Region}}"
        for name in ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")
    ]


def test_no_roles_without_a_repository(tmp_path: Any) -> None:
    from tests.infra.conftest import synth

    templates = synth(tmp_path)
    assert resources(templates[ARTIFACTS], "AWS::IAM::Role") == {}
    assert resources(templates[ARTIFACTS], "AWS::IAM::OIDCProvider") == {}


def test_an_existing_provider_is_imported_not_created(tmp_path: Any) -> None:
    from tests.infra.conftest import synth

    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    templates = synth(tmp_path, {"oidcProviderArn": arn, **GITHUB})
    template = templates[ARTIFACTS]
    assert resources(template, "AWS::IAM::OIDCProvider") == {}
    role = template["Resources"][role_id(template, "Deploys")]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": arn}


# -- layers and functions -------------------------------------------------------------


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The evaluated functions (not CDK's own, such as the auto-delete provider of a
    destroyed bucket), by logical ID."""
    return {
        name: r["Properties"]
        for name, r in resources(template, "AWS::Lambda::Function").items()
        if r["Properties"].get("Handler") == HANDLER
    }


def test_three_functions_identical_but_for_their_code(templates: dict[str, Any]) -> None:
    found = functions(templates[EVALUATION])
    assert len(found) == 3
    shared = [
        {k: v for k, v in props.items() if k not in ("Code", "Role", "LoggingConfig", "Description")}
        for props in found.values()
    ]
    assert shared[0] == shared[1] == shared[2]
    first = shared[0]
    assert first["Runtime"] == "python3.13"
    assert first["Architectures"] == ["arm64"]
    assert first["MemorySize"] == 1024
    assert first["Timeout"] == 60
    assert first["Handler"] == "handler.handler"


def test_every_function_has_both_layers_from_this_stack(templates: dict[str, Any]) -> None:
    template = templates[EVALUATION]
    layers = resources(template, "AWS::Lambda::LayerVersion")
    assert len(layers) == 2
    for props in functions(template).values():
        assert sorted(ref["Ref"] for ref in props["Layers"]) == sorted(layers)
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_no_stack_exports_or_imports_anything(templates: dict[str, Any]) -> None:
    # A layer reached through an export could not change while in use: no exports at all.
    for name, template in templates.items():
        assert all("Export" not in output for output in template.get("Outputs", {}).values()), name
        assert "Fn::ImportValue" not in str(template), name


def test_functions_log_json_to_their_own_retained_log_group(templates: dict[str, Any]) -> None:
    template = templates[EVALUATION]
    groups = resources(template, "AWS::Logs::LogGroup")
    assert len(groups) == 3
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 30
    for props in functions(template).values():
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["LoggingConfig"]["LogGroup"]["Ref"] in groups


def test_functions_may_read_the_data_bucket_and_write_their_logs_only(templates: dict[str, Any]) -> None:
    template = templates[EVALUATION]
    data = next(iter(resources(template, "AWS::S3::Bucket")))
    for props in functions(template).values():
        role = props["Role"]["Fn::GetAtt"][0]
        assert template["Resources"][role]["Properties"].get("ManagedPolicyArns") is None
        log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert policy_of_role(template, role) == [
            {
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
                "Sid": "WriteOwnLogs",
            },
            {
                "Action": "s3:ListBucket",
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [data, "Arn"]},
                "Sid": "ListData",
            },
            {
                "Action": "s3:GetObject",
                "Effect": "Allow",
                "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [data, "Arn"]}, "/*"]]},
                "Sid": "ReadData",
            },
        ]


def test_each_function_has_a_live_alias(templates: dict[str, Any]) -> None:
    aliases = resources(templates[EVALUATION], "AWS::Lambda::Alias")
    assert sorted(a["Properties"]["Name"] for a in aliases.values()) == ["live"] * 3
    assert all("ProvisionedConcurrencyConfig" not in a["Properties"] for a in aliases.values())


def test_outputs_name_functions_aliases_and_data_bucket(templates: dict[str, Any]) -> None:
    outputs = templates[EVALUATION]["Outputs"]
    expected = {"DataBucketName"} | {
        f"{m}{kind}" for m in ("Sync", "Threaded", "Asyncio") for kind in ("FunctionName", "AliasName")
    }
    assert expected <= set(outputs)


def test_dashboard_compares_duration_concurrency_errors_throttles(templates: dict[str, Any]) -> None:
    body = str(only(templates[EVALUATION], "AWS::CloudWatch::Dashboard")["DashboardBody"])
    for metric in ('"Duration"', '"ConcurrentExecutions"', '"Errors"', '"Throttles"'):
        assert metric in body
    for statistic in ('"p50"', '"p90"', '"Maximum"'):
        assert statistic in body


def test_settings_reach_every_function(tmp_path: Any) -> None:
    from tests.infra.conftest import synth

    settings = {
        "architecture": "x86_64", "memory": "512", "timeout": 30, "reservedConcurrency": 10,
        "provisionedConcurrency": 2, "removalPolicy": "destroy", "logRetentionDays": 7,
    }  # fmt: skip
    templates = synth(tmp_path, settings)
    template = templates[EVALUATION]
    for props in functions(template).values():
        assert props["Architectures"] == ["x86_64"]
        assert props["MemorySize"] == 512
        assert props["Timeout"] == 30
        assert props["ReservedConcurrentExecutions"] == 10
    for alias in resources(template, "AWS::Lambda::Alias").values():
        assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    for group in resources(template, "AWS::Logs::LogGroup").values():
        assert group["DeletionPolicy"] == "Delete"
        assert group["Properties"]["RetentionInDays"] == 7
