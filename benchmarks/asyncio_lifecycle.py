"""How long the asyncio model's loop and client should live: measured, not assumed.

Compares, in one run and interleaved so machine noise hits both alike:

- kept:  one event loop and one aiobotocore client per execution environment, reused
         by every warm invocation (what the asyncio handler does);
- fresh: a new loop and a new client per invocation, closed at its end (what
         `asyncio.run` with `async with session.create_client(...)` per call gives).

It runs against the embedded S3 on loopback with injected latency. Loopback has no
TLS, so the gap it shows is a floor: on real S3 each new connection also pays a TLS
handshake. Usage: uv run python benchmarks/asyncio_lifecycle.py [--objects N] ...
"""

import argparse
import importlib.util
import os
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config

from concurrency_eval.emulators.embedded_s3.faults import Faults
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from s3fanout.aio import AsyncEnvironment, async_handler
from s3fanout.models import Model

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "lifecycle-bench"


class _Context:
    """Lambda's context object, as the runtime gives it, with fifteen minutes left."""

    function_name, function_version, memory_limit_in_mb = "benchmark", "$LATEST", 1769
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:benchmark"
    aws_request_id, log_group_name, log_stream_name = "benchmark", "/aws/lambda/benchmark", "benchmark"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


CONTEXT: Any = _Context()


def load_asyncio_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("asyncio_handler", ROOT / "lambdas/asyncio/handler.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed(endpoint: str, objects: int) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=16))
    client.create_bucket(Bucket=BUCKET)
    rng = random.Random(1)
    bodies = {f"data/{i:05d}": rng.randbytes(rng.randint(1000, 10_000)) for i in range(objects)}
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(lambda item: client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1]), bodies.items())
        )


def main() -> None:
    args = _arguments()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        # Keep the per-invocation log line and EMF document out of the report.
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    event = {"s3_bucket_name": BUCKET, "folder": "data/", "find": "absent", "concurrency": args.concurrency}
    with EmbeddedS3() as server:
        os.environ["AWS_ENDPOINT_URL_S3"] = server.endpoint
        print(f"seeding {args.objects} objects ...", flush=True)
        seed(server.endpoint, args.objects)
        server.set_faults(Faults(latency_ms=args.latency_ms))
        timings, cpu = _measure(event, args.rounds)
    _report(args, timings, cpu)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--objects", type=int, default=200, help="objects per invocation (default: %(default)s)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="requests in flight (default: %(default)s)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=20.0, help="injected S3 latency (default: %(default)s)"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="warm invocations of each (default: %(default)s)"
    )
    return parser.parse_args()


def _measure(event: dict[str, object], rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and function CPU seconds of each warm invocation, kept and fresh interleaved."""
    strategy = load_asyncio_handler().fetch_with_tasks
    kept_environment = AsyncEnvironment()
    kept = async_handler(Model.ASYNCIO, strategy, kept_environment)
    kept(event, CONTEXT)  # the cold invocation, not counted

    def fresh(event: object) -> None:
        environment = AsyncEnvironment()
        try:
            async_handler(Model.ASYNCIO, strategy, environment)(event, CONTEXT)
        finally:
            environment.close()

    timings: dict[str, list[float]] = {"kept": [], "fresh": []}
    cpu: dict[str, list[float]] = {"kept": [], "fresh": []}
    for round_ in range(rounds):
        for name, run in (("kept", lambda: kept(event, CONTEXT)), ("fresh", lambda: fresh(event)))[
            :: 1 if round_ % 2 else -1
        ]:
            started, cpu_started = time.perf_counter(), time.process_time()
            run()
            timings[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
        print(f"round {round_ + 1}/{rounds}", end="\r", flush=True)
    kept_environment.close()
    return timings, cpu


def _report(args: argparse.Namespace, timings: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    print(
        f"\n{args.objects} objects, concurrency {args.concurrency}, "
        f"{args.latency_ms:g} ms latency, {args.rounds} warm invocations each"
    )
    print(f"{'lifecycle':<10}{'wall median ms':>16}{'min':>8}{'max':>8}{'function CPU median ms':>24}")
    for name, values in timings.items():
        print(
            f"{name:<10}{statistics.median(values) * 1000:>16.1f}{min(values) * 1000:>8.1f}"
            f"{max(values) * 1000:>8.1f}{statistics.median(cpu[name]) * 1000:>24.1f}"
        )
    for label, series in (("wall", timings), ("function CPU", cpu)):
        ratio = statistics.median(series["kept"]) / statistics.median(series["fresh"])
        print(f"kept / fresh, {label} (median): {ratio:.2f}")
    # The function's CPU matters most on Lambda: at 128 MB it gets about 1/14 of a vCPU.


if __name__ == "__main__":
    main()
