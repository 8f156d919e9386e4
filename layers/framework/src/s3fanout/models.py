"""The three concurrency models under evaluation."""

from enum import StrEnum


class Model(StrEnum):
    SYNC = "sync"
    THREADED = "threaded"
    ASYNCIO = "asyncio"

    @property
    def is_sequential(self) -> bool:
        """A sequential model has one request in flight whatever the event asks."""
        return self is Model.SYNC
