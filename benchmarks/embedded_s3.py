"""The embedded S3's cost per request, and the client's, measured side by side in one run.

1. Server CPU per GetObject (small objects, 1 KB, and the data set's mean, 25 KB), over
   HTTP and HTTPS, for the embedded S3 and for moto behind werkzeug's threaded server
   and moto's dispatcher (what the embedded S3 was before): the target is at most
   0.2 ms, so that one core serves more than S3's 5,500 GETs per second per prefix.
2. Client CPU per GetObject (boto3, as the functions use it) over HTTP and HTTPS, warm
   (a kept connection) and cold (a new connection, and over HTTPS a new TLS handshake,
   for every request): what TLS adds to the client's CPU per object.
3. The latency model's draws against the figures it was fitted to (p50, p90, p99).

No latency is injected in 1 and 2 (the servers answer at once), so the figures are CPU.
Rounds are interleaved and medians taken: the machine is shared and noisy.
Usage: scripts/uv run python benchmarks/embedded_s3.py [--rounds N] [--requests N]
"""

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config

from concurrency_eval.emulators.child_process import ChildServer, announce_ready, serve_until_told
from concurrency_eval.emulators.embedded_s3.faults import PROFILES
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3

BUCKET = "bench-bucket"
SIZES = {"1 KB": 1_000, "25 KB": 25_000}
#: S3's rate per partitioned prefix (Amazon S3 User Guide, "Best practices design patterns").
S3_GETS_PER_PREFIX = 5_500
TARGET_MS = 0.2


def _baseline_main() -> None:
    """moto as the embedded S3 served it before: werkzeug's threaded server, moto's dispatcher."""
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object, **kwargs: object) -> None:
            pass

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/_embedded_s3/stats":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [f'{{"cpu_seconds": {time.process_time()}}}'.encode()]
        return dispatcher(environ, start_response)

    dispatcher = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    serve_until_told(lambda: threading.Thread(target=server.shutdown, daemon=True).start(), True)
    announce_ready(endpoint=f"http://127.0.0.1:{server.server_address[1]}")
    server.serve_forever()


class Baseline:
    def __init__(self) -> None:
        self._child = ChildServer(
            "benchmarks.embedded_s3", ["--baseline-server"], what="the baseline", start_timeout=30, grace_s=5
        )
        self.endpoint, self.ca_bundle = "", None

    def __enter__(self) -> "Baseline":
        self.endpoint = self._child.start()["endpoint"]
        return self

    def __exit__(self, *exc: object) -> None:
        self._child.stop()

    def stats(self) -> dict[str, Any]:
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self.endpoint}/_embedded_s3/stats", timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result


def s3_client(server: Any, *, pool: int = 16, close_each: bool = False) -> Any:
    client = boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench",
        verify=str(server.ca_bundle) if server.ca_bundle else None,
        config=Config(max_pool_connections=pool, retries={"mode": "standard"}),
    )  # fmt: skip
    if close_each:
        # Each answer ends its connection: the next request opens (and handshakes) anew.
        def close(request: Any, **_: Any) -> None:
            request.headers["Connection"] = "close"

        client.meta.events.register("before-send.s3.GetObject", close)
    return client


def seed(server: Any) -> None:
    client = s3_client(server)
    client.create_bucket(Bucket=BUCKET)
    rng = random.Random(1)
    for label, size in SIZES.items():
        for index in range(50):
            body = bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=size))
            client.put_object(Bucket=BUCKET, Key=f"{label}/{index:02d}", Body=body)


def server_cpu_per_get(server: Any, label: str, requests: int) -> float:
    """Milliseconds of the server's CPU per GetObject, from 8 client threads."""
    client = s3_client(server)
    keys = [f"{label}/{index % 50:02d}" for index in range(requests)]

    def get(key: str) -> None:
        client.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, keys[:100]))
        before = server.stats()["cpu_seconds"]
        list(pool.map(get, keys))
        after = server.stats()["cpu_seconds"]
    return float((after - before) / requests * 1000)


def client_cpu_per_get(server: Any, requests: int, cold: bool) -> float:
    """Milliseconds of this process's CPU per GetObject of 25 KB, one at a time."""
    client = s3_client(server, pool=1, close_each=cold)
    for index in range(20):
        client.get_object(Bucket=BUCKET, Key=f"25 KB/{index:02d}")["Body"].read()
    started = time.process_time()
    for index in range(requests):
        client.get_object(Bucket=BUCKET, Key=f"25 KB/{index % 50:02d}")["Body"].read()
    return (time.process_time() - started) / requests * 1000


def measure(rounds: int, requests: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    with EmbeddedS3() as plain, EmbeddedS3(tls=True) as tls, Baseline() as baseline:
        servers = {
            "embedded S3, HTTP": plain,
            "embedded S3, HTTPS": tls,
            "before: moto + werkzeug, HTTP": baseline,
        }
        for server in servers.values():
            seed(server)
        for number in range(rounds):
            print(f"round {number + 1} of {rounds} ...", file=sys.stderr)
            for name, server in servers.items():
                for label in SIZES:
                    count = requests if server is not baseline else max(200, requests // 5)
                    figures.setdefault(f"server|{name}|{label}", []).append(
                        server_cpu_per_get(server, label, count)
                    )
            for name, server in (("HTTP", plain), ("HTTPS", tls)):
                for cold in (False, True):
                    key = f"client|{name}|{'cold (new connection)' if cold else 'warm (kept connection)'}"
                    figures.setdefault(key, []).append(client_cpu_per_get(server, requests // 10, cold))
    return figures


def report(figures: dict[str, list[float]]) -> None:
    print("\n1. Server CPU per GetObject (ms, median of rounds); target <= 0.2 ms")
    print(f"{'server':<34}{'1 KB':>10}{'25 KB':>10}{'GETs/s per core (1 KB)':>26}")
    servers = sorted({key.split("|")[1] for key in figures if key.startswith("server|")})
    for name in servers:
        small, mean = (statistics.median(figures[f"server|{name}|{label}"]) for label in SIZES)
        rate = 1000 / small if small > 0 else float("inf")
        print(f"{name:<34}{small:>10.3f}{mean:>10.3f}{rate:>26,.0f}")
    before = statistics.median(figures["server|before: moto + werkzeug, HTTP|1 KB"])
    after = statistics.median(figures["server|embedded S3, HTTP|1 KB"])
    print(
        f"embedded S3 / before (1 KB, HTTP): {after / before:.3f}x; "
        f"S3 serves {S3_GETS_PER_PREFIX:,} GETs/s per prefix"
    )
    print("\n2. Client CPU per 25 KB GetObject (ms, boto3, one at a time)")
    for key in sorted(k for k in figures if k.startswith("client|")):
        _, protocol, kind = key.split("|")
        print(f"{protocol:<7}{kind:<26}{statistics.median(figures[key]):>8.3f}")
    print("\n3. The latency model's draws (ms) against the percentiles it follows")
    rng = random.Random(7)
    for profile in PROFILES.values():
        draws = sorted(profile.first_byte_ms(rng) for _ in range(100_000))
        drawn = "  ".join(
            f"p{round(q * 100)} {draws[int(len(draws) * q)]:.1f} ({ms:g})" for q, ms in profile.percentiles
        )
        print(f"{profile.profile:<10}{drawn}  max {draws[-1]:.1f} ({profile.cap_ms:g})")
        print(f"{'':<10}25 KB body: {profile.transfer_ms(25_000):.2f} ms; source: {profile.source}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000, help="GETs per measurement (default: 2000)")
    parser.add_argument("--baseline-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--exit-with-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        _baseline_main()
        return
    report(measure(args.rounds, args.requests))


if __name__ == "__main__":
    main()
