"""The CDK app: builds the stacks from cdk.json context. Makes no AWS calls.

`npx cdk synth` runs this through `scripts/uv run`; tests call `build_app` directly.
"""

import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from bundling.build import Builder, Target
from contracts.bundles import Architecture
from contracts.stack import artifacts_stack_name, evaluation_stack_name
from stacks.artifacts_stack import ArtifactsStack
from stacks.evaluation_stack import EvaluationStack
from stacks.settings import AppSettings, SettingsError, check_ci_repository, from_context

ROOT = Path(__file__).resolve().parent


def build_app(
    context: dict[str, Any] | None = None, outdir: str | None = None, builder: Builder | None = None
) -> cdk.App:
    """The app; `builder`, if given, builds the bundles of its own architecture (tests
    pass one with a cache of their own)."""
    app = cdk.App(context=context, outdir=outdir)
    settings = from_context(_context(app))
    check_ci_repository(settings, _ci_repository())
    builders = {
        architecture: _builder(settings, architecture, builder)
        for architecture in settings.deployed_architectures
    }
    env = _environment()
    ArtifactsStack(app, artifacts_stack_name(settings.stack_prefix), settings=settings, env=env)
    EvaluationStack(
        app, evaluation_stack_name(settings.stack_prefix), settings=settings, builders=builders, env=env
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def _builder(settings: AppSettings, architecture: Architecture, given: Builder | None) -> Builder:
    """The builder of one deployed architecture's bundles: the one given, if it is its."""
    if given is not None and given.target.architecture == architecture:
        return given
    return Builder(
        ROOT, Target(architecture, settings.python_version), framework_source=settings.framework_source
    )


def _context(app: cdk.App) -> dict[str, Any]:
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
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    app.synth()


if __name__ == "__main__":
    main()
