"""The embedded S3: its fast path answers as moto does, its latency follows the published
percentiles, it speaks HTTPS verified as S3 is, and HTTP/1.1 as clients expect."""

import random
import socket
import ssl
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import SSLError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from concurrency_eval.emulators.embedded_s3.fast_path import FastPath
from concurrency_eval.emulators.embedded_s3.faults import EXPRESS, PROFILES, STANDARD, Faults, Latency
from concurrency_eval.emulators.embedded_s3.messages import Request, call_wsgi
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from concurrency_eval.emulators.embedded_s3.server import moto_s3_app

BUCKET = "fast-path-bucket"
#: Headers that differ between any two answers, whoever gives them.
PER_ANSWER = {
    "date",
    "server",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-id-2",
    "access-control-allow-origin",
}


#: An Authorization header as botocore signs one (moto refuses an anonymous GetObject).
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=testing/20261129/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


def client_for(server: EmbeddedS3, **overrides: Any) -> Any:
    options: dict[str, Any] = {"verify": str(server.ca_bundle) if server.ca_bundle else None, **overrides}
    return boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}), **options,
    )  # fmt: skip


def comparable(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers if name.lower() not in PER_ANSWER}


@pytest.mark.parametrize("checksum_mode", [False, True])
@pytest.mark.parametrize(
    "put",
    [
        {},
        {"ContentType": "text/plain", "Metadata": {"origin": "test"}, "CacheControl": "no-cache"},
        {"ServerSideEncryption": "AES256"},
        {"ChecksumAlgorithm": "SHA256"},
    ],
)
def test_the_fast_path_answers_with_the_headers_and_body_moto_gives(
    put: dict[str, Any], checksum_mode: bool
) -> None:
    with mock_aws():
        # Given an object put as a client puts it
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="a key/ü.txt", Body=b"body " * 100, **put)
        headers = {"host": "127.0.0.1:9000", "user-agent": "Botocore", "authorization": SIGNED}
        if checksum_mode:
            headers["x-amz-checksum-mode"] = "ENABLED"
        request = Request("GET", "/fast-path-bucket/a%20key/%C3%BC.txt?x-id=GetObject", headers)
        # When the fast path and moto each answer a plain GetObject
        fast = FastPath().answer(request)
        moto = call_wsgi(moto_s3_app(), request)
    # Then both answer the same status, headers and body
    assert fast is not None
    assert (fast.status, fast.body) == (moto.status, moto.body)
    assert comparable(fast.headers) == comparable(moto.headers)


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/fast-path-bucket/k?versionId=3", {}),
        ("/fast-path-bucket/k", {"range": "bytes=0-3"}),
        ("/fast-path-bucket/k", {"if-none-match": '"x"'}),
        ("/fast-path-bucket/missing", {}),
        ("/no-such-bucket/k", {}),
        ("/fast-path-bucket/k?tagging", {}),
    ],
)
def test_what_the_fast_path_does_not_fully_understand_goes_to_moto(
    target: str, headers: dict[str, str]
) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"data")
        assert FastPath().answer(Request("GET", target, {"host": "h", **headers})) is None


@pytest.fixture(scope="module")
def https_s3() -> Iterator[EmbeddedS3]:
    """A server over HTTPS with BUCKET made: under pytest-xdist each worker that runs a test
    of this module starts one, and no test may count on another having run before it."""
    with EmbeddedS3(tls=True) as server:
        client_for(server).create_bucket(Bucket=BUCKET)
        yield server


def test_https_is_verified_against_the_runs_certificate_authority(https_s3: EmbeddedS3) -> None:
    # Given the embedded S3 over HTTPS
    assert https_s3.endpoint.startswith("https://127.0.0.1:")
    assert https_s3.ca_bundle is not None
    assert https_s3.ca_bundle.is_file()
    # When a client verifies it against the run's CA, as AWS_CA_BUNDLE makes botocore do
    s3 = client_for(https_s3)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"first")
    # Then it reads what it wrote, and an overwrite at once
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"first"
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"second")
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"second"
    s3.delete_object(Bucket=BUCKET, Key="k")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=BUCKET, Key="k")
    assert https_s3.stats()["fast_path"] >= 2
    # And a client that trusts only the system's authorities refuses the certificate
    with pytest.raises(SSLError):
        client_for(https_s3, verify=True).list_buckets()


@pytest.mark.parametrize("operation", ["list_objects_v2", "list_objects"])
def test_listing_pages_hold_at_most_page_keys_and_every_key_once(
    https_s3: EmbeddedS3, operation: str
) -> None:
    # Given five keys under a prefix of unusual characters, and pages cut to two keys
    s3 = client_for(https_s3)
    bucket = f"pages-{operation.replace('_', '-')}"
    s3.create_bucket(Bucket=bucket)
    keys = [f"ünï cödé+&/{index}" for index in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    try:
        https_s3.set_faults(Faults(page_keys=2))
        # When a client pages through them asking for S3's 1,000 keys a page
        pages = list(
            s3.get_paginator(operation).paginate(
                Bucket=bucket, Prefix="ünï cödé+&/", PaginationConfig={"PageSize": 1000}
            )
        )
        # Then each page holds two keys at most, each truncated page says so, and every
        # key comes once, in order (the continuation and the prefix reached moto intact)
        assert [len(page["Contents"]) for page in pages] == [2, 2, 1]
        assert [page["IsTruncated"] for page in pages] == [True, True, False]
        assert [entry["Key"] for page in pages for entry in page["Contents"]] == keys
        # And a client asking for fewer keys than the cap gets what it asked for
        assert [e["Key"] for e in getattr(s3, operation)(Bucket=bucket, MaxKeys=1)["Contents"]] == keys[:1]
        # When the cap is lifted, Then the listing is one page again
        https_s3.set_faults(Faults())
        assert len(getattr(s3, operation)(Bucket=bucket)["Contents"]) == 5
    finally:
        https_s3.set_faults(Faults())


@pytest.mark.parametrize("page_keys", [-1, 1001])
def test_a_page_size_s3_would_not_give_is_refused(page_keys: int) -> None:
    with pytest.raises(ValueError, match="page_keys must be between 0"):
        Faults(page_keys=page_keys)
    assert Faults.from_dict(Faults(page_keys=100).to_dict()).page_keys == 100


def raw_exchange(server: EmbeddedS3, data: bytes) -> bytes:
    host, port = server.endpoint.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=str(server.ca_bundle))
    with (
        socket.create_connection((host, int(port)), timeout=10) as plain,
        context.wrap_socket(plain, server_hostname=host) as tls,
    ):
        tls.sendall(data)
        received = b""
        while chunk := tls.recv(65536):
            received += chunk
        return received


def test_pipelined_requests_are_answered_in_order_and_malformed_ones_refused(https_s3: EmbeddedS3) -> None:
    client_for(https_s3).put_object(Bucket=BUCKET, Key="one", Body=b"1")
    client_for(https_s3).put_object(Bucket=BUCKET, Key="two", Body=b"22")
    pipelined = (
        f"GET /{BUCKET}/one HTTP/1.1\r\nHost: x\r\n\r\n"
        f"GET /{BUCKET}/two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = raw_exchange(https_s3, pipelined)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.index(b"\r\n\r\n1HTTP/1.1 200") < answer.index(b"\r\n\r\n22")
    refused = raw_exchange(https_s3, b"NOT HTTP AT ALL\r\n\r\n")
    assert refused.startswith(b"HTTP/1.1 400 Bad Request")


def test_a_latency_is_waited_before_the_answer(https_s3: EmbeddedS3) -> None:
    # Given every request waits 200 ms (a mechanism check: a lower bound, no upper one)
    s3 = client_for(https_s3)
    s3.put_object(Bucket=BUCKET, Key="slow", Body=b"x")
    https_s3.set_faults(Faults(latency_ms=200))
    try:
        started = time.perf_counter()
        s3.get_object(Bucket=BUCKET, Key="slow")["Body"].read()
        assert time.perf_counter() - started >= 0.19
    finally:
        https_s3.set_faults(Faults())


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=list(PROFILES))
def test_draws_follow_the_published_percentiles(profile: Latency) -> None:
    # Given many draws with a fixed seed
    rng = random.Random(11)
    draws = sorted(profile.first_byte_ms(rng) for _ in range(40_000))
    # Then each published percentile is where the draws put it (within 5%)
    for quantile, published in profile.percentiles:
        assert draws[int(quantile * len(draws))] == pytest.approx(published, rel=0.05), quantile
    assert profile.floor_ms <= draws[0]
    assert draws[-1] <= profile.cap_ms


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(1, 500), min_size=1, max_size=5, unique=True),
    st.integers(0, 2**32),
    st.integers(0, 10_000_000),
)
def test_any_published_percentiles_give_draws_within_their_bounds(
    values: list[float], seed: int, body: int
) -> None:
    values.sort()
    quantiles = [0.1 + 0.8 * index / len(values) for index in range(len(values))]
    latency = Latency("test", tuple(zip(quantiles, values, strict=True)), values[0] / 2, values[-1] * 2, 50e6)
    drawn = latency.first_byte_ms(random.Random(seed))
    assert values[0] / 2 <= drawn <= values[-1] * 2
    assert latency.transfer_ms(body) == pytest.approx(body / 50e6 * 1000)


@pytest.mark.parametrize(
    "bad",
    [
        {"percentiles": ((0.5, 10.0), (0.4, 20.0))},
        {"percentiles": ((0.5, 10.0), (0.9, 5.0))},
        {"percentiles": ((1.5, 10.0),)},
        {"percentiles": ((0.5, 10.0),), "cap_ms": 5.0},
        {"throughput_bytes_s": -1.0},
    ],
)
def test_a_latency_model_that_cannot_be_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="latency"):
        Latency("bad", **bad)


def test_the_profiles_record_their_sources_and_survive_a_round_trip() -> None:
    for profile in (STANDARD, EXPRESS):
        assert profile.source
        assert Latency.from_dict(profile.to_dict()) == profile
    assert EXPRESS.quantile_ms(0.99) < 10 <= STANDARD.quantile_ms(0.9)
    faults = Faults(latency=STANDARD, seed=3)
    assert Faults.from_dict(faults.to_dict()) == faults
