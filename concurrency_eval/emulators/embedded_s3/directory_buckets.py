"""What an S3 Express One Zone directory bucket does that moto does not: CreateSession,
and listings that are not in lexicographic order.

botocore reaches a directory bucket (a name ending in `--x-s3`) with session
authentication: before its first request it sends `GET /<bucket>?session`
(CreateSession) and signs what follows with the session credentials, adding them as
`x-amz-s3session-token`. moto has no CreateSession, so it is answered here, with
credentials that expire after five minutes as S3's do (the S3 API Reference,
CreateSession: "Temporary security credentials are scoped to the bucket and expire after
5 minutes"). moto checks no signature, so any credentials serve. A session is granted
for a bucket that does not exist yet too, unlike S3, because botocore asks for one
before CreateBucket when it talks to an endpoint of its own; the request that follows
gets moto's NoSuchBucket, the error S3 gives CreateSession itself.

"Directory bucket - For directory buckets, ListObjectsV2 does not return objects in
lexicographical order" (the S3 API Reference, ListObjectsV2): each page moto answers is
reordered here, by a hash of each key, so that a client that assumes the order fails
here as it would on S3. Pages still follow each other in moto's order.
"""

import datetime
import hashlib
import re

from concurrency_eval.emulators.embedded_s3.messages import Answer, Request
from s3fanout.buckets import is_directory_bucket

#: How long session credentials last, as S3 grants them.
SESSION_LIFETIME = datetime.timedelta(minutes=5)
_CONTENTS = re.compile(rb"<Contents>.*?</Contents>", re.DOTALL)
_KEY = re.compile(rb"<Key>(.*?)</Key>", re.DOTALL)


def is_create_session(request: Request) -> bool:
    """Whether `request` is CreateSession on a directory bucket (`GET /<bucket>?session`)."""
    _, bucket, key = request.classified
    return (
        request.method == "GET"
        and not key
        and is_directory_bucket(bucket)
        and "session" in (parameter.partition("=")[0] for parameter in request.query.split("&"))
    )


def session_answer(now: datetime.datetime) -> Answer:
    """CreateSession's answer: session credentials that expire five minutes from `now`."""
    expiration = (now + SESSION_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials>'
        "<SessionToken>embedded-session-token</SessionToken>"
        "<SecretAccessKey>embedded-session-secret</SecretAccessKey>"
        "<AccessKeyId>ASIAEMBEDDEDSESSION</AccessKeyId>"
        f"<Expiration>{expiration}</Expiration>"
        "</Credentials></CreateSessionResult>"
    ).encode()
    headers = [("Content-Type", "application/xml"), ("x-amz-server-side-encryption", "AES256")]
    return Answer(200, "OK", headers, body)


def unordered_listing(answer: Answer) -> Answer:
    """A ListObjectsV2 page with its objects in an order other than the keys'."""
    entries = _CONTENTS.findall(answer.body)
    if len(entries) < 2:
        return answer
    shuffled = iter(sorted(entries, key=_hash_of_key))
    body = _CONTENTS.sub(lambda _: next(shuffled), answer.body)
    headers = [(name, value) for name, value in answer.headers if name.lower() != "content-length"]
    return Answer(answer.status, answer.reason, headers, body, answer.send_body)


def _hash_of_key(entry: bytes) -> bytes:
    key = _KEY.search(entry)
    return hashlib.sha256(key[1] if key else entry).digest()
