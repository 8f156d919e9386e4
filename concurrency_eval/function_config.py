"""What every function is configured with, on AWS (the stacks) and locally (the runner)."""

#: Lambda's handler setting: module `handler`, function `handler`.
HANDLER = "handler.handler"
#: Environment variables the functions get besides Lambda's own.
FUNCTION_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "concurrency-eval",
    "POWERTOOLS_METRICS_NAMESPACE": "ConcurrencyEval",
}
