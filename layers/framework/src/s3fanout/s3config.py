"""The botocore client configuration, identical for the boto3 and aiobotocore clients."""

import os
from typing import Any

from s3fanout.settings import Settings


def endpoint() -> str | None:
    """The S3 endpoint the SDK will use when not AWS's; a client is rebuilt when it changes."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


def client_options(settings: Settings, pool_size: int) -> dict[str, Any]:
    """Keyword arguments for botocore's `Config` (or aiobotocore's `AioConfig`).

    The connection pool holds exactly as many connections as requests may be in
    flight, so no request waits for a connection and none is opened only to be dropped.
    A client is reused while these options stay the same.
    """
    return {
        "max_pool_connections": pool_size,
        "retries": {"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "tcp_keepalive": True,
    }
