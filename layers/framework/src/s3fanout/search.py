"""Search a body for a byte string as it streams in, holding one chunk at a time."""


class StreamSearch:
    """Feed the chunks of one body in order; `found` tells whether the needle appeared.

    Only the last `len(needle) - 1` bytes of the previous chunk are kept, so a match
    that straddles two chunks is found and memory stays at one chunk per body.
    """

    __slots__ = ("_needle", "_tail", "found", "size")

    def __init__(self, needle: bytes | None) -> None:
        self._needle = needle
        self._tail = b""
        self.found = False
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        needle = self._needle
        if needle is None or self.found:
            return
        window = self._tail + chunk
        if needle in window:
            self.found = True
            self._tail = b""
            return
        keep = len(needle) - 1
        self._tail = window[-keep:] if keep else b""
