"""A whole sweep, from settings to written results, on either backend.

On AWS: find the stack, read the functions' configurations, make sure the data set is
in the bucket (asking before seeding it), plan and price the sweep, refuse a plan over
the budget, ask before starting, then run it. Locally: start the stand-ins and run it.
Both write results after every group and restore every function, whatever happens.
The questions go to an `Interaction`, so that the command line decides how to ask.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from concurrency_eval.backends.aws import DeployedStack, discover, discover_every_variant, discover_variants
from concurrency_eval.backends.local import LocalDeployment
from concurrency_eval.backends.local import Progress as StartProgress
from concurrency_eval.backends.local_options import LocalOptions
from concurrency_eval.backends.under_test import INVOKE_CONFIG, FunctionsUnderTest
from concurrency_eval.results.document import AWS, LOCAL, Results
from concurrency_eval.results.pricing import Prices
from concurrency_eval.sweep.engine import GroupKey, Observer, Sweep
from concurrency_eval.sweep.plan import Plan, check_budget, combined, plan
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
    variant = _Variant.of(session, deployed, settings, prices, resumed)
    ensure_data_set(session.client("s3"), deployed.data_bucket, settings, progress)
    progress.show(f"plan: {variant.plan.describe()}")
    check_budget(variant.plan, budget_usd)
    if not progress.confirm("start the sweep?"):
        raise Declined("the sweep was not started")
    results = variant.new_results(session, settings, prices, budget_usd, options or {})
    return variant.run(settings, prices, progress, results, output, budget_usd)


def sweep_architectures_on_aws(
    session: Any,
    stack: str,
    architectures: tuple[str, ...],
    settings: SweepSettings,
    prices: Prices,
    output: Path,
    progress: Interaction,
    *,
    budget_usd: float | None = None,
    resumed: Mapping[str, Resumed] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Results]:
    """Sweep each architecture's variant of the functions of `stack`, which deploys them
    for both, one after the other, into `output`/<architecture>; each priced at its own
    rate. One plan, one budget and one question cover both. A variant whose resumed
    sweep had finished is not swept again. Raises as `sweep_on_aws` does."""
    resumed = resumed or {}
    deployed = discover_variants(session.client("cloudformation"), stack, settings.models, architectures)
    variants = {
        architecture: _Variant.of(
            session, deployed[architecture], settings, prices, resumed.get(architecture, Resumed())
        )
        for architecture in architectures
    }
    ensure_data_set(
        session.client("s3"), next(iter(variants.values())).deployed.data_bucket, settings, progress
    )
    to_sweep = [a for a, variant in variants.items() if not variant.finished]
    for architecture in to_sweep:
        progress.show(f"plan for {architecture}: {variants[architecture].plan.describe()}")
    check_budget(combined([variants[a].plan for a in to_sweep]), budget_usd)
    if to_sweep and not progress.confirm(f"start the sweeps of {' and '.join(to_sweep)}?"):
        raise Declined("the sweeps were not started")
    # Every variant's results file is there from the start, so that --resume finds the run whole.
    results = {
        architecture: variant.new_results(
            session, settings, prices, budget_usd, (options or {}) | {"architecture": architecture}
        )
        for architecture, variant in variants.items()
    }
    for architecture in to_sweep:
        results[architecture].write(output / architecture)
    for architecture in to_sweep:
        # What the other variants spent, and may still spend of what they commit to, is not
        # this one's to spend.
        others = [a for a in variants if a != architecture]
        limit = None if budget_usd is None else budget_usd - sum(
            results[a].cost_usd + (variants[a].plan.cost_worst_usd if variants[a].pending else 0.0)
            for a in others
        )  # fmt: skip
        progress.note(f"sweeping the {architecture} functions")
        variants[architecture].run(
            settings, prices, progress, results[architecture], output / architecture, limit
        )
    return results


@dataclass
class _Variant:
    """One variant of the deployed functions, ready to sweep: its functions, their
    configurations before the sweep, what is left to run of it, and its plan."""

    deployed: DeployedStack
    under_test: FunctionsUnderTest
    originals: dict[str, dict[str, Any]]
    resumed: Resumed
    plan: Plan
    #: Not yet swept in this run.
    pending: bool = True

    @classmethod
    def of(
        cls,
        session: Any,
        deployed: DeployedStack,
        settings: SweepSettings,
        prices: Prices,
        resumed: Resumed,
    ) -> "_Variant":
        under_test = FunctionsUnderTest(
            session.client("lambda", config=INVOKE_CONFIG), deployed.functions, deployed.data_bucket
        )
        originals = under_test.configurations()
        return cls(deployed, under_test, originals, resumed, plan(settings, originals, prices, resumed.done))

    @property
    def finished(self) -> bool:
        """A resumed sweep of this variant that had ended: nothing is left to run."""
        return self.resumed.results is not None and not self.resumed.results.partial

    def new_results(
        self,
        session: Any,
        settings: SweepSettings,
        prices: Prices,
        budget_usd: float | None,
        options: dict[str, Any],
    ) -> Results:
        if self.resumed.results is not None:
            return self.resumed.results
        configurations = {
            model: {key: original.get(key) for key in RECORDED_CONFIGURATION}
            for model, original in self.originals.items()
        }
        return new_results(
            AWS, settings, prices, {"region": session.region_name, "functions": configurations},
            event=settings.event(self.deployed.data_bucket, "threaded", settings.concurrencies[0]),
            stack=self.deployed.stack, budget_usd=budget_usd, options=options,
        )  # fmt: skip

    def run(
        self,
        settings: SweepSettings,
        prices: Prices,
        progress: Interaction,
        results: Results,
        output: Path,
        budget_usd: float | None,
    ) -> Results:
        sweep = Sweep(self.under_test, settings, prices, progress, budget_usd=budget_usd)
        try:
            return run_sweep(sweep, self.originals, results, output, self.resumed.done)
        finally:
            self.pending = False


def clean_up_on_aws(
    session: Any, stack: str, models: tuple[str, ...], architecture: str | None = None
) -> CleanedUp:
    """Remove what killed sweeps left on the deployed functions of `stack`, of
    `architecture`'s variant or else of every variant (never the stack's own alias or the
    version it names), and put back a $LATEST left changed. Raises StackNotFound, and
    botocore's errors when AWS fails."""
    cloudformation = session.client("cloudformation")
    variants = (
        discover_every_variant(cloudformation, stack, models)
        if architecture is None
        else [discover(cloudformation, stack, models, architecture)]
    )
    functions = {
        f"{model} {index}": name
        for index, deployed in enumerate(variants)
        for model, name in deployed.functions.items()
    }
    return clean_up(session.client("lambda", config=INVOKE_CONFIG), functions, ALIAS)


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
