"""The sync model: one GET after another with boto3."""

from collections.abc import Iterator

from s3fanout.blocking import Fetch, blocking_handler
from s3fanout.models import Model
from s3fanout.tally import ObjectRef


def fetch_sequentially(objects: Iterator[ObjectRef], fetch: Fetch, concurrency: int) -> None:
    for ref in objects:
        fetch(ref)


handler = blocking_handler(Model.SYNC, fetch_sequentially)
