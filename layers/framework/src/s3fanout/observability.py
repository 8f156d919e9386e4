"""Powertools structured logs and EMF metrics, used as Powertools documents them, and
created at the first invocation, not at import.

Each handler is wrapped with `Logger.inject_lambda_context` (the request id, function
name and cold start in every log line) and `Metrics.log_metrics` with
`capture_cold_start_metric=True` (the metrics flushed after every invocation, and a
ColdStart metric per function). Powertools reads its environment variables when
imported and constructed; doing that at the first invocation keeps handler import
light and free of environment reads.
"""

import functools
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from s3fanout.models import Model

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.utilities.typing import LambdaContext

LambdaHandler = Callable[[object, "LambdaContext"], dict[str, Any]]

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


def instrumented(handler: LambdaHandler) -> LambdaHandler:
    """`handler` wrapped in Powertools' context injection and metrics flushing."""
    decorated: LambdaHandler | None = None

    @functools.wraps(handler)
    def with_powertools(event: object, context: "LambdaContext") -> dict[str, Any]:
        nonlocal decorated
        if decorated is None:
            flushed = metrics().log_metrics(handler, capture_cold_start_metric=True)
            decorated = logger().inject_lambda_context(flushed)
        response: dict[str, Any] = decorated(event, context)
        return response

    return with_powertools


def record(model: Model, response: dict[str, Any]) -> None:
    """Log the outcome and add the invocation's metrics, dimensioned by model; the
    request id comes with the injected context, and log_metrics flushes."""
    from aws_lambda_powertools.metrics import MetricUnit

    error = response["error"]
    summary = {key: value for key, value in response.items() if key != "error"}
    if error is None:
        logger().info("processed", extra=summary)
    else:
        logger().warning("failed", extra={**summary, "error": error})

    emf = metrics()
    # With metrics disabled, Powertools flushes nothing and so clears nothing: each
    # invocation starts from an empty set all the same.
    emf.clear_metrics()
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
