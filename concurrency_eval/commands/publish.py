"""`concurrency-eval publish`: reproducible zips of the bundles, uploaded to the
versioned artifact bucket when changed; the manifest the stacks deploy from."""

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import arguments, console, help_text
from concurrency_eval.commands.local import ROOT
from concurrency_eval.system.files import write_atomically
from contracts import cdk_json
from contracts.bundles import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_PYTHON_VERSION, PYTHON_VERSIONS
from contracts.stack import DEFAULT_ARTIFACT_PREFIX


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "publish",
        epilog=help_text.examples(
            (
                "build and upload, and write the manifest cdk deploy pins to",
                ["publish", "--bucket", "my-artifacts", "--manifest", "artifacts.json"],
            ),
        ),
        formatter_class=help_text.Formatter,
        help="build the layer and function zips and upload the changed ones to the artifact bucket",
        description="Build reproducible zips of both layers and the three functions for Lambda's platform, "
        "upload those whose content changed to the versioned artifact bucket, and report each object's "
        "key and version (as a manifest for the stacks, and as GitHub Actions outputs and summary).",
    )
    parser.add_argument(
        "--bucket", required=True, type=arguments.bucket_name, help="the versioned artifact bucket"
    )
    parser.add_argument(
        "--prefix",
        type=arguments.key_prefix,
        help=f"key prefix (default: cdk.json's artifactPrefix, which the publisher role may write under; "
        f"{DEFAULT_ARTIFACT_PREFIX} if it names none)",
    )
    parser.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        default=DEFAULT_ARCHITECTURE,
        help="Lambda architecture to build for (default: %(default)s)",
    )
    parser.add_argument(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        choices=sorted(PYTHON_VERSIONS),
        help="Lambda runtime's Python version (default: %(default)s)",
    )
    parser.add_argument(
        "--framework-source",
        type=arguments.framework_source,
        metavar="REQUIREMENT",
        help="build the framework layer from this requirement, such as "
        "'s3fanout @ git+https://github.com/org/s3fanout@v1.2.0' (default: layers/framework)",
    )
    parser.add_argument("--endpoint-url", type=arguments.endpoint_url, help="an S3 endpoint other than AWS's")
    parser.add_argument(
        "--manifest", type=Path, help="also write the manifest (the stacks' publishedArtifacts) here"
    )
    parser.add_argument(
        "--github-output",
        type=Path,
        default=arguments.env_path("GITHUB_OUTPUT"),
        help="append job outputs here (default: $GITHUB_OUTPUT when set)",
    )
    parser.add_argument(
        "--summary",
        type=Path,
        default=arguments.env_path("GITHUB_STEP_SUMMARY"),
        help="append a Markdown summary here (default: $GITHUB_STEP_SUMMARY when set)",
    )
    arguments.add_aws_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.manifest is not None and not args.manifest.parent.is_dir():
        arguments.refuse(
            args, f"--manifest: the folder {args.manifest.parent} does not exist; create it or name another"
        )
    from botocore.exceptions import BotoCoreError, ClientError

    from bundling.build import Builder, Target
    from concurrency_eval.artifacts.publish import (
        Artifact,
        PublishError,
        manifest,
        publish,
        write_github_files,
    )

    prefix = _prefix(args)
    session = arguments.aws_session(args)
    if session.get_credentials() is None:
        # Said before a minute of building, not after it.
        console.error(err, "no AWS credentials: configure a profile (--profile) or the AWS_* variables")
        return console.EXIT_ENVIRONMENT
    builder = Builder(
        ROOT,
        Target(args.architecture, args.python_version),
        framework_source=args.framework_source,
        progress=lambda message: err.print(f"[dim]{escape(message)}[/dim]"),
    )
    client = session.client("s3", endpoint_url=args.endpoint_url)

    def report(artifact: Artifact) -> None:
        state = "uploaded" if artifact.uploaded else "unchanged"
        where = f"s3://{args.bucket}/{artifact.key}"
        err.print(escape(f"{artifact.name:<10} {state:<9} {where} version {artifact.version}"))

    try:
        artifacts = publish(client, args.bucket, prefix, builder, on_artifact=report)
    except (BotoCoreError, ClientError, PublishError) as error:
        console.error(err, f"publishing to s3://{args.bucket} failed: {error}")
        return console.EXIT_ENVIRONMENT
    write_github_files(args.bucket, artifacts, args.github_output, args.summary)
    document = manifest(args.bucket, artifacts)
    if args.manifest is not None:
        # One line: a manifest that spans lines does not reach the stacks whole through
        # -c publishedArtifacts="$(cat artifacts.json)" (the CDK CLI kept only '{').
        write_atomically(args.manifest, json.dumps(document, separators=(",", ":")) + "\n")
    out.print_json(json.dumps(document))
    return console.EXIT_OK


def _prefix(args: argparse.Namespace) -> str:
    """--prefix, or cdk.json's artifactPrefix: the stacks scope the publisher role to it."""
    if args.prefix is not None:
        return str(args.prefix)
    try:
        configured = cdk_json.context().get("artifactPrefix", DEFAULT_ARTIFACT_PREFIX)
        if not isinstance(configured, str):
            raise ValueError(f"{configured!r} is not text")
        return str(arguments.key_prefix(configured))
    except (OSError, ValueError, argparse.ArgumentTypeError) as error:
        arguments.refuse(args, f"cdk.json's artifactPrefix: {error}; fix it there, or pass --prefix")
