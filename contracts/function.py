"""What every evaluated function is configured with, on AWS (the stacks) and locally
(the local Lambda service), unless cdk.json or the command line says otherwise."""

#: Lambda's handler setting: module `handler`, function `handler`.
HANDLER = "handler.handler"
#: Environment variables the functions get besides Lambda's own.
FUNCTION_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "concurrency-eval",
    "POWERTOOLS_METRICS_NAMESPACE": "ConcurrencyEval",
}
#: The variable that sets the functions' requests in flight when an event does not
#: (cdk.json's requestsInFlight), and its range: the framework's (s3fanout.event).
REQUESTS_IN_FLIGHT_VARIABLE = "S3FANOUT_DEFAULT_CONCURRENCY"
MIN_REQUESTS_IN_FLIGHT, MAX_REQUESTS_IN_FLIGHT = 1, 256
#: The alias each deployed function is invoked through (the smoke test's qualifier).
ALIAS = "live"
#: `LoggingConfig.LogFormat` as the stacks deploy it.
DEPLOYED_LOG_FORMAT = "JSON"
DEFAULT_MEMORY_MB = 1024
DEFAULT_TIMEOUT_S = 60
