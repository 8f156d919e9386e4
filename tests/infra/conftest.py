"""Synthesize the real app once per session; most tests skip bundling for speed."""

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contracts import cdk_json

if TYPE_CHECKING:
    from bundling.build import Builder

# jsii runs on the Node.js LTS package-lock.json pins, as under `cdk synth`.
os.environ.setdefault("JSII_NODE", str(Path(__file__).resolve().parents[2] / "scripts" / "jsii-node"))

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


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cdk.out of the app configured for a GitHub repository, bundling skipped."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    synth(outdir, GITHUB)
    return outdir


@pytest.fixture(scope="session")
def templates(synthesized: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in synthesized.glob("*.template.json")
    }
