"""Synthesize the real app once per session; most tests skip bundling for speed."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from concurrency_eval import cdk_json

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

GITHUB = {
    "githubRepository": "octo-org/concurrency-eval",
    "githubBranch": "main",
    "githubEnvironment": "production",
}


def synth(
    outdir: Path, overrides: dict[str, Any] | None = None, bundling: bool = False
) -> dict[str, dict[str, Any]]:
    """Synthesize into `outdir` and return each stack's template by stack name."""
    from app import build_app

    context = cdk_json.context() | (overrides or {})
    if not bundling:
        context["aws:cdk:bundling-stacks"] = []
    assembly = build_app(context=context, outdir=str(outdir)).synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


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
