"""A whole sweep, from settings to written results, on either backend.

On AWS: find the stack, read the functions' configurations, make sure the data set is
in the bucket (asking before seeding it), plan and price the sweep, refuse a plan over
the budget, ask before starting, then run it. Locally: start the stand-ins and run it.
Both write results after every group and restore every function, whatever happens.
The questions go to an `Interaction`, so that the command line decides how to ask.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from concurrency_eval.backends.aws import discover
from concurrency_eval.backends.local import LocalDeployment, LocalOptions
from concurrency_eval.backends.local import Progress as StartProgress
from concurrency_eval.backends.under_test import INVOKE_CONFIG, FunctionsUnderTest
from concurrency_eval.results.document import AWS, LOCAL, Results
from concurrency_eval.results.pricing import Prices
from concurrency_eval.sweep.engine import GroupKey, Observer, Sweep
from concurrency_eval.sweep.plan import check_budget, plan
from concurrency_eval.sweep.runner import new_results, run_sweep
from concurrency_eval.sweep.settings import SweepSettings
from concurrency_eval.sweep.versions import CleanedUp, clean_up
from concurrency_eval.workload.dataset import missing_objects, seed
from contracts.function import ALIAS

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


class Declined(Exception):
    """The user said no, or could not be asked; the message says what to do instead."""


class DataSetMissing(Declined):
    """The data set is not in the bucket, and was not seeded."""


class Interaction(Observer, StartProgress, Protocol):
    """Progress, and the questions a sweep on AWS asks before it spends money."""

    def confirm(self, question: str) -> bool: ...

    def show(self, message: str) -> None:
        """Something the user should read before answering, such as the plan."""


@dataclass(frozen=True)
class Resumed:
    """A partial sweep to continue: its results so far and the groups it finished."""

    results: Results | None = None
    done: frozenset[GroupKey] = frozenset()


def sweep_locally(
    root: Path,
    settings: SweepSettings,
    options: LocalOptions,
    prices: Prices,
    output: Path,
    progress: Interaction,
    resumed: Resumed = Resumed(),
    recorded: dict[str, Any] | None = None,
) -> Results:
    """Start the embedded S3 and the local Lambda service, and sweep the functions there.
    `recorded` are the command's options, kept so that --resume runs under them again."""
    with LocalDeployment(
        root, options, settings.dataset, settings.models, output / "logs", progress
    ) as local:
        under_test = local.functions_under_test()
        sweep = Sweep(under_test, settings, prices, progress, local.meter())
        originals = sweep.configurations()
        results = resumed.results or new_results(
            LOCAL, settings, prices, local.describe(),
            event=settings.event(under_test.data_bucket, "threaded", settings.concurrencies[0]),
            s3={"profile": options.latency().profile, "latency": options.latency().to_dict(),
                "latency_ms": options.latency_ms, "jitter_ms": options.jitter_ms,
                "protocol": "https" if options.tls else "http",
                "faults": options.faults(settings.dataset.seed).to_dict()},
            functions={"timeout_s": options.timeout_s, "log_format": options.log_format},
            options=recorded or {},
        )  # fmt: skip
        return run_sweep(sweep, originals, results, output, resumed.done)


def sweep_on_aws(
    session: Any,
    stack: str,
    settings: SweepSettings,
    prices: Prices,
    output: Path,
    progress: Interaction,
    *,
    budget_usd: float | None = None,
    resumed: Resumed = Resumed(),
    options: dict[str, Any] | None = None,
    architecture: str | None = None,
) -> Results:
    """Sweep the deployed functions of `stack`. Raises Declined when the user says no,
    OverBudget over the budget, StackNotFound or ConfigurationError when the deployment
    is not as it should be, and botocore's errors when AWS fails."""
    deployed = discover(session.client("cloudformation"), stack, settings.models, architecture)
    under_test = FunctionsUnderTest(
        session.client("lambda", config=INVOKE_CONFIG), deployed.functions, deployed.data_bucket
    )
    sweep = Sweep(under_test, settings, prices, progress, budget_usd=budget_usd)
    originals = sweep.configurations()
    ensure_data_set(session.client("s3"), deployed.data_bucket, settings, progress)
    the_plan = plan(settings, originals, prices, resumed.done)
    progress.show(f"plan: {the_plan.describe()}")
    check_budget(the_plan, budget_usd)
    if not progress.confirm("start the sweep?"):
        raise Declined("the sweep was not started")
    configurations = {
        model: {key: original.get(key) for key in RECORDED_CONFIGURATION}
        for model, original in originals.items()
    }
    results = resumed.results or new_results(
        AWS, settings, prices, {"region": session.region_name, "functions": configurations},
        event=settings.event(deployed.data_bucket, "threaded", settings.concurrencies[0]),
        stack=deployed.stack, budget_usd=budget_usd, options=options or {},
    )  # fmt: skip
    return run_sweep(sweep, originals, results, output, resumed.done)


def clean_up_on_aws(
    session: Any, stack: str, models: tuple[str, ...], architecture: str | None = None
) -> CleanedUp:
    """Remove what killed sweeps left on the deployed functions of `stack` (never the
    stack's own alias or the version it names), and put back a $LATEST left changed.
    Raises StackNotFound, and botocore's errors when AWS fails."""
    deployed = discover(session.client("cloudformation"), stack, models, architecture)
    return clean_up(session.client("lambda", config=INVOKE_CONFIG), deployed.functions, ALIAS)


def ensure_data_set(s3: Any, bucket: str, settings: SweepSettings, progress: Interaction) -> None:
    """The data set in the bucket, seeded where objects are missing if the user agrees."""
    spec = settings.dataset
    missing = missing_objects(s3, bucket, spec)
    if not missing:
        return
    where = f"s3://{bucket}/{spec.folder}"
    if not progress.confirm(f"{missing} of {spec.objects} objects are missing in {where}; seed them now?"):
        raise DataSetMissing(
            f"seed it with: concurrency-eval seed --bucket {bucket} --objects {spec.objects}"
        )
    progress.phase(f"seeding {spec.describe_size()}", total=spec.objects)
    seed(s3, bucket, spec, on_object=progress.advance)
