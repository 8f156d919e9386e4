"""Powertools structured logs and EMF metrics, created at first use, not at import.

Powertools reads its environment variables when imported and constructed; doing that
lazily keeps handler import light and free of environment reads.
"""

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from s3fanout.models import Model

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "concurrency-eval"
NAMESPACE = "ConcurrencyEval"


@cache
def logger() -> "Logger":
    from aws_lambda_powertools import Logger

    return Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))


@cache
def metrics() -> "Metrics":
    from aws_lambda_powertools import Metrics

    return Metrics(
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE),
        service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE),
    )


def record(model: Model, response: dict[str, Any], context: object) -> None:
    """Log the outcome and publish the invocation's metrics, dimensioned by model."""
    from aws_lambda_powertools.metrics import MetricUnit

    error = response["error"]
    summary = {key: value for key, value in response.items() if key != "error"}
    summary["request_id"] = getattr(context, "aws_request_id", None)
    if error is None:
        logger().info("processed", extra=summary)
    else:
        logger().warning("failed", extra={**summary, "error": error})

    emf = metrics()
    emf.add_dimension(name="model", value=model.value)
    emf.add_metric(name="ObjectsRead", unit=MetricUnit.Count, value=response["objects"])
    emf.add_metric(name="BytesRead", unit=MetricUnit.Bytes, value=response["bytes"])
    emf.add_metric(name="ProcessingTime", unit=MetricUnit.Milliseconds, value=response["time"] * 1000)
    emf.add_metric(name="Errors", unit=MetricUnit.Count, value=0 if error is None else 1)
    emf.add_metric(
        name="FailedObjects",
        unit=MetricUnit.Count,
        value=0 if error is None else error["failed_count"],
    )
    try:
        emf.flush_metrics()
    finally:
        # Flushing skips the clearing when metrics are disabled; the next invocation
        # must still start from an empty set, dimensions included.
        emf.clear_metrics()
