"""What several commands take: argument types that say what was wrong and what is
accepted, the argument groups commands share, and the checks made before any work."""

import argparse
import functools
import json
import os
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from concurrency_eval.backends.local_options import (
    BUCKET_PROFILES,
    DEFAULT_S3_PROFILE,
    S3_PROFILES,
    LocalOptions,
    function_name,
)
from concurrency_eval.results.folders import RESULTS, architecture_folders
from concurrency_eval.sweep.settings import validate_memory_sizes
from concurrency_eval.workload.dataset import MAGIC, DataSetSpec
from contracts import cdk_json, validation
from contracts.buckets import BUCKET_TYPES, GENERAL_PURPOSE
from contracts.bundles import ARCHITECTURES, DEFAULT_ARCHITECTURE, MODELS
from contracts.function import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, DEPLOYED_LOG_FORMAT
from contracts.lambda_limits import (
    LOG_FORMATS,
    MAX_MEMORY_MB,
    MAX_TIMEOUT_S,
    MIN_MEMORY_MB,
    MIN_TIMEOUT_S,
    environment_problem,
)
from contracts.ranges import NotANumber, OutOfRange, float_between, int_between
from contracts.stack import DEFAULT_STACK_PREFIX, evaluation_stack_name
from s3fanout.buckets import bucket_name_problem
from s3fanout.event import MAX_CONCURRENCY, MIN_CONCURRENCY

MAX_OBJECTS = 1_000_000


# -- argument types ------------------------------------------------------------------


def whole_number(low: int, high: int) -> Callable[[str], int]:
    parse = int_between(low, high)

    def argument(text: str) -> int:
        try:
            return parse(text)
        except NotANumber:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        except OutOfRange as error:
            raise argparse.ArgumentTypeError(f"{error.value} is out of range; use {low} to {high}") from None

    return argument


def number(low: float, high: float, unit: str = "") -> Callable[[str], float]:
    parse = float_between(low, high)

    def argument(text: str) -> float:
        try:
            return parse(text)
        except NotANumber:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        except OutOfRange as error:
            raise argparse.ArgumentTypeError(
                f"{error.value:g} is out of range; use {low:g} to {high:g}{unit}"
            ) from None

    return argument


def cpu_speed(text: str) -> str | float:
    """`auto`, or a factor from 0.1 to 10."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return number(0.1, 10)(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{error}; or auto, to measure it") from None


def models(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [model for model in chosen if model not in MODELS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown model {unknown[0] if unknown else text!r}; choose from {', '.join(MODELS)}"
        )
    return chosen


def architectures(text: str) -> tuple[str, ...]:
    """Two architectures, comma-separated, the baseline first: `arm64,x86_64`."""
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in chosen if name not in ARCHITECTURES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown architecture {unknown[0]!r}; choose from {', '.join(ARCHITECTURES)}"
        )
    if len(chosen) != 2 or len(set(chosen)) != 2:
        raise argparse.ArgumentTypeError(
            f"name both architectures, the baseline first ({','.join(ARCHITECTURES)}), not {text!r}; "
            "--architecture sweeps one"
        )
    return chosen


#: The names a hosted function answers to, as SAM's identifiers: the model (its logical
#: id) and the function's full name, as `serve` lists it.
FUNCTION_NAMES = {model: model for model in MODELS} | {function_name(model): model for model in MODELS}


def hosted_function(text: str) -> str:
    """A hosted function by its model or its full name: the model."""
    if text in FUNCTION_NAMES:
        return FUNCTION_NAMES[text]
    raise argparse.ArgumentTypeError(
        f"unknown function {text[:80]!r}; choose from {', '.join(MODELS)} (or their full names, "
        f"{', '.join(function_name(model) for model in MODELS)})"
    )


def concurrencies(text: str) -> tuple[int, ...]:
    parse = whole_number(MIN_CONCURRENCY, MAX_CONCURRENCY)
    values = tuple(parse(part.strip()) for part in text.split(",") if part.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r} names no concurrency; give one or more, as 16,64")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"{text!r} repeats a value")
    return values


def memory_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of MB") from None
    try:
        return validate_memory_sizes(sizes)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def bucket_name(text: str) -> str:
    """An S3 bucket name, by S3's naming rules (the functions' own check)."""
    problem = bucket_name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a valid bucket name: {problem}")
    return text


def endpoint_url(text: str) -> str:
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an endpoint URL; use one like http://127.0.0.1:5000"
        )
    return text


def _checked(check: Callable[[str], str]) -> Callable[[str], str]:
    """A check shared with cdk.json's settings, as an argument type."""

    def argument(text: str) -> str:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return argument


key_prefix = _checked(validation.key_prefix)
framework_source = _checked(validation.framework_source)


def env_path(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


# -- argument groups -----------------------------------------------------------------


def add_dataset_arguments(parser: argparse.ArgumentParser, objects_default: int) -> None:
    group = parser.add_argument_group("data set")
    group.add_argument(
        "--objects",
        type=whole_number(1, MAX_OBJECTS),
        default=objects_default,
        help="number of files (default: %(default)s)",
    )
    size = whole_number(len(MAGIC), 100_000_000)
    group.add_argument(
        "--min-size", type=size, default=1_000, help="smallest file in bytes (default: %(default)s)"
    )
    group.add_argument(
        "--max-size", type=size, default=50_000, help="largest file in bytes (default: %(default)s)"
    )
    group.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same files")
    group.add_argument("--prefix", help="key prefix (default: the object count and a slash, as '1000/')")


def add_function_arguments(parser: argparse.ArgumentParser, *, memory: bool = True) -> Any:
    """The hosted functions' configuration, as the stack sets it (memory, timeout)."""
    functions = parser.add_argument_group("functions")
    if memory:
        functions.add_argument(
            "--memory",
            type=whole_number(MIN_MEMORY_MB, MAX_MEMORY_MB),
            metavar="MB",
            default=DEFAULT_MEMORY_MB,
            help="the functions' memory size in MB (default: %(default)s)",
        )
    functions.add_argument(
        "--timeout",
        type=whole_number(MIN_TIMEOUT_S, MAX_TIMEOUT_S),
        default=DEFAULT_TIMEOUT_S,
        help="the functions' timeout in seconds (default: %(default)s, as the stack's)",
    )
    return functions


def add_verdict_arguments(
    group: Any,
    json_help: str = "print the summary and verdict as one JSON document instead of a table",
    no_chart_help: str = "draw no chart (a second or two sooner): the results and the table are written as "
    "ever, and `report` draws the chart from them later",
) -> None:
    group.add_argument(
        "--balanced-weight",
        type=number(0, 1),
        default=0.5,
        metavar="W",
        help="the balanced choice's trade-off, as Power Tuning's: 0 favours speed, 1 cost "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--trim",
        type=number(0, 0.49),
        metavar="SHARE",
        help="the share of invocations the trimmed mean drops at each end, as Power Tuning's "
        "discardTopBottom (default: the sweep's, 0.2)",
    )
    group.add_argument("--json", action="store_true", help=json_help)
    group.add_argument("--no-chart", action="store_true", help=no_chart_help)


def add_local_arguments(parser: argparse.ArgumentParser) -> None:
    """How the local Lambda service and the embedded S3 behave."""
    service = parser.add_argument_group("local Lambda service")
    service.add_argument(
        "--log-format",
        choices=sorted(LOG_FORMATS),
        default=DEPLOYED_LOG_FORMAT,
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
        "--cpu-speed",
        type=cpu_speed,
        default=1.0,
        metavar="auto|FACTOR",
        help="a Lambda vCPU's speed against one of this machine's cores; each environment's CPU quota is "
        "its Lambda share times this: 'auto' measures it against a published Lambda figure (default: "
        "%(default)s, a core here counts as a Lambda vCPU)",
    )
    service.add_argument(
        "--pure-python-client",
        action="store_true",
        help="use the runtime client's pure-Python transport even where its C extension loads",
    )
    _add_s3_arguments(parser)


def _add_s3_arguments(parser: argparse.ArgumentParser) -> None:
    s3 = parser.add_argument_group("embedded S3 behaviour")
    milliseconds = number(0, 10_000, " ms")
    s3.add_argument(
        "--bucket-type",
        choices=BUCKET_TYPES,
        default=GENERAL_PURPOSE,
        help="the bucket the functions read: a general purpose bucket, or an S3 Express One Zone directory "
        "bucket (read through botocore's sessions, listed out of key order) with S3 Express's latency "
        "unless --s3-profile or --latency-ms says otherwise (default: %(default)s)",
    )
    s3.add_argument(
        "--s3-profile",
        choices=S3_PROFILES,
        help="S3's latency as measured: a time to first byte with a tail, and 93 MB/s per connection, "
        f"for S3 Standard or S3 Express One Zone (default: {DEFAULT_S3_PROFILE}, or express with "
        "--bucket-type express)",
    )
    s3.add_argument(
        "--latency-ms",
        type=milliseconds,
        help="a fixed latency for every request instead of the profile's distribution",
    )
    s3.add_argument(
        "--jitter-ms",
        type=milliseconds,
        help="with --latency-ms: random extra latency, up to this (default: 0)",
    )
    s3.add_argument(
        "--plain-http",
        dest="tls",
        action="store_false",
        help="serve S3 over plain HTTP (default: HTTPS with a certificate made for the run, as S3 is met)",
    )
    for option, answer in (
        ("--error-rate", "answered 503 SlowDown"),
        ("--server-error-rate", "answered 500 InternalError"),
        ("--slow-rate", "answered slowly"),
    ):
        s3.add_argument(
            option, type=number(0, 1), default=0.0, help=f"share of requests {answer} (default: %(default)s)"
        )
    s3.add_argument(
        "--slow-ms",
        type=number(0, 600_000, " ms"),
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


def add_env_vars_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-vars",
        type=Path,
        metavar="FILE",
        help='environment overrides as SAM reads them: {"Parameters": {"NAME": "value"}} for every function, '
        '{"sync": {"NAME": "value"}} (or its full name, "concurrency-eval-sync") for one',
    )


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("AWS credentials")
    aws.add_argument(
        "--region", help="the AWS region (default: your AWS configuration's, or AWS_DEFAULT_REGION)"
    )
    aws.add_argument(
        "--profile", help="the AWS profile to use (default: AWS_PROFILE, or the default profile)"
    )


# -- checks and what they build --------------------------------------------------------


def refuse(args: argparse.Namespace, message: str) -> NoReturn:
    """Stop with the command's usage and `message`, exit 2, as argparse does."""
    parser: argparse.ArgumentParser = args.parser
    parser.error(message)


def dataset(args: argparse.Namespace) -> DataSetSpec:
    if args.min_size > args.max_size:
        refuse(args, f"--min-size {args.min_size} is larger than --max-size {args.max_size}")
    return DataSetSpec(args.objects, args.min_size, args.max_size, seed=args.seed, prefix=args.prefix)


#: The embedded S3 keeps the data set in memory: at most this share of what is free.
LOCAL_DATA_SHARE = 0.5


def local_options(args: argparse.Namespace, spec: DataSetSpec, *, memory_mb: int = 1024) -> LocalOptions:
    import psutil

    available = psutil.virtual_memory().available
    if spec.expected_bytes > LOCAL_DATA_SHARE * available:
        refuse(
            args,
            f"the data set ({spec.describe_size()}) would not fit in the embedded S3, which keeps it in "
            f"memory: this machine has {available / 1e9:.1f} GB free, and half of that is the most it may "
            "take; use fewer --objects or a smaller --max-size",
        )
    keys = {key for key, _ in spec.items()}
    strangers = [key for key in args.fault_key if key not in keys]
    if strangers:
        refuse(
            args,
            f"--fault-key {strangers[0]!r} is not in the data set, whose keys are "
            f"{spec.key(0)} to {spec.key(spec.objects - 1)}",
        )
    if args.latency_ms is not None and args.s3_profile is not None:
        refuse(
            args, "--latency-ms replaces --s3-profile's distribution with a fixed latency; give one of them"
        )
    if args.jitter_ms is not None and args.latency_ms is None:
        refuse(args, "--jitter-ms varies a fixed --latency-ms; give --latency-ms too, or use --s3-profile")
    return LocalOptions(
        bucket_type=args.bucket_type, s3_profile=args.s3_profile or BUCKET_PROFILES[args.bucket_type],
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms or 0.0, tls=args.tls,
        cpu_speed=args.cpu_speed, error_rate=args.error_rate,
        server_error_rate=args.server_error_rate, slow_rate=args.slow_rate, slow_ms=args.slow_ms,
        fault_keys=tuple(args.fault_key), timeout_s=args.timeout, memory_mb=memory_mb,
        max_attempts=getattr(args, "max_attempts", None), retry_mode=getattr(args, "retry_mode", None),
        log_format=args.log_format, cpu_limit=args.cpu_limit, pure_python_client=args.pure_python_client,
    )  # fmt: skip


def env_vars(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """--env-vars in SAM's format: each model's variables, with SAM's precedence: a
    function's own (by its model, the logical id, over its full name) over Parameters."""
    if args.env_vars is None:
        return {}
    hint = 'expected {"Parameters": {"NAME": "value"}} or {"<function>": {"NAME": "value"}}'
    try:
        document = json.loads(args.env_vars.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        refuse(args, f"--env-vars: cannot read {args.env_vars} ({error}); {hint}")
    if not isinstance(document, dict):
        refuse(args, f"--env-vars: {args.env_vars} is not a JSON object; {hint}")
    for key, variables in document.items():
        if key != "Parameters" and key not in FUNCTION_NAMES:
            refuse(
                args,
                f"--env-vars: unknown function {key[:80]!r}; use Parameters, one of {', '.join(MODELS)}, "
                "or their full names",
            )
        if not isinstance(variables, dict) or not all(
            isinstance(value, (str, int, float, bool)) for value in variables.values()
        ):
            refuse(args, f"--env-vars: {key[:80]} must map variable names to values; {hint}")
    overrides: dict[str, dict[str, str]] = {}
    for model in MODELS:
        variables = {}
        for key in ("Parameters", function_name(model), model):  # the last one wins
            variables.update({name: _variable(value) for name, value in document.get(key, {}).items()})
        problem = environment_problem(variables)
        if problem is not None:
            refuse(args, f"--env-vars: {model}: Lambda would refuse these ({problem[1]})")
        if variables:
            overrides[model] = variables
    return overrides


def _variable(value: str | int | float | bool) -> str:
    """A JSON value as an environment variable's text, as SAM writes it (true, not True)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def aws_session(args: argparse.Namespace) -> Any:
    """The boto3 session every command that talks to AWS uses, from --region and --profile."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.session.Session(region_name=args.region, profile_name=args.profile)
    except ProfileNotFound as error:
        refuse(args, f"--profile: {error}; list yours with `aws configure list-profiles`")


def check_writable_folder(args: argparse.Namespace, directory: Path, option: str) -> None:
    """A folder, or a path a folder can be made at, that can be written to."""
    blocker = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        refuse(args, f"{option}: {blocker} is a file, not a folder; name a folder for the results")
    if blocker is not None and not os.access(blocker, os.W_OK):
        refuse(args, f"{option}: {blocker} cannot be written to")


def add_stack_argument(parser: Any) -> None:
    parser.add_argument(
        "--stack", default=_default_stack(), help="the evaluation stack's name (default: %(default)s)"
    )


@functools.cache
def _default_stack() -> str:
    """The evaluation stack's name as cdk.json's stackPrefix makes it."""
    try:
        prefix = cdk_json.context().get("stackPrefix", DEFAULT_STACK_PREFIX)
    except (OSError, ValueError, KeyError):
        prefix = DEFAULT_STACK_PREFIX
    return evaluation_stack_name(prefix)


def add_price_architecture_argument(parser: argparse.ArgumentParser) -> None:
    """--architecture: what a local sweep's costs are estimated for."""
    parser.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        default=None,
        help="the Lambda architecture costs are estimated for (default: what the stack deploys, cdk.json's "
        f"`architecture` or {DEFAULT_ARCHITECTURE}); the functions themselves run on this machine's",
    )


def price_architecture(args: argparse.Namespace) -> str:
    """--architecture, or the architecture the stack deploys."""
    if args.architecture is not None:
        return str(args.architecture)
    try:
        configured = cdk_json.context().get("architecture", DEFAULT_ARCHITECTURE)
    except FileNotFoundError:
        # Installed away from the CDK app: the stack's default.
        return DEFAULT_ARCHITECTURE
    except (OSError, ValueError) as error:
        refuse(args, f"cdk.json cannot be read ({error}); fix it, or pass --architecture")
    if configured not in ARCHITECTURES:
        refuse(
            args,
            f"cdk.json's architecture is {configured!r}; use {' or '.join(ARCHITECTURES)} there, "
            "or pass --architecture",
        )
    return str(configured)


def results_file(text: str) -> Path:
    """A results.json, or a sweep's folder (as --resume takes it), which holds one; or the
    folder of a run of two architectures, which holds one in each architecture's folder."""
    path = Path(text)
    if path.is_dir():
        inside = path / RESULTS
        if inside.is_file():
            return inside
        if architecture_folders(path):
            # A run of two architectures: its sweeps are in folders of their own.
            return path
        raise argparse.ArgumentTypeError(f"{path} is a folder with no results.json in it")
    return path
