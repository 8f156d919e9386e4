"""The asynchronous side of the framework: aiobotocore, for the asyncio model.

The event loop and the client live as long as the execution environment: both are
created at the first invocation and reused by every warm one, so warm invocations
keep their open connections instead of building a client and connecting anew
(benchmarks/asyncio_lifecycle.py measures the difference).
"""

import asyncio
import atexit
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
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
    from types_aiobotocore_s3 import S3Client

AsyncFetch = Callable[[ObjectRef], Coroutine[Any, Any, None]]
#: (objects to read, fetch one of them, requests in flight at most) -> awaitable
AsyncStrategy = Callable[[AsyncIterator[ObjectRef], AsyncFetch, int], Awaitable[None]]
LambdaHandler = Callable[[object, "LambdaContext"], dict[str, Any]]


class AsyncEnvironment:
    """The event loop and the client one execution environment keeps while warm."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._session: AioSession | None = None
        self._options: tuple[dict[str, Any], str | None] | None = None
        self._client: S3Client | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop

    async def client(self, job: Job) -> "S3Client":
        options = client_options(job.settings, job.concurrency)
        key = (options, endpoint())
        if self._client is None or self._options != key:
            await self.aclose()
            stack = contextlib.AsyncExitStack()
            # The session outlives its clients, as the blocking side's does: a client
            # built again for new options reuses the service model already parsed.
            if self._session is None:
                self._session = get_session()
            client = self._session.create_client("s3", config=AioConfig(**options))
            self._client = await stack.enter_async_context(client)
            self._stack, self._options = stack, key
        return self._client

    async def aclose(self) -> None:
        stack, self._stack, self._client, self._options = self._stack, None, None, None
        if stack is not None:
            await stack.aclose()

    def close(self) -> None:
        """Close the client's connections and the loop, when the process exits."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.run_until_complete(self.aclose())
            self._loop.close()


_shared = AsyncEnvironment()
atexit.register(_shared.close)


def async_handler(
    model: Model, strategy: AsyncStrategy, environment: AsyncEnvironment | None = None
) -> LambdaHandler:
    """A Lambda handler running `strategy`; `environment` is the process-wide one by default."""
    env = _shared if environment is None else environment

    def handler(event: object, context: "LambdaContext") -> dict[str, Any]:
        return run_invocation(
            model, event, context, lambda job: env.loop.run_until_complete(_process(job, strategy, env))
        )

    handler.__doc__ = f"The {model.value} model's Lambda handler."
    return instrumented(handler)


async def _process(job: Job, strategy: AsyncStrategy, environment: AsyncEnvironment) -> None:
    client = await environment.client(job)
    objects = _objects(client, job)
    try:
        # At the deadline less its margin, every task still in flight is cancelled.
        async with asyncio.timeout(job.deadline.seconds_left()):
            await strategy(objects, _fetcher(client, job), job.concurrency)
    except TimeoutError:
        job.tally.close_at_deadline()
    except BaseExceptionGroup as group:
        # TaskGroup wraps failures; report the first one as the sync models would.
        raise _first_leaf(group) from group
    finally:
        await objects.aclose()


async def _objects(client: "S3Client", job: Job) -> AsyncGenerator[ObjectRef]:
    request = job.request
    try:
        pages = client.get_paginator("list_objects_v2").paginate(**job.listing.paginate_args())
        async for page in pages:
            for ref in job.listing.take(page):
                yield ref
            if job.listing.done:
                return
    except (ClientError, BotoCoreError, aiohttp.ClientError) as error:
        raise listing_error(error, request.bucket, request.prefix) from error


def _fetcher(client: "S3Client", job: Job) -> AsyncFetch:
    bucket, needle, chunk_size = job.request.bucket, job.request.needle, job.settings.chunk_size

    async def fetch(ref: ObjectRef) -> None:
        search = StreamSearch(needle)
        job.tally.start(ref)
        try:
            response = await client.get_object(Bucket=bucket, Key=ref.key)
            async with response["Body"] as body:
                async for chunk in body.iter_chunks(chunk_size):
                    search.feed(chunk)
        except (ClientError, BotoCoreError, aiohttp.ClientError) as error:
            job.tally.fail(ref, error_code(error))
        else:
            job.tally.record(ref, search)

    return fetch


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
