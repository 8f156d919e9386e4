"""`concurrency-eval seed`: the data set, uploaded to a bucket (real S3, or any S3)."""

import argparse

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import arguments, console, help_text


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "seed",
        epilog=help_text.examples(
            (
                "the default data set into your own bucket",
                ["seed", "--bucket", "my-bucket", "--objects", "1000"],
            ),
            (
                "into the embedded S3 that serve prints",
                ["seed", "--bucket", "concurrency-eval-local", "--endpoint-url", "https://127.0.0.1:3443"],
            ),
        ),
        formatter_class=help_text.Formatter,
        help="upload the data set to a bucket (real S3, or any S3 by --endpoint-url)",
        description="Generate the data set and upload what is not already there unchanged.",
    )
    arguments.add_dataset_arguments(parser, objects_default=1000)
    parser.add_argument(
        "--bucket",
        required=True,
        type=arguments.bucket_name,
        help="the bucket to upload to: a general purpose bucket, or an S3 Express One Zone directory bucket "
        "(name--zone-id--x-s3, the stack's ExpressBucketName)",
    )
    parser.add_argument(
        "--endpoint-url",
        type=arguments.endpoint_url,
        help="an S3 endpoint other than AWS's (for example the embedded S3)",
    )
    parser.add_argument(
        "--create-bucket",
        action="store_true",
        help="create the bucket if it does not exist (a directory bucket in the zone its name carries)",
    )
    arguments.add_aws_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.commands import progress
    from concurrency_eval.workload.dataset import seed

    spec = arguments.dataset(args)
    client = arguments.aws_session(args).client("s3", endpoint_url=args.endpoint_url)
    try:
        with progress.Progress(err) as shown:
            shown.phase(
                f"seeding s3://{args.bucket}/{spec.folder}: {spec.describe_size()}", total=spec.objects
            )
            result = seed(
                client, args.bucket, spec, create_bucket=args.create_bucket, on_object=shown.advance
            )
    except (BotoCoreError, ClientError) as error:
        console.error(err, f"seeding s3://{args.bucket} failed: {error}")
        return console.EXIT_ENVIRONMENT
    uploaded = f"{result.uploaded} uploaded ({result.bytes_uploaded:,} bytes)"
    out.print(
        escape(
            f"s3://{args.bucket}/{spec.folder}: {uploaded}, {result.unchanged} already there; "
            f"the magic string is in {spec.magic_key}"
        )
    )
    return console.EXIT_OK
