"""Assertions on the synthesized templates: what the stacks promise, exactly."""

import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from contracts.bundles import MODELS
from contracts.function import (
    ALIAS,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    FUNCTION_ENVIRONMENT,
    HANDLER,
    REQUESTS_IN_FLIGHT_VARIABLE,
)
from contracts.stack import (
    DATA_BUCKET_OUTPUT,
    SMOKE_PREFIX,
    SWEEP_FUNCTION_ACTIONS,
    SWEEP_VERSION_ACTIONS,
    alias_output,
    function_output,
)
from tests.handlers import ROOT
from tests.stacks.synthesis import ARTIFACTS, EVALUATION, GITHUB, synth

#: The evaluated functions, not CDK's own (such as a destroyed bucket's auto-delete provider).
EVALUATED = {"Properties": {"Handler": HANDLER}}


@pytest.fixture(scope="module")
def artifacts(templates: dict[str, dict[str, Any]]) -> Template:
    return Template.from_json(templates[ARTIFACTS])


@pytest.fixture(scope="module")
def evaluation(templates: dict[str, dict[str, Any]]) -> Template:
    return Template.from_json(templates[EVALUATION])


def only_id(template: Template, kind: str, props: Any = None) -> str:
    found = template.find_resources(kind, props)
    assert len(found) == 1, found.keys()
    return next(iter(found))


def artifact_bucket_id(template: Template) -> str:
    return only_id(
        template, "AWS::S3::Bucket", {"Properties": {"VersioningConfiguration": Match.any_value()}}
    )


def role_id(template: Template, description_start: str) -> str:
    described = Match.string_like_regexp(f"^{description_start}")
    return only_id(template, "AWS::IAM::Role", {"Properties": {"Description": described}})


def statements_of_role(template: Template, role: str) -> list[dict[str, Any]]:
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": Match.array_with([{"Ref": role}])}}
    )
    return [s for policy in policies.values() for s in policy["Properties"]["PolicyDocument"]["Statement"]]


# -- artifact bucket -----------------------------------------------------------------


def test_artifact_bucket_is_versioned_encrypted_private_retained(artifacts: Template) -> None:
    # Given the artifacts stack; Then its bucket keeps versions, encrypts, is private and stays
    artifacts.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "VersioningConfiguration": Match.exact({"Status": "Enabled"}),
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        Match.object_like(
                            {"ServerSideEncryptionByDefault": Match.exact({"SSEAlgorithm": "AES256"})}
                        )
                    ]
                },
                "PublicAccessBlockConfiguration": Match.exact(
                    {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    }
                ),
                "LifecycleConfiguration": {
                    "Rules": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "NoncurrentVersionExpiration": Match.exact({"NoncurrentDays": 90}),
                                    "Status": "Enabled",
                                }
                            )
                        ]
                    )
                },
                "LoggingConfiguration": Match.any_value(),
            },
        },
    )


@pytest.mark.parametrize("stack", [ARTIFACTS, EVALUATION])
def test_every_bucket_refuses_plain_http(templates: dict[str, dict[str, Any]], stack: str) -> None:
    # Given a stack's buckets and bucket policies
    template = Template.from_json(templates[stack])
    buckets = set(template.find_resources("AWS::S3::Bucket"))
    deny_http = Match.object_like(
        {"Effect": "Deny", "Condition": Match.exact({"Bool": {"aws:SecureTransport": "false"}})}
    )
    # When the policies that deny plain HTTP are found
    enforcing = template.find_resources(
        "AWS::S3::BucketPolicy",
        {"Properties": {"PolicyDocument": {"Statement": Match.array_with([deny_http])}}},
    )
    # Then every bucket has one
    assert {policy["Properties"]["Bucket"]["Ref"] for policy in enforcing.values()} == buckets


# -- GitHub OIDC ------------------------------------------------------------------------


def test_oidc_provider_is_github_with_sts_audience(artifacts: Template) -> None:
    artifacts.resource_count_is("AWS::IAM::OIDCProvider", 1)
    artifacts.has_resource_properties(
        "AWS::IAM::OIDCProvider",
        {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]},
    )


@pytest.mark.parametrize(
    ("description", "subject"),
    [
        ("Publishes", "repo:octo-org/concurrency-eval:ref:refs/heads/main"),
        ("Deploys", "repo:octo-org/concurrency-eval:environment:production"),
    ],
)
def test_roles_trust_only_the_configured_repository(
    artifacts: Template, description: str, subject: str
) -> None:
    # Given the role; Then only a web identity of this repository's job may assume it
    provider = only_id(artifacts, "AWS::IAM::OIDCProvider")
    trust = {
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": {"Ref": provider}},
        "Condition": {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject,
            }
        },
    }
    artifacts.has_resource_properties(
        "AWS::IAM::Role",
        {
            "Description": Match.string_like_regexp(f"^{description}"),
            "AssumeRolePolicyDocument": {"Statement": [Match.exact(trust)]},
            "MaxSessionDuration": 3600,
        },
    )


def test_publisher_may_only_write_and_read_under_the_prefix(artifacts: Template) -> None:
    bucket = artifact_bucket_id(artifacts)
    assert statements_of_role(artifacts, role_id(artifacts, "Publishes")) == [
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


def test_deployer_may_only_assume_the_cdk_bootstrap_roles_smoke_test_and_sweep(artifacts: Template) -> None:
    statements = {s["Sid"]: s for s in statements_of_role(artifacts, role_id(artifacts, "Deploys"))}
    assert set(statements) == {
        "AssumeCdkBootstrapRoles", "SmokeTestReadStack", "SmokeTestInvokeLiveAliases",
        "SmokeTestListData", "SmokeTestSeedData",
        "SweepPublishVersionsAndAliases", "SweepInvokeAndDeleteVersions",
    }  # fmt: skip
    # The smoke test: the live aliases of the evaluation stack's functions only, and the
    # smoke/ prefix of its data bucket only
    invoke = statements["SmokeTestInvokeLiveAliases"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert invoke["Resource"]["Fn::Sub"].endswith(f":function:{EVALUATION}-*:{ALIAS}")
    assert statements["SmokeTestSeedData"]["Action"] == "s3:PutObject"
    assert statements["SmokeTestListData"]["Condition"] == {"StringLike": {"s3:prefix": [f"{SMOKE_PREFIX}*"]}}
    # The sweep: the evaluation stack's functions, and their versions and aliases; DeleteFunction
    # (and InvokeFunction) on qualified ARNs only, which a function's own ARN never matches
    functions = f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{EVALUATION}-*"
    assert statements["SweepPublishVersionsAndAliases"] == {
        "Action": sorted(SWEEP_FUNCTION_ACTIONS),
        "Effect": "Allow",
        "Resource": {"Fn::Sub": functions},
        "Sid": "SweepPublishVersionsAndAliases",
    }
    assert statements["SweepInvokeAndDeleteVersions"] == {
        "Action": ["lambda:DeleteFunction", "lambda:InvokeFunction"],
        "Effect": "Allow",
        "Resource": {"Fn::Sub": f"{functions}:*"},
        "Sid": "SweepInvokeAndDeleteVersions",
    }
    assert "lambda:DeleteFunction" not in SWEEP_FUNCTION_ACTIONS
    statement = statements["AssumeCdkBootstrapRoles"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert [resource["Fn::Sub"] for resource in statement["Resource"]] == [
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-{name}-${{AWS::AccountId}}-${{AWS::Region}}"
        for name in ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")
    ]


def test_no_roles_without_a_repository(tmp_path: Path) -> None:
    # Given no githubRepository; When the app is synthesized
    template = Template.from_json(synth(tmp_path)[ARTIFACTS])
    # Then there is no role and no provider
    template.resource_count_is("AWS::IAM::Role", 0)
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)


def test_an_existing_provider_is_imported_not_created(tmp_path: Path) -> None:
    # Given the account's own GitHub provider
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    template = Template.from_json(synth(tmp_path, {"oidcProviderArn": arn, **GITHUB})[ARTIFACTS])
    # Then none is created, and the roles trust that one
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "Description": Match.string_like_regexp("^Deploys"),
            "AssumeRolePolicyDocument": {
                "Statement": [Match.object_like({"Principal": Match.exact({"Federated": arn})})]
            },
        },
    )


# -- layers and functions -------------------------------------------------------------


def functions(template: Template) -> dict[str, dict[str, Any]]:
    """The evaluated functions' properties, by logical ID."""
    found = template.find_resources("AWS::Lambda::Function", EVALUATED)
    return {name: resource["Properties"] for name, resource in found.items()}


def test_three_functions_identical_but_for_their_code(evaluation: Template) -> None:
    found = functions(evaluation)
    assert len(found) == len(MODELS)
    shared = [
        {k: v for k, v in props.items() if k not in ("Code", "Role", "LoggingConfig", "Description")}
        for props in found.values()
    ]
    assert all(each == shared[0] for each in shared)
    first = shared[0]
    assert first["Runtime"] == "python3.13"
    assert first["Architectures"] == ["arm64"]
    assert first["MemorySize"] == DEFAULT_MEMORY_MB
    assert first["Timeout"] == DEFAULT_TIMEOUT_S
    assert first["Handler"] == "handler.handler"
    # Unset, requestsInFlight leaves the framework's default: no variable for it.
    assert first["Environment"]["Variables"] == FUNCTION_ENVIRONMENT
    evaluation.resource_properties_count_is(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "MemorySize": 1024,
            "Timeout": 60,
            "Handler": HANDLER,
        },
        len(MODELS),
    )


def test_every_function_has_both_layers_from_this_stack(evaluation: Template) -> None:
    layers = evaluation.find_resources("AWS::Lambda::LayerVersion")
    assert len(layers) == 2
    for props in functions(evaluation).values():
        assert sorted(ref["Ref"] for ref in props["Layers"]) == sorted(layers)
    evaluation.resource_properties_count_is(
        "AWS::Lambda::LayerVersion",
        {"CompatibleRuntimes": ["python3.13"], "CompatibleArchitectures": ["arm64"]},
        2,
    )


def test_no_stack_exports_or_imports_anything(templates: dict[str, dict[str, Any]]) -> None:
    # A layer reached through an export could not change while in use: no exports at all.
    for name, template in templates.items():
        assert Template.from_json(template).find_outputs("*", {"Export": Match.any_value()}) == {}, name
        assert "Fn::ImportValue" not in str(template), name


def test_functions_log_json_to_their_own_retained_log_group(evaluation: Template) -> None:
    groups = evaluation.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == len(MODELS)
    evaluation.resource_properties_count_is("AWS::Logs::LogGroup", {"RetentionInDays": 30}, len(MODELS))
    for props in functions(evaluation).values():
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["LoggingConfig"]["LogGroup"]["Ref"] in groups


def test_functions_may_read_the_data_bucket_and_write_their_logs_only(evaluation: Template) -> None:
    data = only_id(evaluation, "AWS::S3::Bucket")
    for props in functions(evaluation).values():
        role = props["Role"]["Fn::GetAtt"][0]
        assert (
            evaluation.find_resources("AWS::IAM::Role")[role]["Properties"].get("ManagedPolicyArns") is None
        )
        log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert statements_of_role(evaluation, role) == [
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


def test_each_function_has_a_live_alias(evaluation: Template) -> None:
    evaluation.resource_count_is("AWS::Lambda::Alias", len(MODELS))
    evaluation.resource_properties_count_is(
        "AWS::Lambda::Alias", {"Name": ALIAS, "ProvisionedConcurrencyConfig": Match.absent()}, len(MODELS)
    )


def test_outputs_name_functions_aliases_and_data_bucket(evaluation: Template) -> None:
    expected = {DATA_BUCKET_OUTPUT} | {
        key(model) for model in MODELS for key in (function_output, alias_output)
    }
    assert expected <= set(evaluation.find_outputs("*"))


def test_dashboard_compares_duration_concurrency_errors_throttles(evaluation: Template) -> None:
    (dashboard,) = evaluation.find_resources("AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    for metric in ('"Duration"', '"ConcurrentExecutions"', '"Errors"', '"Throttles"'):
        assert metric in body
    for statistic in ('"p50"', '"p90"', '"Maximum"'):
        assert statistic in body


def test_settings_reach_every_function(tmp_path: Path) -> None:
    # Given settings other than the defaults
    settings = {
        "architecture": "x86_64", "memory": "512", "timeout": 30, "reservedConcurrency": 10,
        "provisionedConcurrency": 2, "removalPolicy": "destroy", "logRetentionDays": 7,
        "requestsInFlight": 128,
    }  # fmt: skip
    # When the app is synthesized with them
    template = Template.from_json(synth(tmp_path, settings)[EVALUATION])
    # Then every function, alias and log group has them
    assert len(functions(template)) == len(MODELS)
    evaluation_functions = {"Handler": HANDLER, "Architectures": ["x86_64"], "MemorySize": 512, "Timeout": 30}
    template.resource_properties_count_is(
        "AWS::Lambda::Function", {**evaluation_functions, "ReservedConcurrentExecutions": 10}, len(MODELS)
    )
    template.resource_properties_count_is(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({REQUESTS_IN_FLIGHT_VARIABLE: "128"})}},
        len(MODELS),
    )
    template.resource_count_is("AWS::Lambda::Alias", len(MODELS))
    template.resource_properties_count_is(
        "AWS::Lambda::Alias",
        {"ProvisionedConcurrencyConfig": Match.exact({"ProvisionedConcurrentExecutions": 2})},
        len(MODELS),
    )
    groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == len(MODELS)
    assert all(group["DeletionPolicy"] == "Delete" for group in groups.values())
    assert all(group["Properties"]["RetentionInDays"] == 7 for group in groups.values())


#: What each waiter the sweep uses calls (botocore's lambda waiters-2.json).
WAITER_OPERATIONS = {"function_updated_v2": "GetFunction", "function_active_v2": "GetFunction"}


def test_the_deployer_may_make_every_lambda_call_the_sweep_makes() -> None:
    # Given every Lambda operation the sweep's code calls: directly, through paginators and waiters
    calls: set[str] = set()
    for path in (ROOT / "concurrency_eval" / "sweep").glob("*.py"):
        text = path.read_text()
        calls |= set(re.findall(r"client\.(\w+)\(", text))
        calls |= set(re.findall(r"get_paginator\(\"(\w+)\"\)", text))
        calls |= {WAITER_OPERATIONS[name] for name in re.findall(r"get_waiter\(\"(\w+)\"\)", text)}
    operations = {call if call[0].isupper() else call.title().replace("_", "") for call in calls}
    operations -= {"GetWaiter", "GetPaginator"}
    # Then the role allows each, as the IAM action of the same name (Invoke is InvokeFunction)
    granted = {action.removeprefix("lambda:") for action in (*SWEEP_FUNCTION_ACTIONS, *SWEEP_VERSION_ACTIONS)}
    missing = {op for op in operations if (op if op != "Invoke" else "InvokeFunction") not in granted}
    assert operations, "no Lambda call found: the scan is broken"
    assert missing == set()


def iam_matches(pattern: str, arn: str) -> bool:
    """IAM's matching of a Resource ARN pattern, as its reference documents it ("IAM JSON
    policy elements: Resource"): `*` and `?` within a colon-separated segment, except that
    a `*` which is the last character of a segment "can expand to match beyond the colon
    boundaries"."""
    expression = ""
    for index, character in enumerate(pattern):
        if character == "*":
            last_of_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
            expression += ".*" if last_of_segment else "[^:]*"
        elif character == "?":
            expression += "[^:]"
        else:
            expression += re.escape(character)
    return re.fullmatch(expression, arn) is not None


#: Since 2022-01-24 Lambda authorizes a call that names a function and a Qualifier against
#: the qualified ARN (`function:name:qualifier`), and one without against the function's
#: own ARN (AWS's notice, quoted in aws/aws-cdk#19318: "Lambda requires IAM or VPC endpoint
#: policies to specify the fully qualified ARN in the Resource element when authorizing API
#: calls that use an unqualified ARN with a qualifier parameter").
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{EVALUATION}-SyncFunction-Ab12"


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        # What the sweep does: its calls, with a qualifier where it passes one
        ("lambda:DeleteFunction", f"{FUNCTION_ARN}:7", True),
        ("lambda:InvokeFunction", f"{FUNCTION_ARN}:ce-sweep-abc-512-default-0", True),
        ("lambda:GetFunctionConfiguration", FUNCTION_ARN, True),
        ("lambda:GetFunctionConfiguration", f"{FUNCTION_ARN}:7", True),
        ("lambda:UpdateFunctionConfiguration", FUNCTION_ARN, True),
        ("lambda:PublishVersion", FUNCTION_ARN, True),
        ("lambda:CreateAlias", FUNCTION_ARN, True),
        ("lambda:DeleteAlias", FUNCTION_ARN, True),
        # What it must never do: delete a function itself, or touch another stack's
        ("lambda:DeleteFunction", FUNCTION_ARN, False),
        (
            "lambda:DeleteFunction",
            "arn:aws:lambda:us-east-1:123456789012:function:Other-SyncFunction:7",
            False,
        ),
        (
            "lambda:UpdateFunctionConfiguration",
            "arn:aws:lambda:us-east-1:123456789012:function:Other-Sync",
            False,
        ),
        ("lambda:InvokeFunction", FUNCTION_ARN, False),
    ],
)
def test_the_deployers_sweep_grants_as_iam_evaluates_them(
    artifacts: Template, action: str, resource: str, allowed: bool
) -> None:
    # Given the deployer's statements, their ARNs as CloudFormation resolves them in an account
    statements = statements_of_role(artifacts, role_id(artifacts, "Deploys"))
    places = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
    granted: list[tuple[str, str]] = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for pattern in resources:
            text = pattern["Fn::Sub"] if isinstance(pattern, dict) and "Fn::Sub" in pattern else pattern
            if not isinstance(text, str):
                continue
            for name, value in places.items():
                text = text.replace(f"${{{name}}}", value)
            granted.extend((a, text) for a in actions)
    # When IAM matches the call's resource, Then it is allowed exactly where the sweep needs it
    assert any(a == action and iam_matches(p, resource) for a, p in granted) is allowed


def test_iam_matching_follows_the_documented_wildcards() -> None:
    # The examples the IAM reference gives, and a `*` inside a segment stopping at a colon
    assert iam_matches(
        "arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/1/2/object.jpg"
    )
    assert iam_matches("arn:aws:lambda:r:1:function:S-*", "arn:aws:lambda:r:1:function:S-sync:7")
    assert not iam_matches("arn:aws:lambda:r:1:function:S-*:*", "arn:aws:lambda:r:1:function:S-sync")
    assert not iam_matches("arn:aws:lambda:r:1:function:S-*x", "arn:aws:lambda:r:1:function:S-a:bx")
    assert iam_matches("arn:aws:lambda:r:1:function:S-?", "arn:aws:lambda:r:1:function:S-a")
