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
    outputs = _outputs(cloudformation, stack)
    return _deployed(stack, outputs, models, _variant(stack, _architectures(outputs), architecture))


def discover_variants(
    cloudformation: "CloudFormationClient", stack: str, models: Sequence[str], architectures: Sequence[str]
) -> dict[str, DeployedStack]:
    """Each of `architectures`' variants, from one read of the outputs of a stack that
    deploys them all."""
    outputs = _outputs(cloudformation, stack)
    deployed = _architectures(outputs)
    if not set(architectures) <= set(deployed):
        raise StackNotFound(
            f"stack {stack!r} deploys the functions for {' and '.join(deployed) or 'one architecture'}, "
            f"not for {' and '.join(architectures)}; deploy both with `npx cdk deploy --all -c architectures="
            f"{','.join(architectures)}`"
        )
    return {a: _deployed(stack, outputs, models, _variant(stack, deployed, a)) for a in architectures}


def discover_every_variant(
    cloudformation: "CloudFormationClient", stack: str, models: Sequence[str]
) -> list[DeployedStack]:
    """Each variant the stack deploys (one, or one per architecture), from one read of
    its outputs."""
    outputs = _outputs(cloudformation, stack)
    deployed = _architectures(outputs)
    variants = [_variant(stack, deployed, a) for a in deployed] if deployed else [None]
    return [_deployed(stack, outputs, models, variant) for variant in variants]


def _outputs(cloudformation: "CloudFormationClient", stack: str) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise StackNotFound(
            f"stack {stack!r} was not found ({error}); deploy it with `npx cdk deploy --all`"
        ) from None
    except BotoCoreError as error:
        raise StackNotFound(f"cannot reach CloudFormation: {error}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _architectures(outputs: dict[str, str]) -> tuple[str, ...]:
    """The architectures a stack of two deploys; () for a stack of one."""
    return tuple(a for a in outputs.get(ARCHITECTURES_OUTPUT, "").split(",") if a)


def _deployed(
    stack: str, outputs: dict[str, str], models: Sequence[str], variant: Architecture | None
) -> DeployedStack:
    wanted = [DATA_BUCKET_OUTPUT, *(function_output(m, variant) for m in models)]
    missing = [key for key in wanted if key not in outputs]
    if missing:
        raise StackNotFound(
            f"stack {stack!r} lacks the outputs {', '.join(missing)}; is it this app's evaluation stack?"
        )
    functions = {m: outputs[function_output(m, variant)] for m in models}
    return DeployedStack(stack, outputs[DATA_BUCKET_OUTPUT], functions, _architectures(outputs))


def _variant(stack: str, deployed: tuple[str, ...], architecture: str | None) -> Architecture | None:
    """Which functions' outputs to read: None for a stack of one architecture."""
    if not deployed:
        return None
    if architecture is None:
        raise StackNotFound(
            f"stack {stack!r} deploys each function for {' and '.join(deployed)}; sweep one with "
            f"--architecture, or both with --architectures {','.join(deployed)}"
        )
    if architecture not in deployed:
        raise StackNotFound(f"stack {stack!r} deploys {' and '.join(deployed)}, not {architecture}")
    return cast(Architecture, architecture)
