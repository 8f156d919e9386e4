"""The one request the functions make by the thousand, answered without moto's request
pipeline: a plain GetObject of a whole object.

moto's Flask app costs about a millisecond of CPU per request (routing, parsing,
response building), as much as the function's own client spends on it, so on the
same cores the stand-in, not the function, would set the pace. This path reads the
object from moto's own backend (the same store every other request goes through, so
a PUT or DELETE is seen) and answers with the headers moto would give. Any request it
does not fully understand (a query, a condition, a range, a version, customer keys,
CORS, an archived, tagged or multipart object, a missing key) goes to moto.

Each answer is kept until the next request that may change the store: every request
reaches moto through this server, so the server forgets them all (`forget`) before and
after each request moto answers that is not a GET or a HEAD.
"""

from dataclasses import dataclass
from typing import Any

from concurrency_eval.emulators.embedded_s3.messages import Answer, Request, encode_headers

#: Query strings of a plain GetObject (botocore adds `x-id`).
_PLAIN_QUERIES = ("", "x-id=GetObject")
#: Request headers whose meaning only moto implements.
_MOTO_HEADERS = (
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "origin",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-request-payer",
    "x-amz-expected-bucket-owner",
)


@dataclass(frozen=True)
class _Object:
    """One object's answer, its headers encoded once."""

    answer: Answer
    #: The answer when the client asks for checksums (`x-amz-checksum-mode: ENABLED`).
    checksum_answer: Answer

    @classmethod
    def of(cls, key: Any) -> "_Object":
        body = key.value
        answers = []
        for checksums in (False, True):
            headers = _headers(key, checksums)
            answers.append(Answer(200, "OK", headers, body, encoded=encode_headers(headers, len(body))))
        return cls(*answers)


class FastPath:
    """Plain GetObject answers, from moto's store, kept until the store may change."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], _Object | None] = {}

    def forget(self) -> None:
        self._objects.clear()

    def answer(self, request: Request) -> Answer | None:
        """The GetObject answer for `request`, or None when moto must answer it."""
        if request.method != "GET" or request.query not in _PLAIN_QUERIES:
            return None
        operation, bucket, key_name = request.classified
        if operation != "get" or any(header in request.headers for header in _MOTO_HEADERS):
            return None
        where = (bucket, key_name)
        if where in self._objects:
            found = self._objects[where]
        else:
            found = self._objects[where] = _read(bucket, key_name)
        if found is None:
            return None
        checksums = request.headers.get("x-amz-checksum-mode") == "ENABLED"
        return found.checksum_answer if checksums else found.answer


def _read(bucket: str, key_name: str) -> _Object | None:
    key = _find(bucket, key_name)
    return None if key is None else _Object.of(key)


def _find(bucket_name: str, key_name: str) -> Any:
    """moto's key object, when it is a plain object this path can answer for."""
    from moto.s3.models import FakeKey, s3_backends

    location = s3_backends.bucket_accounts.get(bucket_name)
    if location is None:
        return None
    partition, account = location
    bucket = s3_backends[account][partition].buckets.get(bucket_name)
    if bucket is None:
        return None
    key = bucket.keys.get(key_name)
    if type(key) is not FakeKey or key.multipart is not None or key.storage_class != "STANDARD":
        return None
    if key.checksum_type == "COMPOSITE" or key.lock_mode or key.website_redirect_location:
        return None
    # The tag count is an answer header that a tagging request changes in place.
    if s3_backends[account][partition].tagger.get_tag_dict_for_resource(key.arn):
        return None
    return key


def _headers(key: Any, checksum_mode: bool) -> list[tuple[str, str]]:
    """The headers moto's GetObject gives (moto.s3.responses, `get_object`), in its order."""
    headers: dict[str, str] = {}
    if key.version_id != "null":
        headers["x-amz-version-id"] = key.version_id
    headers.update(key.response_dict)
    if checksum_mode and key.checksum_algorithm:
        headers[f"x-amz-checksum-{key.checksum_algorithm.lower()}"] = key.checksum_value
        if key.checksum_type:
            headers["x-amz-checksum-type"] = key.checksum_type
    headers.update(key.metadata)
    headers["Accept-Ranges"] = "bytes"
    return list(headers.items())
