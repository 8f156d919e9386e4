"""Bucket names: a directory bucket's carries its zone, and is told apart by its suffix."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3fanout.buckets import bucket_name_problem, is_directory_bucket, is_zone_id, zone_of

#: Zone IDs from the Amazon S3 User Guide ("Directory bucket naming rules", "Endpoints")
#: and a Local Zone's, as EC2's DescribeAvailabilityZones names them.
ZONE_IDS = (
    "use1-az4",
    "use1-az6",
    "usw2-az1",
    "aps1-az3",
    "apne1-az4",
    "euw1-az1",
    "eun1-az3",
    "usw2-lax1-az1",
)

#: What no bucket name may begin with (Amazon S3 User Guide, "General purpose bucket
#: naming rules"; a directory bucket's base name follows them).
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")

bases = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda base: not base.startswith(RESERVED_PREFIXES)
)
zones = st.sampled_from(ZONE_IDS)


@given(base=bases, zone=zones)
def test_every_directory_bucket_name_is_valid_and_names_its_zone(base: str, zone: str) -> None:
    # Given a base name and a zone, put together as S3 requires
    name = f"{base}--{zone}--x-s3"
    # Then the name is valid, is a directory bucket's, and gives its zone back
    assert bucket_name_problem(name) is None
    assert is_directory_bucket(name)
    assert zone_of(name) == zone


@given(prefix=st.sampled_from(RESERVED_PREFIXES), base=bases, zone=zones)
def test_a_directory_bucket_name_that_begins_as_s3_reserves_is_refused(
    prefix: str, base: str, zone: str
) -> None:
    # Given a directory bucket name whose base begins with a prefix S3 keeps for itself
    name = f"{prefix}{base}--{zone}--x-s3"
    # Then it is refused for that reason, though it is otherwise well formed
    assert bucket_name_problem(name) == "it uses a prefix that S3 reserves"
    assert zone_of(name) == zone


@pytest.mark.parametrize("zone", ZONE_IDS)
def test_documented_zone_ids_are_zone_ids(zone: str) -> None:
    assert is_zone_id(zone)


@pytest.mark.parametrize(
    "text", ["us-east-1a", "use1", "use1-az", "USE1-AZ4", "use1-az4 ", "use1-az4--x-s3", "az4", ""]
)
def test_zone_names_and_other_text_are_not_zone_ids(text: str) -> None:
    # An Availability Zone's name (us-east-1a) differs between accounts; its ID does not
    assert not is_zone_id(text)


@pytest.mark.parametrize("name", ["my-bucket", "a.b-c.123", "data--x-s3-not", "my--bucket"])
def test_general_purpose_names_are_not_directory_buckets(name: str) -> None:
    assert not is_directory_bucket(name)
    assert zone_of(name) is None
