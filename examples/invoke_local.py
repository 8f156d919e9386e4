"""Invoke the three handlers once each on the embedded S3, with the original event.

Seeds a data set like the original benchmark's (random ASCII files of 1,000-50,000
bytes, `MyMagicString` in exactly one), then prints each model's response.
Usage: scripts/uv run python examples/invoke_local.py [--objects N]
"""

import argparse
import importlib.util
import json
import os
import random
import string
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config

from concurrency_eval.embedded_s3 import EmbeddedS3, Faults

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "concurrency-eval-example"
MAGIC = "MyMagicString"


def seed(endpoint: str, objects: int) -> str:
    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=16))
    client.create_bucket(Bucket=BUCKET)
    rng = random.Random(42)
    alphabet = string.ascii_letters + string.digits
    bodies = {
        f"{objects}/{i:05d}.txt": "".join(rng.choices(alphabet, k=rng.randint(1000, 50_000)))
        for i in range(objects)
    }
    magic_key = rng.choice(sorted(bodies))
    body = bodies[magic_key]
    at = rng.randrange(len(body))
    bodies[magic_key] = body[:at] + MAGIC + body[at:]
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda item: client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1].encode()),
                bodies.items(),
            )
        )
    return magic_key


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=200, help="objects to seed (default: %(default)s)")
    parser.add_argument(
        "--latency-ms", type=float, default=20.0, help="injected S3 latency (default: %(default)s)"
    )
    args = parser.parse_args()
    # Fake credentials: the embedded S3 accepts any, and nothing must reach AWS.
    os.environ.update(
        AWS_ACCESS_KEY_ID="example",
        AWS_SECRET_ACCESS_KEY="example",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    with EmbeddedS3() as server:
        os.environ["AWS_ENDPOINT_URL_S3"] = server.endpoint
        print(f"embedded S3 at {server.endpoint}; seeding {args.objects} objects ...", flush=True)
        magic_key = seed(server.endpoint, args.objects)
        server.set_faults(Faults(latency_ms=args.latency_ms))
        event = {"s3_bucket_name": BUCKET, "folder": f"{args.objects}/", "find": MAGIC}
        print(f"event: {json.dumps(event)}  (the magic string is in {magic_key})")
        for model in ("sync", "threaded", "asyncio"):
            spec = importlib.util.spec_from_file_location(
                f"{model}_handler", ROOT / "lambdas" / model / "handler.py"
            )
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            print(json.dumps(module.handler(event, None)), flush=True)


if __name__ == "__main__":
    main()
