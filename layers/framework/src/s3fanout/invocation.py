"""One invocation's life, the same for every model: validate, process, answer, observe.

A handler's whole job is to say how objects are fetched; `run_invocation` does the
rest and turns every failure into a structured error, so nothing raises out of a
handler and the three models answer in exactly the same shape.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from s3fanout import observability
from s3fanout.errors import DeadlineExceeded, FanoutError, InternalError, ObjectsFailed
from s3fanout.event import Request, parse_event
from s3fanout.listing import Deadline, Listing
from s3fanout.models import Model
from s3fanout.settings import Settings
from s3fanout.tally import Tally

LANG = "python"


@dataclass(frozen=True)
class Job:
    """What a model needs to process one valid event."""

    model: Model
    request: Request
    settings: Settings
    listing: Listing
    tally: Tally
    #: When the answer must be given, whatever requests are still in flight.
    deadline: Deadline

    @property
    def concurrency(self) -> int:
        """Requests in flight at most: the event's (or default) bound, 1 when sequential."""
        return 1 if self.model.is_sequential else self.request.concurrency


def run_invocation(
    model: Model, event: object, context: object, process: Callable[[Job], None]
) -> dict[str, Any]:
    started = time.perf_counter()
    tally = Tally()
    job: Job | None = None
    error: FanoutError | None
    try:
        settings = Settings.from_environ()
        request = parse_event(event, settings.default_concurrency)
        deadline = Deadline(context, settings.deadline_margin_ms)
        job = Job(model, request, settings, Listing(request, deadline, tally), tally, deadline)
        process(job)
        error = incomplete_error(tally)
    except FanoutError as failure:
        error = failure
    except Exception as failure:  # noqa: BLE001 - the contract is: never raise out of a handler
        error = InternalError(f"{type(failure).__name__}: {failure}")
        observability.logger().exception("unexpected failure")
    elapsed = time.perf_counter() - started
    response = build_response(model, job, tally, elapsed, error)
    observability.record(model, response)
    return response


def incomplete_error(tally: Tally) -> FanoutError | None:
    """A run that skipped or lost objects gets an error, never a partial result."""
    if tally.deadline_hit:
        abandoned = f", {len(tally.abandoned)} requests in flight abandoned" if tally.abandoned else ""
        return DeadlineExceeded(
            f"stopped at the deadline after {tally.objects} objects read{abandoned}, the rest not "
            "started: less time was left than S3FANOUT_DEADLINE_MARGIN_MS; raise the function timeout "
            "or lower max_keys",
            failures=[*tally.abandoned, *tally.sorted_failures()],
        )
    if tally.failures:
        return ObjectsFailed(
            f"{len(tally.failures)} of {len(tally.failures) + tally.objects} objects could "
            "not be read after retries; no result is given because it would be partial",
            failures=tally.sorted_failures(),
        )
    return None


def build_response(
    model: Model, job: Job | None, tally: Tally, elapsed: float, error: FanoutError | None
) -> dict[str, Any]:
    result: str | None = None
    if error is None and job is not None:
        result = str(tally.objects) if job.request.find is None else tally.first_match
    return {
        "lang": LANG,
        "detail": model.value,
        "result": result,
        "time": elapsed,
        "objects": tally.objects,
        "bytes": tally.bytes,
        "matches": tally.matches if job is not None and job.request.find is not None else None,
        "concurrency": job.concurrency if job is not None else None,
        "truncated": tally.truncated,
        "error": None if error is None else error.to_dict(),
    }
