import pytest

from s3fanout.search import StreamSearch

NEEDLE = b"MyMagicString"
BODY = b"x" * 100 + NEEDLE + b"y" * 57


def feed_in_chunks(search: StreamSearch, body: bytes, size: int) -> None:
    for start in range(0, len(body), size):
        search.feed(body[start : start + size])


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 12, 13, 14, 64, 101, 113, 1000])
def test_finds_a_needle_that_straddles_chunks(chunk_size: int) -> None:
    # Given a body holding the needle, When it streams in chunks of any size
    search = StreamSearch(NEEDLE)
    feed_in_chunks(search, BODY, chunk_size)
    # Then the needle is found and every byte is counted
    assert search.found
    assert search.size == len(BODY)


@pytest.mark.parametrize("chunk_size", [1, 7, 13, 1000])
@pytest.mark.parametrize("body", [b"", b"MyMagicStrin", b"yMagicString", BODY.replace(b"c", b"k")])
def test_does_not_find_what_is_absent(body: bytes, chunk_size: int) -> None:
    search = StreamSearch(NEEDLE)
    feed_in_chunks(search, body, chunk_size)
    assert not search.found
    assert search.size == len(body)


@pytest.mark.parametrize("position", [0, 50, len(BODY) - len(NEEDLE)])
def test_finds_the_needle_anywhere(position: int) -> None:
    body = b"z" * position + NEEDLE + b"z" * 30
    search = StreamSearch(NEEDLE)
    feed_in_chunks(search, body, 8)
    assert search.found


def test_without_a_needle_it_only_counts() -> None:
    search = StreamSearch(None)
    feed_in_chunks(search, BODY, 10)
    assert not search.found
    assert search.size == len(BODY)


def test_keeps_at_most_the_needle_length_between_chunks() -> None:
    # The tail kept between chunks is what bounds memory per body.
    search = StreamSearch(NEEDLE)
    search.feed(b"a" * 100_000)
    assert len(search._tail) == len(NEEDLE) - 1
