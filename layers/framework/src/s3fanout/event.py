"""The event contract: parse and validate an invocation event into a `Request`.

Compatible with the original benchmark's event
(`{"s3_bucket_name": ..., "folder": ..., "find": ...}`), with two optional fields:
`concurrency` (requests in flight) and `max_keys` (how many objects to read at most).
The bucket may be a general purpose bucket or an S3 Express One Zone directory bucket
(`s3fanout.buckets`); a directory bucket lists only prefixes that end in '/'.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from s3fanout.buckets import bucket_name_problem, is_directory_bucket
from s3fanout.errors import InvalidEvent

MIN_CONCURRENCY = 1
#: Lambda allows 1024 file descriptors and 1024 threads per environment; one
#: connection (and, for threads, one worker) per request in flight stays well inside.
MAX_CONCURRENCY = 256
MAX_KEYS_LIMIT = 10_000_000
#: S3 keys (and so prefixes) are at most 1024 bytes of UTF-8.
MAX_PREFIX_BYTES = 1024
MAX_FIND_BYTES = 1024

FIELDS = ("s3_bucket_name", "folder", "find", "concurrency", "max_keys")


@dataclass(frozen=True)
class Request:
    bucket: str
    prefix: str
    find: str | None
    concurrency: int
    max_keys: int | None

    @property
    def needle(self) -> bytes | None:
        return None if self.find is None else self.find.encode("utf-8")


def parse_event(event: object, default_concurrency: int) -> Request:
    """Validate `event`; raise `InvalidEvent` naming the first field that is wrong."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(
            f"the event must be a JSON object, got {_type_name(event)}",
            field="event",
        )
    unknown = sorted(str(name) for name in event if name not in FIELDS)
    if unknown:
        # The name is the caller's text: echoed in part, so that no event can make the
        # answer larger than Lambda's 6 MB response limit.
        named = _echo(unknown[0])
        raise InvalidEvent(
            f"unknown field {named!r}; the event takes {', '.join(FIELDS)}",
            field=named,
        )
    bucket, prefix = _bucket(event), _prefix(event)
    if prefix and not prefix.endswith("/") and is_directory_bucket(bucket):
        raise InvalidEvent(
            f"folder {_echo(prefix)!r} must end in '/' to be listed in a directory bucket "
            "(S3 Express One Zone lists only prefixes that end in the delimiter)",
            field="folder",
        )
    return Request(
        bucket=bucket,
        prefix=prefix,
        find=_find(event),
        concurrency=_int_in_range(
            event, "concurrency", MIN_CONCURRENCY, MAX_CONCURRENCY, default_concurrency
        ),
        max_keys=_int_in_range(event, "max_keys", 1, MAX_KEYS_LIMIT, None),
    )


#: The most of a caller's text an error repeats.
ECHO_CHARACTERS = 80


def _echo(text: str) -> str:
    return text if len(text) <= ECHO_CHARACTERS else f"{text[:ECHO_CHARACTERS]}..."


def _bucket(event: Mapping[str, Any]) -> str:
    name = _required_str(event, "s3_bucket_name")
    problem = bucket_name_problem(name)
    if problem:
        raise InvalidEvent(
            f"s3_bucket_name {_echo(name)!r} is not a valid bucket name: {problem}",
            field="s3_bucket_name",
        )
    return name


def _prefix(event: Mapping[str, Any]) -> str:
    # An empty folder is allowed: it means the whole bucket.
    prefix = _required_str(event, "folder", allow_empty=True)
    _reject_unencodable(prefix, "folder")
    if len(prefix.encode("utf-8")) > MAX_PREFIX_BYTES:
        raise InvalidEvent(
            f"folder is longer than S3's key limit of {MAX_PREFIX_BYTES} bytes",
            field="folder",
        )
    return prefix


def _find(event: Mapping[str, Any]) -> str | None:
    find = event.get("find")
    if find is None:
        return None
    if not isinstance(find, str):
        raise InvalidEvent(f"find must be a string or null, got {_type_name(find)}", field="find")
    if find == "":
        raise InvalidEvent(
            "find must not be empty (every object would match); use null to count the objects instead",
            field="find",
        )
    _reject_unencodable(find, "find")
    if len(find.encode("utf-8")) > MAX_FIND_BYTES:
        raise InvalidEvent(
            f"find is {len(find.encode('utf-8'))} bytes; at most {MAX_FIND_BYTES} are allowed",
            field="find",
        )
    return find


def _required_str(event: Mapping[str, Any], name: str, *, allow_empty: bool = False) -> str:
    if name not in event:
        raise InvalidEvent(f"{name} is required", field=name)
    value = event[name]
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string, got {_type_name(value)}", field=name)
    if not value and not allow_empty:
        raise InvalidEvent(f"{name} must not be empty", field=name)
    return value


def _int_in_range[T: int | None](
    event: Mapping[str, Any], name: str, low: int, high: int, default: T
) -> int | T:
    value = event.get(name)
    if value is None:
        return default
    # bool is an int in Python, but `true` is never a meaningful count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(f"{name} must be an integer, got {_type_name(value)}", field=name)
    if not low <= value <= high:
        raise InvalidEvent(f"{name} must be between {low} and {high}, got {value}", field=name)
    return value


def _reject_unencodable(value: str, name: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent(f"{name} is not valid Unicode text", field=name) from None


def _type_name(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", float: "number"}
    if value is None:
        return "null"
    return names.get(type(value), type(value).__name__)
