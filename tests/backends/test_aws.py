"""The AWS backend finds the deployment from the stack's outputs; botocore's Stubber
stands in for CloudFormation (the sweep itself is tested against the local Lambda
service, in tests/sweep)."""

from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.stub import Stubber

from concurrency_eval.backends.aws import (
    DeployedStack,
    StackNotFound,
    discover,
    discover_every_variant,
    discover_variants,
)
from contracts.stack import ARCHITECTURES_OUTPUT, DATA_BUCKET_OUTPUT, function_output

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient


def test_discover_reads_stack_outputs() -> None:
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    values = {DATA_BUCKET_OUTPUT: "data-b", function_output("sync"): "s", function_output("asyncio"): "a"}
    outputs = [{"OutputKey": key, "OutputValue": value} for key, value in values.items()]
    stack = {"StackName": "S", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
    with Stubber(client) as stubber:
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
        assert discover(client, "S", ("sync", "asyncio")) == DeployedStack(
            "S", "data-b", {"sync": "s", "asyncio": "a"}
        )
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
        with pytest.raises(StackNotFound, match=f"lacks the outputs {function_output('threaded')}"):
            discover(client, "S", ("sync", "threaded"))
        stubber.add_client_error("describe_stacks", "ValidationError", "Stack with id S does not exist")
        with pytest.raises(StackNotFound, match="npx cdk deploy"):
            discover(client, "S", ("sync",))


#: The outputs of a stack that deploys sync for arm64 and x86_64 (cdk.json's architectures).
TWO_ARCHITECTURES = {
    DATA_BUCKET_OUTPUT: "data-b",
    ARCHITECTURES_OUTPUT: "arm64,x86_64",
    function_output("sync", "arm64"): "S-sync-arm64",
    function_output("sync", "x86_64"): "S-sync-x86_64",
}


def stubbed_stack(values: dict[str, str]) -> tuple["CloudFormationClient", Stubber]:
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    outputs = [{"OutputKey": key, "OutputValue": value} for key, value in values.items()]
    stack = {"StackName": "S", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
    stubber = Stubber(client)
    for _ in range(4):
        stubber.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "S"}
        )
    return client, stubber


def test_a_stack_of_two_architectures_is_swept_one_variant_at_a_time() -> None:
    # Given a stack that deploys sync for arm64 and x86_64 (cdk.json's architectures)
    client, stubber = stubbed_stack(TWO_ARCHITECTURES)
    with stubber:
        # Then each variant is found by its architecture, and both are listed
        every = discover_every_variant(client, "S", ("sync",))
        assert [variant.functions for variant in every] == [
            {"sync": "S-sync-arm64"},
            {"sync": "S-sync-x86_64"},
        ]
        found = discover(client, "S", ("sync",), "x86_64")
        assert found.functions == {"sync": "S-sync-x86_64"}
        assert found.architectures == ("arm64", "x86_64")
        # And without a choice, the error says how to make one
        with pytest.raises(StackNotFound, match="deploys each function for arm64 and x86_64; sweep one with"):
            discover(client, "S", ("sync",))


def test_a_stack_of_one_architecture_has_one_unnamed_variant() -> None:
    client, stubber = stubbed_stack({DATA_BUCKET_OUTPUT: "data-b", function_output("sync"): "S-sync"})
    with stubber:
        (only,) = discover_every_variant(client, "S", ("sync",))
        assert only.functions == {"sync": "S-sync"}
        assert only.architectures == ()


def test_both_variants_are_found_from_one_read_of_the_outputs() -> None:
    # Given a stack that deploys sync for arm64 and x86_64
    client, stubber = stubbed_stack(TWO_ARCHITECTURES)
    with stubber:
        # When both are asked for, the baseline first
        found = discover_variants(client, "S", ("sync",), ("x86_64", "arm64"))
    # Then each is found, in the order asked, sharing the data bucket
    assert {a: v.functions for a, v in found.items()} == {
        "x86_64": {"sync": "S-sync-x86_64"},
        "arm64": {"sync": "S-sync-arm64"},
    }
    assert list(found) == ["x86_64", "arm64"]
    assert {v.data_bucket for v in found.values()} == {"data-b"}


def test_both_variants_of_a_stack_of_one_are_refused_with_the_deploy_that_makes_them() -> None:
    client, stubber = stubbed_stack({DATA_BUCKET_OUTPUT: "data-b", function_output("sync"): "S-sync"})
    with stubber, pytest.raises(StackNotFound) as raised:
        discover_variants(client, "S", ("sync",), ("arm64", "x86_64"))
    assert "deploys the functions for one architecture, not for arm64 and x86_64" in str(raised.value)
    assert "npx cdk deploy --all -c architectures=arm64,x86_64" in str(raised.value)
