"""Properties over open-ended inputs: any event gets the documented shape, the streaming
search agrees with `in`, and the models agree on the first key that holds the needle."""

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from s3fanout.search import StreamSearch
from tests.handlers import MAGIC, FakeContext, invoke

RESPONSE_FIELDS = {
    "lang", "detail", "result", "time", "objects", "bytes", "matches", "concurrency", "truncated", "error",
}  # fmt: skip
ERROR_FIELDS = {"type", "message", "field", "failed_keys", "failed_count"}
BLOCKING_MODELS = ("sync", "threaded")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
fields = st.sampled_from(["s3_bucket_name", "folder", "find", "concurrency", "max_keys"]) | st.text(
    max_size=12
)
events = (
    st.dictionaries(fields, json_values, max_size=6)
    | st.fixed_dictionaries(
        {"s3_bucket_name": st.text(max_size=70), "folder": st.text(max_size=20)},
        optional={
            "find": st.none() | st.text(max_size=20),
            "concurrency": json_values,
            "max_keys": json_values,
        },
    )
    | json_values
)


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="property-bucket")
        yield client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events, model=st.sampled_from(BLOCKING_MODELS))
def test_any_event_gets_the_documented_shape_and_nothing_raises(s3: Any, event: object, model: str) -> None:
    response = invoke(model, event, FakeContext(remaining_ms=60_000))
    assert set(response) == RESPONSE_FIELDS
    assert response["lang"] == "python"
    assert response["detail"] == model
    error = response["error"]
    if error is not None:
        assert set(error) == ERROR_FIELDS
        assert response["result"] is None
        assert isinstance(error["message"], str)


@settings(max_examples=400, deadline=None)
@given(
    body=st.binary(max_size=300),
    needle=st.binary(min_size=1, max_size=12),
    plant=st.booleans(),
    cuts=st.lists(st.integers(0, 400), max_size=12),
)
def test_the_streaming_search_agrees_with_in(
    body: bytes, needle: bytes, plant: bool, cuts: list[int]
) -> None:
    if plant:
        middle = len(body) // 2
        body = body[:middle] + needle + body[middle:]
    edges = sorted({0, len(body), *(c for c in cuts if c <= len(body))})
    search = StreamSearch(needle)
    for start, end in itertools.pairwise(edges):
        search.feed(body[start:end])
    assert search.found == (needle in body)
    assert search.size == len(body)


@pytest.mark.slow  # forty data sets through two models: CPU-bound, half a minute
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(
        st.tuples(st.text("abcxyz/", min_size=1, max_size=8), st.booleans()),
        min_size=1, max_size=25, unique_by=lambda pair: pair[0],
    ),
    concurrency=st.integers(1, 8),
)  # fmt: skip
def test_every_model_finds_the_same_first_key(
    s3: Any, data: list[tuple[str, bool]], concurrency: int
) -> None:
    # Given objects under a fresh prefix, the magic string in any subset of them
    prefix = f"p{abs(hash(tuple(data))) % 10**12}/"
    for key, magic in data:
        s3.put_object(
            Bucket="property-bucket", Key=prefix + key, Body=(b"x" + MAGIC.encode() if magic else b"y")
        )
    holding = sorted(prefix + key for key, magic in data if magic)
    event = {"s3_bucket_name": "property-bucket", "folder": prefix, "find": MAGIC, "concurrency": concurrency}
    # When each model searches, Then each answers with the first key (in key order) holding it
    for model in BLOCKING_MODELS:
        response = invoke(model, event, FakeContext(remaining_ms=60_000))
        assert response["error"] is None
        assert response["result"] == (holding[0] if holding else None)
        assert response["matches"] == len(holding)
