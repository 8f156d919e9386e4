"""The blocking side of the framework: boto3, for the sync and threaded models.

A handler passes `blocking_handler` its strategy, a function that calls `fetch` once
for every object, one after another or from threads, never with more than
`concurrency` requests in flight. Everything else happens here.
"""

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from s3fanout.invocation import Job, run_invocation
from s3fanout.models import Model
from s3fanout.observability import instrumented
from s3fanout.s3config import client_options, endpoint
from s3fanout.s3errors import error_code, listing_error
from s3fanout.search import StreamSearch
from s3fanout.tally import ObjectRef

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from types_boto3_s3 import S3Client

Fetch = Callable[[ObjectRef], None]
#: (objects to read, fetch one of them, requests in flight at most) -> None
BlockingStrategy = Callable[[Iterator[ObjectRef], Fetch, int], None]
LambdaHandler = Callable[[object, "LambdaContext"], dict[str, Any]]


class _ClientCache:
    """One client per execution environment, built at first use and kept while warm.

    The session outlives its clients: a client built again for new options (another
    number of requests in flight) reuses the S3 service model the session has already
    read and parsed, a quarter of a second of CPU, instead of reading it anew."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: boto3.session.Session | None = None
        self._options: tuple[dict[str, Any], str | None] | None = None
        self._client: S3Client | None = None

    def get(self, job: Job) -> "S3Client":
        options = client_options(job.settings, job.concurrency)
        key = (options, endpoint())
        with self._lock:
            if self._client is None or self._options != key:
                if self._client is not None:
                    self._client.close()
                # A session of its own, used under the lock only: boto3's default
                # session is not thread-safe.
                if self._session is None:
                    self._session = boto3.session.Session()
                self._client = self._session.client("s3", config=Config(**options))
                self._options = key
            return self._client


_clients = _ClientCache()


def blocking_handler(model: Model, strategy: BlockingStrategy) -> LambdaHandler:
    def handler(event: object, context: "LambdaContext") -> dict[str, Any]:
        return run_invocation(model, event, context, lambda job: _process(job, strategy))

    handler.__doc__ = f"The {model.value} model's Lambda handler."
    return instrumented(handler)


def _process(job: Job, strategy: BlockingStrategy) -> None:
    """Run the strategy, and answer at the deadline less its margin even if requests
    hang: they cannot be interrupted, so the strategy runs in a worker thread that is
    left behind (its late results are not counted) when the time is up."""
    client = _clients.get(job)
    seconds = job.deadline.seconds_left()
    if seconds is None:
        strategy(_objects(client, job), _fetcher(client, job), job.concurrency)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            strategy(_objects(client, job), _fetcher(client, job), job.concurrency)
        except BaseException as error:  # noqa: BLE001 - handed to the handler thread below
            failure.append(error)

    worker = threading.Thread(target=work, name="fanout", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        job.tally.close_at_deadline()
        return
    if failure:
        raise failure[0]


def _objects(client: "S3Client", job: Job) -> Iterator[ObjectRef]:
    request = job.request
    try:
        pages = client.get_paginator("list_objects_v2").paginate(**job.listing.paginate_args())
        for page in pages:
            yield from job.listing.take(page)
            if job.listing.done:
                return
    except (ClientError, BotoCoreError) as error:
        raise listing_error(error, request.bucket, request.prefix) from error


def _fetcher(client: "S3Client", job: Job) -> Fetch:
    bucket, needle, chunk_size = job.request.bucket, job.request.needle, job.settings.chunk_size

    def fetch(ref: ObjectRef) -> None:
        search = StreamSearch(needle)
        job.tally.start(ref)
        try:
            body = client.get_object(Bucket=bucket, Key=ref.key)["Body"]
            try:
                for chunk in body.iter_chunks(chunk_size):
                    search.feed(chunk)
            finally:
                body.close()
        except (ClientError, BotoCoreError) as error:
            job.tally.fail(ref, error_code(error))
        else:
            job.tally.record(ref, search)

    return fetch
