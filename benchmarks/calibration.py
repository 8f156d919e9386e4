"""The local Lambda service against published measurements of Python on AWS Lambda.

Each measurement below is repeated on the local service, with the publication's own
handler code, and printed as `local / published` (goal: within 0.75-1.33). All S3
requests go to the embedded S3 over HTTPS with S3 Standard's latency model.

1. AWS Prescriptive Guidance, "Run parallel reads of S3 objects by using Python in an
   AWS Lambda function" (code: github.com/aws-samples/aws-lambda-parallel-download
   v1.2.0, 2025-01-02, resources/parallel.py): python3.13 arm64 at 2,304 MB, 30 threads
   sharing one client read one 8.3 KB JSON object (sample.json, compact: 8,472 bytes)
   `repeat` times. Published (December 2024): 1,000 reads in 2.3 s, 10,000 in 27 s, timed
   by the handler around its executor.map loop (REPORT Duration shown too). Compared
   as it is whatever this machine's architecture: no x86_64 figure was published.
2. github.com/Marchusness/lambda-performance (2024, python3.8 x86_64, run here on
   python3.13; lambda_downloader.py): list the bucket, then GetObject each of 20 keys in
   a thread of its own. The bodies are never read, so only the headers matter and the
   objects here are 1 KB (its README says 512 MB). Mean of 100 runs, timed by the
   handler: 1024 MB 0.470 s, 2048 MB 0.262 s, 3072 MB 0.212 s, 4096 MB 0.195 s,
   6144 MB 0.189 s, 10240 MB 0.161 s.
3. github.com/cebert/aws-lambda-performance-benchmarks (December 2025, us-east-2,
   python3.13, lambdas/python/cpu-intensive): 500,000 chained SHA-256 digests, mean warm
   REPORT Duration of 300 runs. CPU only: it calibrates the CPU share. --cpu-speed auto
   is measured on this very workload, so with it the 1769 MB ratio is ~1.0 by
   construction (~the factor where that is above 1: one thread uses at most one core).
4. github.com/maxday/lambda-perf (data/2026-08-22.json): python3.13 zip hello world, mean
   Init Duration of 10 cold starts at 128, 256, 512 and 1024 MB.

Figures 3 and 4 are compared with those of this machine's architecture. A memory size
whose CPU share needs more cores than this machine has is reported, not measured.
Each figure is the median over rounds; the machine is shared and noisy.

Usage: scripts/uv run python benchmarks/calibration.py [--cpu-speed auto|FACTOR] [--rounds N] [--quick]
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from benchmarks.lambda_service import client as lambda_client
from benchmarks.lambda_service import configure
from bundling.build import Builder, Target, find_python, host_architecture
from concurrency_eval.emulators.embedded_s3.faults import STANDARD, Faults
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from concurrency_eval.emulators.lambda_service import cpu_speed
from concurrency_eval.emulators.lambda_service.functions import Code, Configuration
from concurrency_eval.emulators.lambda_service.server import FunctionSpec, LocalLambda, ServiceSpec
from contracts.bundles import RUNTIME
from contracts.lambda_limits import MB_PER_VCPU, vcpus
from contracts.lambda_logs import Report, decode_tail, parse_report

ROOT = Path(__file__).resolve().parent.parent
LOCAL_KEY = "local"
GOAL = (0.75, 1.33)

# 1. resources/parallel.py of aws-samples/aws-lambda-parallel-download v1.2.0, its
# diagnostic prints left out; the stack sets MAX_WORKERS=30, BUCKET and 2,304 MB.
PARALLEL = """
from concurrent.futures import ThreadPoolExecutor
import json
import os
import time

import boto3
import botocore.config

MAX_WORKERS = int(os.environ["MAX_WORKERS"]) if "MAX_WORKERS" in os.environ else None
BUCKET_NAME = os.environ["BUCKET"]
client_s3 = boto3.client("s3", config=botocore.config.Config(max_pool_connections=MAX_WORKERS))


def download_s3(key):
    obj = client_s3.get_object(Bucket=BUCKET_NAME, Key=key)
    return obj["Body"].read()


def handler(event, context):
    repeat = int(event.get("repeat", 10000))
    object_key = event["objectKey"]
    total_reads = 0
    total_size_read = 0
    total_records_read = 0
    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as executor:
        start = time.perf_counter()
        for s3_object in executor.map(download_s3, (object_key for _ in range(repeat))):
            total_reads += 1
            total_size_read += len(s3_object)
            data = json.loads(s3_object)
            total_records_read += len(data)
        total_time = time.perf_counter() - start
    return {"objects_read": total_reads, "bytes_read": total_size_read, "time_sec": total_time}
"""
PARALLEL_MB = 2304
#: sample.json of the same repository: 43 copies of this record.
SAMPLE_RECORD = {
    "Image": {
        "Width": 800, "Height": 600, "Title": "View from 15th Floor",
        "Thumbnail": {"Url": "http://www.example.com/image/481989943", "Height": 125, "Width": 100},
        "Animated": False, "IDs": [116, 943, 234, 38793],
    }
}  # fmt: skip
SAMPLE = json.dumps([SAMPLE_RECORD] * 43, separators=(",", ":")).encode()
#: Reads -> published seconds (the README, December 2024).
PARALLEL_PUBLISHED = {1_000: 2.3, 10_000: 27.0}

# 2. lambda_downloader.py of Marchusness/lambda-performance, as it is: the default client
# (10 pooled connections), and responses whose bodies are never read, so that no
# connection goes back to the pool and every warm run opens 20 new ones.
DOWNLOADER = """
import os
import threading
import time

import boto3
import boto3.s3.transfer

s3 = boto3.client('s3')
transfer = boto3.s3.transfer.S3Transfer(s3)

BUCKET_NAME = os.environ['BUCKET_NAME']

def download_file(key):
    s3.get_object(Bucket=BUCKET_NAME, Key=key)

def lambda_handler(event, context):
    start_time = time.time()
    response = s3.list_objects_v2(Bucket=BUCKET_NAME)
    threads = []
    for obj in response['Contents']:
        if obj['Key'].startswith('file_'):
            thread = threading.Thread(target=download_file, args=(obj['Key'],))
            threads.append(thread)
            thread.start()
    for thread in threads:
        thread.join()
    end_time = time.time()
    return {'statusCode': 200, 'body': 'Download completed', 'download_time': end_time - start_time}
"""
DOWNLOADER_FILES = 20
DOWNLOADER_OBJECT_BYTES = 1_000
#: Memory (MB) -> published mean download_time (seconds), from its README.
DOWNLOADER_PUBLISHED = {1024: 0.470, 2048: 0.262, 3072: 0.212, 4096: 0.195, 6144: 0.189, 10240: 0.161}

# 3. lambdas/python/cpu-intensive/handler.py of cebert/aws-lambda-performance-benchmarks,
# its loop; the orchestrator sends 500,000 iterations (scripts/benchmark_utils.py).
SHA = """
import hashlib


def handler(event, context):
    sha256 = hashlib.sha256
    data = b"benchmark data for Lambda ARM vs x86 performance testing"
    for _ in range(event["iterations"]):
        data = sha256(data).digest()
    return {"success": True, "resultHash": data.hex()}
"""
SHA_ITERATIONS = 500_000
#: Architecture -> memory (MB) -> mean warm Duration (ms), tables/cpu-intensive/warm.md.
SHA_PUBLISHED = {
    "arm64": {1024: 535.49, 1769: 380.86, 2048: 294.94},
    "x86_64": {1024: 628.45, 1769: 386.10, 2048: 377.23},
}

# 4. s3-uploader/runtimes/python313/index.py of maxday/lambda-perf.
HELLO = "def handler(event, context):\n    return {\n        'statusCode': 200,\n    }\n"
#: Architecture -> memory (MB) -> mean Init Duration (ms), data/2026-08-22.json ("acd").
HELLO_PUBLISHED = {
    "x86_64": {128: 91.07, 256: 87.09, 512: 85.50, 1024: 84.50},
    "arm64": {128: 80.57, 256: 79.11, 512: 76.69, 1024: 85.15},
}


@dataclass(frozen=True)
class Row:
    """One published figure: what it is, at what memory, its value and unit."""

    measurement: str
    memory_mb: int
    published: float
    unit: str
    note: str = ""


@dataclass
class Column:
    """One local service, at one CPU speed, and what was measured on it."""

    label: str
    speed: float
    client: Any = None
    values: dict[Row, list[float]] = field(default_factory=dict)

    def record(self, row: Row, value: float) -> None:
        self.values.setdefault(row, []).append(value)

    def fits(self, memory_mb: int) -> bool:
        return cores_needed(memory_mb, self.speed) <= (os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    rounds: int
    parallel_reads: tuple[int, int]
    downloader_runs: int
    sha_runs: int
    cold_starts: int
    architecture: str


def cores_needed(memory_mb: int, speed: float) -> float:
    """This machine's cores a Lambda share needs: its vCPUs, each `speed` of a core here."""
    return vcpus(memory_mb) * speed


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def invoke(client: Any, name: str, event: object) -> tuple[Any, Report]:
    """The handler's result and the platform's report; a failed invocation stops the run."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    payload = json.loads(response["Payload"].read() or b"null")
    log = decode_tail(response["LogResult"])
    if "FunctionError" in response:
        raise RuntimeError(f"{name} failed: {payload}\n{log}")
    return payload, parse_report(log)


# -- the measurements ---------------------------------------------------------------


def parallel_reads(column: Column, settings: Settings, last_round: bool) -> None:
    small, large = settings.parallel_reads
    # The published figures are for 1,000 and 10,000 reads; --quick reads a tenth and
    # scales them down alike.
    scale = small / 1_000
    note = f"--quick: {scale:g} of the reads, published figure scaled" if scale != 1 else ""
    # The first invocation opens the pool's 30 connections: the published runs came
    # after Power Tuning's, on a warm environment.
    invoke(column.client, "parallel", {"objectKey": "sample.json", "repeat": 60})
    for reads in (small, large) if last_round else (small,):
        published_reads = round(reads / scale)
        published = PARALLEL_PUBLISHED[published_reads] * scale
        progress(f"   [{column.label}] parallel reads: {reads:,}")
        result, report = invoke(column.client, "parallel", {"objectKey": "sample.json", "repeat": reads})
        if result["objects_read"] != reads:
            raise RuntimeError(f"parallel read {result['objects_read']} objects of {reads}")
        label = f"1. parallel reads, {published_reads:,}"
        column.record(Row(label, PARALLEL_MB, published, "s", note), result["time_sec"])
        report_row = Row(f"{label} (REPORT)", PARALLEL_MB, published, "s", note)
        column.record(report_row, report.duration_ms / 1000)


def warm_means_by_memory(
    column: Column,
    function: str,
    label: str,
    published: dict[int, float],
    unit: str,
    event: dict[str, Any],
    runs: int,
    figure: Callable[[Any, Report], float],
) -> None:
    """At each published memory size that fits here: one invocation to warm up, then the
    mean of `figure` over `runs` warm ones (the publications report means)."""
    for memory, value in published.items():
        row = Row(label, memory, value, unit)
        if not column.fits(memory):
            column.values.setdefault(row, [])
            continue
        progress(f"   [{column.label}] {function} at {memory} MB")
        configure(column.client, function, MemorySize=memory)
        invoke(column.client, function, event)
        column.record(
            row, statistics.mean(figure(*invoke(column.client, function, event)) for _ in range(runs))
        )


def downloader(column: Column, settings: Settings) -> None:
    warm_means_by_memory(
        column, "downloader", "2. list + 20 GETs, thread each", DOWNLOADER_PUBLISHED, "s", {},
        settings.downloader_runs, lambda result, _: float(result["download_time"]),
    )  # fmt: skip


def sha_chain(column: Column, settings: Settings) -> None:
    warm_means_by_memory(
        column, "sha", "3. 500,000 SHA-256, Duration", SHA_PUBLISHED[settings.architecture], "ms",
        {"iterations": SHA_ITERATIONS}, settings.sha_runs, lambda _, report: report.duration_ms,
    )  # fmt: skip


def hello_cold_starts(column: Column, settings: Settings, round_number: int) -> None:
    for memory, published in HELLO_PUBLISHED[settings.architecture].items():
        row = Row("4. hello world, Init Duration", memory, published, "ms")
        progress(f"   [{column.label}] hello world cold starts at {memory} MB")
        inits = []
        for start in range(settings.cold_starts):
            # A new environment variable makes the next invocation a cold start, as the sweep does.
            variables = {"COLD_START": f"{round_number}-{start}"}
            configure(column.client, "hello", MemorySize=memory, Environment={"Variables": variables})
            report = invoke(column.client, "hello", {})[1]
            if report.init_ms is None:
                raise RuntimeError("a hello-world invocation after an update was not a cold start")
            inits.append(report.init_ms)
        column.record(row, statistics.mean(inits))


# -- setting up -----------------------------------------------------------------------


def seed(s3: EmbeddedS3) -> None:
    client = boto3.client(
        "s3", endpoint_url=s3.endpoint, region_name="us-east-1", aws_access_key_id=LOCAL_KEY,
        aws_secret_access_key=LOCAL_KEY, verify=str(s3.ca_bundle),
    )  # fmt: skip
    client.create_bucket(Bucket="parallel-download")
    client.put_object(Bucket="parallel-download", Key="sample.json", Body=SAMPLE)
    # A bucket of its own: the downloader lists the whole bucket.
    client.create_bucket(Bucket="lambda-performance")
    for number in range(DOWNLOADER_FILES):
        body = os.urandom(DOWNLOADER_OBJECT_BYTES)
        client.put_object(Bucket="lambda-performance", Key=f"file_{number}.txt", Body=body)


def functions(work: Path, pypi: Path, architecture: str) -> tuple[FunctionSpec, ...]:
    def function(
        name: str, source: str, handler: str, layers: tuple[Path, ...], **settings: Any
    ) -> FunctionSpec:
        code = work / name
        code.mkdir()
        (code / "handler.py").write_text(source)
        return FunctionSpec(
            name, Code(code, layers, handler, "python3.13", architecture), Configuration(**settings)
        )

    return (
        function(
            "parallel", PARALLEL, "handler.handler", (pypi,), memory_mb=PARALLEL_MB, timeout_s=600,
            environment={"BUCKET": "parallel-download", "MAX_WORKERS": "30"},
        ),
        function(
            "downloader", DOWNLOADER, "handler.lambda_handler", (pypi,), memory_mb=1024, timeout_s=60,
            environment={"BUCKET_NAME": "lambda-performance"},
        ),
        function("sha", SHA, "handler.handler", (), memory_mb=MB_PER_VCPU, timeout_s=60),
        function("hello", HELLO, "handler.handler", (), memory_mb=128, timeout_s=3),
    )  # fmt: skip


def s3_environment(s3: EmbeddedS3) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": LOCAL_KEY,
        "AWS_SECRET_ACCESS_KEY": LOCAL_KEY,
        "AWS_SESSION_TOKEN": LOCAL_KEY,
        "AWS_ENDPOINT_URL_S3": s3.endpoint,
        "AWS_CA_BUNDLE": str(s3.ca_bundle),
    }


def columns_for(choice: str | None, python: Path, architecture: str) -> list[Column]:
    """The CPU speeds to run at: 1.0 and auto unless one is chosen."""
    columns = []
    if choice is None or choice != "auto":
        factor = 1.0 if choice is None else float(choice)
        columns.append(Column(f"cpu-speed {factor:g}", factor))
    if choice in (None, "auto"):
        progress("measuring this machine's CPU against Lambda's (cpu_speed.measure) ...")
        measured = cpu_speed.measure(python, architecture)
        progress(
            f"   reference: {measured.local_ms:.1f} ms here, {measured.lambda_ms} ms on Lambda "
            f"({architecture}): factor {measured.factor:.3f}"
        )
        columns.append(Column(f"auto {measured.factor:.3f}", measured.factor))
    return columns


# -- the table --------------------------------------------------------------------------


def quantity(value: float, unit: str) -> str:
    return f"{value:.3f} s" if unit == "s" else f"{value:.1f} ms"


def cell(column: Column, row: Row, local_width: int) -> str:
    values = column.values.get(row)
    if not values:
        if not column.fits(row.memory_mb):
            what = "vCPUs" if column.speed == 1.0 else "cores"
            needs = cores_needed(row.memory_mb, column.speed)
            return f"needs {needs:.1f} {what}, this machine has {os.cpu_count()}"
        return "not measured"
    local = statistics.median(values)
    ratio = local / row.published
    flag = "" if GOAL[0] <= ratio <= GOAL[1] else " !"
    return f"{quantity(local, row.unit):>{local_width}} {ratio:>6.2f}{flag}"


def print_table(columns: list[Column], settings: Settings, wall_s: float, load_before: float) -> None:
    # The 10,000 reads come last in time (the final round only) but belong with the 1,000.
    rows = sorted(
        {row for column in columns for row in column.values},
        key=lambda row: (row.measurement.split(".")[0], row.memory_mb, row.published, row.measurement),
    )
    width = max(len(row.measurement) for row in rows)
    titles = [f"local ({column.label})" for column in columns]
    local_width = max(11, *(len(title) for title in titles))
    block = max(local_width + 9, 38)
    print(
        f"Local Lambda service against published Lambda figures ({settings.architecture}, "
        f"{os.cpu_count()} cores, median of {settings.rounds} rounds)"
    )
    for column in columns:
        print(
            f"  {column.label}: an environment's CPU quota is memory/{MB_PER_VCPU} x {column.speed:.3f} cores"
        )
    header = f"{'measurement':<{width}} {'MB':>6} {'published':>11}"
    header += "".join(f"  {f'{title:>{local_width}}  ratio':<{block}}" for title in titles)
    print(header.rstrip())
    print("-" * len(header))
    for row in rows:
        line = f"{row.measurement:<{width}} {row.memory_mb:>6} {quantity(row.published, row.unit):>11}"
        line += "".join(f"  {cell(column, row, local_width):<{block}}" for column in columns)
        if row.note:
            line += f"  ({row.note})"
        print(line.rstrip())
    print(f"ratio = local / published; goal {GOAL[0]}-{GOAL[1]} (! outside it); wall time {wall_s:.0f} s")
    # Other work on this machine slows the local side only: the load says how much to trust a ratio.
    print(f"1-minute load average: {load_before:.2f} before the run, {os.getloadavg()[0]:.2f} after it")
    for column in columns:
        if column.label.startswith("auto"):
            # The factor is this machine's time for 3. at 1769 MB over Lambda's, so the
            # row compares the measurement with itself, save where a core here is slower:
            # a quota above one core cannot make one thread faster.
            expected = max(column.speed, 1.0)
            print(
                f"3. at {MB_PER_VCPU} MB with {column.label}: the factor is measured on this very workload, "
                f"so its ratio is ~{expected:.2f} by construction (max(factor, 1): one thread uses one core)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cpu-speed", default=None, help="auto or a factor (default: both 1.0 and auto, side by side)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer reads and invocations: a smoke run")
    args = parser.parse_args()
    if args.cpu_speed not in (None, "auto"):
        try:
            float(args.cpu_speed)
        except ValueError:
            parser.error("--cpu-speed takes auto or a number")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    architecture = host_architecture()
    settings = Settings(
        rounds=args.rounds,
        parallel_reads=(100, 1_000) if args.quick else (1_000, 10_000),
        downloader_runs=3 if args.quick else 10,
        sha_runs=2 if args.quick else 5,
        cold_starts=2 if args.quick else 5,
        architecture=architecture,
    )
    builder = Builder(ROOT, Target.host(), progress=progress)
    runtime, pypi = builder.build(RUNTIME).path, builder.build("pypi").path
    python = find_python(builder.target.python_version)
    columns = columns_for(args.cpu_speed, python, architecture)
    with (
        tempfile.TemporaryDirectory() as scratch,
        EmbeddedS3(faults=Faults(latency=STANDARD), tls=True) as s3,
        contextlib.ExitStack() as services,
    ):
        seed(s3)
        hosted = functions(Path(scratch), pypi, architecture)
        # One service per CPU speed, all up at once, so that each round runs both
        # back to back and a noisy spell on this shared machine hits both alike.
        for column in columns:
            spec = ServiceSpec(
                functions=hosted, python=python, runtime_dir=runtime, update_seconds=0.1,
                base_environment=s3_environment(s3), cpu_speed=column.speed,
            )  # fmt: skip
            service = services.enter_context(LocalLambda(spec))
            column.client = lambda_client(service.endpoint)
            progress(f"service for {column.label} on {service.endpoint} (CPU limit: {service.cpu_limit})")
        steps: list[Callable[[Column, int], None]] = [
            lambda column, number: parallel_reads(column, settings, number == settings.rounds - 1),
            lambda column, number: downloader(column, settings),
            lambda column, number: sha_chain(column, settings),
            lambda column, number: hello_cold_starts(column, settings, number),
        ]
        for number in range(settings.rounds):
            progress(f"round {number + 1} of {settings.rounds} ({time.perf_counter() - started:.0f} s)")
            for step in steps:
                for column in columns:
                    step(column, number)
    print_table(columns, settings, time.perf_counter() - started, load_before)


if __name__ == "__main__":
    main()
