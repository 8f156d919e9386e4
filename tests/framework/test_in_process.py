"""sync and threaded on moto's in-process mock: metrics, logs, and internal errors."""

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from moto import mock_aws

from s3fanout import observability
from s3fanout.blocking import blocking_handler
from s3fanout.models import Model
from tests.handlers import MAGIC, FakeContext, invoke

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

BUCKET = "in-process-bucket"
BLOCKING_MODELS = ("sync", "threaded")


@pytest.fixture
def bucket() -> Iterator[None]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for index in range(12):
            body = f"object {index} " + (MAGIC if index == 7 else "plain")
            client.put_object(Bucket=BUCKET, Key=f"data/{index:02d}", Body=body.encode())
        yield


def emf_documents(output: str) -> list[dict[str, Any]]:
    """The EMF metric documents a run printed to standard output."""
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [document for document in documents if "_aws" in document]


def our_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "concurrency-eval"]


@pytest.mark.parametrize("model", BLOCKING_MODELS)
def test_success_emits_metrics_by_model(
    model: str, bucket: None, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given twelve objects, one holding the magic string
    # When a model searches them
    response = invoke(model, {"s3_bucket_name": BUCKET, "folder": "data/", "find": MAGIC})
    # Then it answers, and publishes one EMF document dimensioned by its model
    assert response["result"] == "data/07"
    metrics = [d for d in emf_documents(capsys.readouterr().out) if "ObjectsRead" in d]
    assert len(metrics) == 1
    document = metrics[0]
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ConcurrencyEval"
    assert ["model", "service"] in directive["Dimensions"]
    assert {metric["Name"] for metric in directive["Metrics"]} == {
        "ObjectsRead", "BytesRead", "ProcessingTime", "Errors", "FailedObjects",
    }  # fmt: skip
    assert document["model"] == model
    assert document["ObjectsRead"] == [12.0]
    assert document["BytesRead"] == [float(response["bytes"])]
    assert document["Errors"] == [0.0]
    assert document["ProcessingTime"][0] == pytest.approx(response["time"] * 1000)
    records = our_records(caplog)
    assert [record.message for record in records] == ["processed"]
    assert records[0].__dict__["detail"] == model
    assert records[0].__dict__["objects"] == 12


@pytest.mark.parametrize("model", BLOCKING_MODELS)
def test_error_is_counted_and_logged(
    model: str, bucket: None, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    response = invoke(model, {"s3_bucket_name": BUCKET, "folder": "data/", "find": MAGIC, "concurrency": 0})
    assert response["error"]["type"] == "InvalidEvent"
    (document,) = [d for d in emf_documents(capsys.readouterr().out) if "Errors" in d]
    assert document["Errors"] == [1.0]
    records = our_records(caplog)
    assert [record.levelname for record in records] == ["WARNING"]
    assert records[0].__dict__["error"]["field"] == "concurrency"


def test_a_bug_in_a_strategy_is_an_internal_error_not_a_raise(
    bucket: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a strategy that fails in an unexpected way
    def broken(objects: Iterator[Any], fetch: Any, concurrency: int) -> None:
        raise ZeroDivisionError("a bug")

    handler = blocking_handler(Model.SYNC, broken)
    # When it runs
    context = cast("LambdaContext", FakeContext(60_000))
    response = handler({"s3_bucket_name": BUCKET, "folder": "data/", "find": MAGIC}, context)
    # Then the caller gets a structured InternalError and the traceback goes to the log
    assert response["error"]["type"] == "InternalError"
    assert "ZeroDivisionError: a bug" in response["error"]["message"]
    failures = [record for record in our_records(caplog) if record.exc_info]
    assert failures
    assert failures[0].exc_info is not None
    assert failures[0].exc_info[0] is ZeroDivisionError


@pytest.mark.parametrize("model", BLOCKING_MODELS)
def test_the_lambda_context_is_in_every_log_line(
    model: str, bucket: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Powertools' inject_lambda_context: the request id, the function, the cold start
    invoke(model, {"s3_bucket_name": BUCKET, "folder": "data/", "find": None}, FakeContext(60_000, "req-42"))
    (record,) = [record for record in our_records(caplog) if record.message == "processed"]
    line = json.loads(observability.logger().registered_formatter.format(record))
    assert line["function_request_id"] == "req-42"
    assert line["function_name"] == "concurrency-eval-test"
    assert isinstance(line["cold_start"], bool)


@pytest.mark.parametrize("model", BLOCKING_MODELS)
def test_each_invocation_starts_with_empty_metrics(
    model: str, bucket: None, monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    # Given metrics switched off (as for local runs), so nothing is flushed
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    # When a warm function is invoked twice
    for _ in range(2):
        invoke(model, {"s3_bucket_name": BUCKET, "folder": "data/", "find": None})
    # Then the second did not find the first's dimension still set
    assert [str(warning.message) for warning in recwarn if "already been added" in str(warning.message)] == []
