"""The data set: reproducible from its seed, one magic file, uploads that skip what is there."""

from typing import Any

import boto3
import pytest
from moto import mock_aws

from concurrency_eval.workload.dataset import MAGIC, DataSetSpec, seed


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


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_a_bucket_is_created_in_the_clients_region(region: str) -> None:
    # Outside us-east-1, S3 wants the region named as a location constraint
    spec = DataSetSpec(objects=2, min_size=20, max_size=30)
    with mock_aws():
        client = boto3.client("s3", region_name=region)
        seed(client, f"seed-{region}", spec, create_bucket=True)
        location = client.get_bucket_location(Bucket=f"seed-{region}")["LocationConstraint"]
    assert location == (None if region == "us-east-1" else region)
