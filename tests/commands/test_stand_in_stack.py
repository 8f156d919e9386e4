"""The stand-in stack the commands' tests deploy to: made again in the same process, as a
module's fixture is when pytest-xdist's work stealing brings a worker back to it."""

import boto3
import pytest

from tests.commands.stand_in_stack import IGNORE_WAIT_CONDITION, stand_in_stack

pytestmark = pytest.mark.filterwarnings(IGNORE_WAIT_CONDITION)


def test_a_stack_of_the_same_name_is_made_again_in_the_same_process() -> None:
    # Given a stand-in stack made and left (moto's servers in one process share their stacks)
    with stand_in_stack({"Bucket": "first"}, "MadeTwice"):
        pass
    # When a stack of the same name is made again, with other outputs
    with stand_in_stack({"Bucket": "second"}, "MadeTwice") as endpoint:
        client = boto3.client(
            "cloudformation", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )  # fmt: skip
        (stack,) = client.describe_stacks(StackName="MadeTwice")["Stacks"]
    # Then it is made, and holds the new outputs
    assert stack["Outputs"] == [{"OutputKey": "Bucket", "OutputValue": "second"}]
