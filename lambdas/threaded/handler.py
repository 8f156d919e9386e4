"""The threaded model: boto3 GETs from a thread pool as large as the connection pool."""

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from s3fanout.blocking import Fetch, blocking_handler
from s3fanout.models import Model
from s3fanout.tally import ObjectRef


def fetch_in_threads(objects: Iterator[ObjectRef], fetch: Fetch, concurrency: int) -> None:
    pending: set[Future[None]] = set()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fetch") as pool:
        while True:
            # Free a slot before taking the next object: taking one may list a page,
            # and that request counts against `concurrency` too.
            if len(pending) >= concurrency:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
            ref = next(objects, None)
            if ref is None:
                break
            pending.add(pool.submit(fetch, ref))
        for future in wait(pending).done:
            future.result()


handler = blocking_handler(Model.THREADED, fetch_in_threads)
