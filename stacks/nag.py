"""cdk-nag acknowledgements: every one carries the reason the finding is accepted."""

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept `rule` (or one finding of it, `Rule[Finding]`) on `construct` and below."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def arn_of(resource: IConstruct) -> str:
    """How cdk-nag names a resource's ARN in wildcard findings: `<LogicalId.Arn>`."""
    stack = cdk.Stack.of(resource)
    default_child = resource.node.default_child
    assert isinstance(default_child, cdk.CfnElement)
    return f"<{stack.resolve(stack.get_logical_id(default_child))}.Arn>"
