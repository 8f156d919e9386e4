"""The data set: reproducible from its seed, one magic file, uploads that skip what is there."""

import concurrent.futures
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from concurrency_eval.system import signals
from concurrency_eval.workload import dataset
from concurrency_eval.workload.dataset import MAGIC, DataSetSpec, _bounded_map, missing_objects, seed


def test_same_seed_same_files_other_seed_other_files() -> None:
    spec = DataSetSpec(objects=30, seed=7)
    again = DataSetSpec(objects=30, seed=7)
    other = DataSetSpec(objects=30, seed=8)
    assert [spec.body(i) for i in range(30)] == [again.body(i) for i in range(30)]
    assert [spec.body(i) for i in range(30)] != [other.body(i) for i in range(30)]


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_exactly_one_file_holds_the_magic_string(seed_value: int) -> None:
    spec = DataSetSpec(objects=200, min_size=20, max_size=2000, seed=seed_value)
    holders = [spec.key(i) for i in range(spec.objects) if MAGIC.encode() in spec.body(i)]
    assert holders == [spec.magic_key]


def test_sizes_stay_in_range_and_text_is_ascii() -> None:
    spec = DataSetSpec(objects=100, min_size=1000, max_size=1200)
    for index in range(spec.objects):
        body = spec.body(index)
        assert 1000 <= len(body) <= 1200
        assert body.isascii()
        assert body.isalnum()


def test_keys_follow_the_original_layout() -> None:
    assert DataSetSpec(objects=1000).key(5) == "1000/000005.txt"
    assert DataSetSpec(objects=10, prefix="data/").key(0) == "data/000000.txt"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objects": 0}, "at least one object"),
        ({"min_size": 10, "max_size": 5}, "min_size <= max_size"),
        ({"min_size": 5, "max_size": 50}, "hold the magic string"),
    ],
)
def test_bad_specs_say_why(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DataSetSpec(**kwargs)


def test_seeding_twice_uploads_nothing_the_second_time() -> None:
    spec = DataSetSpec(objects=25, min_size=100, max_size=300)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        first = seed(client, "seed-test-bucket", spec, create_bucket=True)
        second = seed(client, "seed-test-bucket", spec)
        changed = DataSetSpec(objects=25, min_size=100, max_size=300, seed=43)
        third = seed(client, "seed-test-bucket", changed)
        stored = client.get_object(Bucket="seed-test-bucket", Key=changed.magic_key)["Body"].read()
    assert (first.uploaded, first.unchanged) == (25, 0)
    assert first.bytes_uploaded == sum(len(spec.body(i)) for i in range(25))
    assert (second.uploaded, second.unchanged) == (0, 25)
    assert third.uploaded == 25
    assert stored == changed.body(changed.magic_index)


@pytest.mark.parametrize("bucket", ["seed-general-purpose", "seed--use1-az4--x-s3"])
def test_either_kind_of_bucket_is_seeded_once_and_compared_by_content(
    embedded_s3: EmbeddedS3, bucket: str
) -> None:
    # Given a general purpose or a directory bucket on a real S3 API (botocore opens the
    # directory bucket's session itself), created by the first seed
    client = boto3.client("s3", endpoint_url=embedded_s3.endpoint, region_name="us-east-1")
    spec = DataSetSpec(objects=20, min_size=100, max_size=100, prefix=f"{bucket}/")
    first = seed(client, bucket, spec, create_bucket=True)
    # When it is seeded again, then with other bodies of the same sizes (no size tells them apart)
    embedded_s3.reset_stats()
    second = seed(client, bucket, spec)
    heads = embedded_s3.stats()["requests"].get("head", 0)
    changed = DataSetSpec(objects=20, min_size=100, max_size=100, prefix=f"{bucket}/", seed=43)
    third = seed(client, bucket, changed)
    # Then nothing is sent twice, every changed object is, and all are there
    assert (first.uploaded, second.uploaded, second.unchanged, third.uploaded) == (20, 0, 20, 20)
    assert missing_objects(client, bucket, changed) == 0
    stored = client.get_object(Bucket=bucket, Key=changed.magic_key)["Body"].read()
    assert stored == changed.body(changed.magic_index)
    # And a directory bucket's objects are compared by checksum (its ETags are no MD5s), one
    # HeadObject each; a general purpose bucket's by the ETags its listing gives
    assert heads == (20 if bucket.endswith("--x-s3") else 0)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_a_bucket_is_created_in_the_clients_region(region: str) -> None:
    # Outside us-east-1, S3 wants the region named as a location constraint
    spec = DataSetSpec(objects=2, min_size=20, max_size=30)
    with mock_aws():
        client = boto3.client("s3", region_name=region)
        seed(client, f"seed-{region}", spec, create_bucket=True)
        location = client.get_bucket_location(Bucket=f"seed-{region}")["LocationConstraint"]
    assert location == (None if region == "us-east-1" else region)


def test_seeding_submits_a_few_uploads_at_a_time_and_an_interrupt_waits_only_for_those() -> None:
    # Given a million objects to upload and an interrupt after the first 100 were queued
    queued = 0
    done: list[int] = []

    def items() -> Iterator[tuple[str, int]]:
        nonlocal queued
        for index in range(1_000_000):
            if index == 100:
                raise KeyboardInterrupt
            queued += 1
            yield f"k{index}", index

    def upload(item: tuple[str, int]) -> int:
        time.sleep(0.01)
        done.append(item[1])
        return 1

    # When the uploads run on 4 workers
    with pytest.raises(KeyboardInterrupt):
        _bounded_map(upload, items(), workers=4)
    # Then no more than 100 were ever queued, and what was queued but not under way was
    # dropped rather than run
    assert queued == 100
    assert len(done) < 100
    assert len(done) >= 100 - 2 * 4 - 4  # all but those still waiting at the interrupt


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_while_waiting_for_uploads_is_raised_once_they_stopped_never_inside_the_wait(
    signum: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given uploads under way, and a signal that comes while the main thread waits for
    # them: inside concurrent.futures.wait, which holds the futures' locks one by one
    # (raised there, it left them held, and the pool's exit hung)
    raised_inside: list[BaseException] = []
    signalled = False

    def wait_and_be_signalled(*args: Any, **kwargs: Any) -> Any:
        nonlocal signalled
        try:
            if not signalled and threading.active_count() > threads_before:
                signalled = True
                os.kill(os.getpid(), signum)
            return concurrent.futures.wait(*args, **kwargs)
        except BaseException as raised:
            raised_inside.append(raised)
            raise

    monkeypatch.setattr(dataset, "wait", wait_and_be_signalled)

    def upload(item: tuple[str, int]) -> int:
        time.sleep(0.005)
        return 1

    threads_before = threading.active_count()
    # When the tool, ending on any of these signals, maps a million uploads
    with signals.ending_as_interrupts(), pytest.raises(KeyboardInterrupt) as ended:
        _bounded_map(upload, ((f"k{index}", index) for index in range(1_000_000)), workers=4)
    # Then the signal was raised as itself once the uploads had stopped, not inside a
    # wait, and no upload thread is left
    assert raised_inside == []
    assert signals.exit_code(ended.value) == 128 + signum
    assert threading.active_count() == threads_before


def test_seeding_describes_the_size_before_it_starts() -> None:
    assert DataSetSpec(150).describe_size() == "150 objects, about 3.8 MB"
    assert DataSetSpec(1_000_000).describe_size() == "1,000,000 objects, about 25.5 GB"
