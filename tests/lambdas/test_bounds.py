"""Bounds the models must keep: requests in flight, memory, and one client per environment."""

import dataclasses
import tracemalloc
from collections.abc import Callable
from typing import Any

import boto3.session
import pytest
from aiobotocore.session import AioSession

from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from s3fanout import aio, blocking
from tests.fixtures.embedded_s3 import BUCKET, SHORT_PAGES, Data, DataSet
from tests.handlers import MAGIC, MODELS, FakeContext, invoke, load_handler_module

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize(
    ("model", "concurrency"), [("sync", 8), ("threaded", 8), ("threaded", 3), ("asyncio", 8), ("asyncio", 3)]
)
def test_requests_in_flight_never_exceed_the_bound(
    model: str, concurrency: int, s3_endpoint: EmbeddedS3, data: Data
) -> None:
    # Given an S3 that answers in 6 ms per request the bound allows (48 ms for 8), and a
    # prefix of two listing pages: long enough that a model sharing a loaded machine's
    # cores starts all its requests before the first answer comes (at 10 ms, asyncio on a
    # busy machine peaked at 7 of 8), and no longer, as 105 GETs take 105 / bound of it
    s3_endpoint.set_faults(dataclasses.replace(SHORT_PAGES, latency_ms=6 * concurrency))
    s3_endpoint.reset_stats()
    prefix = data.small if model == "sync" else data.paged  # sync is slow and trivially 1
    # When a model reads it with a bound on requests in flight
    response = invoke(
        model, {"s3_bucket_name": BUCKET, "folder": prefix.prefix, "find": MAGIC, "concurrency": concurrency}
    )
    # Then the server never saw more requests at once than the bound (listing included)
    stats = s3_endpoint.stats()
    assert response["error"] is None
    assert stats["requests"]["get"] == len(prefix.keys)
    if model == "sync":
        assert stats["peak_in_flight"] == 1
        assert response["concurrency"] == 1
    else:
        # and the bound was reached: the concurrency is real
        assert stats["peak_in_flight"] == concurrency
        assert response["concurrency"] == concurrency


def _traced_peak(model: str, bodies: DataSet, max_keys: int) -> tuple[int, dict[str, Any]]:
    event = {
        "s3_bucket_name": BUCKET,
        "folder": bodies.prefix,
        "find": MAGIC,
        "concurrency": 4,
        "max_keys": max_keys,
    }
    invoke(model, event)  # warm: the client and its caches exist before measuring
    tracemalloc.start()
    try:
        response = invoke(model, event)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, response


@pytest.mark.parametrize("model", MODELS)
def test_memory_grows_with_concurrency_not_with_objects(model: str, large_bodies: DataSet) -> None:
    # Given 50 KB bodies, read four at a time
    # When a model reads 25 of them, then 200 of them (8x the bytes)
    few_peak, few = _traced_peak(model, large_bodies, 25)
    many_peak, many = _traced_peak(model, large_bodies, 200)
    assert few["objects"] == 25
    assert many["objects"] == 200
    assert many["bytes"] == large_bodies.total_bytes == 200 * 50_000
    # Then the peak of memory allocated barely moves, and stays far below the bytes read
    assert many_peak < few_peak * 1.5 + 256 * 1024, (few_peak, many_peak)
    assert many_peak < many["bytes"] / 10, many_peak


def calls_by_sdk(monkeypatch: pytest.MonkeyPatch, boto3_method: str, aio_method: str) -> list[str]:
    """Each call from now on of a method of boto3's sessions or of aiobotocore's, named
    by its SDK, in order."""
    calls: list[str] = []

    def counted(sdk: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counting(self: object, *args: Any, **kwargs: Any) -> Any:
            calls.append(sdk)
            return original(self, *args, **kwargs)

        return counting

    for sdk, session, method in (
        ("boto3", boto3.session.Session, boto3_method),
        ("aiobotocore", AioSession, aio_method),
    ):
        monkeypatch.setattr(session, method, counted(sdk, getattr(session, method)))
    return calls


@pytest.fixture
def fresh_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a new execution environment: no session and no client yet, of either SDK
    (another test in this process may have left them for the same settings)."""
    monkeypatch.setattr(blocking, "_clients", blocking._ClientCache())
    aio._shared.loop.run_until_complete(aio._shared.aclose())
    monkeypatch.setattr(aio._shared, "_session", None)


@pytest.mark.usefixtures("fresh_environment")
@pytest.mark.parametrize("model", MODELS)
def test_warm_invocations_reuse_one_client_created_at_first_use(
    model: str, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a handler in a fresh execution environment
    module = load_handler_module(model)
    created = calls_by_sdk(monkeypatch, "client", "create_client")
    event = {"s3_bucket_name": BUCKET, "folder": data.small.prefix, "find": None, "concurrency": 17}
    # When it is invoked three times with the same settings
    answers = [module.handler(event, FakeContext(900_000))["result"] for _ in range(3)]
    # Then all three answer, and only the first built a client (of its model's kind)
    assert answers == ["20", "20", "20"]
    assert created == (["aiobotocore"] if model == "asyncio" else ["boto3"])


@pytest.mark.usefixtures("fresh_environment")
@pytest.mark.parametrize("model", MODELS)
def test_a_client_built_again_for_new_settings_reuses_the_environments_session(
    model: str, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a handler in a fresh execution environment
    module = load_handler_module(model)
    sessions = calls_by_sdk(monkeypatch, "__init__", "__init__")
    event = {"s3_bucket_name": BUCKET, "folder": data.small.prefix, "find": None}
    # When it is invoked, then invoked again after a setting of its client changed
    first = module.handler(event, FakeContext(900_000))
    monkeypatch.setenv("S3FANOUT_MAX_ATTEMPTS", "2")
    second = module.handler(event, FakeContext(900_000))
    # Then both answer, from two clients of one session: the service model is read once
    assert (first["result"], second["result"]) == ("20", "20")
    assert sessions == (["aiobotocore"] if model == "asyncio" else ["boto3"])
