# PYTHON_ARGCOMPLETE_OK
"""The `concurrency-eval` command: run the evaluation locally, seed, publish, report.

Exit codes: 0 done, every answer right; 1 the run finished but some invocation
failed or answered wrong (results are still written); 2 bad arguments or input
files; 3 the machine or a service lacks something the command needs; 130
interrupted (nothing is left running).
"""

import argparse
import dataclasses
import datetime
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from bundling.build import BuildError
from concurrency_eval.backends.local import BUCKET as BUCKET_NAME
from concurrency_eval.backends.local import DEFAULT_JITTER_MS, DEFAULT_LATENCY_MS
from concurrency_eval.results.document import Results, ResultsError
from concurrency_eval.workload.dataset import MAGIC, DataSetSpec
from contracts.bundles import ARCHITECTURES, DEFAULT_PYTHON_VERSION, MODELS
from contracts.lambda_limits import MAX_MEMORY_MB, MAX_TIMEOUT_S, MIN_MEMORY_MB, MIN_TIMEOUT_S

if TYPE_CHECKING:
    from concurrency_eval.backends.local import LocalOptions
    from concurrency_eval.results.document import Invocation
    from concurrency_eval.results.pricing import Prices
    from concurrency_eval.sweep.engine import GroupKey
    from concurrency_eval.sweep.settings import Step, SweepSettings

EXIT_OK, EXIT_WRONG, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
ROOT = Path(__file__).resolve().parent.parent
MAX_OBJECTS = 1_000_000
MAX_CONCURRENCY = 256
DEFAULT_MEMORY_SIZES = (128, 256, 512, 1024, 1769, 3008)
#: The local sweep's defaults: a size below 512 MB, the stack's 1024 and one full vCPU
#: at 1769, on a data set small enough that `make local` takes about 3 minutes on two
#: cores (at 256 MB a function gets a seventh of a CPU).
LOCAL_MEMORY_SIZES = (256, 1024, 1769)
LOCAL_OBJECTS = 150
LOCAL_INVOCATIONS = 5


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    import argcomplete

    # Shell completion: answers and exits only when the shell asks (_ARGCOMPLETE is set).
    argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    # Piped or redirected output gets room for the whole table instead of 80 columns.
    out = Console() if sys.stdout.isatty() else Console(width=140)
    # Messages to a pipe or a log are not wrapped: a wrapped path is a broken path.
    err = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=1000)
    try:
        code: int = args.command(args, out, err)
        return code
    except KeyboardInterrupt:
        err.print(
            "[yellow]interrupted[/yellow]: every server and function process was stopped, "
            "and every changed function configuration restored"
        )
        return EXIT_INTERRUPTED
    except BuildError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_ENVIRONMENT
    except ResultsError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE


# -- argument types: each says what was wrong and what is accepted -----------------


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; use {low} to {high}")
        return value

    return parse


def _float_between(low: float, high: float, unit: str = "") -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value:g} is out of range; use {low:g} to {high:g}{unit}")
        return value

    return parse


def _models(text: str) -> tuple[str, ...]:
    models = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [model for model in models if model not in MODELS]
    if unknown or not models:
        raise argparse.ArgumentTypeError(
            f"unknown model {unknown[0] if unknown else text!r}; choose from {', '.join(MODELS)}"
        )
    return models


def _concurrencies(text: str) -> tuple[int, ...]:
    parse = _int_between(1, MAX_CONCURRENCY)
    values = tuple(parse(part.strip()) for part in text.split(",") if part.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r} names no concurrency; give one or more, as 16,64")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"{text!r} repeats a value")
    return values


def _add_sweep_arguments(
    parser: argparse.ArgumentParser, memory_default: tuple[int, ...], invocations_default: int
) -> None:
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument(
        "--memory",
        type=_memory_sizes,
        default=memory_default,
        metavar="MB,MB,...",
        help=f"memory sizes to sweep (default: {','.join(map(str, memory_default))})",
    )
    sweep.add_argument(
        "--concurrency",
        type=_concurrencies,
        default=(None,),
        metavar="N,N,...",
        help="requests in flight per invocation for threaded and asyncio, each swept "
        "(default: the functions' own, 64); sync always runs one at a time",
    )
    sweep.add_argument(
        "--invocations",
        type=_int_between(1, 1000),
        default=invocations_default,
        help="warm invocations per model and size, after the cold one (default: %(default)s)",
    )
    sweep.add_argument(
        "--parallelism",
        type=_int_between(1, 50),
        default=1,
        help="warm invocations in flight at once (default: %(default)s, sequential)",
    )
    sweep.add_argument(
        "--models", type=_models, default=MODELS, help="comma-separated models (default: all three)"
    )
    sweep.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="a JSON price table to use instead of the region's published prices",
    )
    sweep.add_argument("--output", type=Path, help="results folder (default: results/<kind>-<time>)")
    _add_verdict_arguments(sweep)
    sweep.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the partial sweep in DIR with its own settings, skipping what it finished",
    )


def _add_function_arguments(parser: argparse.ArgumentParser) -> None:
    """The hosted functions' configuration, as the stack sets it (memory, timeout)."""
    functions = parser.add_argument_group("functions")
    functions.add_argument(
        "--memory",
        type=_int_between(MIN_MEMORY_MB, MAX_MEMORY_MB),
        default=1024,
        help="the functions' memory size in MB (default: %(default)s)",
    )
    functions.add_argument(
        "--timeout",
        type=_int_between(MIN_TIMEOUT_S, MAX_TIMEOUT_S),
        default=60,
        help="the functions' timeout in seconds (default: %(default)s)",
    )


def _add_verdict_arguments(group: Any) -> None:
    group.add_argument(
        "--balanced-weight",
        type=_float_between(0, 1),
        default=0.5,
        metavar="W",
        help="the balanced choice's trade-off, as Power Tuning's: 0 favours speed, 1 cost "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        help="print the summary and verdict as one JSON document instead of a table",
    )


def _add_service_arguments(parser: argparse.ArgumentParser) -> None:
    service = parser.add_argument_group("local Lambda service")
    service.add_argument(
        "--log-format",
        choices=("JSON", "Text"),
        default="JSON",
        help="the functions' LoggingConfig.LogFormat (default: %(default)s, as the stacks deploy)",
    )
    service.add_argument(
        "--cpu-limit",
        choices=("auto", "cgroup-v2", "cgroup-v1", "duty-cycle"),
        default="auto",
        help="how each environment's CPU share (memory/1769 of a vCPU) is enforced (default: %(default)s)",
    )
    service.add_argument(
        "--no-cpu-limit",
        dest="cpu_limit",
        action="store_const",
        const="none",
        help="run every environment with the whole machine (the results then say so)",
    )
    service.add_argument(
        "--pure-python-client",
        action="store_true",
        help="use the runtime client's pure-Python transport even where its C extension loads",
    )


def _add_s3_arguments(parser: argparse.ArgumentParser) -> None:
    s3 = parser.add_argument_group("embedded S3 behaviour")
    s3.add_argument(
        "--latency-ms",
        type=_float_between(0, 10_000, " ms"),
        default=DEFAULT_LATENCY_MS,
        help="added to every S3 request; real S3 answers small GETs in tens of ms (default: %(default)s)",
    )
    s3.add_argument(
        "--jitter-ms",
        type=_float_between(0, 10_000, " ms"),
        default=DEFAULT_JITTER_MS,
        help="random extra latency, up to this (default: %(default)s)",
    )
    s3.add_argument(
        "--error-rate",
        type=_float_between(0, 1),
        default=0.0,
        help="share of requests answered 503 SlowDown (default: %(default)s)",
    )
    s3.add_argument(
        "--server-error-rate",
        type=_float_between(0, 1),
        default=0.0,
        help="share of requests answered 500 InternalError (default: %(default)s)",
    )
    s3.add_argument(
        "--slow-rate",
        type=_float_between(0, 1),
        default=0.0,
        help="share of requests answered slowly (default: %(default)s)",
    )
    s3.add_argument(
        "--slow-ms",
        type=_float_between(0, 600_000, " ms"),
        default=1000.0,
        help="how slowly (default: %(default)s)",
    )
    s3.add_argument(
        "--fault-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a key whose GETs always fail with 503 SlowDown (repeatable)",
    )


def _add_dataset_arguments(parser: argparse.ArgumentParser, objects_default: int) -> None:
    group = parser.add_argument_group("data set")
    group.add_argument(
        "--objects",
        type=_int_between(1, MAX_OBJECTS),
        default=objects_default,
        help="number of files (default: %(default)s)",
    )
    group.add_argument(
        "--min-size",
        type=_int_between(len(MAGIC), 100_000_000),
        default=1_000,
        help="smallest file in bytes (default: %(default)s)",
    )
    group.add_argument(
        "--max-size",
        type=_int_between(len(MAGIC), 100_000_000),
        default=50_000,
        help="largest file in bytes (default: %(default)s)",
    )
    group.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same files")
    group.add_argument("--prefix", help="key prefix (default: the object count and a slash, as '1000/')")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("concurrency-eval")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("AWS credentials")
    aws.add_argument(
        "--region", help="the AWS region (default: your AWS configuration's, or AWS_DEFAULT_REGION)"
    )
    aws.add_argument(
        "--profile", help="the AWS profile to use (default: AWS_PROFILE, or the default profile)"
    )


def aws_session(args: argparse.Namespace) -> Any:
    """The boto3 session every command that talks to AWS uses, from --region and --profile."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.session.Session(region_name=args.region, profile_name=args.profile)
    except ProfileNotFound as error:
        _refuse(args, f"--profile: {error}; list yours with `aws configure list-profiles`")


def _refuse(args: argparse.Namespace, message: str) -> NoReturn:
    """Stop with the command's usage and `message`, exit 2, as argparse does."""
    parser: argparse.ArgumentParser = args.parser
    parser.error(message)


def _spec(args: argparse.Namespace, parser: argparse.ArgumentParser) -> DataSetSpec:
    if args.min_size > args.max_size:
        parser.error(f"--min-size {args.min_size} is larger than --max-size {args.max_size}")
    return DataSetSpec(args.objects, args.min_size, args.max_size, seed=args.seed, prefix=args.prefix)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concurrency-eval",
        description="Evaluate sync, threaded and asyncio Python Lambda functions on one S3 fan-out workload.",
        epilog="Exit codes: 0 all answers right, 1 some wrong or failed, 2 bad arguments, "
        "3 missing prerequisite, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    local = commands.add_parser(
        "local",
        help="sweep memory sizes on this machine: the local Lambda service on an embedded S3",
        description="Start an S3 on loopback and seed the data set, build the bundles, host the three "
        "functions in the local Lambda service (AWS's runtime client, Lambda's CPU share, memory limit and "
        "timeout), and sweep their memory sizes as `run` does on AWS, reading Lambda's own reports. Prints "
        "a table and a verdict and writes results.json, results.csv, chart.png and the functions' logs.",
    )
    _add_dataset_arguments(local, objects_default=LOCAL_OBJECTS)
    _add_sweep_arguments(local, LOCAL_MEMORY_SIZES, invocations_default=LOCAL_INVOCATIONS)
    functions = local.add_argument_group("functions")
    functions.add_argument(
        "--timeout",
        type=_int_between(MIN_TIMEOUT_S, MAX_TIMEOUT_S),
        default=60,
        help="the functions' timeout in seconds (default: %(default)s, as the stack's)",
    )
    functions.add_argument(
        "--max-attempts",
        type=_int_between(1, 20),
        help="S3 attempts per request in the functions, the first included (default: theirs, 5)",
    )
    functions.add_argument(
        "--retry-mode",
        choices=("standard", "adaptive"),
        help="botocore retry mode in the functions (default: theirs, standard)",
    )
    _add_service_arguments(local)
    _add_s3_arguments(local)
    local.set_defaults(command=_local, parser=local)

    serve = commands.add_parser(
        "serve",
        help="run the embedded S3 and the local Lambda service until Ctrl-C, for your own clients",
        description="Start the embedded S3 with the data set and the local Lambda service hosting the three "
        "functions, print both endpoints and the function names, and serve until Ctrl-C. Point boto3 "
        "(endpoint_url, or AWS_ENDPOINT_URL_LAMBDA) or the AWS CLI (--endpoint-url) at it.",
    )
    _add_dataset_arguments(serve, objects_default=LOCAL_OBJECTS)
    _add_function_arguments(serve)
    serve.add_argument("--logs", type=Path, help="write each execution environment's log here")
    _add_service_arguments(serve)
    _add_s3_arguments(serve)
    serve.set_defaults(command=_serve, parser=serve)

    invoke = commands.add_parser(
        "invoke",
        help="invoke one function once on the local Lambda service and print its answer and log",
        description="Start the embedded S3 with the data set and the local Lambda service, invoke FUNCTION "
        "once with the event (default: the data set's search) and print the response and the log tail, as "
        "`sam local invoke` does. Exit 1 when the function fails or answers with an error.",
    )
    invoke.add_argument("function", choices=MODELS, help="the function to invoke")
    invoke.add_argument(
        "-e", "--event", metavar="FILE", help="the event as a JSON file, or - for standard input"
    )
    invoke.add_argument(
        "--env-vars",
        type=Path,
        metavar="FILE",
        help='environment overrides as SAM reads them: {"FUNCTION": {"NAME": "value"}, "Parameters": {...}}',
    )
    _add_dataset_arguments(invoke, objects_default=LOCAL_OBJECTS)
    _add_function_arguments(invoke)
    _add_service_arguments(invoke)
    _add_s3_arguments(invoke)
    invoke.set_defaults(command=_invoke, parser=invoke)

    seed = commands.add_parser(
        "seed",
        help="upload the data set to a bucket (real S3, or any S3 by --endpoint-url)",
        description="Generate the data set and upload what is not already there unchanged.",
    )
    _add_dataset_arguments(seed, objects_default=1000)
    seed.add_argument("--bucket", required=True, help="the bucket to upload to")
    seed.add_argument(
        "--endpoint-url",
        type=_endpoint_url,
        help="an S3 endpoint other than AWS's (for example the embedded S3)",
    )
    seed.add_argument("--create-bucket", action="store_true", help="create the bucket if it does not exist")
    _add_aws_arguments(seed)
    seed.set_defaults(command=_seed, parser=seed)

    sweep = commands.add_parser(
        "run",
        help="sweep memory sizes of the deployed functions on AWS: duration, cost, cold starts",
        description="Find the deployed functions and data bucket from the stack outputs, then for each "
        "memory size (and concurrency) update the functions, record a cold invocation and warm ones from "
        "Lambda's own reports, and price them. Asks before starting (--yes does not); writes the results "
        "after every group, and restores every function's configuration at the end, also on Ctrl-C.",
    )
    _add_dataset_arguments(sweep, objects_default=1000)
    _add_sweep_arguments(sweep, DEFAULT_MEMORY_SIZES, invocations_default=10)
    aws = sweep.add_argument_group("AWS")
    aws.add_argument(
        "--stack", default=_default_stack(), help="the evaluation stack's name (default: %(default)s)"
    )
    aws.add_argument(
        "--budget",
        type=_float_between(0, 10_000, " USD"),
        metavar="USD",
        help="refuse any plan that could cost more than this",
    )
    aws.add_argument(
        "--expected-seconds",
        type=_float_between(0.001, 900, " s"),
        default=5.0,
        help="seconds per invocation assumed by the estimate (default: %(default)s)",
    )
    aws.add_argument("--yes", action="store_true", help="do not ask: start, and seed a missing data set")
    _add_aws_arguments(sweep)
    sweep.set_defaults(command=_sweep, parser=sweep)

    smoke = commands.add_parser(
        "smoke",
        help="after a deploy: each function's live alias answers a small search right",
        description="Seed a small data set of its own into the deployed data bucket (once), invoke each "
        "function's live alias once, and check the answer. Exit 0 when all answer right, 1 when one does "
        "not, 3 when the stack or AWS cannot be reached.",
    )
    smoke.add_argument(
        "--stack", default=_default_stack(), help="the evaluation stack's name (default: %(default)s)"
    )
    smoke.add_argument("--alias", default="live", help="the qualifier to invoke (default: %(default)s)")
    _add_aws_arguments(smoke)
    smoke.set_defaults(command=_smoke, parser=smoke)

    publish = commands.add_parser(
        "publish",
        help="build the layer and function zips and upload the changed ones to the artifact bucket",
        description="Build reproducible zips of both layers and the three functions for Lambda's platform, "
        "upload those whose content changed to the versioned artifact bucket, and report each object's "
        "key and version (as a manifest for the stacks, and as GitHub Actions outputs and summary).",
    )
    publish.add_argument("--bucket", required=True, help="the versioned artifact bucket")
    publish.add_argument(
        "--prefix", default="artifacts/", type=_key_prefix, help="key prefix (default: %(default)s)"
    )
    publish.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        default="arm64",
        help="Lambda architecture to build for (default: %(default)s)",
    )
    publish.add_argument(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        choices=("3.12", "3.13", "3.14"),
        help="Lambda runtime's Python version (default: %(default)s)",
    )
    publish.add_argument(
        "--framework-source",
        type=_framework_source,
        metavar="REQUIREMENT",
        help="build the framework layer from this requirement, such as "
        "'s3fanout @ git+https://github.com/org/s3fanout@v1.2.0' (default: layers/framework)",
    )
    publish.add_argument("--endpoint-url", type=_endpoint_url, help="an S3 endpoint other than AWS's")
    publish.add_argument(
        "--manifest", type=Path, help="also write the manifest (the stacks' publishedArtifacts) here"
    )
    publish.add_argument(
        "--github-output",
        type=Path,
        default=_env_path("GITHUB_OUTPUT"),
        help="append job outputs here (default: $GITHUB_OUTPUT when set)",
    )
    publish.add_argument(
        "--summary",
        type=Path,
        default=_env_path("GITHUB_STEP_SUMMARY"),
        help="append a Markdown summary here (default: $GITHUB_STEP_SUMMARY when set)",
    )
    _add_aws_arguments(publish)
    publish.set_defaults(command=_publish, parser=publish)

    report = commands.add_parser(
        "report",
        help="show the table and write the chart of a results file, or compare two",
        description="Render results.json as a table and chart.png beside it; with two files, compare them.",
    )
    report.add_argument("results", type=Path, help="a results.json")
    report.add_argument("other", type=Path, nargs="?", help="a second results.json to compare with the first")
    report.add_argument(
        "--chart", type=Path, help="where to write the chart (default: chart.png beside RESULTS)"
    )
    report.add_argument("--no-chart", action="store_true", help="print the table only")
    _add_verdict_arguments(report)
    report.set_defaults(command=_report, parser=report)
    return parser


# -- commands -------------------------------------------------------------------


class _RichProgress:
    """Progress of starting the local stand-ins and of the sweep, drawn with rich."""

    def __init__(self, progress: RichProgress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, description: str, total: int | None = None) -> None:
        if not self._progress.console.is_terminal:
            # Bars are drawn on terminals only; logs and pipes get a line per phase.
            self._progress.console.print(escape(description))
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 1)
        self._task = self._progress.add_task(escape(description), total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)

    def note(self, message: str) -> None:
        self._progress.console.print(f"[dim]{escape(message)}[/dim]")

    # The sweep engine's observer.
    def step(self, message: str, total: int | None = None) -> None:
        self.phase(message, total)

    def invocation(self, model: str, step: "Step", invocation: "Invocation") -> None:
        self.advance()
        if not self._progress.console.is_terminal:
            duration = "-" if invocation.duration_ms is None else f"{invocation.duration_ms:9.1f} ms"
            answer = invocation.error or invocation.result
            self._progress.console.print(
                escape(f"  {step.memory_mb:>5} MB {model:<9} {invocation.kind:<4} {duration}  {answer}")
            )


def _progress(console: Console) -> RichProgress:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return RichProgress(*columns, TimeElapsedColumn(), console=console)


def _local_options(args: argparse.Namespace, spec: DataSetSpec, *, memory_mb: int = 1024) -> "LocalOptions":
    from concurrency_eval.backends.local import LocalOptions

    keys = {key for key, _ in spec.items()}
    strangers = [key for key in args.fault_key if key not in keys]
    if strangers:
        _refuse(
            args,
            f"--fault-key {strangers[0]!r} is not in the data set, whose keys are "
            f"{spec.key(0)} to {spec.key(spec.objects - 1)}",
        )
    return LocalOptions(
        latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, error_rate=args.error_rate,
        server_error_rate=args.server_error_rate, slow_rate=args.slow_rate, slow_ms=args.slow_ms,
        fault_keys=tuple(args.fault_key), timeout_s=args.timeout, memory_mb=memory_mb,
        max_attempts=getattr(args, "max_attempts", None), retry_mode=getattr(args, "retry_mode", None),
        log_format=args.log_format, cpu_limit=args.cpu_limit, pure_python_client=args.pure_python_client,
    )  # fmt: skip


def _sweep_settings(args: argparse.Namespace, **extra: Any) -> "SweepSettings":
    from concurrency_eval.sweep.settings import SweepSettings

    return SweepSettings(
        memory_sizes=args.memory, models=args.models, concurrencies=args.concurrency,
        invocations=args.invocations, parallelism=args.parallelism, dataset=_spec(args, args.parser), **extra,
    )  # fmt: skip


def _prices(args: argparse.Namespace, region: str | None, err: Console) -> "Prices":
    """The region's published prices, or --prices; a region the table lacks is said out loud."""
    from concurrency_eval.results.pricing import Prices, prices_for

    if args.prices is not None:
        try:
            return Prices.load(args.prices)
        except ValueError as error:
            _refuse(args, f"--prices: {error}")
    prices, warning = prices_for(region)
    if warning:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    return prices


def _output_dir(args: argparse.Namespace, kind: str) -> Path:
    """Where results go, checked before any work starts: a folder, or a path to make one at."""
    if args.resume is not None:
        directory = Path(args.resume)
    elif args.output is not None:
        directory = Path(args.output)
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        directory = Path.cwd() / "results" / f"{kind}-{stamp}"
    _check_writable_folder(args, directory, "--resume" if args.resume is not None else "--output")
    return directory


def _check_writable_folder(args: argparse.Namespace, directory: Path, option: str) -> None:
    blocker = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        _refuse(args, f"{option}: {blocker} is a file, not a folder; name a folder for the results")
    if blocker is not None and not os.access(blocker, os.W_OK):
        _refuse(args, f"{option}: {blocker} cannot be written to")


def _resumed(
    args: argparse.Namespace, kind: str
) -> "tuple[Results | None, SweepSettings | None, frozenset[GroupKey]]":
    if args.resume is None:
        return None, None, frozenset()
    from concurrency_eval.sweep.runner import resume

    return resume(Path(args.resume), kind)


def _finish(results: Results, output: Path, args: argparse.Namespace, out: Console) -> int:
    from concurrency_eval.results.charts import write_chart
    from concurrency_eval.results.report import print_results, summary_document

    chart = write_chart(results, output / "chart.png", args.balanced_weight)
    if args.json:
        out.print_json(json.dumps(summary_document(results, args.balanced_weight)))
    else:
        print_results(results, out, args.balanced_weight)
        out.print(escape(f"results: {output / 'results.json'}  {output / 'results.csv'}  {chart}"))
    return EXIT_OK if results.all_correct() else EXIT_WRONG


def _interrupted_note(err: Console, output: Path, command: str) -> None:
    if (output / "results.json").exists():
        err.print(
            escape(
                f"partial results in {output}; continue with `concurrency-eval {command} --resume {output}`"
            )
        )


def _local(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.backends.local import LocalDeployment
    from concurrency_eval.sweep.engine import Sweep
    from concurrency_eval.sweep.runner import new_results, run_sweep

    resumed, resumed_settings, done = _resumed(args, "local")
    settings = resumed_settings or _sweep_settings(args)
    output = _output_dir(args, "local")
    options = _local_options(args, settings.dataset)
    prices = _prices(args, "us-east-1", err)
    try:
        with _progress(err) as progress:
            observer = _RichProgress(progress)
            with LocalDeployment(
                ROOT, options, settings.dataset, settings.models, output / "logs", observer
            ) as local:
                target = local.target()
                sweep = Sweep(target, settings, prices, observer, local.meter())
                originals = sweep.configurations()
                results = resumed or new_results(
                    "local", settings, prices, local.describe(),
                    event=settings.event(target.data_bucket, "threaded", settings.concurrencies[0]),
                    s3={"latency_ms": options.latency_ms, "jitter_ms": options.jitter_ms,
                        "faults": options.faults(settings.dataset.seed).to_dict()},
                    functions={"timeout_s": options.timeout_s, "log_format": options.log_format},
                )  # fmt: skip
                run_sweep(sweep, originals, results, output, done)
    except KeyboardInterrupt:
        _interrupted_note(err, output, "local")
        raise
    return _finish(results, output, args, out)


def _serve(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.backends.local import LocalDeployment

    spec = _spec(args, args.parser)
    options = _local_options(args, spec, memory_mb=args.memory)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _progress(err) as progress:
        deployment = LocalDeployment(ROOT, options, spec, MODELS, args.logs, _RichProgress(progress)).start()
    with deployment:
        assert deployment.service is not None
        out.print(
            escape(f"Lambda API:  {deployment.service.endpoint}  (CPU limit: {deployment.service.cpu_limit})")
        )
        out.print(
            escape(f"S3:          {deployment.s3.endpoint}  bucket {BUCKET_NAME}, prefix {spec.folder}")
        )
        out.print(escape(f"functions:   {', '.join(deployment.functions.values())}"))
        event = json.dumps(spec.event(BUCKET_NAME))
        out.print(
            escape(
                f"try:         aws lambda invoke --endpoint-url {deployment.service.endpoint} "
                f"--function-name {deployment.functions['asyncio']} --log-type Tail "
                f"--cli-binary-format raw-in-base64-out --payload '{event}' /dev/stdout"
            )
        )
        out.print("serving until Ctrl-C")
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    err.print("stopped: the service, every execution environment and the S3 are gone")
    return EXIT_OK


def _invoke(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.backends.local import LocalDeployment
    from contracts.lambda_logs import decode_tail

    spec = _spec(args, args.parser)
    event = _read_event(args, spec)
    overrides = _read_env_vars(args)
    options = dataclasses.replace(_local_options(args, spec, memory_mb=args.memory), overrides=overrides)
    with _progress(err) as progress:
        deployment = LocalDeployment(
            ROOT, options, spec, (args.function,), None, _RichProgress(progress)
        ).start()
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
        return EXIT_WRONG
    try:
        answer = json.loads(payload)
    except ValueError:
        return EXIT_WRONG
    return EXIT_WRONG if isinstance(answer, dict) and answer.get("error") else EXIT_OK


def _read_event(args: argparse.Namespace, spec: DataSetSpec) -> Any:
    if args.event is None:
        return spec.event(BUCKET_NAME)
    source = "standard input" if args.event == "-" else args.event
    try:
        text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text()
    except (OSError, UnicodeDecodeError) as error:
        _refuse(args, f"--event: cannot read {source}: {error}")
    try:
        return json.loads(text)
    except ValueError as error:
        _refuse(args, f"--event: {source} is not JSON ({error}); an event is a JSON document")


def _read_env_vars(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """SAM's --env-vars format: {"Parameters": {...}} for every function, or per function name."""
    if args.env_vars is None:
        return {}
    hint = 'expected {"Parameters": {"NAME": "value"}} or {"<function>": {"NAME": "value"}}'
    try:
        document = json.loads(args.env_vars.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        _refuse(args, f"--env-vars: cannot read {args.env_vars} ({error}); {hint}")
    if not isinstance(document, dict):
        _refuse(args, f"--env-vars: {args.env_vars} is not a JSON object; {hint}")
    known = {"Parameters", *MODELS, *(f"concurrency-eval-{m}" for m in MODELS)}
    overrides: dict[str, dict[str, str]] = {}
    for key, variables in document.items():
        if key not in known:
            _refuse(
                args, f"--env-vars: unknown function {key!r}; use Parameters or one of {', '.join(MODELS)}"
            )
        if not isinstance(variables, dict) or not all(
            isinstance(name, str) and isinstance(value, (str, int, float, bool))
            for name, value in variables.items()
        ):
            _refuse(args, f"--env-vars: {key} must map variable names to values; {hint}")
        model = key.removeprefix("concurrency-eval-")
        for target in MODELS if key == "Parameters" else (model,):
            overrides.setdefault(target, {}).update({name: str(value) for name, value in variables.items()})
    return overrides


def _seed(args: argparse.Namespace, out: Console, err: Console) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.workload.dataset import seed

    spec = _spec(args, args.parser)
    client = aws_session(args).client("s3", endpoint_url=args.endpoint_url)
    try:
        with _progress(err) as progress:
            task = progress.add_task(escape(f"seeding s3://{args.bucket}/{spec.folder}"), total=spec.objects)
            result = seed(
                client, args.bucket, spec, create_bucket=args.create_bucket,
                on_object=lambda: progress.advance(task),
            )  # fmt: skip
    except (BotoCoreError, ClientError) as error:
        err.print(f"[red]error:[/red] {escape(f'seeding s3://{args.bucket} failed: {error}')}")
        return EXIT_ENVIRONMENT
    summary = (
        f"s3://{args.bucket}/{spec.folder}: {result.uploaded} uploaded ({result.bytes_uploaded:,} bytes), "
        f"{result.unchanged} already there; the magic string is in {spec.magic_key}"
    )
    out.print(escape(summary))
    return EXIT_OK


def _default_stack() -> str:
    """The evaluation stack's name as cdk.json's stackPrefix makes it."""
    from contracts import cdk_json

    try:
        prefix = cdk_json.context().get("stackPrefix", "ConcurrencyEval")
    except (OSError, ValueError, KeyError):
        prefix = "ConcurrencyEval"
    return f"{prefix}Evaluation"


def _memory_sizes(text: str) -> tuple[int, ...]:
    from concurrency_eval.sweep.settings import validate_memory_sizes

    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of MB") from None
    try:
        return validate_memory_sizes(sizes)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _confirm(question: str, assume_yes: bool, err: Console) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        err.print(
            f"[red]{escape(question)}[/red] cannot be asked: standard input is not a terminal; pass --yes"
        )
        return False
    return err.input(f"{escape(question)} \\[y/N] ").strip().lower() in ("y", "yes")


def _sweep(args: argparse.Namespace, out: Console, err: Console) -> int:
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.backends.aws import StackNotFound, discover
    from concurrency_eval.sweep.engine import Sweep, Target
    from concurrency_eval.sweep.plan import OverBudget, check_budget, plan
    from concurrency_eval.sweep.runner import new_results, run_sweep
    from concurrency_eval.sweep.updates import ConfigurationError

    resumed, resumed_settings, done = _resumed(args, "aws")
    settings = resumed_settings or _sweep_settings(args, expected_seconds=args.expected_seconds)
    output = _output_dir(args, "aws")
    if args.prices is not None:
        _prices(args, None, err)  # a bad price file is refused before anything else
    session = aws_session(args)
    if session.region_name is None:
        err.print(
            "[red]error:[/red] no AWS region: pass --region, or set AWS_DEFAULT_REGION or a profile's region"
        )
        return EXIT_ENVIRONMENT
    if session.get_credentials() is None:
        err.print("[red]error:[/red] no AWS credentials: run `aws configure` or `aws sso login`, or set them")
        return EXIT_ENVIRONMENT
    prices = _prices(args, session.region_name, err)
    # One attempt per invoke, so that a throttle is recorded, not hidden by a retry;
    # a read timeout beyond Lambda's longest timeout.
    invoke_config = Config(read_timeout=960, retries={"total_max_attempts": 1}, max_pool_connections=64)
    try:
        deployment = discover(session.client("cloudformation"), args.stack, settings.models)
        target = Target(
            session.client("lambda", config=invoke_config), deployment.functions, deployment.data_bucket
        )
        observer_progress = _progress(err)
        with observer_progress as progress:
            observer = _RichProgress(progress)
            sweep = Sweep(target, settings, prices, observer)
            originals = sweep.configurations()
            if not _data_set_ready(
                session.client("s3"), deployment.data_bucket, settings, args, err, progress
            ):
                return EXIT_ENVIRONMENT
            the_plan = plan(settings, originals, prices, done)
            out.print(escape(f"plan: {the_plan.describe()}"))
            check_budget(the_plan, args.budget)
            if not _confirm("start the sweep?", args.yes, err):
                return EXIT_USAGE
            results = resumed or new_results(
                "aws", settings, prices,
                {"region": session.region_name, "functions": {
                    model: {key: original.get(key) for key in RECORDED_CONFIGURATION}
                    for model, original in originals.items()}},
                event=settings.event(deployment.data_bucket, "threaded", settings.concurrencies[0]),
                stack=deployment.stack, budget_usd=args.budget,
            )  # fmt: skip
            run_sweep(sweep, originals, results, output, done)
    except OverBudget as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    except (StackNotFound, ConfigurationError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        _interrupted_note(err, output, "run")
        return EXIT_ENVIRONMENT
    except (ClientError, BotoCoreError) as error:
        err.print(f"[red]error:[/red] AWS: {escape(str(error))}")
        _interrupted_note(err, output, "run")
        return EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        _interrupted_note(err, output, "run")
        raise
    return _finish(results, output, args, out)


#: What results record of each function's configuration before the sweep.
RECORDED_CONFIGURATION = (
    "FunctionName",
    "Runtime",
    "Architectures",
    "MemorySize",
    "Timeout",
    "CodeSha256",
    "Layers",
)


def _data_set_ready(
    s3: Any,
    bucket: str,
    settings: "SweepSettings",
    args: argparse.Namespace,
    err: Console,
    progress: RichProgress,
) -> bool:
    from concurrency_eval.workload.dataset import missing_objects, seed

    spec = settings.dataset
    missing = missing_objects(s3, bucket, spec)
    if not missing:
        return True
    where = f"s3://{bucket}/{spec.folder}"
    if not _confirm(
        f"{missing} of {spec.objects} objects are missing in {where}; seed them now?", args.yes, err
    ):
        err.print(escape(f"seed it with: concurrency-eval seed --bucket {bucket} --objects {spec.objects}"))
        return False
    task = progress.add_task("seeding", total=spec.objects)
    seed(s3, bucket, spec, on_object=lambda: progress.advance(task))
    return True


def _endpoint_url(text: str) -> str:
    import urllib.parse

    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an endpoint URL; use one like http://127.0.0.1:5000"
        )
    return text


def _smoke(args: argparse.Namespace, out: Console, err: Console) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.backends.aws import StackNotFound, discover
    from concurrency_eval.sweep.smoke import smoke_test
    from contracts.bundles import MODELS

    session = aws_session(args)
    if session.region_name is None or session.get_credentials() is None:
        err.print("[red]error:[/red] no AWS region or credentials: pass --region/--profile, or configure AWS")
        return EXIT_ENVIRONMENT
    try:
        deployment = discover(session.client("cloudformation"), args.stack, MODELS)
        answers = smoke_test(
            session.client("lambda"),
            session.client("s3"),
            deployment.functions,
            deployment.data_bucket,
            args.alias,
        )
    except StackNotFound as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_ENVIRONMENT
    except (ClientError, BotoCoreError) as error:
        err.print(f"[red]error:[/red] AWS: {escape(str(error))}")
        return EXIT_ENVIRONMENT
    for answer in answers:
        mark = "[green]ok[/green]" if answer.ok else "[red]FAILED[/red]"
        out.print(f"{mark} {escape(f'{answer.model} ({answer.function}:{args.alias}): {answer.detail}')}")
    return EXIT_OK if all(answer.ok for answer in answers) else EXIT_WRONG


def _env_path(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


def _key_prefix(text: str) -> str:
    from contracts.validation import key_prefix

    try:
        return key_prefix(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _framework_source(text: str) -> str:
    from contracts.validation import framework_source

    try:
        return framework_source(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _publish(args: argparse.Namespace, out: Console, err: Console) -> int:
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    from bundling.build import Builder, Target
    from concurrency_eval.artifacts.publish import PublishError, manifest, publish, write_github_files

    if args.manifest is not None and not args.manifest.parent.is_dir():
        _refuse(
            args, f"--manifest: the folder {args.manifest.parent} does not exist; create it or name another"
        )
    target = Target(args.architecture, args.python_version)
    builder = Builder(
        ROOT,
        target,
        framework_source=args.framework_source,
        progress=lambda m: err.print(f"[dim]{escape(m)}[/dim]"),
    )
    client = aws_session(args).client("s3", endpoint_url=args.endpoint_url)

    def report(artifact: Any) -> None:
        state = "uploaded" if artifact.uploaded else "unchanged"
        err.print(
            escape(
                f"{artifact.name:<10} {state:<9} s3://{args.bucket}/{artifact.key} version {artifact.version}"
            )
        )

    try:
        artifacts = publish(client, args.bucket, args.prefix, builder, on_artifact=report)
    except (BotoCoreError, ClientError, PublishError) as error:
        err.print(f"[red]error:[/red] {escape(f'publishing to s3://{args.bucket} failed: {error}')}")
        return EXIT_ENVIRONMENT
    write_github_files(args.bucket, artifacts, args.github_output, args.summary)
    document = json.dumps(manifest(args.bucket, artifacts), indent=2)
    if args.manifest is not None:
        args.manifest.write_text(document + "\n")
    out.print_json(document)
    return EXIT_OK


def _report(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.results.report import comparison_table, print_results, summary_document

    chart = args.chart or (args.other or args.results).with_name("chart.png")
    if not args.no_chart and chart.parent.exists() and not chart.parent.is_dir():
        _refuse(args, f"--chart: {chart.parent} is a file, not a folder; name a chart in a folder")
    first = Results.read(args.results)
    shown = first if args.other is None else Results.read(args.other)
    if args.json:
        out.print_json(json.dumps(summary_document(shown, args.balanced_weight)))
    elif args.other is None:
        print_results(first, out, args.balanced_weight)
    else:
        out.print(comparison_table(first, shown))
    if not args.no_chart:
        from concurrency_eval.results.charts import write_chart

        written = write_chart(shown, chart, args.balanced_weight)
        if not args.json:
            out.print(f"chart: {escape(str(written))}")
    return EXIT_OK if shown.all_correct() else EXIT_WRONG


if __name__ == "__main__":
    sys.exit(main())
