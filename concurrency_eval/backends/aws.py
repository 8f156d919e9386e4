"""The AWS backend: the deployed evaluation stack, found from its outputs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from botocore.exceptions import BotoCoreError, ClientError

from contracts.bundles import Architecture
from contracts.stack import ARCHITECTURES_OUTPUT, DATA_BUCKET_OUTPUT, function_output

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient


class StackNotFound(RuntimeError):
    """The stack, or its outputs, are not there; the message says what to deploy."""


@dataclass(frozen=True)
class DeployedStack:
    stack: str
    data_bucket: str
    functions: dict[str, str]
    #: The architectures the stack deploys, when it deploys two (each function twice).
    architectures: tuple[str, ...] = ()


def discover(
    cloudformation: "CloudFormationClient",
    stack: str,
    models: Sequence[str],
    architecture: str | None = None,
) -> DeployedStack:
    """The data bucket and function names, from the evaluation stack's outputs: of the
    one variant a stack deploys, or of `architecture`'s where it deploys two."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise StackNotFound(
            f"stack {stack!r} was not found ({error}); deploy it with `npx cdk deploy --all`"
        ) from None
    except BotoCoreError as error:
        raise StackNotFound(f"cannot reach CloudFormation: {error}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    deployed = tuple(a for a in outputs.get(ARCHITECTURES_OUTPUT, "").split(",") if a)
    variant = _variant(stack, deployed, architecture)
    wanted = [DATA_BUCKET_OUTPUT, *(function_output(m, variant) for m in models)]
    missing = [key for key in wanted if key not in outputs]
    if missing:
        raise StackNotFound(
            f"stack {stack!r} lacks the outputs {', '.join(missing)}; is it this app's evaluation stack?"
        )
    functions = {m: outputs[function_output(m, variant)] for m in models}
    return DeployedStack(stack, outputs[DATA_BUCKET_OUTPUT], functions, deployed)


def _variant(stack: str, deployed: tuple[str, ...], architecture: str | None) -> Architecture | None:
    """Which functions' outputs to read: None for a stack of one architecture."""
    if not deployed:
        return None
    if architecture is None:
        raise StackNotFound(
            f"stack {stack!r} deploys each function for {' and '.join(deployed)}; choose one with "
            "--architecture (sweep each, then compare the two runs with `report A B`)"
        )
    if architecture not in deployed:
        raise StackNotFound(f"stack {stack!r} deploys {' and '.join(deployed)}, not {architecture}")
    return cast(Architecture, architecture)


def variants_of(cloudformation: "CloudFormationClient", stack: str) -> tuple[str | None, ...]:
    """The architectures whose functions `discover` can find: each of two, or (None,)
    for a stack of one."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except (ClientError, BotoCoreError):
        return (None,)  # discover says what is wrong
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    deployed = tuple(a for a in outputs.get(ARCHITECTURES_OUTPUT, "").split(",") if a)
    return deployed or (None,)
