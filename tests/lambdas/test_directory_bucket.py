"""The workload on an S3 Express One Zone directory bucket: botocore's session auth in
both clients (boto3 and aiobotocore), and the same answer whatever order it lists in."""

import boto3
import pytest

from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from tests.handlers import MAGIC, MODELS, invoke

pytestmark = pytest.mark.timeout(120)

DIRECTORY = "fanout-e2e--use1-az4--x-s3"
KEYS = [f"express/{index:03d}.txt" for index in range(30)]
#: Two objects hold the magic string: the bucket lists the first before the second, and
#: the second, first in key order, is the answer.
MATCHES = (KEYS[22], KEYS[9])


@pytest.fixture(scope="module")
def directory_bucket(embedded_s3: EmbeddedS3) -> str:
    client = boto3.client(
        "s3", endpoint_url=embedded_s3.endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_bucket(
        Bucket=DIRECTORY,
        CreateBucketConfiguration={
            "Location": {"Type": "AvailabilityZone", "Name": "use1-az4"},
            "Bucket": {"DataRedundancy": "SingleAvailabilityZone", "Type": "Directory"},
        },
    )
    for key in KEYS:
        body = f"{key} {MAGIC}" if key in MATCHES else key
        client.put_object(Bucket=DIRECTORY, Key=key, Body=body.encode())
    listed = [
        entry["Key"] for entry in client.list_objects_v2(Bucket=DIRECTORY, Prefix="express/")["Contents"]
    ]
    assert listed.index(MATCHES[0]) < listed.index(MATCHES[1])
    return DIRECTORY


@pytest.mark.parametrize("model", MODELS)
def test_each_model_reads_a_directory_bucket_through_a_session(model: str, directory_bucket: str) -> None:
    # Given a directory bucket, which botocore reads only with a session (CreateSession) and
    # which lists out of key order, two of its objects holding the string
    # When a model searches its folder
    response = invoke(model, {"s3_bucket_name": directory_bucket, "folder": "express/", "find": MAGIC})
    # Then it reads every object and answers the first match in key order
    assert response["error"] is None
    assert response["objects"] == len(KEYS)
    assert response["matches"] == 2
    assert response["result"] == min(MATCHES) == KEYS[9]
