"""What the two sweeping commands, `local` and `run`, share: their sweep arguments, and
what those become (settings, prices, the results folder, a resumed sweep)."""

import argparse
import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from concurrency_eval.commands import arguments, console
from concurrency_eval.results.pricing import Prices, prices_for
from concurrency_eval.sweep.flow import Resumed
from concurrency_eval.sweep.runner import resume
from concurrency_eval.sweep.settings import SweepSettings
from contracts.bundles import MODELS


def add_sweep_arguments(
    parser: argparse.ArgumentParser, memory_default: tuple[int, ...], invocations_default: int
) -> None:
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument(
        "--memory",
        type=arguments.memory_sizes,
        default=memory_default,
        metavar="MB,MB,...",
        help=f"memory sizes to sweep (default: {','.join(map(str, memory_default))})",
    )
    sweep.add_argument(
        "--concurrency",
        type=arguments.concurrencies,
        default=(None,),
        metavar="N,N,...",
        help="requests in flight per invocation for threaded and asyncio, each swept "
        "(default: the functions' own, 64); sync always runs one at a time",
    )
    sweep.add_argument(
        "--invocations",
        type=arguments.whole_number(1, 1000),
        default=invocations_default,
        help="warm invocations per model and size, after the cold one (default: %(default)s)",
    )
    sweep.add_argument(
        "--parallelism",
        type=arguments.whole_number(1, 50),
        default=1,
        help="warm invocations in flight at once (default: %(default)s, sequential)",
    )
    sweep.add_argument(
        "--models", type=arguments.models, default=MODELS, help="comma-separated models (default: all three)"
    )
    sweep.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="a JSON price table to use instead of the region's published prices",
    )
    sweep.add_argument("--output", type=Path, help="results folder (default: results/<kind>-<time>)")
    arguments.add_verdict_arguments(sweep)
    sweep.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the partial sweep in DIR with its own settings, skipping what it finished",
    )


def settings_and_resumed(args: argparse.Namespace, kind: str, **extra: Any) -> tuple[SweepSettings, Resumed]:
    """The sweep's settings: the command line's, or those of the sweep --resume continues."""
    if args.resume is not None:
        results, settings, done = resume(Path(args.resume), kind)
        return settings, Resumed(results, done)
    settings = SweepSettings(
        memory_sizes=args.memory, models=args.models, concurrencies=args.concurrency,
        invocations=args.invocations, parallelism=args.parallelism, dataset=arguments.dataset(args), **extra,
    )  # fmt: skip
    return settings, Resumed()


def prices(args: argparse.Namespace, region: str | None, err: Console) -> Prices:
    """The region's published prices, or --prices; a region the table lacks is said out loud."""
    if args.prices is not None:
        try:
            return Prices.load(args.prices)
        except ValueError as error:
            arguments.refuse(args, f"--prices: {error}")
    table, warning = prices_for(region)
    if warning:
        console.warning(err, warning)
    return table


def output_dir(args: argparse.Namespace, kind: str) -> Path:
    """Where results go, checked before any work starts: a folder, or a path to make one at."""
    if args.resume is not None:
        directory = Path(args.resume)
    elif args.output is not None:
        directory = Path(args.output)
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        directory = Path.cwd() / "results" / f"{kind}-{stamp}"
    arguments.check_writable_folder(args, directory, "--resume" if args.resume is not None else "--output")
    return directory
