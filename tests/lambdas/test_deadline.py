"""The Lambda deadline holds for requests already in flight, in every model.

Against a server that never answers one GET, one that answers it late, and one that is
stopped outright, every model answers by the deadline less its margin, with a
DeadlineExceeded that names the requests it abandoned.
"""

import os
import signal
import time
from collections.abc import Iterator

import boto3
import pytest

from concurrency_eval.emulators.embedded_s3.faults import FaultRule, Faults
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from tests.fixtures.embedded_s3 import BUCKET
from tests.handlers import MODELS, FakeContext, invoke

pytestmark = pytest.mark.timeout(120)
#: Short: what is checked is that the answer comes by the deadline less the margin, not
#: after a long wait (the late GET answers at 8 s, eight times the deadline, or never).
#: The answer is due at 0.75 s; listing and the other four GETs take milliseconds.
DEADLINE_MS, MARGIN_MS = 1000, 250
#: Generous: the mechanism either holds the deadline or misses it by seconds.
TOLERANCE_S = 1.0


class Countdown(FakeContext):
    """A Lambda context whose remaining time runs down in real time."""

    def __init__(self, milliseconds: int) -> None:
        super().__init__(milliseconds, "deadline-test")
        self._deadline = time.monotonic() + milliseconds / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@pytest.fixture(autouse=True)
def margin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3FANOUT_DEADLINE_MARGIN_MS", str(MARGIN_MS))


def warm(model: str) -> None:
    """The model as a warm environment holds it: imported, as Lambda imports it in INIT (in
    a fresh clone the first import also compiles the SDK: seconds), and invoked once, which
    builds its S3 client (a tenth of a second of CPU, several times that on a loaded
    machine). What the deadline below then measures is the requests in flight alone."""
    invoke(model, {"s3_bucket_name": BUCKET, "folder": "warm-up/", "find": None})


def answer_within_the_deadline(model: str, prefix: str) -> dict[str, object]:
    started = time.monotonic()
    response = invoke(
        model, {"s3_bucket_name": BUCKET, "folder": prefix, "find": None}, Countdown(DEADLINE_MS)
    )
    elapsed = time.monotonic() - started
    assert elapsed <= (DEADLINE_MS - MARGIN_MS) / 1000 + TOLERANCE_S, (model, elapsed)
    return response


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedS3]:
    """A server of this module's own (a test stops it), with five small objects. A late
    answer left from one test is a timer on the server's loop: it holds up nothing after."""
    with EmbeddedS3() as server:
        client = boto3.client(
            "s3", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        client.create_bucket(Bucket=BUCKET)
        for key in KEYS:
            client.put_object(Bucket=BUCKET, Key=key, Body=b"x" * 100)
        yield server


@pytest.fixture
def own_server(server: EmbeddedS3, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedS3]:
    """The module's server, with no faults, that the functions talk to."""
    server.set_faults(Faults())
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.endpoint)
    yield server
    server.set_faults(Faults())


KEYS = [f"deadline/{index}" for index in range(5)]


@pytest.mark.timing
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("delay_ms", [600_000, 8_000], ids=["hung", "slow"])
def test_a_get_that_outlives_the_deadline_is_abandoned_in_time(
    model: str, delay_ms: int, own_server: EmbeddedS3
) -> None:
    # Given a warm model, and one GET that does not answer before the deadline
    warm(model)
    late = KEYS[3]
    own_server.set_faults(Faults(rules=(FaultRule(key=late, delay_ms=delay_ms),)))
    # When a model reads the prefix, Then it answers in time, naming the abandoned GET
    response = answer_within_the_deadline(model, "deadline/")
    error = response["error"]
    assert isinstance(error, dict)
    assert error["type"] == "DeadlineExceeded"
    assert {"key": late, "code": "DeadlineExceeded"} in error["failed_keys"]
    assert "abandoned" in error["message"]
    assert response["result"] is None


@pytest.mark.timing
@pytest.mark.parametrize("model", MODELS)
def test_a_stopped_server_cannot_hold_the_answer_past_the_deadline(
    model: str, own_server: EmbeddedS3
) -> None:
    # Given a warm model, and the S3 server stopped (SIGSTOP: connections accepted,
    # nothing answered)
    warm(model)
    assert own_server.pid is not None
    os.kill(own_server.pid, signal.SIGSTOP)
    try:
        response = answer_within_the_deadline(model, "deadline/")
    finally:
        os.kill(own_server.pid, signal.SIGCONT)
    error = response["error"]
    assert isinstance(error, dict)
    # Listing itself hangs: nothing is read, and the answer says so in time
    assert error["type"] == "DeadlineExceeded"
    assert response["objects"] == 0
