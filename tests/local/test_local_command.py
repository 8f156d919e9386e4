"""`concurrency-eval local` end to end, as a user runs it: a real command, real processes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(600)
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))
MODELS = ("sync", "threaded", "asyncio")


def run_local(tmp_path: Path, *arguments: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    output = tmp_path / "results"
    completed = subprocess.run(
        [COMMAND, "local", "--output", str(output), *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env=os.environ | {"CONCURRENCY_EVAL_BUNDLE_CACHE": str(ROOT / "build" / "bundles")},
    )
    results = json.loads((output / "results.json").read_text()) if (output / "results.json").exists() else {}
    return completed, results


def test_all_three_find_the_magic_key_and_results_are_written(tmp_path: Path) -> None:
    # Given a small data set and a fast S3, When the evaluation runs
    completed, results = run_local(tmp_path, "--objects", "60", "--max-size", "5000", "--invocations", "2",
                                   "--latency-ms", "2", "--jitter-ms", "0")  # fmt: skip
    # Then every function returned the magic key, cold and warm, and everything is written
    assert completed.returncode == 0, completed.stderr
    assert [run["model"] for run in results["models"]] == list(MODELS)
    for run in results["models"]:
        kinds = [invocation["kind"] for invocation in run["invocations"]]
        assert kinds == ["cold", "warm", "warm"]
        assert all(invocation["result"] == results["expected_result"] for invocation in run["invocations"])
        assert run["init_ms"] > 0
        assert run["server_requests"]["get"] == 3 * 60
    output = tmp_path / "results"
    assert (output / "results.csv").read_text().count("\n") == 1 + 3 * 3
    assert (output / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert "3/3 ok" in completed.stdout
    assert "threaded" in completed.stdout
    assert (output / "logs" / "asyncio.log").read_text().count('"message":"processed"') == 3


def test_five_percent_503s_are_retried_to_the_right_answer(tmp_path: Path) -> None:
    completed, results = run_local(tmp_path, "--objects", "100", "--max-size", "2000", "--invocations", "1",
                                   "--latency-ms", "1", "--error-rate", "0.05")  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    for run in results["models"]:
        assert run["faults_injected"] > 0
        assert all(invocation["correct"] for invocation in run["invocations"])


def test_a_persistent_fault_is_a_structured_error_in_the_table(tmp_path: Path) -> None:
    arguments = ["--objects", "20", "--max-size", "2000", "--invocations", "1", "--latency-ms", "1"]
    completed, results = run_local(
        tmp_path, *arguments, "--fault-key", "20/000003.txt", "--max-attempts", "2"
    )
    assert completed.returncode == 1
    for run in results["models"]:
        assert [invocation["error"] for invocation in run["invocations"]] == [
            "ObjectsFailed",
            "ObjectsFailed",
        ]
    assert "ObjectsFailed x2" in completed.stdout
    assert "0/2 ok" in completed.stdout


def test_peak_memory_fits_lambdas_smallest_size(tmp_path: Path) -> None:
    # 1000 objects of up to 50 KB: every function process stays under 100 MB
    sizes = ["--objects", "1000", "--min-size", "40000", "--max-size", "50000"]
    completed, results = run_local(
        tmp_path, *sizes, "--invocations", "1", "--latency-ms", "0", "--jitter-ms", "0"
    )
    assert completed.returncode == 0, completed.stderr
    for run in results["models"]:
        peaks = [invocation["peak_rss_mb"] for invocation in run["invocations"]]
        assert max(peaks) < 100, (run["model"], peaks)
        assert min(peaks) > 20  # a real measurement, not a missing one


def session_processes(session: int) -> list[str]:
    """Command lines of the processes still alive in `session`."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":
                alive.append((entry / "cmdline").read_text().replace("\0", " "))
        except (OSError, IndexError, ValueError):
            continue
    return alive


def wait_for_no_processes(session: int, seconds: float = 15) -> list[str]:
    deadline = time.monotonic() + seconds
    while (alive := session_processes(session)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


@pytest.mark.parametrize("how", ["interrupt", "kill"])
def test_no_process_is_left_behind(how: str, tmp_path: Path) -> None:
    # Given a run in a session of its own, busy invoking the slow sync function
    process = subprocess.Popen(
        [COMMAND, "local", "--objects", "200", "--max-size", "2000", "--latency-ms", "50",
         "--output", str(tmp_path / "results")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env=os.environ | {"CONCURRENCY_EVAL_BUNDLE_CACHE": str(ROOT / "build" / "bundles")},
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if "sync: cold start" in line:
            break
    time.sleep(2)
    assert len(session_processes(process.pid)) >= 3  # runner, S3 server, sync function
    # When it is interrupted (Ctrl-C) or killed outright
    if how == "interrupt":
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        assert "every server and function process was stopped" in process.stderr.read()
    else:
        process.kill()
        process.wait(timeout=30)
    # Then no process of the run is left
    assert wait_for_no_processes(process.pid) == []
