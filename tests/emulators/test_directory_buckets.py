"""Directory buckets on the embedded S3, as botocore meets them: CreateSession first,
then every request signed with the session, and listings out of lexicographic order."""

import datetime
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest
from botocore.exceptions import ClientError

from concurrency_eval.emulators.embedded_s3.directory_buckets import (
    is_create_session,
    session_answer,
    unordered_listing,
)
from concurrency_eval.emulators.embedded_s3.instrument import classify
from concurrency_eval.emulators.embedded_s3.messages import Answer, Request
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from tests.emulators.test_embedded_s3 import client_for

DIRECTORY = "eval--use1-az4--x-s3"
KEYS = [f"1000/{index:06d}.txt" for index in range(23)]
LOCATION = {
    "Location": {"Type": "AvailabilityZone", "Name": "use1-az4"},
    "Bucket": {"DataRedundancy": "SingleAvailabilityZone", "Type": "Directory"},
}


@pytest.fixture(scope="module")
def seeded() -> Any:
    """An HTTPS embedded S3 holding a directory bucket, filled through session auth."""
    with EmbeddedS3(tls=True) as server:
        client = client_for(server)
        client.create_bucket(Bucket=DIRECTORY, CreateBucketConfiguration=LOCATION)
        for key in KEYS:
            client.put_object(Bucket=DIRECTORY, Key=key, Body=key.encode())
        yield server


def test_botocore_reads_a_directory_bucket_through_a_session(seeded: EmbeddedS3) -> None:
    # Given a client as the functions make one, with botocore's session auth (the default)
    client = client_for(seeded)
    seeded.reset_stats()
    # When it reads one object back and lists the folder in pages
    body = client.get_object(Bucket=DIRECTORY, Key=KEYS[5])["Body"].read()
    pages = list(
        client.get_paginator("list_objects_v2").paginate(
            Bucket=DIRECTORY, Prefix="1000/", PaginationConfig={"PageSize": 10}
        )
    )
    # Then the object is there, and every key is listed once
    assert body == KEYS[5].encode()
    listed = [entry["Key"] for page in pages for entry in page["Contents"]]
    assert sorted(listed) == KEYS
    # And botocore asked for a session first (counted apart from listings and GETs)
    requests = seeded.stats()["requests"]
    assert requests["other"] >= 1
    assert requests["list"] == len(pages) == 3
    assert requests["get"] == 1


def test_a_page_of_a_directory_bucket_is_not_in_key_order(seeded: EmbeddedS3) -> None:
    # Given the directory bucket's keys, When its first page is listed
    page = client_for(seeded).list_objects_v2(Bucket=DIRECTORY, Prefix="1000/", MaxKeys=10)
    keys = [entry["Key"] for entry in page["Contents"]]
    # Then it holds the first ten keys (pages follow each other), not in lexicographic order
    assert sorted(keys) == KEYS[:10]
    assert keys != sorted(keys)


def test_a_general_purpose_bucket_still_lists_in_key_order(seeded: EmbeddedS3) -> None:
    client = client_for(seeded)
    client.create_bucket(Bucket="general-purpose-bucket")
    for key in reversed(KEYS[:8]):
        client.put_object(Bucket="general-purpose-bucket", Key=key, Body=b"x")
    listed = [entry["Key"] for entry in client.list_objects_v2(Bucket="general-purpose-bucket")["Contents"]]
    assert listed == KEYS[:8]


def test_a_missing_directory_bucket_is_named_by_the_request_that_needs_it(seeded: EmbeddedS3) -> None:
    # Given no bucket of that name, When a client reads it, Then S3's NoSuchBucket says so
    with pytest.raises(ClientError) as raised:
        client_for(seeded).list_objects_v2(Bucket="absent--use1-az4--x-s3", Prefix="1000/")
    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"


@pytest.mark.parametrize(
    ("method", "target", "expected"),
    [
        ("GET", "/eval--use1-az4--x-s3?session", True),
        ("GET", "/eval--use1-az4--x-s3?session=", True),
        ("GET", "/eval--use1-az4--x-s3?list-type=2&prefix=1000%2F", False),
        ("GET", "/eval--use1-az4--x-s3/key?session", False),
        ("PUT", "/eval--use1-az4--x-s3?session", False),
        ("GET", "/general-purpose?session", False),
        ("GET", "/eval--use1-az4--x-s3?sessions", False),
    ],
)
def test_create_session_is_recognised_only_as_s3_sends_it(method: str, target: str, expected: bool) -> None:
    assert is_create_session(Request(method, target, {})) is expected


def test_create_session_is_not_counted_as_a_listing() -> None:
    assert classify("GET", "/eval--use1-az4--x-s3", "session")[0] == "other"
    assert classify("GET", "/eval--use1-az4--x-s3", "list-type=2")[0] == "list"


def test_session_credentials_expire_after_five_minutes() -> None:
    # Given the time of the request
    now = datetime.datetime(2026, 11, 29, 8, 0, 0, tzinfo=datetime.UTC)
    # When CreateSession is answered
    answer = session_answer(now)
    # Then it holds the fields of the API Reference's CreateSessionResult, expiring five minutes on
    credentials = ElementTree.fromstring(answer.body)[0]
    fields = {element.tag.rpartition("}")[2]: element.text for element in credentials}
    assert set(fields) == {"SessionToken", "SecretAccessKey", "AccessKeyId", "Expiration"}
    assert fields["Expiration"] == "2026-11-29T08:05:00Z"


def test_a_page_of_one_object_is_left_as_it_is() -> None:
    page = Answer(200, "OK", [("Content-Length", "60")], b"<R><Contents><Key>a</Key></Contents></R>")
    assert unordered_listing(page) is page
