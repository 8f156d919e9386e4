"""What a backend hands the sweep: a Lambda client and the names it knows the
functions and the data bucket by."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient


@dataclass(frozen=True)
class FunctionsUnderTest:
    """The deployment under test, as the Lambda API names it."""

    client: "LambdaClient"
    functions: dict[str, str]
    data_bucket: str
    #: How often to poll an update's status: a second on AWS, less locally.
    poll_seconds: float = 1.0
