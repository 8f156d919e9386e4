"""AWS Lambda's documented quotas and constants that the tool, the stacks and the
local Lambda service all follow (Lambda developer guide, "Lambda quotas" and
"Configuring Lambda function memory").
"""

import json
import re

MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10_240
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1, 900
#: At 1,769 MB a function has the equivalent of one vCPU; at 10,240 MB, six.
MB_PER_VCPU = 1_769
MAX_VCPUS = 6


def vcpus(memory_mb: int) -> float:
    """A function's CPU, in vCPUs: memory/1769, at most six."""
    return min(memory_mb / MB_PER_VCPU, MAX_VCPUS)


#: An account's concurrent executions by default, and what reserved concurrency must
#: leave unreserved ("Lambda quotas").
ACCOUNT_CONCURRENCY, MIN_UNRESERVED = 1_000, 100
#: `LoggingConfig.LogFormat` values.
LOG_FORMATS = ("Text", "JSON")
#: Invoke's `LogType=Tail` returns the last 4 KB of the invocation's log.
LOG_TAIL_BYTES = 4_096
#: Synchronous invocation payload, request and response: 6 MB.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: The INIT phase of an on-demand function is limited to 10 seconds; past that, Lambda
#: retries INIT at the first invocation, under the function's timeout (Lambda developer
#: guide, "Understanding the Lambda execution environment lifecycle").
INIT_TIMEOUT_S = 10.0
#: An on-demand environment's INIT phase is not throttled to its memory's share: "On-demand
#: Lambda functions use a full vCPU (non-throttled) but is limited to 10 seconds during its
#: initialization phase. For provisioned concurrency, there is no cpu burst" (AWS Serverless
#: Land, "Effectively running Java on serverless: init heavy lifting"). Measurements
#: published outside AWS report two unthrottled vCPUs for INIT at every memory size (Luc van
#: Donkersgoed, "Lambda Cold Starts and Bootstrap Code"), which is also what a function
#: sees from 128 to 3008 MB; INIT gets two, or its memory's share where that is more.
INIT_VCPUS = 2.0
#: The retention periods CloudWatch Logs accepts, in days, with the name
#: `aws_logs.RetentionDays` gives each.
LOG_RETENTION_PERIODS = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip

#: Environment variables: names Lambda accepts (the API's pattern), the 4 KB it allows
#: for all of them (measured as their JSON), and the names it reserves for itself
#: (Lambda developer guide, "Working with Lambda environment variables").
ENVIRONMENT_NAME_PATTERN = r"[a-zA-Z]([a-zA-Z0-9_])+"
MAX_ENVIRONMENT_BYTES = 4_096
RESERVED_ENVIRONMENT_NAMES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})  # fmt: skip


def environment_problem(variables: dict[str, str]) -> tuple[str, str] | None:
    """What Lambda would refuse in a function's environment variables, as its error type
    and message, or None when it would take them."""
    bad = [name for name in variables if not re.fullmatch(ENVIRONMENT_NAME_PATTERN, name)]
    if bad:
        return "ValidationException", (
            "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
            f"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
            f"{ENVIRONMENT_NAME_PATTERN}] (not {bad[0][:64]!r})"
        )
    reserved = sorted(name for name in variables if name in RESERVED_ENVIRONMENT_NAMES)
    if reserved:
        return "InvalidParameterValueException", (
            "Lambda was unable to configure your environment variables because the environment variables "
            "you have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {', '.join(reserved)}"
        )
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        return "InvalidParameterValueException", (
            "Lambda was unable to configure your environment variables because the environment variables "
            f"you have provided exceeded the 4KB limit. String measured: {measured[:256]}..."
        )
    if any("\0" in value for value in variables.values()):
        # Lambda stores such a value; no process can receive it, so the local service says so.
        return "InvalidParameterValueException", (
            "an environment variable's value holds a NUL character, which no process environment can carry"
        )
    return None
