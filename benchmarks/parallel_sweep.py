"""A sweep's wall time one group at a time against groups at once, and what that means on AWS.

1. On the local Lambda service, the same sweep (three sizes, three models, a fixed count
   of warm invocations) with `--parallel 1` and `--parallel 4`, in interleaved rounds.
   The CPU limit is off (`--no-cpu-limit`): with it, two cores would be the limit of
   groups at once, not the sweep.
2. With the CPU limit on, each model's cold and warm Duration (Lambda's report) at AWS
   Lambda Power Tuning's six default sizes; from them, the time the invocations alone
   of a sweep of those sizes, 10 warm invocations each, three models, take on AWS one
   group after another (as `run` did) and with `--parallel 10` (`run`'s default: groups
   in plan order on ten slots, each group's invocations one after another). Updates
   and publishing (a few seconds per size on AWS, the same few in both) are left out.

Usage: scripts/uv run python benchmarks/parallel_sweep.py [--objects N] [--rounds N]
"""

import argparse
import heapq
import statistics
import tempfile
import time
from pathlib import Path

from concurrency_eval.backends.local import LocalDeployment
from concurrency_eval.backends.local_options import LocalOptions
from concurrency_eval.commands.run import PARALLEL
from concurrency_eval.results.document import ModelRun
from concurrency_eval.results.pricing import DEFAULT_PRICES
from concurrency_eval.sweep.engine import Sweep, Unobserved
from concurrency_eval.sweep.settings import SweepSettings
from concurrency_eval.workload.dataset import DataSetSpec

ROOT = Path(__file__).resolve().parent.parent
#: AWS Lambda Power Tuning's default `powerValues`.
POWER_TUNING_SIZES = (128, 256, 512, 1024, 1536, 3008)
POWER_TUNING_INVOCATIONS = 10


class Timed(Unobserved):
    """Prints the sweep's phases, and notes when it began measuring."""

    def __init__(self) -> None:
        self.measuring_since: float | None = None

    def step(self, message: str, total: int | None = None) -> None:
        # Every phase after publishing measures: one per group, or one for groups at once.
        if self.measuring_since is None and "publishing" not in message:
            self.measuring_since = time.perf_counter()
        print(f"    {message}", flush=True)


def sweep(local: LocalDeployment, settings: SweepSettings) -> tuple[float, float, list[ModelRun]]:
    """One sweep: its wall time, the part spent measuring, and its groups."""
    runs: list[ModelRun] = []
    observer = Timed()
    engine = Sweep(local.functions_under_test(), settings, DEFAULT_PRICES, observer)
    started = time.perf_counter()
    engine.run(engine.configurations(), runs.append)
    ended = time.perf_counter()
    assert all(i.correct for run in runs for i in run.invocations), "an invocation answered wrong"
    return ended - started, ended - (observer.measuring_since or started), runs


def wall_times(objects: int, rounds: int, invocations: int) -> None:
    dataset = DataSetSpec(objects=objects)
    serial = SweepSettings(memory_sizes=(256, 1024, 1769), invocations=invocations, dataset=dataset)
    parallel = SweepSettings(
        memory_sizes=(256, 1024, 1769), invocations=invocations, dataset=dataset, parallel=4
    )
    took: dict[int, list[tuple[float, float]]] = {1: [], 4: []}
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalDeployment(ROOT, LocalOptions(cpu_limit="none"), dataset, serial.models, Path(logs)) as local,
    ):
        for round_number in range(rounds):
            for settings in (serial, parallel):
                print(f"  round {round_number + 1}, --parallel {settings.parallel}", flush=True)
                wall, measuring, _ = sweep(local, settings)
                took[settings.parallel].append((wall, measuring))
    print(
        f"\n1. local sweep wall time, 3 sizes x 3 models x (1 cold + {invocations} warm), {objects} objects, "
        f"CPU limit off, median of {rounds} interleaved rounds:"
    )
    for parallel_n, times in took.items():
        wall = statistics.median(t[0] for t in times)
        measuring = statistics.median(t[1] for t in times)
        print(f"   --parallel {parallel_n}: {wall:6.1f} s ({measuring:5.1f} s measuring)")
    serial_wall = statistics.median(t[0] for t in took[1])
    parallel_wall = statistics.median(t[0] for t in took[4])
    print(f"   --parallel 4 / --parallel 1: {parallel_wall / serial_wall:.2f}")


def aws_expectation(objects: int, invocations: int) -> None:
    dataset = DataSetSpec(objects=objects)
    settings = SweepSettings(memory_sizes=POWER_TUNING_SIZES, invocations=invocations, dataset=dataset)
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalDeployment(ROOT, LocalOptions(), dataset, settings.models, Path(logs)) as local,
    ):
        print(f"  durations at {', '.join(map(str, POWER_TUNING_SIZES))} MB, CPU limit on", flush=True)
        _, _, runs = sweep(local, settings)
    # A group on AWS: its cold invocation, then Power Tuning's ten warm ones.
    groups: list[float] = []
    print(f"\n2. Lambda's Duration per model and size, {objects} objects (cold; median warm):")
    for run in runs:
        cold = [i.duration_ms or 0.0 for i in run.invocations if i.kind == "cold"]
        warm = statistics.median(i.duration_ms or 0.0 for i in run.invocations if i.kind == "warm")
        print(f"   {run.model:>8} {run.memory_mb:>5} MB: {cold[0] / 1000:6.2f} s; {warm / 1000:6.2f} s")
        groups.append((cold[0] + POWER_TUNING_INVOCATIONS * warm) / 1000)
    slots = PARALLEL[0]
    serial, parallel = sum(groups), makespan(groups, slots)
    print(
        f"\n   expected on AWS, invocations alone, {len(POWER_TUNING_SIZES)} sizes x "
        f"{POWER_TUNING_INVOCATIONS} warm invocations x 3 models:\n"
        f"   one group after another: {serial / 60:5.1f} min\n"
        f"   --parallel {slots}: {parallel / 60:5.1f} min ({parallel / serial:.2f} of it; the longest group "
        f"alone takes {max(groups) / 60:.1f} min)"
    )


def makespan(groups: list[float], slots: int) -> float:
    """When the last group ends, groups taken in order by the first free slot."""
    free = [0.0] * slots
    for seconds in groups:
        heapq.heappush(free, heapq.heappop(free) + seconds)
    return max(free)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--invocations", type=int, default=5, help="warm invocations per group locally")
    args = parser.parse_args()
    wall_times(args.objects, args.rounds, args.invocations)
    aws_expectation(args.objects, 3)


if __name__ == "__main__":
    main()
