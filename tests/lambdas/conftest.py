"""The handlers run end to end against the embedded S3, which every test here reaches
through AWS_ENDPOINT_URL_S3, as a user's would."""

import pytest

from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3


@pytest.fixture(autouse=True)
def handlers_use_the_embedded_s3(s3_endpoint: EmbeddedS3) -> EmbeddedS3:
    return s3_endpoint
