"""Turn ListObjectsV2 pages into the stream of objects to read.

The stream is lazy: GETs start while later pages are still to be listed, and keys are
never all held at once. It stops at `max_keys` and when the Lambda deadline is near.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from s3fanout.event import Request
from s3fanout.tally import ObjectRef, Tally

#: ListObjectsV2 returns at most 1000 keys a page.
MAX_PAGE_SIZE = 1000


class Deadline:
    """When to stop starting new work: `margin_ms` before the invocation's deadline."""

    def __init__(self, context: object, margin_ms: int) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining = remaining if callable(remaining) else None
        self._margin_ms = margin_ms

    def is_near(self) -> bool:
        return self._remaining is not None and self._remaining() < self._margin_ms

    def seconds_left(self) -> float | None:
        """Seconds until the margin before the deadline; None without a deadline (no context)."""
        if self._remaining is None:
            return None
        remaining_ms = float(self._remaining())
        return max(0.0, (remaining_ms - self._margin_ms) / 1000)


class Listing:
    """Feeds pages in, hands objects out, and records why it stopped."""

    def __init__(self, request: Request, deadline: Deadline, tally: Tally) -> None:
        self._request = request
        self._deadline = deadline
        self._tally = tally
        self._count = 0
        self.done = False

    def paginate_args(self) -> dict[str, Any]:
        page_size = MAX_PAGE_SIZE
        if self._request.max_keys is not None:
            # One more than needed, to learn whether the listing was cut short.
            page_size = min(MAX_PAGE_SIZE, self._request.max_keys + 1)
        return {
            "Bucket": self._request.bucket,
            "Prefix": self._request.prefix,
            "PaginationConfig": {"PageSize": page_size},
        }

    def take(self, page: Mapping[str, Any]) -> Iterator[ObjectRef]:
        for entry in page.get("Contents", ()):
            if self._tally.closed:  # the answer has been given at the deadline
                self.done = True
                return
            if self._request.max_keys is not None and self._count >= self._request.max_keys:
                self._tally.truncated = True
                self.done = True
                return
            if self._deadline.is_near():
                self._tally.deadline_hit = True
                self.done = True
                return
            yield ObjectRef(self._count, entry["Key"])
            self._count += 1
