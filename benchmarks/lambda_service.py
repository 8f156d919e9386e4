"""The local Lambda service's fidelity and overhead, measured side by side in one run.

1. CPU share: a fixed CPU-bound invocation at 128, 512 and 1024 MB against 1769 MB
   (one vCPU), as Lambda's own reported Duration; target within +-10% of 1769/M.
2. Overhead: the round trip of a warm invocation of a trivial handler through boto3's
   lambda client, p50 and p99 (goal: p50 at most 5 ms), for each transport of the
   runtime client.
3. Init Duration of each real function from its bundle, with the shipped bytecode and
   with it removed (the ratio shows what shipping bytecode saves at every cold start).
4. Ending: the service's stop with 1, 8 and 32 idle environments (their closes run side
   by side, so the time barely grows with their number; one after another, each added
   up to half a second).

Rounds are interleaved and medians taken: the machine is shared and noisy.
Usage: scripts/uv run python benchmarks/lambda_service.py [--rounds N]
"""

import argparse
import json
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bundling.build import Builder, Target, find_python
from concurrency_eval.emulators.lambda_service.functions import Code, Configuration
from concurrency_eval.emulators.lambda_service.server import FunctionSpec, LocalLambda, ServiceSpec
from contracts.bundles import RUNTIME
from contracts.function import FUNCTION_ENVIRONMENT, HANDLER
from contracts.lambda_limits import MB_PER_VCPU
from contracts.lambda_logs import decode_tail, parse_report

ROOT = Path(__file__).resolve().parent.parent
SPIN = """
def handler(event, context):
    total = 0
    for number in range(event["loops"]):
        total += number * number
    return total
"""
TRIVIAL = "def handler(event, context):\n    return event\n"


def client(endpoint: str) -> Any:
    return boto3.client(
        "lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local", config=Config(retries={"total_max_attempts": 1}, read_timeout=900),
    )  # fmt: skip


def invoke(lambda_client: Any, name: str, event: object) -> Any:
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    response["Payload"].read()
    return parse_report(decode_tail(response["LogResult"]))


def configure(lambda_client: Any, name: str, **changes: Any) -> None:
    lambda_client.update_function_configuration(FunctionName=name, **changes)
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})


def spec(functions: list[FunctionSpec], runtime: Path, pure: bool = False) -> ServiceSpec:
    return ServiceSpec(
        functions=tuple(functions), python=find_python("3.13"), runtime_dir=runtime, pure_python_client=pure,
        update_seconds=0.1,
    )  # fmt: skip


def cpu_share(runtime: Path, work: Path, rounds: int, loops: int) -> None:
    code = work / "spin"
    code.mkdir()
    (code / "handler.py").write_text(SPIN)
    function = FunctionSpec("spin", Code(code, ()), Configuration(memory_mb=1769, timeout_s=900))
    sizes = (1769, 1024, 512, 128)
    durations: dict[int, list[float]] = {size: [] for size in sizes}
    with LocalLambda(spec([function], runtime)) as service:
        lambda_client = client(service.endpoint)
        print(f"1. CPU share ({service.cpu_limit}), {loops:,} loop iterations, {rounds} rounds, median")
        for _ in range(rounds):
            for size in sizes:
                configure(lambda_client, "spin", MemorySize=size)
                invoke(lambda_client, "spin", {"loops": 1000})
                durations[size].append(invoke(lambda_client, "spin", {"loops": loops}).duration_ms)
    base = statistics.median(durations[1769])
    print(f"   {'memory MB':>9} {'duration ms':>12} {'vs 1769':>8} {'expected':>9} {'error':>7}")
    for size in sizes:
        median = statistics.median(durations[size])
        expected = MB_PER_VCPU / size if size < MB_PER_VCPU else 1.0
        ratio = median / base
        print(f"   {size:>9} {median:>12.0f} {ratio:>7.2f}x {expected:>8.2f}x {ratio / expected - 1:>+7.1%}")


def overhead(runtime: Path, work: Path, count: int) -> None:
    code = work / "trivial"
    code.mkdir()
    (code / "handler.py").write_text(TRIVIAL)
    function = FunctionSpec("trivial", Code(code, ()), Configuration(memory_mb=1769, timeout_s=10))
    print(f"2. warm round trip of a trivial handler through boto3, {count} invocations")
    for pure in (False, True):
        with LocalLambda(spec([function], runtime, pure)) as service:
            lambda_client = client(service.endpoint)
            for _ in range(20):
                lambda_client.invoke(FunctionName="trivial", Payload=b"{}")["Payload"].read()
            times = []
            for _ in range(count):
                started = time.perf_counter()
                lambda_client.invoke(FunctionName="trivial", Payload=b"{}")["Payload"].read()
                times.append((time.perf_counter() - started) * 1000)
        quantiles = statistics.quantiles(times, n=100, method="inclusive")
        transport = "pure-Python client" if pure else "C extension client"
        print(f"   {transport:<20} p50 {quantiles[49]:.2f} ms   p99 {quantiles[98]:.2f} ms")


def init_durations(runtime: Path, work: Path, rounds: int) -> None:
    builder = Builder(ROOT, Target.host(), progress=lambda _: None)
    bundles = builder.build_all(("pypi", "framework", "sync", "threaded", "asyncio"))
    stripped = {}
    for name, bundle in bundles.items():
        copy = work / f"stripped-{name}"
        shutil.copytree(bundle.path, copy)
        for cache in copy.rglob("__pycache__"):
            shutil.rmtree(cache)
        stripped[name] = copy
    functions = []
    for model in ("sync", "threaded", "asyncio"):
        for label, paths in (("compiled", {k: v.path for k, v in bundles.items()}), ("source", stripped)):
            functions.append(
                FunctionSpec(
                    f"{model}-{label}",
                    Code(paths[model], (paths["pypi"], paths["framework"]), HANDLER),
                    Configuration(memory_mb=1769, timeout_s=60, environment=dict(FUNCTION_ENVIRONMENT)),
                )
            )
    inits: dict[str, list[float]] = {f.name: [] for f in functions}
    with LocalLambda(spec(functions, runtime)) as service:
        lambda_client = client(service.endpoint)
        for round_number in range(rounds):
            for function in functions:
                configure(
                    lambda_client, function.name, Environment={"Variables": {"ROUND": str(round_number)}}
                )
                report = invoke(lambda_client, function.name, {"s3_bucket_name": "none", "folder": "x/"})
                inits[function.name].append(report.init_ms or 0.0)
    print(f"3. Init Duration at 1769 MB from the real bundles, {rounds} cold starts each, median")
    print(f"   {'function':<9} {'bytecode':>9} {'source':>8} {'ratio':>6}")
    for model in ("sync", "threaded", "asyncio"):
        compiled = statistics.median(inits[f"{model}-compiled"])
        source = statistics.median(inits[f"{model}-source"])
        print(f"   {model:<9} {compiled:>7.0f}ms {source:>6.0f}ms {compiled / source:>6.2f}")


def burst(lambda_client: Any, name: str, count: int) -> None:
    """`count` invocations at once: each in an environment of its own."""
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda _: invoke(lambda_client, name, {}), range(count)))


def stopping(runtime: Path, work: Path, rounds: int) -> None:
    code = work / "idle"
    code.mkdir()
    (code / "handler.py").write_text("import time\ndef handler(event, context):\n    time.sleep(0.3)\n")
    function = FunctionSpec("idle", Code(code, ()), Configuration(memory_mb=128, timeout_s=10))
    counts = (1, 8, 32)
    seconds: dict[int, list[float]] = {count: [] for count in counts}
    for _ in range(rounds):
        for count in counts:
            service = LocalLambda(spec([function], runtime)).start()
            try:
                burst(client(service.endpoint), "idle", count)
            finally:
                started = time.perf_counter()
                service.stop()
                seconds[count].append(time.perf_counter() - started)
    print(f"4. the service's stop with idle environments, {rounds} rounds, median")
    one = statistics.median(seconds[1])
    for count in counts:
        median = statistics.median(seconds[count])
        print(f"   {count:>3} environments {median:>6.2f} s {median / one:>6.2f}x one's")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loops", type=int, default=3_000_000, help="CPU-bound loop iterations")
    parser.add_argument("--invocations", type=int, default=300, help="for the round trip")
    args = parser.parse_args()
    runtime = Builder(ROOT, Target.host(), progress=lambda _: None).build(RUNTIME).path
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cpu_share(runtime, work, args.rounds, args.loops)
        overhead(runtime, work, args.invocations)
        init_durations(runtime, work, args.rounds)
        stopping(runtime, work, args.rounds)


if __name__ == "__main__":
    main()
