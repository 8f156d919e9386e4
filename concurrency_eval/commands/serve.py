"""`concurrency-eval serve`: the embedded S3 and the local Lambda service, until Ctrl-C,
for the user's own clients (`sam local start-lambda` without Docker)."""

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from concurrency_eval.backends.local import BUCKET, LocalDeployment
from concurrency_eval.commands import arguments, console, progress
from concurrency_eval.commands.local import OBJECTS, ROOT
from contracts.bundles import MODELS


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "serve",
        help="run the embedded S3 and the local Lambda service until Ctrl-C, for your own clients",
        description="Start the embedded S3 with the data set and the local Lambda service hosting the three "
        "functions, print both endpoints and the function names, and serve until Ctrl-C. Point boto3 "
        "(endpoint_url, or AWS_ENDPOINT_URL_LAMBDA) or the AWS CLI (--endpoint-url) at it.",
    )
    arguments.add_dataset_arguments(parser, objects_default=OBJECTS)
    arguments.add_function_arguments(parser)
    parser.add_argument("--logs", type=Path, help="write each execution environment's log here")
    arguments.add_local_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    spec = arguments.dataset(args)
    options = arguments.local_options(args, spec, memory_mb=args.memory)
    with progress.shown(err) as shown:
        deployment = LocalDeployment(ROOT, options, spec, MODELS, args.logs, shown).start()
    with deployment:
        assert deployment.service is not None
        service, s3 = deployment.service, deployment.s3
        event = json.dumps(spec.event(BUCKET))
        for line in (
            f"Lambda API:  {service.endpoint}  (CPU limit: {service.cpu_limit})",
            f"S3:          {s3.endpoint}  bucket {BUCKET}, prefix {spec.folder}",
            *(
                [f"S3's CA:     {s3.ca_bundle}  (AWS_CA_BUNDLE for your own S3 clients)"]
                if s3.ca_bundle
                else []
            ),
            f"functions:   {', '.join(deployment.functions.values())}",
            f"environments: up to {service.max_environments} at once, from this machine's memory (Lambda's "
            "account default is 1,000); beyond, invocations are throttled as Lambda throttles them",
            "isolation:   "
            + (
                "each environment's code read-only, its variables unreadable to the others (see the README)"
                if service.isolation == "walled"
                else f"none between environments: {service.isolation}"
            ),
            f"try:         aws lambda invoke --endpoint-url {service.endpoint} "
            f"--function-name {deployment.functions['asyncio']} --log-type Tail "
            f"--cli-binary-format raw-in-base64-out --payload '{event}' /dev/stdout",
        ):
            out.print(escape(line))
        out.print("serving until Ctrl-C")
        # Ctrl-C, SIGTERM and SIGHUP end it alike: the deployment is closed on the way out,
        # and the command's exit code says which.
        while True:
            time.sleep(3600)
    return console.EXIT_OK
