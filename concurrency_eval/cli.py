"""The `concurrency-eval` command: run the evaluation locally, seed, publish, report.

Exit codes: 0 done, every answer right; 1 the run finished but some invocation
failed or answered wrong (results are still written); 2 bad arguments or input
files; 3 the machine or a service lacks something the command needs; 130
interrupted (nothing is left running).
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from concurrency_eval import local_run
from concurrency_eval.aws_run import DEFAULT_MEMORY_SIZES
from concurrency_eval.build import ARCHITECTURES, DEFAULT_PYTHON_VERSION, FUNCTIONS, BuildError
from concurrency_eval.dataset import MAGIC, DataSetSpec
from concurrency_eval.results import Results, ResultsError, started_now

EXIT_OK, EXIT_WRONG, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
ROOT = Path(__file__).resolve().parent.parent
_DEFAULTS = local_run.LocalSettings()
MAX_OBJECTS = 1_000_000
MAX_CONCURRENCY = 256


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Piped or redirected output gets room for the whole table instead of 80 columns.
    out = Console() if sys.stdout.isatty() else Console(width=140)
    err = Console(stderr=True)
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
        err.print(f"[red]error:[/red] {error}")
        return EXIT_ENVIRONMENT
    except ResultsError as error:
        err.print(f"[red]error:[/red] {error}")
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
    try:
        return local_run.parse_models(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    local = commands.add_parser(
        "local",
        help="run the whole evaluation on this machine (embedded S3, no AWS account)",
        description="Start an S3 on loopback, seed the data set, build the bundles, and run each "
        "function as Lambda would: cold start, then warm invocations. Prints a table and writes "
        "results.json, results.csv and chart.png.",
    )
    _add_dataset_arguments(local, objects_default=1000)
    run = local.add_argument_group("run")
    run.add_argument(
        "--invocations",
        type=_int_between(1, 1000),
        default=_DEFAULTS.invocations,
        help="warm invocations per function, after the cold one (default: %(default)s)",
    )
    run.add_argument(
        "--concurrency",
        type=_int_between(1, MAX_CONCURRENCY),
        default=_DEFAULTS.concurrency,
        help="requests in flight for threaded and asyncio (default: %(default)s)",
    )
    run.add_argument(
        "--models",
        type=_models,
        default=FUNCTIONS,
        help="comma-separated models to run (default: sync,threaded,asyncio)",
    )
    run.add_argument(
        "--timeout",
        type=_float_between(1, 900, " s"),
        default=_DEFAULTS.timeout_s,
        help="invocation timeout in seconds, as the function's (default: %(default)s)",
    )
    run.add_argument("--output", type=Path, help="results folder (default: results/local-<time>)")
    run.add_argument(
        "--max-attempts",
        type=_int_between(1, 20),
        help="S3 attempts per request in the functions, the first included (default: theirs, 5)",
    )
    run.add_argument(
        "--retry-mode",
        choices=("standard", "adaptive"),
        help="botocore retry mode in the functions (default: theirs, standard)",
    )
    s3 = local.add_argument_group("embedded S3 behaviour")
    s3.add_argument(
        "--latency-ms",
        type=_float_between(0, 10_000, " ms"),
        default=local_run.DEFAULT_LATENCY_MS,
        help="added to every S3 request; real S3 answers small GETs in tens of ms (default: %(default)s)",
    )
    s3.add_argument(
        "--jitter-ms",
        type=_float_between(0, 10_000, " ms"),
        default=local_run.DEFAULT_JITTER_MS,
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
    local.set_defaults(command=_local, parser=local)

    seed = commands.add_parser(
        "seed",
        help="upload the data set to a bucket (real S3, or any S3 by --endpoint-url)",
        description="Generate the data set and upload what is not already there unchanged.",
    )
    _add_dataset_arguments(seed, objects_default=1000)
    seed.add_argument("--bucket", required=True, help="the bucket to upload to")
    seed.add_argument("--endpoint-url", help="an S3 endpoint other than AWS's (for example the embedded S3)")
    seed.add_argument("--create-bucket", action="store_true", help="create the bucket if it does not exist")
    seed.set_defaults(command=_seed, parser=seed)

    sweep = commands.add_parser(
        "run",
        help="sweep memory sizes of the deployed functions on AWS: duration, cost, cold starts",
        description="Find the deployed functions and data bucket from the stack outputs, then for each "
        "memory size update the three functions, record a cold invocation and warm ones from Lambda's "
        "REPORT lines, and price them. Asks before starting (--yes does not); restores every "
        "function's configuration at the end.",
    )
    _add_dataset_arguments(sweep, objects_default=1000)
    aws = sweep.add_argument_group("sweep")
    aws.add_argument(
        "--stack", default=_default_stack(), help="the evaluation stack's name (default: %(default)s)"
    )
    aws.add_argument(
        "--memory",
        type=_memory_sizes,
        default=DEFAULT_MEMORY_SIZES,
        metavar="MB,MB,...",
        help="memory sizes to sweep (default: 128,256,512,1024,1769,3008)",
    )
    aws.add_argument(
        "--invocations",
        type=_int_between(1, 1000),
        default=10,
        help="warm invocations per function and size, after the cold one (default: %(default)s)",
    )
    aws.add_argument(
        "--parallelism",
        type=_int_between(1, 50),
        default=1,
        help="warm invocations in flight at once (default: %(default)s, sequential)",
    )
    aws.add_argument(
        "--concurrency",
        type=_int_between(1, MAX_CONCURRENCY),
        help="requests in flight per invocation (default: the functions')",
    )
    aws.add_argument(
        "--models", type=_models, default=FUNCTIONS, help="comma-separated models (default: all three)"
    )
    aws.add_argument(
        "--budget",
        type=_float_between(0, 10_000, " USD"),
        metavar="USD",
        help="refuse any plan that could cost more than this",
    )
    aws.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="a JSON price table to use instead of the built-in us-east-1 one",
    )
    aws.add_argument(
        "--expected-seconds",
        type=_float_between(0.001, 900, " s"),
        default=5.0,
        help="seconds per invocation assumed by the estimate (default: %(default)s)",
    )
    aws.add_argument("--yes", action="store_true", help="do not ask: start, and seed a missing data set")
    aws.add_argument("--output", type=Path, help="results folder (default: results/aws-<time>)")
    sweep.set_defaults(command=_sweep, parser=sweep)

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
        metavar="REQUIREMENT",
        help="build the framework layer from this requirement, such as "
        "'s3fanout @ git+https://github.com/org/s3fanout@v1.2.0' (default: layers/framework)",
    )
    publish.add_argument("--endpoint-url", help="an S3 endpoint other than AWS's")
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
    report.set_defaults(command=_report, parser=report)
    return parser


# -- commands -------------------------------------------------------------------


class _RichProgress(local_run.Progress):
    def __init__(self, progress: RichProgress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, description: str, total: int | None = None) -> None:
        if not self._progress.console.is_terminal:
            # Bars are drawn on terminals only; logs and pipes get a line per phase.
            self._progress.console.print(description)
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 1)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)

    def note(self, message: str) -> None:
        self._progress.console.print(f"[dim]{message}[/dim]")


def _progress(console: Console) -> RichProgress:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return RichProgress(*columns, TimeElapsedColumn(), console=console)


def _local(args: argparse.Namespace, out: Console, err: Console) -> int:
    settings = local_run.LocalSettings(
        dataset=_spec(args, args.parser),
        invocations=args.invocations,
        concurrency=args.concurrency,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        error_rate=args.error_rate,
        server_error_rate=args.server_error_rate,
        slow_rate=args.slow_rate,
        slow_ms=args.slow_ms,
        fault_keys=tuple(args.fault_key),
        models=args.models,
        timeout_s=args.timeout,
        max_attempts=args.max_attempts,
        retry_mode=args.retry_mode,
    )
    output: Path = args.output or local_run.default_output(Path.cwd() / "results")
    with _progress(err) as progress:
        results = local_run.run_local(ROOT, settings, output / "logs", _RichProgress(progress))
    json_path, csv_path = results.write(output)
    from concurrency_eval.charts import write_chart

    chart = write_chart(results, output / "chart.png")
    from concurrency_eval.report import print_results

    print_results(results, out)
    out.print(f"results: {json_path}  {csv_path}  {chart}  (function logs in {output / 'logs'})")
    return EXIT_OK if results.all_correct() else EXIT_WRONG


def _seed(args: argparse.Namespace, out: Console, err: Console) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.dataset import seed

    spec = _spec(args, args.parser)
    client = boto3.client("s3", endpoint_url=args.endpoint_url)
    try:
        with _progress(err) as progress:
            task = progress.add_task(f"seeding s3://{args.bucket}/{spec.folder}", total=spec.objects)
            result = seed(
                client, args.bucket, spec, create_bucket=args.create_bucket,
                on_object=lambda: progress.advance(task),
            )  # fmt: skip
    except (BotoCoreError, ClientError) as error:
        err.print(f"[red]error:[/red] seeding s3://{args.bucket} failed: {error}")
        return EXIT_ENVIRONMENT
    out.print(
        f"s3://{args.bucket}/{spec.folder}: {result.uploaded} uploaded ({result.bytes_uploaded:,} bytes), "
        f"{result.unchanged} already there; the magic string is in {spec.magic_key}"
    )
    return EXIT_OK


def _default_stack() -> str:
    """The evaluation stack's name as cdk.json's stackPrefix makes it."""
    from concurrency_eval import cdk_json

    try:
        prefix = cdk_json.context().get("stackPrefix", "ConcurrencyEval")
    except (OSError, ValueError, KeyError):
        prefix = "ConcurrencyEval"
    return f"{prefix}Evaluation"


def _memory_sizes(text: str) -> tuple[int, ...]:
    from concurrency_eval.aws_run import validate_memory_sizes

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
        err.print(f"[red]{question}[/red] cannot be asked: standard input is not a terminal; pass --yes")
        return False
    return err.input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _sweep(args: argparse.Namespace, out: Console, err: Console) -> int:
    import boto3
    from botocore.config import Config

    from concurrency_eval import aws_run
    from concurrency_eval.charts import write_sweep_chart
    from concurrency_eval.dataset import missing_objects, seed
    from concurrency_eval.pricing import DEFAULT_PRICES, Prices
    from concurrency_eval.report import print_results

    try:
        prices = Prices.load(args.prices) if args.prices else DEFAULT_PRICES
    except ValueError as error:
        args.parser.error(f"--prices: {error}")
    spec = _spec(args, args.parser)
    settings = aws_run.SweepSettings(
        memory_sizes=args.memory, invocations=args.invocations, parallelism=args.parallelism, dataset=spec,
        concurrency=args.concurrency, models=args.models, prices=prices, budget_usd=args.budget,
        expected_seconds=args.expected_seconds,
    )  # fmt: skip
    session = boto3.session.Session()
    # One attempt per invoke, so that a throttle is recorded, not hidden by a retry;
    # a read timeout beyond Lambda's longest timeout.
    invoke_config = Config(read_timeout=910, retries={"total_max_attempts": 1}, max_pool_connections=64)
    lambda_client = session.client("lambda", config=invoke_config)
    try:
        deployment = aws_run.discover(session.client("cloudformation"), args.stack, settings.models)
        sweep = aws_run.Sweep(
            lambda_client, deployment, settings,
            on_invocation=lambda model, memory, i: err.print(
                f"  {memory:>5} MB {model:<9} {i.kind:<4} {i.duration_ms:>9.1f} ms  {i.error or i.result}"
            ),
            on_step=lambda message: err.print(f"[bold]{message}[/bold]"),
        )  # fmt: skip
        originals = sweep.configurations()
        s3 = session.client("s3")
        missing = missing_objects(s3, deployment.data_bucket, spec)
        if missing:
            where = f"s3://{deployment.data_bucket}/{spec.folder}"
            if not _confirm(
                f"{missing} of {spec.objects} objects are missing in {where}; seed them now?", args.yes, err
            ):
                bucket = deployment.data_bucket
                err.print(f"seed it with: concurrency-eval seed --bucket {bucket} --objects {spec.objects}")
                return EXIT_ENVIRONMENT
            with _progress(err) as progress:
                task = progress.add_task("seeding", total=spec.objects)
                seed(s3, deployment.data_bucket, spec, on_object=lambda: progress.advance(task))
        the_plan = aws_run.plan(settings, originals)
        out.print(f"plan: {the_plan.describe()}")
        aws_run.check_budget(the_plan, settings.budget_usd)
        if not _confirm("start the sweep?", args.yes, err):
            return EXIT_USAGE
        started_at = started_now()
        runs = sweep.run(originals)
    except aws_run.RunError as error:
        err.print(f"[red]error:[/red] {error}")
        return EXIT_USAGE if isinstance(error, aws_run.OverBudget) else EXIT_ENVIRONMENT
    results = aws_run.results(deployment, settings, originals, runs, started_at, session.region_name)
    output: Path = args.output or Path.cwd() / "results" / f"aws-{started_at.replace(':', '')}"
    json_path, csv_path = results.write(output)
    chart = write_sweep_chart(results, output / "chart.png")
    print_results(results, out)
    out.print(f"results: {json_path}  {csv_path}  {chart}")
    return EXIT_OK if results.all_correct() else EXIT_WRONG


def _env_path(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


def _key_prefix(text: str) -> str:
    if not text.endswith("/") or text.startswith("/") or "//" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a key prefix: end it with '/', as 'artifacts/'")
    return text


def _publish(args: argparse.Namespace, out: Console, err: Console) -> int:
    import json

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.build import Builder, Target
    from concurrency_eval.publish import PublishError, manifest, publish, write_github_files

    target = Target(args.architecture, args.python_version)
    builder = Builder(
        ROOT, target, framework_source=args.framework_source, progress=lambda m: err.print(f"[dim]{m}[/dim]")
    )
    client = boto3.client("s3", endpoint_url=args.endpoint_url)

    def report(artifact: Any) -> None:
        state = "uploaded" if artifact.uploaded else "unchanged"
        err.print(
            f"{artifact.name:<10} {state:<9} s3://{args.bucket}/{artifact.key} version {artifact.version}"
        )

    try:
        artifacts = publish(client, args.bucket, args.prefix, builder, on_artifact=report)
    except (BotoCoreError, ClientError, PublishError) as error:
        err.print(f"[red]error:[/red] publishing to s3://{args.bucket} failed: {error}")
        return EXIT_ENVIRONMENT
    write_github_files(args.bucket, artifacts, args.github_output, args.summary)
    document = json.dumps(manifest(args.bucket, artifacts), indent=2)
    if args.manifest is not None:
        args.manifest.write_text(document + "\n")
    out.print_json(document)
    return EXIT_OK


def _report(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.report import comparison_table, print_results

    first = Results.read(args.results)
    if args.other is None:
        print_results(first, out)
        shown = first
    else:
        second = Results.read(args.other)
        out.print(comparison_table(first, second))
        shown = second
    if not args.no_chart:
        from concurrency_eval.charts import write_any_chart

        chart = args.chart or (args.other or args.results).with_name("chart.png")
        out.print(f"chart: {write_any_chart(shown, chart)}")
    return EXIT_OK if shown.all_correct() else EXIT_WRONG


if __name__ == "__main__":
    sys.exit(main())
