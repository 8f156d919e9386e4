"""`concurrency-eval local`: the memory sweep on this machine, on the local Lambda
service and the embedded S3, with no AWS account."""

import argparse
from pathlib import Path

from rich.console import Console

from concurrency_eval.commands import arguments, console, help_text, sweep_options
from concurrency_eval.system.files import WriteFailed

ROOT = Path(__file__).resolve().parents[2]
#: A size below 512 MB, the stack's 1024 and one full vCPU at 1769, on a data set small
#: enough that `make local` takes about 3 minutes on two cores (at 256 MB a function
#: gets a seventh of a CPU).
MEMORY_SIZES = (256, 1024, 1769)
OBJECTS = 150
#: Warm invocations per point: five first, then up to seven until the median is clear
#: (at 256 MB an invocation takes 4-6 s, and two cores would not finish more in about 3
#: minutes; seven still find a 10% difference at least four times in five).
INVOCATIONS = (5, 7)
#: One group at a time: groups at once share this machine's two cores, and what one
#: measures would depend on what runs beside it.
PARALLEL = (1, "one group at a time: groups at once share this machine's cores")


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "local",
        epilog=help_text.examples(
            ("the default sweep: 256, 1024 and 1769 MB, 150 objects", ["local"]),
            (
                "more sizes, and requests in flight swept",
                ["local", "--memory", "128,512,1769,3008", "--concurrency", "8,32,128"],
            ),
            ("5% of S3 requests answered 503 SlowDown", ["local", "--error-rate", "0.05"]),
            (
                "go on with a sweep that was interrupted",
                ["local", "--resume", "results/local-20261123-101500"],
            ),
        ),
        formatter_class=help_text.Formatter,
        help="sweep memory sizes on this machine: the local Lambda service on an embedded S3",
        description="Start an S3 on loopback and seed the data set, build the bundles, host the three "
        "functions in the local Lambda service (AWS's runtime client, Lambda's CPU share, memory limit and "
        "timeout), and sweep their memory sizes as `run` does on AWS, reading Lambda's own reports. Prints "
        "a table and a verdict and writes results.json, results.csv, chart.png and the functions' logs.",
    )
    arguments.add_dataset_arguments(parser, objects_default=OBJECTS)
    sweep_options.add_sweep_arguments(parser, MEMORY_SIZES, invocations=INVOCATIONS, parallel=PARALLEL)
    functions = arguments.add_function_arguments(parser, memory=False)
    functions.add_argument(
        "--max-attempts",
        type=arguments.whole_number(1, 20),
        help="S3 attempts per request in the functions, the first included (default: theirs, 5)",
    )
    functions.add_argument(
        "--retry-mode",
        choices=("standard", "adaptive"),
        help="botocore retry mode in the functions (default: theirs, standard)",
    )
    arguments.add_price_architecture_argument(parser)
    arguments.add_local_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from concurrency_eval.commands import progress, rendering
    from concurrency_eval.emulators.child_process import StandInStopped
    from concurrency_eval.results.document import LOCAL
    from concurrency_eval.sweep.flow import sweep_locally
    from concurrency_eval.sweep.updates import ConfigurationError

    settings, resumed = sweep_options.settings_and_resumed(
        args, LOCAL, sweep_options.LOCAL_CONDITIONS, price_architecture=arguments.price_architecture(args)
    )
    output = sweep_options.output_dir(args, LOCAL)
    options = arguments.local_options(args, settings.dataset)
    prices = sweep_options.prices(args, "us-east-1", err, resumed)
    recorded = sweep_options.conditions(args, sweep_options.LOCAL_CONDITIONS)
    try:
        with progress.Progress(err, out) as shown:
            results = sweep_locally(ROOT, settings, options, prices, output, shown, resumed, recorded)
    except (WriteFailed, StandInStopped, ConfigurationError) as error:
        console.error(err, str(error))
        console.resume_hint(err, output, "local")
        return console.EXIT_ENVIRONMENT
    except (BotoCoreError, ClientError) as error:
        console.error(err, f"the local Lambda service did not answer as it should: {error}")
        console.resume_hint(err, output, "local")
        return console.EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        console.resume_hint(err, output, "local")
        raise
    return rendering.show_sweep(results, output, args, out, err)
