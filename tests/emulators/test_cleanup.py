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

from tests.emulators.conftest import cgroups_of, process_table
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


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_serve_leaves_no_process_and_no_cgroup(how: signal.Signals, tmp_path: Path) -> None:
    # Given `serve` running with a warm environment of each function
    process = subprocess.Popen(
        [COMMAND, "serve", "--objects", "20", "--max-size", "2000", "--latency-ms", "0"],
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
    # When the tool is interrupted, terminated, or killed outright
    process.send_signal(how)
    process.wait(timeout=60)
    # Then every process it started is gone, and so is every cgroup the service made and
    # the S3's certificates for the run
    assert wait_until_gone(tree) == set()
    assert cgroups_of(service_pid) == []
    assert not certificates.exists()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
