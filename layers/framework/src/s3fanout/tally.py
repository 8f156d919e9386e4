"""What the GETs found, added up safely from many threads or tasks at once."""

import threading
from dataclasses import dataclass, field

from s3fanout.errors import KeyFailure
from s3fanout.search import StreamSearch


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One listed object; `index` is its place in the listing: key order in a general
    purpose bucket, an order of the bucket's own in a directory bucket."""

    index: int
    key: str


@dataclass
class Tally:
    objects: int = 0
    bytes: int = 0
    matches: int = 0
    failures: list[KeyFailure] = field(default_factory=list)
    #: More objects were listed than `max_keys` allowed.
    truncated: bool = False
    #: Listing stopped early because the Lambda deadline was near.
    deadline_hit: bool = False
    #: Keys whose GET has started and not ended.
    in_flight: set[str] = field(default_factory=set)
    #: Requests still in flight when the deadline came, and were left behind.
    abandoned: list[KeyFailure] = field(default_factory=list)
    _first_match: ObjectRef | None = None
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, ref: ObjectRef) -> None:
        with self._lock:
            if not self._closed:
                self.in_flight.add(ref.key)

    def close_at_deadline(self) -> None:
        """Stop counting: the answer is given now, whatever requests still in flight do
        later; the keys still in flight are kept as abandoned."""
        with self._lock:
            self._closed = True
            self.deadline_hit = True
            self.abandoned = [KeyFailure(key, "DeadlineExceeded") for key in sorted(self.in_flight)]

    @property
    def closed(self) -> bool:
        return self._closed

    def record(self, ref: ObjectRef, search: StreamSearch) -> None:
        with self._lock:
            if self._closed:
                return
            self.in_flight.discard(ref.key)
            self.objects += 1
            self.bytes += search.size
            if search.found:
                self.matches += 1
                # Answer with the first match in key order, whatever order GETs end in
                # and whatever order the bucket lists in (a directory bucket's is not
                # the keys'), so the three models always agree on any bucket.
                if self._first_match is None or ref.key < self._first_match.key:
                    self._first_match = ref

    def fail(self, ref: ObjectRef, code: str) -> None:
        with self._lock:
            if self._closed:
                return
            self.in_flight.discard(ref.key)
            self.failures.append(KeyFailure(ref.key, code))

    @property
    def first_match(self) -> str | None:
        return None if self._first_match is None else self._first_match.key

    def sorted_failures(self) -> list[KeyFailure]:
        return sorted(self.failures, key=lambda failure: failure.key)
