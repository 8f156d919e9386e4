"""`concurrency-eval invoke`: one function, once, on the local Lambda service; its answer
and its log, as `sam local invoke` shows them."""

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from concurrency_eval.backends.local import BUCKET, LocalDeployment, function_name
from concurrency_eval.commands import arguments, console, progress
from concurrency_eval.commands.local import OBJECTS, ROOT
from concurrency_eval.workload.dataset import DataSetSpec
from contracts.bundles import MODELS
from contracts.lambda_limits import MAX_PAYLOAD_BYTES, environment_problem
from contracts.lambda_logs import decode_tail


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "invoke",
        help="invoke one function once on the local Lambda service and print its answer and log",
        description="Start the embedded S3 with the data set and the local Lambda service, invoke FUNCTION "
        "once with the event (default: the data set's search) and print the response and the log tail, as "
        "`sam local invoke` does. Exit 1 when the function fails or answers with an error.",
    )
    parser.add_argument("function", choices=MODELS, help="the function to invoke")
    parser.add_argument(
        "-e", "--event", metavar="FILE", help="the event as a JSON file, or - for standard input"
    )
    parser.add_argument(
        "--env-vars",
        type=Path,
        metavar="FILE",
        help='environment overrides as SAM reads them: {"FUNCTION": {"NAME": "value"}, "Parameters": {...}}',
    )
    arguments.add_dataset_arguments(parser, objects_default=OBJECTS)
    arguments.add_function_arguments(parser)
    arguments.add_local_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    spec = arguments.dataset(args)
    event = _read_event(args, spec, err)
    options = arguments.local_options(args, spec, memory_mb=args.memory)
    options = dataclasses.replace(options, overrides=_read_env_vars(args))
    with progress.shown(err) as shown:
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


def _read_event(args: argparse.Namespace, spec: DataSetSpec, err: Console) -> Any:
    if args.event is None:
        return spec.event(BUCKET)
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


def _read_env_vars(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """SAM's --env-vars format: {"Parameters": {...}} for every function, or per function name."""
    if args.env_vars is None:
        return {}
    hint = 'expected {"Parameters": {"NAME": "value"}} or {"<function>": {"NAME": "value"}}'
    try:
        document = json.loads(args.env_vars.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        arguments.refuse(args, f"--env-vars: cannot read {args.env_vars} ({error}); {hint}")
    if not isinstance(document, dict):
        arguments.refuse(args, f"--env-vars: {args.env_vars} is not a JSON object; {hint}")
    names = {function_name(model): model for model in MODELS} | {model: model for model in MODELS}
    overrides: dict[str, dict[str, str]] = {}
    for key, variables in document.items():
        if key != "Parameters" and key not in names:
            arguments.refuse(
                args, f"--env-vars: unknown function {key!r}; use Parameters or one of {', '.join(MODELS)}"
            )
        if not isinstance(variables, dict) or not all(
            isinstance(name, str) and isinstance(value, (str, int, float, bool))
            for name, value in variables.items()
        ):
            arguments.refuse(args, f"--env-vars: {key} must map variable names to values; {hint}")
        for model in MODELS if key == "Parameters" else (names[key],):
            overrides.setdefault(model, {}).update({name: str(value) for name, value in variables.items()})
    for model, variables in overrides.items():
        problem = environment_problem(variables)
        if problem is not None:
            arguments.refuse(args, f"--env-vars: {model}: Lambda would refuse these ({problem[1]})")
    return overrides
