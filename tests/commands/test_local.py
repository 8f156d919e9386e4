"""`concurrency-eval local`, `invoke` and `serve` end to end, as a user runs them:
a real command, real processes, the local Lambda service on the embedded S3."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.conftest import cgroups_of
from tests.emulators.test_cleanup import descendants, wait_until_gone
from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(900)
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))
MODELS = ("sync", "threaded", "asyncio")
ENVIRONMENT = os.environ | {"CONCURRENCY_EVAL_BUNDLE_CACHE": str(ROOT / "build" / "bundles")}
SMALL = ["--objects", "30", "--max-size", "3000", "--latency-ms", "2", "--jitter-ms", "0"]


def run(tmp_path: Path, *arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *arguments], capture_output=True, text=True, cwd=tmp_path, check=False, env=ENVIRONMENT,
        input=stdin,
    )  # fmt: skip


def sweep_until(output: Path, memory: str, line: str, invocations: int = 1) -> "subprocess.Popen[str]":
    """A local sweep started as a user starts it, in the folder that holds `output` (where a
    command it prints to go on is pasted), once its progress shows `line`."""
    process = subprocess.Popen(
        [COMMAND, "local", *SMALL, "--memory", memory, "--invocations", str(invocations),
         "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENVIRONMENT, start_new_session=True,
        cwd=output.parent,
    )  # fmt: skip
    assert process.stderr is not None
    for text in process.stderr:
        if line in text:
            break
    return process


def run_local(tmp_path: Path, *arguments: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    output = tmp_path / "results"
    completed = run(tmp_path, "local", "--output", str(output), *arguments)
    results_file = output / "results.json"
    return completed, json.loads(results_file.read_text()) if results_file.exists() else {}


def test_a_local_sweep_finds_the_magic_key_at_every_size(tmp_path: Path) -> None:
    # Given a small data set and a fast S3, When the sweep runs at two sizes
    output = tmp_path / "results"
    process = sweep_until(output, "512,1769", "updating", invocations=2)
    assert process.stderr is not None
    tree = descendants(process.pid)
    services = [pid for pid in tree if "lambda_service" in Path(f"/proc/{pid}/cmdline").read_text()]
    stderr = process.stderr.read()
    # Then every function answered right at every size, cold first, from Lambda's reports
    assert process.wait(timeout=300) == 0, stderr
    results = json.loads((output / "results.json").read_text())
    assert [(run["model"], run["memory_mb"]) for run in results["models"]] == [
        (model, memory) for memory in (512, 1769) for model in MODELS
    ]
    for run in results["models"]:
        assert [invocation["kind"] for invocation in run["invocations"]] == ["cold", "warm", "warm"]
        assert all(invocation["result"] == results["expected_result"] for invocation in run["invocations"])
        assert run["init_ms"] > 0
        assert run["server_requests"]["get"] == 3 * 30
    assert results["partial"] is False
    assert results["environment"]["cpu_limit"] in ("cgroup-v1", "cgroup-v2", "duty-cycle")
    # And the conditions are recorded: S3 over HTTPS at a fixed latency, a core as a vCPU
    s3 = results["settings"]["s3"]
    assert (s3["protocol"], s3["profile"], s3["latency_ms"]) == ("https", "fixed", 2.0)
    assert results["environment"]["cpu_speed"] == {
        "factor": 1.0, "how": "given", "reference_local_ms": None, "reference_lambda_ms": None,
        "architecture": None, "source": None,
    }  # fmt: skip
    output = tmp_path / "results"
    assert (output / "results.csv").read_text().count("\n") == 1 + 2 * 3 * 3
    assert (output / "chart.png").read_bytes()[:4] == b"\x89PNG"
    logs = list((output / "logs").rglob("*.log"))
    assert logs
    assert sum(log.read_text().count('"platform.report"') for log in logs) == 2 * 3 * 3
    # And a sweep that ended normally leaves no process and no cgroup (its restore retires
    # environments in the background, and the service waits for them)
    assert services
    assert wait_until_gone(tree) == set()
    assert [cgroup for pid in services for cgroup in cgroups_of(pid)] == []


def test_a_local_sweep_of_a_directory_bucket_records_it_and_reports_it(tmp_path: Path) -> None:
    # Given `local --bucket-type express`, with S3 Express One Zone's latency profile
    completed, results = run_local(
        tmp_path, "--bucket-type", "express", "--objects", "30", "--max-size", "3000",
        "--memory", "1769", "--invocations", "1", "--no-chart",
    )  # fmt: skip
    # Then the functions read a directory bucket through botocore's sessions, and answer right
    assert completed.returncode == 0, completed.stderr
    # (and under --no-chart, the results and the table are written, and no chart is drawn or listed)
    assert sorted(path.name for path in (tmp_path / "results").glob("results.*")) == [
        "results.csv",
        "results.json",
    ]
    assert not (tmp_path / "results" / "chart.png").exists()
    assert "chart.png" not in completed.stdout
    bucket = "concurrency-eval-local--local1-az1--x-s3"
    assert results["settings"]["data_bucket"] == {"name": bucket, "type": "express"}
    assert results["settings"]["event"]["s3_bucket_name"] == bucket
    assert results["settings"]["s3"]["profile"] == "express"
    assert all(i["correct"] for run in results["models"] for i in run["invocations"])
    # And the report says which kind of bucket it read
    report = run(tmp_path, "report", str(tmp_path / "results" / "results.json"), "--json", "--no-chart")
    assert report.returncode == 0, report.stderr
    assert not (tmp_path / "results" / "chart.png").exists()
    document = json.loads(report.stdout)
    assert document["bucket_type"] == "express"
    assert "S3 Express One Zone" in document["title"]


def test_five_percent_503s_are_retried_to_the_right_answer(tmp_path: Path) -> None:
    completed, results = run_local(
        tmp_path, *SMALL, "--memory", "1769", "--invocations", "1", "--error-rate", "0.05",
        "--objects", "100", "--plain-http", "--no-chart",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert results["settings"]["s3"]["protocol"] == "http"
    assert sum(run["faults_injected"] for run in results["models"]) > 0
    assert all(i["correct"] for run in results["models"] for i in run["invocations"])


def test_a_persistent_fault_is_a_structured_error_and_exit_1(tmp_path: Path) -> None:
    completed, results = run_local(
        tmp_path, *SMALL, "--memory", "1769", "--invocations", "1",
        "--fault-key", "30/000003.txt", "--max-attempts", "2", "--no-chart",
    )  # fmt: skip
    assert completed.returncode == 1
    for run in results["models"]:
        assert [invocation["error"] for invocation in run["invocations"]] == [
            "ObjectsFailed",
            "ObjectsFailed",
        ]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_sigterm_and_sighup_end_a_sweep_as_ctrl_c_does(tmp_path: Path, how: signal.Signals) -> None:
    # Given a sweep told to end by `timeout`, `kill` or a cancelled CI job, or by a closed terminal
    output = tmp_path / "results"
    process = sweep_until(output, "512", "512 MB: updating")
    assert process.stderr is not None
    tree = descendants(process.pid)
    process.send_signal(how)
    stderr = process.stderr.read()
    # Then it ends as after Ctrl-C, with the exit code a shell gives that signal
    assert process.wait(timeout=120) == 128 + how, stderr
    assert f"interrupted ({how.name})" in stderr
    assert "--resume" in stderr
    assert wait_until_gone(tree) == set()
    assert not [pid for pid in tree if cgroups_of(pid)]
    assert json.loads((output / "results.json").read_text())["partial"] is True


def test_interrupted_then_resumed(tmp_path: Path) -> None:
    # Given a sweep interrupted (Ctrl-C) once its first size is done, at the second's first invocation
    how = signal.SIGINT
    output = tmp_path / "results"
    process = sweep_until(output, "512,1024", " 1024 MB sync ", invocations=3)
    assert process.stderr is not None
    tree = descendants(process.pid)
    process.send_signal(how)
    stderr = process.stderr.read()
    # Then it exits as a shell reports that signal, says how to resume, leaves no process
    # and no cgroup, and keeps what it measured, marked partial
    assert process.wait(timeout=120) == 128 + how, stderr
    assert "--resume" in stderr
    assert f"interrupted ({how.name})" in stderr
    assert wait_until_gone(tree) == set()
    assert not [pid for pid in tree if cgroups_of(pid)]
    partial = json.loads((output / "results.json").read_text())
    assert partial["partial"] is True
    assert {run["memory_mb"] for run in partial["models"] if run["stop_reason"] != "interrupted"} == {512}
    # And its standard error, piped, is a log with no progress frame in it
    assert not any(mark in stderr for mark in ("━", "⠋", "\x1b["))
    # When the command it printed to go on is pasted into a shell, Then it finishes the
    # other size only
    lines = stderr.splitlines()
    hint = lines[next(i for i, line in enumerate(lines) if "continue with:" in line) + 1]
    completed = subprocess.run(
        ["bash", "-c", hint], capture_output=True, text=True, cwd=tmp_path, check=False, env=ENVIRONMENT
    )
    assert completed.returncode == 0, completed.stderr
    final = json.loads((output / "results.json").read_text())
    assert final["partial"] is False
    assert sorted((run["model"], run["memory_mb"]) for run in final["models"]) == sorted(
        (model, memory) for model in MODELS for memory in (512, 1024)
    )


def test_invoke_prints_the_answer_and_the_log_tail(tmp_path: Path) -> None:
    # Given an event on standard input and an environment override
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"Parameters": {"POWERTOOLS_LOG_LEVEL": "DEBUG"}}))
    event = {"s3_bucket_name": "concurrency-eval-local", "folder": "30/", "find": None}
    # When one function is invoked once, named as `serve` lists it
    completed = run(
        tmp_path, "invoke", "concurrency-eval-threaded", "-e", "-", "--env-vars", str(env_vars), *SMALL,
        stdin=json.dumps(event),
    )  # fmt: skip
    # Then its answer is printed, and Lambda's log tail with its report
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["detail"] == "threaded"
    assert answer["result"] == "30"
    assert '"platform.report"' in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["invoke", "sync", "-e", "-"], "not JSON"),
        (["invoke", "sync", "--env-vars", "missing.json"], "cannot read"),
        (["invoke", "nosuch"], "unknown function 'nosuch'"),
    ],
)
def test_invoke_refuses_bad_input_with_exit_2(tmp_path: Path, arguments: list[str], message: str) -> None:
    completed = run(tmp_path, *arguments, stdin="{not json")
    assert completed.returncode == 2
    assert message in completed.stderr


@pytest.mark.parametrize(
    ("name", "content", "arguments", "message"),
    [
        ("env.json", {"Parameters": {"A=B": "x"}}, ["--env-vars"], "Lambda would refuse these"),
        ("env.json", {"sync": {"AWS_REGION": "x"}}, ["--env-vars"], "Reserved keys used in this request"),
        ("event.json", "x" * (7 * 1024 * 1024), ["-e"], "Lambda takes at most 6,291,456 (6 MB)"),
        ("event.json", "[" * 100_000 + "]" * 100_000, ["-e"], "is not JSON"),
    ],
)
def test_invoke_refuses_what_lambda_would_before_starting_anything(
    tmp_path: Path, name: str, content: object, arguments: list[str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    completed = run(tmp_path, "invoke", "sync", *arguments, str(path))
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_s3_stand_in_dying_mid_sweep_is_a_message_a_resume_hint_and_exit_3(tmp_path: Path) -> None:
    # Given a sweep under way
    output = tmp_path / "results"
    process = sweep_until(output, "512,1024", "1024 MB: updating")
    assert process.stderr is not None
    # When the embedded S3 is killed outright
    (s3,) = [
        pid for pid in descendants(process.pid) if "embedded_s3" in Path(f"/proc/{pid}/cmdline").read_text()
    ]
    os.kill(s3, signal.SIGKILL)
    stderr = process.stderr.read()
    # Then the tool says what stopped, how to go on, and keeps what it measured
    assert process.wait(timeout=120) == 3, stderr
    assert "the embedded S3 stopped while it was needed (killed by SIGKILL)" in " ".join(stderr.split())
    assert "--resume" in stderr
    assert "Traceback" not in stderr
    assert json.loads((output / "results.json").read_text())["partial"] is True
