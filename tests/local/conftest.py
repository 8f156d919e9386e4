"""End-to-end fixtures: the embedded S3 (moto over HTTP on loopback) with a data set."""

import random
import string
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config

from concurrency_eval.emulators.embedded_s3.faults import Faults
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from tests.handlers import MAGIC

BUCKET = "fanout-e2e-data"
#: A bucket of its own, for reading a whole bucket with an empty folder.
TINY_BUCKET = "fanout-e2e-tiny"


@dataclass(frozen=True)
class DataSet:
    """What was uploaded under one prefix, and what the handlers must answer."""

    prefix: str
    keys: tuple[str, ...]
    total_bytes: int
    magic_key: str | None


@dataclass(frozen=True)
class Data:
    mixed: DataSet  # zero-byte objects, unusual keys
    paged: DataSet  # more than one listing page
    small: DataSet
    large_bodies: DataSet  # 50 KB bodies, for the memory bound
    empty_prefix: str


@pytest.fixture(scope="session")
def embedded_s3() -> Iterator[EmbeddedS3]:
    with EmbeddedS3() as server:
        yield server


@pytest.fixture(autouse=True)
def s3_endpoint(embedded_s3: EmbeddedS3, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedS3]:
    """Point the handlers at the embedded S3 (as a user would), with no faults."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", embedded_s3.endpoint)
    embedded_s3.set_faults(Faults())
    _wait_until_idle(embedded_s3)
    embedded_s3.reset_stats()
    yield embedded_s3
    embedded_s3.set_faults(Faults())


def _wait_until_idle(server: EmbeddedS3, timeout: float = 30.0) -> None:
    """Let slow answers injected by an earlier test drain, so counters start at zero."""
    give_up = time.monotonic() + timeout
    while server.stats()["in_flight"] > 0 and time.monotonic() < give_up:
        time.sleep(0.05)


@pytest.fixture(scope="session")
def data(embedded_s3: EmbeddedS3) -> Data:
    client = boto3.client(
        "s3",
        endpoint_url=embedded_s3.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=16),
    )
    client.create_bucket(Bucket=BUCKET)
    rng = random.Random(7)
    bodies: dict[str, bytes] = {}

    def ascii_body(size: int) -> bytes:
        return "".join(rng.choices(string.ascii_letters + string.digits, k=size)).encode()

    # Unusual keys: spaces, non-ASCII, URL-reserved characters; zero-byte bodies.
    mixed_keys = [f"mixed/{index:03d}.txt" for index in range(50)] + [
        "mixed/with space/a b.txt",
        "mixed/ünïcödé/日本語.txt",
        "mixed/emoji 🎉.txt",
        "mixed/plus+and&amp;?.txt",
        "mixed/zero/0001",
        "mixed/zero/0002",
        "mixed/zero/0003",
    ]
    for key in mixed_keys:
        bodies[key] = b"" if key.startswith("mixed/zero/") else ascii_body(rng.randint(10, 600))
    magic_key = "mixed/ünïcödé/日本語.txt"
    bodies[magic_key] = ascii_body(200) + MAGIC.encode() + ascii_body(300)
    # More than one listing page, the magic string on the second one.
    paged_keys = [f"paged/{index:04d}" for index in range(1005)]
    for key in paged_keys:
        bodies[key] = ascii_body(rng.randint(1, 40))
    paged_magic = paged_keys[1002]
    bodies[paged_magic] = MAGIC.encode()
    small_keys = [f"small/{index:02d}" for index in range(20)]
    for key in small_keys:
        bodies[key] = ascii_body(1000)
    large_keys = [f"large/{index:03d}" for index in range(200)]
    for key in large_keys:
        bodies[key] = ascii_body(50_000)

    client.create_bucket(Bucket=TINY_BUCKET)
    for name in ("one", "dir/two", "dir/sub/three"):
        client.put_object(Bucket=TINY_BUCKET, Key=name, Body=name.encode())

    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(lambda item: client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1]), bodies.items())
        )

    def dataset(prefix: str, keys: list[str], magic: str | None) -> DataSet:
        return DataSet(prefix, tuple(sorted(keys)), sum(len(bodies[key]) for key in keys), magic)

    return Data(
        mixed=dataset("mixed/", mixed_keys, magic_key),
        paged=dataset("paged/", paged_keys, paged_magic),
        small=dataset("small/", small_keys, None),
        large_bodies=dataset("large/", large_keys, None),
        empty_prefix="nothing-here/",
    )
