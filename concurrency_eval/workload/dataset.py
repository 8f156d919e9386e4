"""The evaluation's data set, like the original benchmark's, and uploading it.

N files of random ASCII with sizes drawn from a range, the magic string in exactly
one of them. Everything follows from `seed`: the same spec always gives the same
keys and bodies, so uploads are idempotent (an object whose MD5 already matches is
not sent again) and runs on different machines read the same data.
"""

import functools
import hashlib
import random
import string
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

MAGIC = "MyMagicString"
_ALPHABET = (string.ascii_letters + string.digits).encode()
# Random bytes mapped onto letters and digits: fast, and near enough to uniform.
_TO_ASCII = bytes(_ALPHABET[value % len(_ALPHABET)] for value in range(256))


@dataclass(frozen=True)
class DataSetSpec:
    objects: int = 1000
    min_size: int = 1_000
    max_size: int = 50_000
    magic: str = MAGIC
    seed: int = 42
    #: Key prefix; by default the object count, as in the original ("1000/").
    prefix: str | None = None

    def __post_init__(self) -> None:
        if self.objects < 1:
            raise ValueError("a data set needs at least one object")
        if not 0 < self.min_size <= self.max_size:
            raise ValueError("sizes must satisfy 0 < min_size <= max_size")
        if self.min_size < len(self.magic.encode()):
            raise ValueError(f"min_size must hold the magic string ({len(self.magic.encode())} bytes)")

    @property
    def folder(self) -> str:
        return self.prefix if self.prefix is not None else f"{self.objects}/"

    def key(self, index: int) -> str:
        return f"{self.folder}{index:06d}.txt"

    @functools.cached_property
    def magic_index(self) -> int:
        return random.Random(f"{self.seed}:magic").randrange(self.objects)

    @property
    def magic_key(self) -> str:
        return self.key(self.magic_index)

    def body(self, index: int) -> bytes:
        """Object `index`'s bytes: random ASCII, the magic string inside one object only."""
        rng = random.Random(f"{self.seed}:{index}")
        size = rng.randint(self.min_size, self.max_size)
        body = bytearray(rng.randbytes(size).translate(_TO_ASCII))
        if index == self.magic_index:
            magic = self.magic.encode()
            at = rng.randrange(size - len(magic) + 1)
            body[at : at + len(magic)] = magic
        return bytes(body)

    @property
    def expected_bytes(self) -> int:
        """The data set's size, expected: sizes are drawn evenly from the range."""
        return self.objects * (self.min_size + self.max_size) // 2

    def describe_size(self) -> str:
        """'150 objects, about 3.8 MB' (decimal units, as S3's console shows them)."""
        size, unit = float(self.expected_bytes), "B"
        for larger in ("kB", "MB", "GB", "TB"):
            if size < 1000:
                break
            size, unit = size / 1000, larger
        return f"{self.objects:,} objects, about {size:,.1f} {unit}"

    def event(self, bucket: str, concurrency: int | None = None) -> dict[str, Any]:
        """The invocation event that searches this data set in `bucket`; without a
        concurrency, the function uses its own."""
        event: dict[str, Any] = {"s3_bucket_name": bucket, "folder": self.folder, "find": self.magic}
        if concurrency is not None:
            event["concurrency"] = concurrency
        return event

    def items(self) -> Iterator[tuple[str, int]]:
        for index in range(self.objects):
            yield self.key(index), index


@dataclass(frozen=True)
class SeedResult:
    uploaded: int
    unchanged: int
    bytes_uploaded: int


def seed(
    client: "S3Client",
    bucket: str,
    spec: DataSetSpec,
    *,
    create_bucket: bool = False,
    workers: int = 16,
    on_object: Callable[[], None] = lambda: None,
) -> SeedResult:
    """Upload the data set; objects already there with the same content are skipped."""
    if create_bucket:
        _ensure_bucket(client, bucket)
    existing = _existing_etags(client, bucket, spec.folder)

    def upload(item: tuple[str, int]) -> int:
        key, index = item
        body = spec.body(index)
        try:
            if existing.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                return 0
            client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")
            return len(body)
        finally:
            on_object()

    sizes = _bounded_map(upload, spec.items(), workers)
    uploaded = [size for size in sizes if size]
    return SeedResult(len(uploaded), len(sizes) - len(uploaded), sum(uploaded))


def _bounded_map(
    work: Callable[[tuple[str, int]], int], items: Iterable[tuple[str, int]], workers: int
) -> list[int]:
    """`work` over `items` on `workers` threads, with at most two per worker queued: a
    million objects are never all submitted (and held) at once, and an interrupt cancels
    what is queued and waits only for the uploads under way."""
    results: list[int] = []
    with ThreadPoolExecutor(workers) as pool:
        pending: set[Future[int]] = set()
        try:
            for item in items:
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    results.extend(future.result() for future in done)
                pending.add(pool.submit(work, item))
            results.extend(future.result() for future in wait(pending).done)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def missing_objects(client: "S3Client", bucket: str, spec: DataSetSpec) -> int:
    """How many of the data set's keys are not in the bucket (their content unchecked)."""
    existing = _existing_etags(client, bucket, spec.folder)
    return sum(key not in existing for key, _ in spec.items())


def _existing_etags(client: "S3Client", bucket: str, prefix: str) -> dict[str, str]:
    etags: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", ()):
            # A single-part upload's ETag is the body's MD5; a multipart one never matches.
            etags[entry["Key"]] = entry["ETag"].strip('"')
    return etags


def _ensure_bucket(client: "S3Client", bucket: str) -> None:
    try:
        client.head_bucket(Bucket=bucket)
    except client.exceptions.ClientError:
        region = client.meta.region_name
        # us-east-1 is S3's default location and refuses to be named as a constraint.
        if region and region != "us-east-1":
            client.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )
        else:
            client.create_bucket(Bucket=bucket)
