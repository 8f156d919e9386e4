"""`concurrency-eval serve` leaves nothing behind: no process, no cgroup, no certificate,
however it ends."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from concurrency_eval.emulators.lambda_service.server import LocalLambda
from tests.emulators.conftest import cgroups_of, lambda_client, process_table, spec_for
from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(300)
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, whatever session it moved to."""
    parents = {child: parent for child, (parent, state) in process_table().items() if state != "Z"}
    found, frontier = set(), {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        found |= children
        frontier = children
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def wait_until_gone(pids: set[int], seconds: float = 30) -> set[int]:
    deadline = time.monotonic() + seconds
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.parametrize(
    "how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name
)
def test_serve_leaves_no_process_and_no_cgroup(how: signal.Signals, tmp_path: Path) -> None:
    # Given `serve` running with a warm environment of each function
    process = subprocess.Popen(
        [COMMAND, "serve", "--objects", "20", "--max-size", "2000", "--latency-ms", "0", "-p", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
        env=os.environ | {"CONCURRENCY_EVAL_BUNDLE_CACHE": str(ROOT / "build" / "bundles")},
    )  # fmt: skip
    assert process.stdout is not None
    endpoint, certificates = "", Path()
    for line in process.stdout:
        if line.startswith("Lambda API:"):
            endpoint = line.split()[2]
        if line.startswith("S3's CA:"):
            certificates = Path(line.split()[2]).parent
        if line.startswith("serving"):
            break
    assert endpoint
    assert certificates.name.startswith("concurrency-eval-ca-")
    assert certificates.is_dir()
    client = boto3.client(
        "lambda", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip
    event = {"s3_bucket_name": "concurrency-eval-local", "folder": "20/", "find": "MyMagicString"}
    for model in ("sync", "threaded", "asyncio"):
        answer = json.loads(
            client.invoke(FunctionName=f"concurrency-eval-{model}", Payload=json.dumps(event))[
                "Payload"
            ].read()
        )
        assert answer["error"] is None
    tree = descendants(process.pid)
    service_pids = {pid for pid in tree if "concurrency_eval.emulators.lambda_service" in _cmdline(pid)}
    assert len(service_pids) == 1
    assert len(tree) >= 5  # the S3, the service, and an environment per function
    (service_pid,) = service_pids
    # (the spec the service was started from is gone as soon as it was read)
    arguments = Path(f"/proc/{service_pid}/cmdline").read_text().split("\0")
    assert not Path(arguments[arguments.index("--spec") + 1]).exists()
    # When the tool is interrupted, terminated, or killed outright
    process.send_signal(how)
    code = process.wait(timeout=60)
    # Then it exits as a shell reports that signal (128 + its number), or is killed
    assert code == (-9 if how == signal.SIGKILL else 128 + how)
    # And every process it started is gone, and so is every cgroup the service made and
    # the S3's certificates for the run
    assert wait_until_gone(tree) == set()
    assert cgroups_of(service_pid) == []
    assert not certificates.exists()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


@pytest.mark.parametrize("escape", [False, True], ids=["in-its-session", "in-a-session-of-its-own"])
def test_processes_a_function_starts_end_with_its_environment(
    function_dirs: dict[str, Path], runtime_dir: Path, escape: bool
) -> None:
    # Given a function that starts a `sleep 120` of its own, on a service with a 3 s timeout
    with LocalLambda(spec_for(function_dirs, runtime_dir, timeout_s=3)) as service:
        client = lambda_client(service.endpoint)

        def spawn(**event: object) -> dict[str, object]:
            response = client.invoke(FunctionName="spawner", Payload=json.dumps(event | {"escape": escape}))
            answer: dict[str, object] = json.loads(response["Payload"].read())
            return answer

        first = spawn()
        child = int(str(first["child"]))
        assert alive({child}) == {child}  # a warm environment keeps what it started
        # When an invocation runs past the timeout, Then the environment is reset, and
        # everything in it goes, as Lambda ends the whole sandbox
        timed_out = spawn(then_sleep=30)
        assert timed_out["errorType"] == "Sandbox.Timedout"
        assert wait_until_gone({child}, seconds=10) == set()
        # And what a function started is gone when the service stops, too
        last = int(str(spawn()["child"]))
        assert alive({last}) == {last}
    assert wait_until_gone({last}, seconds=10) == set()
