"""The AWS backend: the deployed evaluation stack, found from its outputs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from contracts.stack import DATA_BUCKET_OUTPUT, function_output

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient


class StackNotFound(RuntimeError):
    """The stack, or its outputs, are not there; the message says what to deploy."""


@dataclass(frozen=True)
class DeployedStack:
    stack: str
    data_bucket: str
    functions: dict[str, str]


def discover(cloudformation: "CloudFormationClient", stack: str, models: Sequence[str]) -> DeployedStack:
    """The data bucket and function names, from the evaluation stack's outputs."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise StackNotFound(
            f"stack {stack!r} was not found ({error}); deploy it with `npx cdk deploy --all`"
        ) from None
    except BotoCoreError as error:
        raise StackNotFound(f"cannot reach CloudFormation: {error}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    wanted = [DATA_BUCKET_OUTPUT, *(function_output(m) for m in models)]
    missing = [key for key in wanted if key not in outputs]
    if missing:
        raise StackNotFound(
            f"stack {stack!r} lacks the outputs {', '.join(missing)}; is it this app's evaluation stack?"
        )
    return DeployedStack(stack, outputs[DATA_BUCKET_OUTPUT], {m: outputs[function_output(m)] for m in models})
