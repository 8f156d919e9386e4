"""The optional dimensions: both architectures, an S3 Express One Zone directory bucket,
private connectivity. Each does what it says and only that; cdk-nag and cfn-lint pass
on every combination."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from contracts.bundles import ARCHITECTURES, MODELS
from contracts.function import HANDLER
from contracts.stack import (
    ARCHITECTURES_OUTPUT,
    DATA_BUCKET_OUTPUT,
    EXPRESS_BUCKET_OUTPUT,
    alias_output,
    function_output,
)
from stacks.evaluation_function import NETWORK_INTERFACE_ACTIONS
from tests.stacks.conftest import OPTIONS
from tests.stacks.synthesis import EVALUATION, synth
from tests.stacks.test_checks import cfn_lint
from tests.stacks.test_stacks import functions, only_id, statements_of_role

pytestmark = pytest.mark.timeout(600)

Synthesized = Callable[[str], Path]


def evaluation(synthesized_with: Synthesized, name: str) -> Template:
    path = synthesized_with(name) / f"{EVALUATION}.template.json"
    return Template.from_json(json.loads(path.read_text()))


def statements_by_sid(template: Template, props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    role = props["Role"]["Fn::GetAtt"][0]
    return {statement["Sid"]: statement for statement in statements_of_role(template, role)}


# -- every combination passes the checks -------------------------------------------------


@pytest.mark.parametrize("name", list(OPTIONS))
def test_cdk_nag_passes_with_each_option(synthesized_with: Synthesized, name: str) -> None:
    # Given the app synthesized with the options (synthesis fails on an unacknowledged finding)
    outdir = synthesized_with(name)
    # Then cdk-nag reports nothing
    assert json.loads((outdir / "validation-report.json").read_text())["pluginReports"] == []


def test_cfn_lint_passes_with_every_option(synthesized_with: Synthesized) -> None:
    # Given the app synthesized with each of the options
    templates = [t for name in OPTIONS for t in sorted(synthesized_with(name).glob("*.template.json"))]
    assert len(templates) == 2 * len(OPTIONS)
    # Then cfn-lint, run once over them all (it takes seconds to load its schemas), finds nothing
    result = cfn_lint(*templates)
    assert result.returncode == 0, result.stdout + result.stderr


# -- architectures -----------------------------------------------------------------------


def test_two_architectures_deploy_a_variant_of_each_function(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "two architectures")
    found = functions(template)
    # Then each model has one function per architecture, named after both
    assert sorted(props["FunctionName"] for props in found.values()) == sorted(
        f"{EVALUATION}-{model}-{architecture}" for model in MODELS for architecture in ARCHITECTURES
    )
    for props in found.values():
        (architecture,) = props["Architectures"]
        assert props["FunctionName"].endswith(f"-{architecture}")
    # And each variant has both layers, built for its own architecture
    layers = template.find_resources("AWS::Lambda::LayerVersion")
    assert len(layers) == 2 * len(ARCHITECTURES)
    for props in found.values():
        compatible = {
            tuple(layers[ref["Ref"]]["Properties"]["CompatibleArchitectures"]) for ref in props["Layers"]
        }
        assert compatible == {tuple(props["Architectures"])}
    template.resource_count_is("AWS::Lambda::Alias", len(MODELS) * len(ARCHITECTURES))


def test_two_architectures_are_found_by_their_outputs(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "two architectures")
    outputs = template.find_outputs("*")
    names = {props["FunctionName"]: logical_id for logical_id, props in functions(template).items()}
    # Then each variant's function and alias has an output of its own, saying which it is
    for model in MODELS:
        for architecture in ARCHITECTURES:
            name = f"{EVALUATION}-{model}-{architecture}"
            assert outputs[function_output(model, architecture)]["Value"] == {"Ref": names[name]}
            assert alias_output(model, architecture) in outputs
        assert function_output(model) not in outputs
    assert outputs[ARCHITECTURES_OUTPUT]["Value"] == "arm64,x86_64"
    assert DATA_BUCKET_OUTPUT in outputs


@pytest.mark.parametrize(("architectures", "architecture"), [("x86_64", "x86_64"), (["arm64"], "arm64")])
def test_one_architecture_listed_is_the_architecture_setting(
    tmp_path: Path, architectures: str | list[str], architecture: str
) -> None:
    # Given the same single architecture, as `architectures` and as `architecture`
    listed = synth(tmp_path / "listed", {"architectures": architectures})
    alone = synth(tmp_path / "alone", {"architecture": architecture})
    # Then both synthesize the same templates: one variant, named as ever
    assert listed == alone


def test_the_order_of_architectures_does_not_matter(tmp_path: Path) -> None:
    forward = synth(tmp_path / "forward", {"architectures": "arm64,x86_64"})
    backward = synth(tmp_path / "backward", {"architectures": " x86_64 , arm64"})
    assert forward == backward


# -- S3 Express One Zone -----------------------------------------------------------------


def test_express_adds_a_directory_bucket_in_the_zone(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "express")
    # Then a directory bucket sits beside the general purpose one, in the zone given
    template.resource_count_is("AWS::S3::Bucket", 1)
    template.has_resource(
        "AWS::S3Express::DirectoryBucket",
        {
            "DeletionPolicy": "Retain",
            "Properties": {
                "BucketName": {"Fn::Sub": f"{EVALUATION.lower()}-${{AWS::AccountId}}--use1-az4--x-s3"},
                "LocationName": "use1-az4",
                "DataRedundancy": "SingleAvailabilityZone",
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
            },
        },
    )
    express = only_id(template, "AWS::S3Express::DirectoryBucket")
    assert template.find_outputs(EXPRESS_BUCKET_OUTPUT)[EXPRESS_BUCKET_OUTPUT]["Value"] == {"Ref": express}


def test_functions_may_open_only_read_only_sessions_on_the_directory_bucket(
    synthesized_with: Synthesized,
) -> None:
    template = evaluation(synthesized_with, "express")
    express = only_id(template, "AWS::S3Express::DirectoryBucket")
    for props in functions(template).values():
        statements = statements_by_sid(template, props)
        assert set(statements) == {"WriteOwnLogs", "ListData", "ReadData", "ReadExpressData"}
        assert statements["ReadExpressData"] == {
            "Action": "s3express:CreateSession",
            "Condition": {"StringEquals": {"s3express:SessionMode": "ReadOnly"}},
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [express, "Arn"]},
            "Sid": "ReadExpressData",
        }


def test_a_destroyed_directory_bucket_is_deleted_with_the_stack(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "everything")
    template.has_resource("AWS::S3Express::DirectoryBucket", {"DeletionPolicy": "Delete"})


# -- private connectivity ------------------------------------------------------------------


def test_vpc_has_isolated_subnets_and_no_way_out_but_s3(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "vpc")
    # Then two isolated subnets in two zones, with no NAT and no internet gateway
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.resource_count_is("AWS::EC2::Subnet", 2)
    for kind in ("AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"):
        template.resource_count_is(kind, 0)
    template.resource_properties_count_is(
        "AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False, "AvailabilityZone": Match.any_value()}, 2
    )
    # And one gateway endpoint, S3's, through which the data set can only be read
    data = only_id(template, "AWS::S3::Bucket")
    (endpoint,) = template.find_resources("AWS::EC2::VPCEndpoint").values()
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    assert endpoint["Properties"]["ServiceName"]["Fn::Join"][1][-1] == ".s3"
    assert endpoint["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": [
                {"Fn::GetAtt": [data, "Arn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": [data, "Arn"]}, "/*"]]},
            ],
            "Sid": "ReadDataSet",
        }
    ]
    assert len(endpoint["Properties"]["RouteTableIds"]) == 2


def test_vpc_functions_send_only_https_and_accept_nothing(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "vpc")
    group = only_id(template, "AWS::EC2::SecurityGroup")
    subnets = sorted(template.find_resources("AWS::EC2::Subnet"))
    (security_group,) = template.find_resources("AWS::EC2::SecurityGroup").values()
    assert "SecurityGroupIngress" not in security_group["Properties"]
    assert [(rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) for rule in
            security_group["Properties"]["SecurityGroupEgress"]] == [("tcp", 443, 443)]  # fmt: skip
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)
    for props in functions(template).values():
        assert props["VpcConfig"] == {
            "SecurityGroupIds": [{"Fn::GetAtt": [group, "GroupId"]}],
            "SubnetIds": [{"Ref": subnet} for subnet in subnets],
        }


def test_vpc_functions_may_manage_their_network_interfaces_and_nothing_more(
    synthesized_with: Synthesized,
) -> None:
    template = evaluation(synthesized_with, "vpc")
    roles = template.find_resources("AWS::IAM::Role")
    for props in functions(template).values():
        # No managed policy (AWSLambdaVPCAccessExecutionRole would grant logs:* too)
        assert roles[props["Role"]["Fn::GetAtt"][0]]["Properties"].get("ManagedPolicyArns") is None
        statements = statements_by_sid(template, props)
        assert set(statements) == {"WriteOwnLogs", "ListData", "ReadData", "AttachToSubnets"}
        assert statements["AttachToSubnets"]["Action"] == sorted(NETWORK_INTERFACE_ACTIONS)
        assert statements["AttachToSubnets"]["Resource"] == "*"


def test_vpc_with_express_puts_the_subnet_in_the_buckets_zone(synthesized_with: Synthesized) -> None:
    template = evaluation(synthesized_with, "vpc and express")
    # Then one subnet, named by the bucket's zone ID (its zone name differs between accounts)
    (subnet,) = template.find_resources("AWS::EC2::Subnet").values()
    assert subnet["Properties"]["AvailabilityZoneId"] == "use1-az4"
    assert "AvailabilityZone" not in subnet["Properties"]
    # And a gateway endpoint each for S3 and S3 Express One Zone, reaching only the data sets
    express = only_id(template, "AWS::S3Express::DirectoryBucket")
    endpoints = {
        props["Properties"]["ServiceName"]["Fn::Join"][1][-1]: props["Properties"]
        for props in template.find_resources("AWS::EC2::VPCEndpoint").values()
    }
    assert set(endpoints) == {".s3", ".s3express"}
    assert endpoints[".s3express"]["VpcEndpointType"] == "Gateway"
    assert endpoints[".s3express"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3express:CreateSession",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": {"Fn::GetAtt": [express, "Arn"]},
            "Sid": "ReadExpressDataSet",
        }
    ]


def test_everything_together(synthesized_with: Synthesized) -> None:
    # Given both architectures, the directory bucket and the VPC at once
    template = evaluation(synthesized_with, "everything")
    found = functions(template)
    # Then every variant is in the bucket's zone, may read both buckets, and keeps its settings
    assert len(found) == len(MODELS) * len(ARCHITECTURES)
    (subnet,) = template.find_resources("AWS::EC2::Subnet")
    for props in found.values():
        assert props["VpcConfig"]["SubnetIds"] == [{"Ref": subnet}]
        assert props["ReservedConcurrentExecutions"] == 10
        assert set(statements_by_sid(template, props)) == {
            "WriteOwnLogs", "ListData", "ReadData", "ReadExpressData", "AttachToSubnets",
        }  # fmt: skip
    template.resource_properties_count_is(
        "AWS::Lambda::Alias",
        {"ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 1}},
        len(MODELS) * len(ARCHITECTURES),
    )
    template.resource_properties_count_is("AWS::Lambda::Function", {"Handler": HANDLER}, len(found))
