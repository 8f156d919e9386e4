"""What a backend hands the sweep: a Lambda client and the names it knows the
functions and the data bucket by."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.config import Config

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient

#: The Lambda client's settings on either backend: one attempt per invoke, so that a
#: throttle is recorded, not hidden by a retry; a read timeout beyond Lambda's longest
#: timeout; a connection for each invocation in flight.
INVOKE_CONFIG = Config(read_timeout=960, retries={"total_max_attempts": 1}, max_pool_connections=64)


@dataclass(frozen=True)
class FunctionsUnderTest:
    """The deployment under test, as the Lambda API names it."""

    client: "LambdaClient"
    functions: dict[str, str]
    data_bucket: str
    #: How often to poll an update's status: a second on AWS, less locally.
    poll_seconds: float = 1.0

    def configurations(self) -> dict[str, dict[str, Any]]:
        """Each function's configuration as it is now, by model."""
        return {
            model: dict(self.client.get_function_configuration(FunctionName=name))
            for model, name in self.functions.items()
        }
