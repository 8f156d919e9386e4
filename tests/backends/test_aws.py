"""The AWS backend finds the deployment from the stack's outputs; botocore's Stubber
stands in for CloudFormation (the sweep itself is tested against the local Lambda
service, in tests/sweep)."""

import boto3
import pytest
from botocore.stub import Stubber

from concurrency_eval.backends.aws import DeployedStack, StackNotFound, discover
from contracts.stack import DATA_BUCKET_OUTPUT, function_output


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
