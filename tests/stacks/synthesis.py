"""Synthesizing the real app for tests: by default without bundling, for speed."""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts import cdk_json
from contracts.stack import DEFAULT_STACK_PREFIX, artifacts_stack_name, evaluation_stack_name

if TYPE_CHECKING:
    from bundling.build import Builder

# jsii runs on the Node.js LTS package-lock.json pins, as under `cdk synth`.
os.environ.setdefault("JSII_NODE", str(Path(__file__).resolve().parents[2] / "scripts" / "jsii-node"))

#: The stacks as cdk.json names them.
ARTIFACTS = artifacts_stack_name(DEFAULT_STACK_PREFIX)
EVALUATION = evaluation_stack_name(DEFAULT_STACK_PREFIX)

GITHUB = {
    "githubRepository": "octo-org/concurrency-eval",
    "githubBranch": "main",
    "githubEnvironment": "production",
}


def synth(
    outdir: Path,
    overrides: dict[str, Any] | None = None,
    bundling: bool = False,
    builder: "Builder | None" = None,
) -> dict[str, dict[str, Any]]:
    """Synthesize into `outdir` and return each stack's template by stack name."""
    from app import build_app

    context = cdk_json.context() | (overrides or {})
    if not bundling:
        context["aws:cdk:bundling-stacks"] = []
    assembly = build_app(context=context, outdir=str(outdir), builder=builder).synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def lambda_code(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each Lambda function's `Code` and layer's `Content`, by logical ID."""
    return {
        logical_id: resource["Properties"].get("Code") or resource["Properties"]["Content"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion")
    }
