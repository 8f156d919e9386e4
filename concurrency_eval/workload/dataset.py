"""The evaluation's data set, like the original benchmark's, and uploading it.

N files of random ASCII with sizes drawn from a range, the magic string in exactly
one of them. Everything follows from `seed`: the same spec always gives the same
keys and bodies, so uploads are idempotent (an object whose content already matches is
not sent again) and runs on different machines read the same data.

The bucket may be a general purpose bucket or an S3 Express One Zone directory bucket
(`name--zone-id--x-s3`). botocore opens the directory bucket's sessions itself; what
differs here is creating one (in its zone), and knowing an object is unchanged: a
directory bucket's ETag "isn't the MD5 digest of the object" (the S3 API Reference,
PutObject), so its objects are compared by the CRC32 checksum every object is uploaded with.
"""

import base64
import functools
import hashlib
import random
import string
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from concurrency_eval.system import signals
from s3fanout.buckets import is_directory_bucket, zone_of

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

MAGIC = "MyMagicString"
_ALPHABET = (string.ascii_letters + string.digits).encode()
#: How soon a noted interrupt stops the uploads when none of them finishes meanwhile.
_INTERRUPT_POLL_S = 0.1
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
    existing = _listed(client, bucket, spec.folder)
    directory = is_directory_bucket(bucket)

    def upload(item: tuple[str, int]) -> int:
        key, index = item
        body = spec.body(index)
        try:
            listed = existing.get(key)
            if listed is not None and listed.size == len(body):
                same = _same_checksum(client, bucket, key, body) if directory else listed.etag == _md5(body)
                if same:
                    return 0
            # CRC32, what botocore sends by default, named: a directory bucket is compared by it.
            client.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType="text/plain", ChecksumAlgorithm="CRC32"
            )
            return len(body)
        finally:
            on_object()

    sizes = _bounded_map(upload, spec.items(), workers)
    uploaded = [size for size in sizes if size]
    return SeedResult(len(uploaded), len(sizes) - len(uploaded), sum(uploaded))


@dataclass(frozen=True)
class _Listed:
    """An object as ListObjectsV2 names it."""

    etag: str
    size: int


def _md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def _crc32(body: bytes) -> str:
    """The checksum as S3 takes and gives it: the big-endian CRC32, base64."""
    return base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()


def _same_checksum(client: "S3Client", bucket: str, key: str, body: bytes) -> bool:
    """Whether the stored object's CRC32 is `body`'s (one HeadObject: a directory bucket
    lists no checksums, and its ETags are not MD5s)."""
    stored = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    return stored.get("ChecksumCRC32") == _crc32(body)


def _bounded_map(
    work: Callable[[tuple[str, int]], int], items: Iterable[tuple[str, int]], workers: int
) -> list[int]:
    """`work` over `items` on `workers` threads, with at most two per worker queued: a
    million objects are never all submitted (and held) at once, and an interrupt cancels
    what is queued and waits only for the uploads under way.

    Ctrl-C, SIGTERM and SIGHUP are noted while the uploads run and raised once they have
    stopped, never inside `wait`: it takes each future's lock in turn, and an interrupt
    raised while it holds some left them held, so that the workers could not hand over
    their results and the pool's exit waited for them for ever (5 runs in 100 hung)."""
    results: list[int] = []
    with signals.deferred() as noted, ThreadPoolExecutor(workers) as pool:
        pending: set[Future[int]] = set()

        def wait_for_one() -> None:
            nonlocal pending
            done, pending = wait(pending, timeout=_INTERRUPT_POLL_S, return_when=FIRST_COMPLETED)
            results.extend(future.result() for future in done)

        try:
            for item in items:
                while len(pending) >= 2 * workers and not noted:
                    wait_for_one()
                if noted:
                    break
                pending.add(pool.submit(work, item))
            while pending and not noted:
                wait_for_one()
            if noted:
                raise signals.interrupt(noted[0])
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def missing_objects(client: "S3Client", bucket: str, spec: DataSetSpec) -> int:
    """How many of the data set's keys are not in the bucket (their content unchecked)."""
    existing = _listed(client, bucket, spec.folder)
    return sum(key not in existing for key, _ in spec.items())


def _listed(client: "S3Client", bucket: str, prefix: str) -> dict[str, _Listed]:
    """Every object under `prefix`, by key (a directory bucket lists them in no order)."""
    listed: dict[str, _Listed] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", ()):
            # A single-part upload's ETag is the body's MD5 in a general purpose bucket
            # (a multipart one's never matches); in a directory bucket it is not.
            listed[entry["Key"]] = _Listed(entry["ETag"].strip('"'), entry["Size"])
    return listed


def _ensure_bucket(client: "S3Client", bucket: str) -> None:
    try:
        client.head_bucket(Bucket=bucket)
    except client.exceptions.ClientError:
        zone = zone_of(bucket)
        if zone is not None:
            # A directory bucket is created in the zone its name carries.
            client.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={
                    "Location": {"Type": "AvailabilityZone", "Name": zone},
                    "Bucket": {"DataRedundancy": "SingleAvailabilityZone", "Type": "Directory"},
                },
            )
            return
        region = client.meta.region_name
        # us-east-1 is S3's default location and refuses to be named as a constraint.
        if region and region != "us-east-1":
            client.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )
        else:
            client.create_bucket(Bucket=bucket)
