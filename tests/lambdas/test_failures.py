"""S3 failures become structured errors naming the failing keys; nothing hangs."""

import pytest

from concurrency_eval.emulators.embedded_s3.faults import FaultRule, Faults
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from tests.fixtures.embedded_s3 import BUCKET, Data
from tests.handlers import MAGIC, MODELS, FakeContext, invoke

pytestmark = pytest.mark.timeout(120)


def event(prefix: str, find: str | None = MAGIC, bucket: str = BUCKET) -> dict[str, object]:
    return {"s3_bucket_name": bucket, "folder": prefix, "find": find}


@pytest.mark.parametrize("model", MODELS)
def test_missing_bucket(model: str) -> None:
    response = invoke(model, event("x/", bucket="no-such-bucket-here"))
    assert response["error"]["type"] == "BucketNotFound"
    assert response["error"]["field"] == "s3_bucket_name"
    assert "no-such-bucket-here" in response["error"]["message"]
    assert response["result"] is None


@pytest.mark.parametrize("model", MODELS)
def test_access_denied_on_listing(model: str, s3_endpoint: EmbeddedS3, data: Data) -> None:
    # Given a role that may not list the bucket
    s3_endpoint.set_faults(Faults(rules=(FaultRule(operation="list", status=403, code="AccessDenied"),)))
    # When a model runs
    response = invoke(model, event(data.small.prefix))
    # Then it says access was denied, and where
    assert response["error"]["type"] == "AccessDenied"
    assert response["error"]["field"] == "s3_bucket_name"
    assert "s3:ListBucket" in response["error"]["message"]
    assert response["result"] is None


@pytest.mark.parametrize("model", MODELS)
def test_object_deleted_between_list_and_get(model: str, s3_endpoint: EmbeddedS3, data: Data) -> None:
    # Given an object that disappears right after it is listed
    gone = data.small.keys[5]
    s3_endpoint.set_faults(Faults(delete_after_list=(gone,)))
    try:
        # When a model reads the prefix
        response = invoke(model, event(data.small.prefix, None))
    finally:
        s3_endpoint.set_faults(Faults())
        _restore(s3_endpoint, gone)
    # Then it names the lost key and gives no partial count
    error = response["error"]
    assert error["type"] == "ObjectsFailed"
    assert error["failed_keys"] == [{"key": gone, "code": "NoSuchKey"}]
    assert error["failed_count"] == 1
    assert response["result"] is None
    assert response["objects"] == len(data.small.keys) - 1


@pytest.mark.parametrize("model", MODELS)
def test_throttling_that_outlasts_the_retries(
    model: str, s3_endpoint: EmbeddedS3, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two keys that S3 always throttles, and two attempts per request
    monkeypatch.setenv("S3FANOUT_MAX_ATTEMPTS", "2")
    throttled = sorted(data.small.keys[i] for i in (3, 11))
    rules = tuple(FaultRule(key=key, status=503, code="SlowDown") for key in throttled)
    s3_endpoint.set_faults(Faults(rules=rules))
    # When a model reads the prefix
    response = invoke(model, event(data.small.prefix))
    # Then both keys are named with S3's code, after exactly two attempts each
    error = response["error"]
    assert error["type"] == "ObjectsFailed"
    assert error["failed_keys"] == [{"key": key, "code": "SlowDown"} for key in throttled]
    assert "2 of 20 objects" in error["message"]
    assert s3_endpoint.stats()["faults_injected"] == 4


@pytest.mark.parametrize("model", MODELS)
def test_transient_errors_are_retried(model: str, s3_endpoint: EmbeddedS3, data: Data) -> None:
    # Given an S3 that answers 5% of GETs with 503 SlowDown and 3% with 500
    s3_endpoint.set_faults(
        Faults(
            rules=(
                FaultRule(rate=0.05, status=503, code="SlowDown"),
                FaultRule(rate=0.03, status=500, code="InternalError"),
            ),
            seed=3,
        )
    )
    # When a model searches the mixed prefix
    response = invoke(model, event(data.mixed.prefix))
    # Then retries hide the faults and the answer is right
    assert response["error"] is None
    assert response["result"] == data.mixed.magic_key
    assert s3_endpoint.stats()["faults_injected"] > 0


@pytest.mark.parametrize("model", MODELS)
def test_a_hanging_answer_times_out_instead_of_hanging(
    model: str, s3_endpoint: EmbeddedS3, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given one object whose GET answers only after 5 s, and a 0.5 s read timeout
    monkeypatch.setenv("S3FANOUT_READ_TIMEOUT", "0.5")
    monkeypatch.setenv("S3FANOUT_MAX_ATTEMPTS", "2")
    slow = data.small.keys[0]
    s3_endpoint.set_faults(Faults(rules=(FaultRule(key=slow, delay_ms=5_000),)))
    # When a model reads the prefix (the test's timeout fails it if anything hangs)
    response = invoke(model, event(data.small.prefix))
    # Then that key fails with a timeout and the rest are read
    error = response["error"]
    assert error["type"] == "ObjectsFailed"
    assert [failure["key"] for failure in error["failed_keys"]] == [slow]
    assert "Timeout" in error["failed_keys"][0]["code"]
    assert response["objects"] == len(data.small.keys) - 1


@pytest.mark.parametrize("model", MODELS)
def test_near_deadline_stops_with_a_structured_error(model: str, data: Data) -> None:
    # Given an invocation with less time left than the deadline margin (2 s)
    context = FakeContext(remaining_ms=1500)
    # When a model runs
    response = invoke(model, event(data.small.prefix), context)
    # Then it reads nothing more and says it ran out of time
    assert response["error"]["type"] == "DeadlineExceeded"
    assert "S3FANOUT_DEADLINE_MARGIN_MS" in response["error"]["message"]
    assert response["objects"] == 0
    assert response["result"] is None


@pytest.mark.parametrize("model", MODELS)
def test_enough_time_left_is_no_error(model: str, data: Data) -> None:
    response = invoke(model, event(data.small.prefix, None), FakeContext(remaining_ms=60_000))
    assert response["error"] is None
    assert response["result"] == "20"


def _restore(server: EmbeddedS3, key: str) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1")
    client.put_object(Bucket=BUCKET, Key=key, Body=b"x" * 1000)
