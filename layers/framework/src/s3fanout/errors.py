"""Structured errors: every failure a handler reports has this one shape."""

import dataclasses
from dataclasses import dataclass
from typing import Any

#: How many failed keys an error lists; the count of all of them is always given.
MAX_LISTED_FAILURES = 100


@dataclass(frozen=True)
class KeyFailure:
    key: str
    code: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "code": self.code}


# eq=False keeps exceptions hashable and compared by identity, as Python expects.
@dataclass(eq=False)
class FanoutError(Exception):
    """A failure reported to the caller as data, never raised out of a handler."""

    message: str
    field: str | None = None
    failures: list[KeyFailure] = dataclasses.field(default_factory=list)
    failed_count: int | None = None

    #: The error's name in the response; subclasses override it.
    kind = "Error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        listed = self.failures[:MAX_LISTED_FAILURES]
        return {
            "type": self.kind,
            "message": self.message,
            "field": self.field,
            "failed_keys": [failure.to_dict() for failure in listed],
            "failed_count": len(self.failures) if self.failed_count is None else self.failed_count,
        }


class InvalidEvent(FanoutError):
    """The event does not follow the contract; `field` names the offending field."""

    kind = "InvalidEvent"


class InvalidConfiguration(FanoutError):
    """An environment variable of the function holds a value it cannot use."""

    kind = "InvalidConfiguration"


class BucketNotFound(FanoutError):
    kind = "BucketNotFound"


class AccessDenied(FanoutError):
    kind = "AccessDenied"


class ListingFailed(FanoutError):
    """Listing the prefix failed for a reason other than a missing bucket or access."""

    kind = "ListingFailed"


class ObjectsFailed(FanoutError):
    """Some GETs failed after their retries; the result would be partial, so none is given."""

    kind = "ObjectsFailed"


class DeadlineExceeded(FanoutError):
    """The function ran out of time before every object was read."""

    kind = "DeadlineExceeded"


class InternalError(FanoutError):
    """A bug or an unexpected failure; the traceback goes to the log, not the caller."""

    kind = "InternalError"
