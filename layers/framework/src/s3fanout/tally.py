"""What the GETs found, added up safely from many threads or tasks at once."""

import threading
from dataclasses import dataclass, field

from s3fanout.errors import KeyFailure
from s3fanout.search import StreamSearch


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One listed object; `index` is its place in listing (key) order."""

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
    _first_match: ObjectRef | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, ref: ObjectRef, search: StreamSearch) -> None:
        with self._lock:
            self.objects += 1
            self.bytes += search.size
            if search.found:
                self.matches += 1
                # Answer with the first match in key order, whatever order GETs end in,
                # so the three models always agree.
                if self._first_match is None or ref.index < self._first_match.index:
                    self._first_match = ref

    def fail(self, ref: ObjectRef, code: str) -> None:
        with self._lock:
            self.failures.append(KeyFailure(ref.key, code))

    @property
    def first_match(self) -> str | None:
        return None if self._first_match is None else self._first_match.key

    def sorted_failures(self) -> list[KeyFailure]:
        return sorted(self.failures, key=lambda failure: failure.key)
