"""The CDK app: builds the stacks from cdk.json context. Makes no AWS calls.

`npx cdk synth` runs this through `scripts/uv run`; tests call `build_app` directly.
"""

import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from concurrency_eval.build import Builder, Target
from stacks.artifacts_stack import ArtifactsStack
from stacks.config import ConfigError, check_ci_repository, from_context
from stacks.evaluation_stack import EvaluationStack

ROOT = Path(__file__).resolve().parent


def build_app(
    context: dict[str, Any] | None = None, outdir: str | None = None, builder: Builder | None = None
) -> cdk.App:
    app = cdk.App(context=context, outdir=outdir)
    config = from_context(_settings(app))
    check_ci_repository(config, _ci_repository())
    builder = builder or Builder(
        ROOT, Target(config.architecture, config.python_version), framework_source=config.framework_source
    )
    env = _environment()
    ArtifactsStack(app, f"{config.stack_prefix}Artifacts", config=config, env=env)
    EvaluationStack(app, f"{config.stack_prefix}Evaluation", config=config, builder=builder, env=env)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def _settings(app: cdk.App) -> dict[str, Any]:
    context: dict[str, Any] = app.node.get_all_context()
    return context


def _ci_repository() -> str | None:
    """The repository `make deploy` deploys for under GitHub Actions (GITHUB_REPOSITORY);
    synth and pull-request checks set none."""
    return os.environ.get("CONCURRENCY_EVAL_DEPLOYING_FOR") or None


def _environment() -> cdk.Environment | None:
    # Environment-agnostic unless the CLI knows the account: synth needs no credentials.
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    return cdk.Environment(account=account, region=region) if account and region else None


def main() -> None:
    try:
        app = build_app()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    app.synth()


if __name__ == "__main__":
    main()
