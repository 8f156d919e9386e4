"""`concurrency-eval run`: the memory sweep of the deployed functions on AWS."""

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import arguments, console, help_text, sweep_options
from concurrency_eval.system.files import WriteFailed
from contracts.bundles import ARCHITECTURES

MEMORY_SIZES = (128, 256, 512, 1024, 1769, 3008)
#: Warm invocations per point: ten first, as Power Tuning recommends at least, then up
#: to fifty until the median is clear.
INVOCATIONS = (10, 50)
#: Invocations in flight at once by default: a hundredth of an account's default
#: concurrency (1,000), well inside the 100 that Lambda always keeps unreserved, so that
#: neither these functions nor others in the account are throttled; and ten of the
#: fastest invocations at once (about 430 GETs a second each, as AWS's guidance measured
#: 1,000 reads by 30 threads in 2.3 s) stay under S3's 5,500 GETs a second per prefix,
#: beyond which S3 answers SlowDown and the sweep would measure retries.
PARALLEL = (10, "a hundredth of the account's default concurrency, and under S3's request rate per prefix")


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "run",
        epilog=help_text.examples(
            (
                "Power Tuning's six sizes on the deployed stack, within a budget",
                ["run", "--memory", "128,256,512,1024,1536,3008", "--budget", "0.50"],
            ),
            (
                "arm64 against x86_64 on a stack that deploys both (-c architectures=arm64,x86_64)",
                ["run", "--architectures", "arm64,x86_64", "--memory", "512,1024,1769"],
            ),
            ("remove the versions and aliases a killed sweep left", ["run", "--cleanup"]),
        ),
        formatter_class=help_text.Formatter,
        help="sweep memory sizes of the deployed functions on AWS: duration, cost, cold starts",
        description="Find the deployed functions and data bucket from the stack outputs, then for each "
        "memory size (and concurrency) update the functions, record a cold invocation and warm ones from "
        "Lambda's own reports, and price them. Asks before starting (--yes does not); writes the results "
        "after every group, and restores every function's configuration at the end, also on Ctrl-C. "
        "With --architectures, does so for each architecture's variant of the functions and compares them.",
    )
    arguments.add_dataset_arguments(parser, objects_default=1000)
    sweep_options.add_sweep_arguments(parser, MEMORY_SIZES, invocations=INVOCATIONS, parallel=PARALLEL)
    aws = parser.add_argument_group("AWS")
    arguments.add_stack_argument(aws)
    aws.add_argument(
        "--budget",
        type=arguments.number(0, 10_000, " USD"),
        metavar="USD",
        help="refuse any plan that could cost more than this",
    )
    aws.add_argument(
        "--expected-seconds",
        type=arguments.number(0.001, 900, " s"),
        default=5.0,
        help="seconds per invocation assumed by the estimate (default: %(default)s)",
    )
    variants = aws.add_mutually_exclusive_group()
    variants.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        help="where the stack deploys each function for two architectures (cdk.json's architectures): "
        "the variant to sweep, priced at its own rate",
    )
    variants.add_argument(
        "--architectures",
        type=arguments.architectures,
        metavar="A,B",
        help="where the stack deploys both: sweep each variant in turn (each priced at its own rate, into "
        "<output>/<architecture>), then compare B with A, the baseline, point by point, and choose "
        "among every size on either (comparison.png beside them)",
    )
    aws.add_argument("--yes", action="store_true", help="do not ask: start, and seed a missing data set")
    aws.add_argument(
        "--cleanup",
        action="store_true",
        help="sweep nothing: remove the versions and aliases a killed sweep left on the deployed functions "
        "(of --architecture's variant, else of every variant) "
        "(aliases named ce-sweep-..., versions described 'concurrency-eval sweep ...', never the stack's "
        "live alias or its version), put back a $LATEST it left changed, and exit",
    )
    arguments.add_aws_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.cleanup:
        return _clean_up(args, out, err)
    from concurrency_eval.commands import progress, rendering
    from concurrency_eval.results.architectures import ArchitectureSweeps
    from concurrency_eval.results.document import AWS
    from concurrency_eval.sweep.flow import DataSetMissing, Declined, sweep_architectures_on_aws, sweep_on_aws
    from concurrency_eval.sweep.plan import OverBudget
    from concurrency_eval.sweep.updates import ConfigurationError

    settings, resumed = sweep_options.settings_and_resumed(
        args, AWS, sweep_options.AWS_CONDITIONS, expected_seconds=args.expected_seconds
    )
    output = sweep_options.output_dir(args, AWS)
    # A price file is read (and a bad one refused) before anything else; the region's
    # published prices need the session's region.
    given = args.prices is not None or resumed.results is not None
    prices = sweep_options.prices(args, None, err, resumed) if given else None
    session = _session(args, err)
    if session is None:
        return console.EXIT_ENVIRONMENT
    if prices is None:
        prices = sweep_options.prices(args, session.region_name, err)
    options = sweep_options.conditions(args, sweep_options.AWS_CONDITIONS)
    try:
        with progress.Progress(err, out, assume_yes=args.yes) as shown:
            if args.architectures:
                resumed_variants = sweep_options.resumed_architectures(args)
                runs = sweep_architectures_on_aws(
                    session, args.stack, args.architectures, settings, prices, output, shown,
                    budget_usd=args.budget, resumed=resumed_variants, options=options,
                )  # fmt: skip
            else:
                results = sweep_on_aws(
                    session, args.stack, settings, prices, output, shown,
                    budget_usd=args.budget, resumed=resumed, options=options, architecture=args.architecture,
                )  # fmt: skip
    except DataSetMissing as error:
        err.print(escape(str(error)))
        return console.EXIT_ENVIRONMENT
    except (Declined, OverBudget) as error:
        console.error(err, str(error))
        return console.EXIT_USAGE
    except console.AWS_FAILURES as error:
        code = console.aws_failure(err, error)
        console.resume_hint(err, output, "run")
        return code
    except (ConfigurationError, WriteFailed) as error:
        console.error(err, str(error))
        console.resume_hint(err, output, "run")
        return console.EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        console.resume_hint(err, output, "run")
        raise
    if args.architectures:
        return rendering.show_architectures(ArchitectureSweeps(runs), output, args, out, err)
    return rendering.show_sweep(results, output, args, out, err)


def _clean_up(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.sweep.flow import clean_up_on_aws
    from concurrency_eval.sweep.updates import ConfigurationError
    from concurrency_eval.sweep.versions import describe_cleaned

    if args.resume is not None:
        arguments.refuse(args, "--cleanup removes what killed sweeps left; it resumes none (drop --resume)")
    session = _session(args, err)
    if session is None:
        return console.EXIT_ENVIRONMENT
    try:
        cleaned = clean_up_on_aws(session, args.stack, args.models, args.architecture)
    except console.AWS_FAILURES as error:
        return console.aws_failure(err, error)
    except ConfigurationError as error:
        console.error(err, str(error))
        return console.EXIT_ENVIRONMENT
    for line in describe_cleaned(cleaned):
        out.print(escape(line))
    return console.EXIT_OK


def _session(args: argparse.Namespace, err: Console) -> Any:
    """The AWS session, or None after saying what it lacks."""
    session = arguments.aws_session(args)
    if session.region_name is None:
        console.error(err, "no AWS region: pass --region, or set AWS_DEFAULT_REGION or a profile's region")
        return None
    if session.get_credentials() is None:
        console.error(err, "no AWS credentials: run `aws configure` or `aws sso login`, or set them")
        return None
    return session
