"""The asyncio model: aiobotocore GETs as tasks, bounded by a semaphore."""

import asyncio
from collections.abc import AsyncIterator

from s3fanout.aio import AsyncFetch, async_handler
from s3fanout.models import Model
from s3fanout.tally import ObjectRef


async def fetch_with_tasks(objects: AsyncIterator[ObjectRef], fetch: AsyncFetch, concurrency: int) -> None:
    slots = asyncio.Semaphore(concurrency)
    async with asyncio.TaskGroup() as tasks:
        while True:
            # Take a slot before the next object: taking one may list a page, and
            # that request counts against `concurrency` too.
            await slots.acquire()
            ref = await anext(objects, None)
            if ref is None:
                break
            tasks.create_task(fetch(ref)).add_done_callback(lambda _: slots.release())


handler = async_handler(Model.ASYNCIO, fetch_with_tasks)
