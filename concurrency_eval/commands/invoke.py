"""`concurrency-eval invoke`: one function, once, on the local Lambda service; its answer
and its log, as `sam local invoke` shows them."""

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import arguments, console, help_text
from concurrency_eval.commands.local import OBJECTS, ROOT
from contracts.bundles import MODELS
from contracts.lambda_limits import MAX_PAYLOAD_BYTES
from contracts.lambda_logs import decode_tail

if TYPE_CHECKING:
    from concurrency_eval.workload.dataset import DataSetSpec


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "invoke",
        epilog=help_text.examples(
            ("the data set's search, once", ["invoke", "asyncio"]),
            ("an event of your own, from a file or standard input", ["invoke", "sync", "-e", "event.json"]),
        ),
        formatter_class=help_text.Formatter,
        help="invoke one function once on the local Lambda service and print its answer and log",
        description="Start the embedded S3 with the data set and the local Lambda service, invoke FUNCTION "
        "once with the event (default: the data set's search) and print the response and the log tail, as "
        "`sam local invoke` does. Exit 1 when the function fails or answers with an error.",
    )
    parser.add_argument(
        "function",
        type=arguments.hosted_function,
        metavar="FUNCTION",
        help=f"the function to invoke: {', '.join(MODELS)}, or its full name as `serve` lists it",
    )
    parser.add_argument(
        "-e", "--event", metavar="FILE", help="the event as a JSON file, or - for standard input"
    )
    arguments.add_env_vars_argument(parser)
    arguments.add_dataset_arguments(parser, objects_default=OBJECTS)
    arguments.add_function_arguments(parser)
    arguments.add_local_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    spec = arguments.dataset(args)
    options = arguments.local_options(args, spec, memory_mb=args.memory)
    event = _read_event(args, spec, options.data_bucket, err)
    options = dataclasses.replace(options, overrides=arguments.env_vars(args))
    from concurrency_eval.backends.local import LocalDeployment
    from concurrency_eval.commands import progress

    with progress.Progress(err) as shown:
        deployment = LocalDeployment(ROOT, options, spec, (args.function,), None, shown).start()
    with deployment:
        response = deployment.lambda_client().invoke(
            FunctionName=deployment.functions[args.function],
            Payload=json.dumps(event).encode(),
            LogType="Tail",
        )
        payload = response["Payload"].read().decode("utf-8", "replace")
        err.print(escape(decode_tail(response.get("LogResult"))), end="")
    try:
        out.print_json(payload)
    except (ValueError, TypeError):
        out.print(escape(payload))
    if response.get("FunctionError"):
        return console.EXIT_WRONG
    try:
        answer = json.loads(payload)
    except ValueError:
        return console.EXIT_WRONG
    return console.EXIT_WRONG if isinstance(answer, dict) and answer.get("error") else console.EXIT_OK


def _read_event(args: argparse.Namespace, spec: "DataSetSpec", bucket: str, err: Console) -> Any:
    if args.event is None:
        return spec.event(bucket)
    source = "standard input" if args.event == "-" else args.event
    if args.event == "-" and sys.stdin.isatty():
        err.print("reading the event from standard input (end it with Ctrl-D)")
    try:
        text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text()
    except (OSError, UnicodeDecodeError) as error:
        arguments.refuse(args, f"--event: cannot read {source}: {error}")
    size = len(text.encode())
    if size > MAX_PAYLOAD_BYTES:
        arguments.refuse(
            args,
            f"--event: {source} is {size:,} bytes; Lambda takes at most {MAX_PAYLOAD_BYTES:,} (6 MB) for "
            "a synchronous invocation",
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        arguments.refuse(args, f"--event: {source} is not JSON ({error}); an event is a JSON document")
