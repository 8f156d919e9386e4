"""Every test: offline from AWS. The shared fixtures live in tests/fixtures."""

import pytest

pytest_plugins = ["tests.fixtures.embedded_s3"]


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach AWS: fake credentials, a fixed region, no profile or IMDS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    for name in ("DEFAULT_CONCURRENCY", "RETRY_MODE", "MAX_ATTEMPTS", "CONNECT_TIMEOUT",
                 "READ_TIMEOUT", "DEADLINE_MARGIN_MS", "CHUNK_SIZE"):  # fmt: skip
        monkeypatch.delenv(f"S3FANOUT_{name}", raising=False)
