"""What the two sweeping commands, `local` and `run`, share: their sweep arguments, and
what those become (settings, prices, the results folder, a resumed sweep)."""

import argparse
import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from concurrency_eval.commands import arguments, console
from concurrency_eval.commands.copyable import ROOT
from concurrency_eval.results.folders import RESULTS, architecture_folders
from concurrency_eval.results.statistics import DEFAULT_TRIM
from concurrency_eval.sweep.settings import MAX_INVOCATIONS, MAX_PARALLEL, MAX_PARALLELISM, SweepSettings
from contracts.bundles import MODELS

if TYPE_CHECKING:
    from concurrency_eval.results.pricing import Prices
    from concurrency_eval.sweep.flow import Resumed


def add_sweep_arguments(
    parser: argparse.ArgumentParser,
    memory_default: tuple[int, ...],
    invocations: tuple[int, int],
    parallel: tuple[int, str],
) -> None:
    """The sweep's arguments; `invocations` are the default first and most warm
    invocations per point when sampling until clear; `parallel` the default invocations
    in flight across the sweep, and why."""
    parallel_default, parallel_why = parallel
    first, most = invocations
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
        type=arguments.whole_number(1, MAX_INVOCATIONS),
        metavar="N",
        help="a fixed count of warm invocations per point, after its cold start (default: sample until "
        "clear, see --min-invocations)",
    )
    sweep.add_argument(
        "--min-invocations",
        type=arguments.whole_number(1, MAX_INVOCATIONS),
        metavar="N",
        help=f"warm invocations every point gets first; more follow while its median's 95%% CI is wider "
        f"than --ci-target and it could still change a choice (default: {first})",
    )
    sweep.add_argument(
        "--max-invocations",
        type=arguments.whole_number(1, MAX_INVOCATIONS),
        metavar="N",
        help=f"the most warm invocations a point gets while sampling until clear (default: {most})",
    )
    sweep.add_argument(
        "--ci-target",
        type=arguments.number(0.1, 50, "%"),
        default=5.0,
        metavar="PERCENT",
        help="clear enough: the median's 95%% CI within this share of it on either side "
        "(default: %(default)s)",
    )
    sweep.add_argument(
        "--cold-starts",
        type=arguments.whole_number(1, 100),
        default=1,
        metavar="N",
        help="cold starts per point, each in a new execution environment, for the Init Duration's "
        "distribution (default: %(default)s)",
    )
    parser.set_defaults(invocation_defaults=invocations)
    sweep.add_argument(
        "--parallelism",
        type=arguments.whole_number(1, MAX_PARALLELISM),
        default=1,
        help="warm invocations of one group (model and size) in flight at once (default: %(default)s, "
        "sequential)",
    )
    sweep.add_argument(
        "--parallel",
        type=arguments.whole_number(1, MAX_PARALLEL),
        default=parallel_default,
        metavar="N",
        help="invocations in flight at once across the sweep: groups of different sizes and models run at "
        f"once, each on a published version of its own (default: %(default)s, {parallel_why})",
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
    sweep.add_argument(
        "--output",
        type=Path,
        help="results folder (default: results/<kind>-<time> at the checkout's top, wherever in it "
        "the command runs; elsewhere in the current folder)",
    )
    arguments.add_verdict_arguments(sweep)
    sweep.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the partial sweep in DIR with its own settings, skipping what it finished",
    )


#: What a resumed sweep takes from its results file, never from the command line: the
#: sweep and its data set, the prices, and (`LOCAL_CONDITIONS`) how the local stand-ins
#: behave. The verdict's display (--balanced-weight, --trim, --json, --no-chart) may change.
SWEEP_OPTIONS = (
    "memory", "concurrency", "invocations", "min_invocations", "max_invocations", "ci_target",
    "cold_starts", "parallelism", "parallel", "models", "prices", "objects", "min_size", "max_size", "seed",
    "prefix", "architecture", "architectures",
)  # fmt: skip
LOCAL_CONDITIONS = (
    "bucket_type", "s3_profile", "latency_ms", "jitter_ms", "tls", "cpu_speed", "cpu_limit",
    "pure_python_client", "error_rate", "server_error_rate", "slow_rate", "slow_ms", "fault_key", "timeout",
    "max_attempts", "retry_mode", "log_format",
)  # fmt: skip
AWS_CONDITIONS = ("stack", "architecture", "architectures")


def conditions(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, Any]:
    """The options behind the conditions a sweep measures under, to record in its results."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def settings_and_resumed(
    args: argparse.Namespace, kind: str, fixed: tuple[str, ...] = (), **extra: Any
) -> "tuple[SweepSettings, Resumed]":
    """The sweep's settings: the command line's, or those of the sweep --resume continues.

    On --resume, an option that would change what is measured (`SWEEP_OPTIONS` and
    `fixed`) is refused, and the recorded conditions are put back into `args`: resumed
    groups run as the first ones did.
    """
    from concurrency_eval.sweep.flow import Resumed
    from concurrency_eval.sweep.runner import resume

    if args.resume is not None:
        results, settings, done = resume(_resumed_folder(Path(args.resume)), kind)
        given = [name for name in (*SWEEP_OPTIONS, *fixed) if _given(args, name)]
        if given:
            arguments.refuse(
                args,
                f"--resume continues {args.resume} as it was recorded; drop "
                f"{', '.join(map(_flag(args), given))}, which would change what it measures (start a new "
                "sweep for other settings)",
            )
        recorded = results.settings.get("options")
        for name, value in (recorded if isinstance(recorded, dict) else {}).items():
            if name in fixed:
                setattr(args, name, tuple(value) if isinstance(value, list) else value)
        return settings, Resumed(results, done)
    settings = SweepSettings(
        memory_sizes=args.memory, models=args.models, concurrencies=args.concurrency,
        parallelism=args.parallelism, parallel=args.parallel, dataset=arguments.dataset(args),
        cold_starts=args.cold_starts,
        target_ci=args.ci_target / 100, balanced_weight=args.balanced_weight,
        trim=DEFAULT_TRIM if args.trim is None else args.trim, **_invocations(args), **extra,
    )  # fmt: skip
    return settings, Resumed()


def _resumed_folder(directory: Path) -> Path:
    """The folder whose sweep --resume reads the settings of: `directory`, or in a run of
    two architectures the first of its sweeps left partial."""
    from concurrency_eval.results.document import Results, ResultsError

    variants = architecture_folders(directory)
    for folder in variants.values():
        if Results.read(folder / RESULTS).partial:
            return folder
    if variants:
        raise ResultsError(
            f"{directory} holds a finished run of two architectures; there is nothing to resume"
        )
    return directory


def resumed_architectures(args: argparse.Namespace) -> "dict[str, Resumed]":
    """Each architecture's sweep in the run --resume continues (none without --resume):
    a partial one with the groups it finished, a finished one whole (not swept again)."""
    from concurrency_eval.results.document import Results
    from concurrency_eval.sweep.flow import Resumed
    from concurrency_eval.sweep.runner import resumed_from

    if args.resume is None:
        return {}
    found = {}
    for name, folder in architecture_folders(Path(args.resume)).items():
        results = Results.read(folder / RESULTS)
        if results.partial:
            results, _, done = resumed_from(results, folder, results.kind)
            found[name] = Resumed(results, done)
        else:
            found[name] = Resumed(results)
    return found


def _given(args: argparse.Namespace, name: str) -> bool:
    """Whether the command line set `name` to other than its default."""
    parser: argparse.ArgumentParser = args.parser
    return hasattr(args, name) and getattr(args, name) != parser.get_default(name)


def _flag(args: argparse.Namespace) -> Any:
    """The option (or options, as --cpu-limit/--no-cpu-limit) that set a name."""
    options: dict[str, list[str]] = {}
    for action in args.parser._actions:
        if action.option_strings:
            options.setdefault(action.dest, []).append(action.option_strings[0])
    return lambda name: "/".join(options.get(name, [name]))


def _invocations(args: argparse.Namespace) -> dict[str, Any]:
    """A fixed count (--invocations), or the first and most while sampling until clear."""
    if args.invocations is not None:
        if args.min_invocations is not None or args.max_invocations is not None:
            arguments.refuse(
                args, "--invocations fixes the count; drop --min-invocations and --max-invocations, or it"
            )
        return {"invocations": args.invocations, "max_invocations": None}
    first, most = args.invocation_defaults
    first = first if args.min_invocations is None else args.min_invocations
    most = max(most, first) if args.max_invocations is None else args.max_invocations
    if most < first:
        arguments.refuse(
            args, f"--max-invocations {most} is below the {first} invocations every point gets first"
        )
    return {"invocations": first, "max_invocations": most}


def prices(
    args: argparse.Namespace, region: str | None, err: Console, resumed: "Resumed | None" = None
) -> "Prices":
    """The region's published prices, or --prices, or those a resumed sweep recorded; a
    region the table lacks is said out loud."""
    from concurrency_eval.results.pricing import Prices, prices_for

    if resumed is not None and resumed.results is not None:
        try:
            return Prices.from_dict(resumed.results.settings["prices"])
        except (KeyError, TypeError, ValueError) as error:
            arguments.refuse(args, f"--resume: the results hold no prices to go on with ({error})")
    if args.prices is not None:
        try:
            return Prices.load(args.prices)
        except ValueError as error:
            arguments.refuse(args, f"--prices: {error}")
    table, warning = prices_for(region)
    if warning:
        console.warning(err, warning)
    return table


def results_root(cwd: Path | None = None) -> Path:
    """Where results go by default: the checkout's results/ when run anywhere inside
    it (not docs/results from docs/), else results/ in the current folder."""
    here = (Path.cwd() if cwd is None else cwd).resolve()
    if (ROOT / "pyproject.toml").exists() and (here == ROOT or ROOT in here.parents):
        return ROOT / "results"
    return here / "results"


def output_dir(args: argparse.Namespace, kind: str) -> Path:
    """Where results go, checked before any work starts: a folder, or a path to make one at."""
    if args.resume is not None:
        directory = Path(args.resume)
    elif args.output is not None:
        directory = Path(args.output)
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        directory = results_root() / f"{kind}-{stamp}"
    arguments.check_writable_folder(args, directory, "--resume" if args.resume is not None else "--output")
    return directory
