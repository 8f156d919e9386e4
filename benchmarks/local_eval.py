"""The local evaluation's headline figures: warm duration per model and memory size,
as Lambda's report gives it on the local Lambda service, and each model against sync
at the same size, measured in one run.

Usage: scripts/uv run python benchmarks/local_eval.py [--objects N] [--memory MB,MB]
"""

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from concurrency_eval.backends.local import LocalDeployment
from concurrency_eval.backends.local_options import LocalOptions
from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.sweep.engine import Sweep, Unobserved
from concurrency_eval.sweep.settings import SweepSettings
from concurrency_eval.workload.dataset import DataSetSpec

if TYPE_CHECKING:
    from concurrency_eval.results.document import ModelRun

ROOT = Path(__file__).resolve().parent.parent


class Quiet(Unobserved):
    def step(self, message: str, total: int | None = None) -> None:
        print(f"  {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=150)
    parser.add_argument("--memory", default="256,1024,1769")
    parser.add_argument("--invocations", type=int, default=5)
    args = parser.parse_args()
    settings = SweepSettings(
        memory_sizes=tuple(int(m) for m in args.memory.split(",")),
        invocations=args.invocations,
        dataset=DataSetSpec(objects=args.objects),
    )
    runs: list[ModelRun] = []
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalDeployment(ROOT, LocalOptions(), settings.dataset, settings.models, Path(logs)) as local,
    ):
        sweep = Sweep(local.functions_under_test(), settings, DEFAULT_PRICES, Quiet(), local.meter())
        sweep.run(sweep.configurations(), runs.append)
        cpu_limit = local.service.cpu_limit if local.service else "?"
    medians = {
        (run.model, run.memory_mb): statistics.median(i.duration_ms for i in run.warm() if i.duration_ms)
        for run in runs
    }
    print(f"{args.objects} objects, {args.invocations} warm invocations per point (median)")
    print(f"CPU limit: {cpu_limit}")
    print(f"{'memory MB':>9} " + " ".join(f"{m:>18}" for m in settings.models))
    for memory in settings.memory_sizes:
        sync = medians.get(("sync", memory))
        cells = []
        for model in settings.models:
            value = medians[(model, memory)]
            ratio = f" ({value / sync:.2f}x)" if sync else ""
            cells.append(f"{value:>8.0f} ms{ratio:>8}")
        print(f"{memory:>9} " + " ".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
