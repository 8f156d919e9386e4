"""Every test: offline from AWS. The shared fixtures live in tests/fixtures; what is slow
is marked so here, for `make test-fast`."""

import functools
import os
import signal
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

from bundling.build import CACHE_VARIABLE
from tests.fixtures.shared import bytecode_written, first_alone

pytest_plugins = ["tests.fixtures.embedded_s3"]

ROOT = Path(__file__).resolve().parent.parent
#: The packages whose tests are end to end by design: real servers, commands, builds,
#: synthesis. Every test in them is `slow`.
END_TO_END = ("artifacts", "bundling", "commands", "emulators", "lambdas", "stacks")
#: Fixtures that start a server, build bundles or synthesize: a test anywhere that uses
#: one (itself or through another fixture) is `slow`.
SLOW_FIXTURES = frozenset(
    {"embedded_s3", "deployment", "runtime_dir", "host_bundles", "arm64_bundles", "synthesized"}
)

# Bundles are keyed by their content, so every test, every pytest-xdist worker and every
# command a test starts may share one cache, as `make local` does: a bundle is built
# once per run (once ever in a working copy), never once per test. A test that checks
# building itself gives its builder a cache of its own.
os.environ.setdefault(CACHE_VARIABLE, str(ROOT / "build" / "bundles"))


def pytest_configure(config: pytest.Config) -> None:
    # A run started in the background of a script (`make test &`, nohup) inherits Ctrl-C
    # ignored, and so would every command a test starts: the tests that interrupt a
    # sweep need Python's own handler, as a run from a terminal has.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


#: What the test modules import that takes longest to compile: once its bytecode is
#: written, so is the rest's.
SLOWEST_TO_COMPILE = ("aws_cdk", "matplotlib", "moto", "hypothesis")


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """In a fresh clone no module's bytecode is written yet, and pytest-xdist's workers,
    each importing every test module at once, would each compile the same modules. With
    more workers than cores (`make pytest`'s three a core), that work crowds out the rest:
    four workers on two cores spent 64 CPU-seconds collecting, 35 s, against 34 and 26 s
    when one collects first and the others then read what it wrote (24 CPU-seconds when it
    is written already). With a worker a core (`make test-fast`) each compiles on a core
    that would otherwise wait, and going first alone would only add the wait."""
    config = session.config
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if (
        workers <= (os.process_cpu_count() or 1)
        or sys.dont_write_bytecode
        or bytecode_written(*SLOWEST_TO_COMPILE)
    ):
        return (yield)
    # pytest-xdist gives each worker a base temporary folder of its own inside the run's.
    with first_alone(Path(config.option.basetemp).parent, "collection"):
        return (yield)


#: How a file marks its timing tests: `make pytest` finds the files to run alone by it.
TIMING_MARK = "pytest.mark.timing"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = ROOT / "tests"
    for item in items:
        package = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else ""
        if package in END_TO_END or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    unfound = timing_tests_make_would_miss(items)
    if unfound:
        raise pytest.UsageError(
            f"{', '.join(unfound)}: marked `timing` otherwise than by `@{TIMING_MARK}` in its file, so "
            "`make pytest` would run it in none of its parts; mark it so"
        )


def timing_tests_make_would_miss(items: list[pytest.Item]) -> list[str]:
    """Tests marked `timing` in files that do not say `pytest.mark.timing`: the timing
    part of `make pytest` collects only the files that do (collecting the whole suite
    again costs seconds), and its other parts leave every timing test out."""
    return [
        item.nodeid
        for item in items
        if item.get_closest_marker("timing") is not None and TIMING_MARK not in _source(item.path)
    ]


@functools.cache
def _source(path: Path) -> str:
    return path.read_text()


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach AWS: fake credentials, a fixed region, no profile or IMDS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    for name in ("DEFAULT_CONCURRENCY", "RETRY_MODE", "MAX_ATTEMPTS", "CONNECT_TIMEOUT",
                 "READ_TIMEOUT", "DEADLINE_MARGIN_MS", "CHUNK_SIZE"):  # fmt: skip
        monkeypatch.delenv(f"S3FANOUT_{name}", raising=False)
