"""The event contract, checked through the handlers: bad input never raises."""

import json
from typing import Any

import pytest

from s3fanout.event import MAX_CONCURRENCY, Request, parse_event
from tests.handlers import MODELS, invoke

VALID = {"s3_bucket_name": "my-bucket", "folder": "1000/", "find": "MyMagicString"}


def with_(**changes: Any) -> dict[str, Any]:
    event = dict(VALID)
    for name, value in changes.items():
        if value is _MISSING:
            event.pop(name)
        else:
            event[name] = value
    return event


_MISSING = object()

# (event, field named in the error, a fragment of the message)
MALFORMED: list[tuple[object, str, str]] = [
    (None, "event", "must be a JSON object, got null"),
    ([VALID], "event", "got array"),
    ("s3_bucket_name=my-bucket", "event", "got string"),
    (42, "event", "got int"),
    ({}, "s3_bucket_name", "is required"),
    (with_(s3_bucket_name=_MISSING), "s3_bucket_name", "is required"),
    (with_(folder=_MISSING), "folder", "is required"),
    (with_(s3_bucket_name=""), "s3_bucket_name", "must not be empty"),
    (with_(s3_bucket_name=None), "s3_bucket_name", "must be a string, got null"),
    (with_(s3_bucket_name=["my-bucket"]), "s3_bucket_name", "got array"),
    (with_(s3_bucket_name="My_Bucket"), "s3_bucket_name", "lowercase letters"),
    (with_(s3_bucket_name="ab"), "s3_bucket_name", "3 to 63 characters"),
    (with_(s3_bucket_name="a" * 64), "s3_bucket_name", "3 to 63 characters"),
    (with_(s3_bucket_name="192.168.5.4"), "s3_bucket_name", "IP address"),
    (with_(s3_bucket_name="my..bucket"), "s3_bucket_name", "doubled"),
    (with_(s3_bucket_name="-bucket"), "s3_bucket_name", "beginning and ending"),
    (with_(s3_bucket_name="xn--bucket"), "s3_bucket_name", "reserves"),
    (with_(s3_bucket_name="s3://my-bucket"), "s3_bucket_name", "not a valid bucket name"),
    # A trailing newline must not slip past an anchored pattern ('$' matches before it)
    (with_(s3_bucket_name="my-bucket\n"), "s3_bucket_name", "not a valid bucket name"),
    (with_(s3_bucket_name="192.168.5.4\n"), "s3_bucket_name", "not a valid bucket name"),
    (with_(folder=1000), "folder", "must be a string, got int"),
    (with_(folder="x" * 1025), "folder", "1024 bytes"),
    (with_(folder="\ud800"), "folder", "not valid Unicode"),
    (with_(find=""), "find", "must not be empty"),
    (with_(find=7), "find", "must be a string or null, got int"),
    (with_(find={"text": "x"}), "find", "got object"),
    (with_(find="x" * 1025), "find", "at most 1024"),
    (with_(find="é" * 513), "find", "1026 bytes"),
    (with_(concurrency=0), "concurrency", "between 1 and 256, got 0"),
    (with_(concurrency=-5), "concurrency", "between 1 and 256"),
    (with_(concurrency=MAX_CONCURRENCY + 1), "concurrency", "between 1 and 256, got 257"),
    (with_(concurrency="64"), "concurrency", "must be an integer, got string"),
    (with_(concurrency=8.0), "concurrency", "got number"),
    (with_(concurrency=True), "concurrency", "got boolean"),
    (with_(max_keys=0), "max_keys", "between 1 and"),
    (with_(max_keys="all"), "max_keys", "must be an integer"),
    (with_(Find="x"), "Find", "unknown field 'Find'"),
    # A field name the size of the event is echoed in part (the answer stays far below 6 MB)
    (with_(**{"x" * 3_200_000: 1}), "x" * 80 + "...", "unknown field '" + "x" * 80 + "...'"),
    (with_(s3_bucket_name="B" * 3_200_000), "s3_bucket_name", "'" + "B" * 80 + "...' is not a valid"),
    # Directory buckets (S3 Express One Zone): base--zone-id--x-s3, and prefixes ending in '/'
    (with_(s3_bucket_name="data--x-s3"), "s3_bucket_name", "then '--', its zone ID and '--x-s3'"),
    (with_(s3_bucket_name="data--use1az4--x-s3"), "s3_bucket_name", "directory bucket's name"),
    (with_(s3_bucket_name="Data--use1-az4--x-s3"), "s3_bucket_name", "directory bucket's name"),
    (with_(s3_bucket_name="da.ta--use1-az4--x-s3"), "s3_bucket_name", "directory bucket's name"),
    (with_(s3_bucket_name="xn--data--use1-az4--x-s3"), "s3_bucket_name", "prefix that S3 reserves"),
    (with_(s3_bucket_name="d" * 48 + "--use1-az4--x-s3"), "s3_bucket_name", "3 to 63 characters"),
    (
        with_(s3_bucket_name="data--use1-az4--x-s3", folder="1000"),
        "folder",
        "folder '1000' must end in '/' to be listed in a directory bucket",
    ),
]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("event", "field", "fragment"), MALFORMED)
def test_malformed_event_gets_a_structured_error(
    model: str, event: object, field: str, fragment: str
) -> None:
    # Given a malformed event
    # When a handler receives it
    response = invoke(model, event)

    # Then it answers with an InvalidEvent error naming the field and the problem
    error = response["error"]
    assert error["type"] == "InvalidEvent"
    assert error["field"] == field
    assert fragment in error["message"]
    assert error["failed_keys"] == []
    assert error["failed_count"] == 0
    # and in the same response shape as a success, with no result
    assert response["lang"] == "python"
    assert response["detail"] == model
    assert response["result"] is None
    assert isinstance(response["time"], float)
    assert len(json.dumps(response)) < 2_000


def test_corpus_is_large_enough() -> None:
    assert len(MALFORMED) >= 20


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (VALID, Request("my-bucket", "1000/", "MyMagicString", 64, None)),
        (with_(find=None), Request("my-bucket", "1000/", None, 64, None)),
        (with_(find=_MISSING), Request("my-bucket", "1000/", None, 64, None)),
        (with_(folder=""), Request("my-bucket", "", "MyMagicString", 64, None)),
        (with_(concurrency=1, max_keys=5), Request("my-bucket", "1000/", "MyMagicString", 1, 5)),
        (with_(concurrency=None), Request("my-bucket", "1000/", "MyMagicString", 64, None)),
        (with_(s3_bucket_name="a.b-c.123"), Request("a.b-c.123", "1000/", "MyMagicString", 64, None)),
        (
            with_(folder="dir with space/é/"),
            Request("my-bucket", "dir with space/é/", "MyMagicString", 64, None),
        ),
        # Directory buckets, in an Availability Zone and in a Local Zone, the whole bucket or a folder
        (
            with_(s3_bucket_name="data--use1-az4--x-s3"),
            Request("data--use1-az4--x-s3", "1000/", "MyMagicString", 64, None),
        ),
        (
            with_(s3_bucket_name="my-data--usw2-lax1-az1--x-s3", folder=""),
            Request("my-data--usw2-lax1-az1--x-s3", "", "MyMagicString", 64, None),
        ),
        # Anywhere else a folder need not end in '/'
        (with_(folder="1000"), Request("my-bucket", "1000", "MyMagicString", 64, None)),
    ],
)
def test_valid_events_parse(event: dict[str, Any], expected: Request) -> None:
    # Given a valid event, When it is parsed, Then every field is as the event says
    assert parse_event(event, default_concurrency=64) == expected


def test_needle_is_the_utf8_of_find() -> None:
    request = parse_event(with_(find="é MyMagicString"), default_concurrency=64)
    assert request.needle == "é MyMagicString".encode()
