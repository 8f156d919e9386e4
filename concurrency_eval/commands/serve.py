"""`concurrency-eval serve`: the embedded S3 and the local Lambda service, until Ctrl-C,
for the user's own clients, with `sam local start-lambda`'s conventions (without Docker):
the Lambda API on --host and -p/--port (3001), the functions' environment from
--env-vars, and each invocation's log on standard error as it is written."""

import argparse
import dataclasses
import errno
import json
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from concurrency_eval.commands import arguments, console, copyable, help_text
from concurrency_eval.commands.local import OBJECTS, ROOT
from concurrency_eval.system import ports
from concurrency_eval.system.files import write_atomically
from contracts.bundles import MODELS

#: `sam local start-lambda`'s port; when another process holds it, the next free one.
DEFAULT_PORT = 3001
PORT_TRIES = 100
#: The dummy credentials the example sets: the service checks none, but the AWS CLI
#: signs every request and will not send one unsigned.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}
#: The function the printed example invokes.
EXAMPLE_MODEL = "asyncio"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "serve",
        epilog=help_text.examples(
            ("serve on SAM's port, 3001 (or the next free one)", ["serve"]),
            (
                "on a port of your choice, with variables in SAM's format",
                ["serve", "-p", "3101", "--env-vars", "env.json"],
            ),
        ),
        formatter_class=help_text.Formatter,
        help="run the embedded S3 and the local Lambda service until Ctrl-C, for your own clients",
        description="Start the embedded S3 with the data set and the local Lambda service hosting the three "
        "functions, print the endpoints, the function names and an AWS CLI command to try, and serve until "
        "Ctrl-C, printing each invocation's log as `sam local start-lambda` does. Point boto3 (endpoint_url, "
        "or AWS_ENDPOINT_URL_LAMBDA) or the AWS CLI (--endpoint-url) at it.",
    )
    api = parser.add_argument_group("Lambda API (as sam local start-lambda's)")
    api.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address it listens on (default: %(default)s; 0.0.0.0 for every interface)",
    )
    api.add_argument(
        "-p",
        "--port",
        type=arguments.whole_number(0, 65535),
        help=f"the port it listens on, refused when another process holds it; 0 for any free port "
        f"(default: {DEFAULT_PORT}, or the next free one when it is taken, said)",
    )
    arguments.add_env_vars_argument(parser)
    arguments.add_dataset_arguments(parser, objects_default=OBJECTS)
    arguments.add_function_arguments(parser)
    parser.add_argument("--logs", type=Path, help="also write each execution environment's log here")
    arguments.add_local_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


class PortUnavailable(Exception):
    """The Lambda API cannot listen where it was told; the message says why and what to do."""


@dataclass(frozen=True)
class Serving:
    """What `serve` tells a person once everything is up."""

    endpoint: str
    host: str
    #: The default port, when another process held it and the next free one was taken.
    taken_port: int | None
    cpu_limit: str
    functions: tuple[str, ...]
    s3_endpoint: str
    bucket: str
    prefix: str
    ca_bundle: Path | None
    max_environments: int
    isolation: str
    event_file: Path


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    spec = arguments.dataset(args)
    options = arguments.local_options(args, spec, memory_mb=args.memory)
    options = dataclasses.replace(options, overrides=arguments.env_vars(args))
    try:
        port = _port(args)
    except PortUnavailable as error:
        console.error(err, str(error))
        return console.EXIT_ENVIRONMENT
    if args.host not in LOOPBACK:
        console.warning(
            err,
            f"the Lambda API listens on {args.host}, beyond this machine, and checks no credentials: anyone "
            "who reaches it can invoke the functions",
        )
    from concurrency_eval.backends.local import LocalDeployment
    from concurrency_eval.commands import progress

    with tempfile.TemporaryDirectory(prefix="concurrency-eval-serve-") as scratch:
        event_file = write_atomically(
            Path(scratch) / "event.json", json.dumps(spec.event(options.data_bucket))
        )
        with progress.Progress(err) as shown:
            deployment = LocalDeployment(
                ROOT, options, spec, MODELS, args.logs, shown, host=args.host, port=port, echo_logs=True
            ).start()
        with deployment:
            service, s3 = deployment.service, deployment.s3
            assert service is not None
            print_banner(
                out,
                Serving(
                    endpoint=service.endpoint, host=args.host,
                    taken_port=DEFAULT_PORT if args.port is None and port != DEFAULT_PORT else None,
                    cpu_limit=service.cpu_limit, functions=tuple(deployment.functions.values()),
                    s3_endpoint=s3.endpoint, bucket=options.data_bucket, prefix=spec.folder,
                    ca_bundle=s3.ca_bundle,
                    max_environments=service.max_environments, isolation=service.isolation,
                    event_file=event_file,
                ),
            )  # fmt: skip
            # Ctrl-C, SIGTERM and SIGHUP end it alike: the deployment is closed on the way
            # out, and the command's exit code says which.
            while True:
                time.sleep(3600)
    return console.EXIT_OK


def _port(args: argparse.Namespace) -> int:
    """The port to listen on: -p's, or the default one or the next free after it.
    A host that is not this machine's is a usage error; a port it cannot have, not."""
    first = DEFAULT_PORT if args.port is None else args.port
    problem = ports.listen_problem(args.host, first)
    if isinstance(problem, socket.gaierror) or (problem is not None and problem.errno == errno.EADDRNOTAVAIL):
        arguments.refuse(
            args,
            f"--host {args.host[:80]!r} is not an address of this machine ({problem.strerror}); use "
            "127.0.0.1 (loopback), 0.0.0.0 (every interface) or one of this machine's addresses",
        )
    choose = "choose another with -p PORT, or -p 0 for any free port"
    if args.port is not None or not ports.in_use(problem):
        if ports.in_use(problem):
            raise PortUnavailable(f"port {first} on {args.host} is in use by another process; {choose}")
        if problem is not None:
            raise PortUnavailable(f"cannot listen on {args.host} port {first}: {problem.strerror}; {choose}")
        return first
    port = ports.first_free(args.host, DEFAULT_PORT, PORT_TRIES)
    if port is None:
        last = DEFAULT_PORT + PORT_TRIES - 1
        raise PortUnavailable(f"ports {DEFAULT_PORT} to {last} on {args.host} are all in use; {choose}")
    return port


def print_banner(out: Console, serving: Serving) -> None:
    """The endpoints, the functions and how to invoke one, each once, never wrapped: every
    line may be copied, and the commands run as printed."""
    taken = f"port {serving.taken_port} is in use; " if serving.taken_port is not None else ""
    listening = "" if serving.host in LOOPBACK else f"listening on {serving.host}; "
    example = serving.functions[MODELS.index(EXAMPLE_MODEL)]
    lines = [
        f"Lambda API:   {serving.endpoint}  ({taken}{listening}CPU limit: {serving.cpu_limit})",
        f"functions:    {', '.join(serving.functions)}",
        f"S3:           {serving.s3_endpoint}  bucket {serving.bucket}, prefix {serving.prefix}",
        *(
            [f"S3's CA:      {serving.ca_bundle}  (AWS_CA_BUNDLE for your own S3 clients)"]
            if serving.ca_bundle
            else []
        ),
        f"environments: up to {serving.max_environments} at once, from this machine's memory (Lambda's "
        "account default is 1,000); beyond, invocations are throttled as Lambda throttles them",
        "isolation:    "
        + (
            "each environment's code read-only, its variables unreadable to the others (see the README)"
            if serving.isolation == "walled"
            else f"none between environments: {serving.isolation}"
        ),
        f"event:        {serving.event_file}  (the data set's search, removed when serve stops)",
        "Invoke a function with the AWS CLI (v1 or v2) after setting dummy credentials; the service "
        "accepts any, and the CLI signs every request:",
        copyable.command("export", *(f"{name}={value}" for name, value in DUMMY_CREDENTIALS.items())),
        invoke_command(serving.endpoint, example, serving.event_file),
        "serving until Ctrl-C; each invocation's log follows, after its function's name",
    ]
    for line in lines:
        copyable.print_line(out, line)


def invoke_command(endpoint: str, function: str, event_file: Path) -> str:
    """`aws lambda invoke` as both AWS CLI versions take it: the event as a file's bytes
    (fileb://, so that v2 needs no --cli-binary-format), the answer into response.json."""
    return copyable.command(
        "aws", "lambda", "invoke", "--endpoint-url", endpoint, "--function-name", function,
        "--payload", f"fileb://{event_file}", "response.json",
    )  # fmt: skip
