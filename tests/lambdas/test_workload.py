"""The workload end to end on the embedded S3: the same data, the same answers."""

from typing import Any

import pytest

from tests.fixtures.embedded_s3 import BUCKET, PAGE_KEYS, TINY_BUCKET, Data
from tests.handlers import MAGIC, MODELS, invoke

pytestmark = pytest.mark.timeout(120)


def event(prefix: str, find: str | None = MAGIC, **extra: Any) -> dict[str, Any]:
    return {"s3_bucket_name": BUCKET, "folder": prefix, "find": find, **extra}


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key not in ("time", "detail", "concurrency")}


@pytest.mark.parametrize("model", MODELS)
def test_finds_the_magic_key_past_the_first_listing_page(model: str, data: Data) -> None:
    # Given 105 objects in listing pages of 100, the magic string in one on the second page
    # When a model searches them
    response = invoke(model, event(data.paged.prefix))
    # Then it names that key, having read every object and byte
    assert response["error"] is None
    assert response["result"] == data.paged.magic_key
    assert response["objects"] == len(data.paged.keys) == PAGE_KEYS + 5
    assert response["bytes"] == data.paged.total_bytes
    assert response["matches"] == 1
    assert response["truncated"] is False
    assert response["detail"] == model
    assert response["lang"] == "python"
    assert response["time"] > 0


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(
    ("prefix", "find", "expected"),
    [
        ("mixed/", MAGIC, "mixed/ünïcödé/日本語.txt"),
        ("mixed/", "NotInAnyObject", None),
        ("mixed/", None, "57"),
        ("nothing-here/", MAGIC, None),
        ("nothing-here/", None, "0"),
        ("mixed/with space/", None, "1"),
        ("mixed/emoji 🎉", None, "1"),
        ("mixed/plus+and&amp;?", None, "1"),
    ],
)
def test_answers_match_the_original_contract(
    model: str, prefix: str, find: str | None, expected: str | None, data: Data
) -> None:
    # Given the seeded bucket, When a model answers, Then it gives the original's result
    response = invoke(model, event(prefix, find))
    assert response["error"] is None
    assert response["result"] == expected


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("find", "expected"), [(None, "3"), ("two", "dir/two"), ("dir", "dir/sub/three")])
@pytest.mark.usefixtures("data")
def test_an_empty_folder_reads_the_whole_bucket(model: str, find: str | None, expected: str) -> None:
    # Given the small bucket the data set fixture seeds, on whichever worker this runs
    # ("dir/sub/three" sorts before "dir/two": the first match in key order wins)
    response = invoke(model, {"s3_bucket_name": TINY_BUCKET, "folder": "", "find": find})
    assert response["error"] is None
    assert response["result"] == expected


def test_three_models_answer_identically(data: Data) -> None:
    # Given the same events, When each model answers them, Then the answers agree
    for request in (
        event(data.mixed.prefix),
        event(data.mixed.prefix, None),
        event(data.mixed.prefix, "a"),
        event(data.mixed.prefix, "NotInAnyObject"),
        event("mixed/zero/", None),
        event(data.empty_prefix),
        event(data.small.prefix, None, max_keys=3),
    ):
        answers = [comparable(invoke(model, request)) for model in MODELS]
        assert answers[0] == answers[1] == answers[2], request


@pytest.mark.parametrize("model", MODELS)
def test_counts_zero_byte_objects(model: str, data: Data) -> None:
    response = invoke(model, event("mixed/zero/", None))
    assert response["result"] == "3"
    assert response["bytes"] == 0


@pytest.mark.parametrize("model", MODELS)
def test_max_keys_stops_early_and_says_so(model: str, data: Data) -> None:
    response = invoke(model, event(data.paged.prefix, None, max_keys=10))
    assert response["error"] is None
    assert response["result"] == "10"
    assert response["truncated"] is True


@pytest.mark.parametrize("model", MODELS)
def test_max_keys_equal_to_the_count_is_not_truncated(model: str, data: Data) -> None:
    response = invoke(model, event(data.small.prefix, None, max_keys=len(data.small.keys)))
    assert response["result"] == str(len(data.small.keys))
    assert response["truncated"] is False
