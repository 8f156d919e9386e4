"""`concurrency-eval serve` as `sam local start-lambda`: where it listens, what it prints
for a person to copy (whole at any width, and running as printed), the functions'
environment from --env-vars, each invocation's log as it is written, and Ctrl-C.

One real `serve` runs end to end, its output on a terminal 60 columns wide, with the
AWS CLI run on its printed command where an `aws` that works is installed."""

import argparse
import contextlib
import fcntl
import io
import json
import os
import pty
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import boto3
import botocore.session
import pytest
from botocore import xform_name
from rich.console import Console

from concurrency_eval.commands import serve
from concurrency_eval.commands.cli import main
from concurrency_eval.commands.console import EXIT_ENVIRONMENT
from concurrency_eval.system import ports
from tests.emulators.test_cleanup import descendants, wait_until_gone
from tests.handlers import ROOT

COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))
#: What a terminal's escape sequences look like (colours, cursor moves): not copied text.
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# -- what a person copies ----------------------------------------------------------------


def invoke_options() -> set[str]:
    """The options `aws lambda invoke` takes, by the AWS CLI's naming of Invoke's members
    (botocore's model, which both CLI versions are generated from), and --endpoint-url."""
    shape = botocore.session.get_session().get_service_model("lambda").operation_model("Invoke").input_shape
    assert shape is not None
    return {f"--{xform_name(member, '-')}" for member in shape.members} | {"--endpoint-url"}


def check_invoke_command(line: str, endpoint: str) -> tuple[dict[str, str], list[str]]:
    """The printed `aws lambda invoke`, as a shell splits it: every option one the AWS CLI
    takes, each with its value, the payload a file's bytes, one outfile; its options and
    positional arguments."""
    words = shlex.split(line)
    assert words[:3] == ["aws", "lambda", "invoke"]
    options, positional, rest = {}, [], words[3:]
    while rest:
        word = rest.pop(0)
        if word.startswith("--"):
            assert word in invoke_options(), word
            options[word] = rest.pop(0)
        else:
            positional.append(word)
    assert options["--endpoint-url"] == endpoint
    assert options["--payload"].startswith("fileb://")  # raw bytes for v1 and v2 alike
    assert "--cli-binary-format" not in options  # an option AWS CLI v1 does not know
    assert positional == ["response.json"]
    return options, positional


def check_export_line(line: str) -> dict[str, str]:
    words = shlex.split(line)
    assert words[0] == "export"
    variables = dict(word.split("=", 1) for word in words[1:])
    assert set(variables) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
    assert all(variables.values())
    return variables


def serving(event_file: Path, endpoint: str = "http://127.0.0.1:3001") -> serve.Serving:
    return serve.Serving(
        endpoint=endpoint, host="127.0.0.1", taken_port=None, cpu_limit="cgroup-v2",
        functions=("concurrency-eval-sync", "concurrency-eval-threaded", "concurrency-eval-asyncio"),
        s3_endpoint="https://127.0.0.1:40000", bucket="concurrency-eval-local", prefix="150/",
        ca_bundle=Path("/tmp/ca dir/ca.pem"),
        max_environments=40, isolation="walled", event_file=event_file,
    )  # fmt: skip


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_the_printed_commands_are_whole_lines_at_any_width(columns: int, tmp_path: Path) -> None:
    # Given a terminal of this width, and an event file whose path a shell would split
    event_file = tmp_path / "a folder's name" / "event.json"
    event_file.parent.mkdir()
    event_file.write_text(json.dumps({"find": "MyMagicString"}))
    screen = io.StringIO()
    out = Console(file=screen, width=columns, force_terminal=True, color_system="standard")
    # When the banner is printed
    serve.print_banner(out, serving(event_file))
    lines = ESCAPES.sub("", screen.getvalue()).splitlines()
    # Then each command is one line a shell reads as printed: the payload is the file's bytes
    (invoke,) = [line for line in lines if line.startswith("aws ")]
    options, _ = check_invoke_command(invoke, "http://127.0.0.1:3001")
    assert Path(options["--payload"].removeprefix("fileb://")) == event_file
    (export,) = [line for line in lines if line.startswith("export ")]
    assert check_export_line(export)["AWS_DEFAULT_REGION"] == "us-east-1"
    # And so is every other line a person may copy (an endpoint, a path), each said once
    assert any(line.endswith("/tmp/ca dir/ca.pem  (AWS_CA_BUNDLE for your own S3 clients)") for line in lines)
    assert sum("http://127.0.0.1:3001" in line for line in lines) == 2  # the endpoint, and in the command
    assert sum("https://127.0.0.1:40000" in line for line in lines) == 1


# -- where it listens ----------------------------------------------------------------------


@contextlib.contextmanager
def held(port: int) -> Iterator[None]:
    """`port` held by another process's listening socket, as far as this one can: when
    another process holds it already, it stays taken all the same."""
    with socket.socket() as holder:
        # As a server binds: a port a stopped server left in TIME_WAIT is free to hold.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            holder.bind(("127.0.0.1", port))
            holder.listen()
        assert ports.in_use(ports.listen_problem("127.0.0.1", port))
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_default_port_taken_is_the_next_free_one() -> None:
    # Given SAM's port held by another process
    with held(serve.DEFAULT_PORT):
        # When serve picks its port, Then it is a later one, free
        port = serve._port(argparse.Namespace(host="127.0.0.1", port=None, parser=argparse.ArgumentParser()))
    assert serve.DEFAULT_PORT < port < serve.DEFAULT_PORT + serve.PORT_TRIES


def test_a_port_asked_for_and_taken_is_an_error_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a port another process holds, When serve is told to listen there
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        code = main(["serve", "-p", str(port), "--objects", "5"])
    # Then it says so and how to go on, with the exit code of a missing prerequisite
    assert code == EXIT_ENVIRONMENT
    err = " ".join(capsys.readouterr().err.split())
    assert f"port {port} on 127.0.0.1 is in use by another process; choose another with -p PORT" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "65536"], "argument -p/--port: 65536 is out of range; use 0 to 65535"),
        # An address of no machine here (TEST-NET-1): nothing is sent, the bind is refused
        (["--host", "192.0.2.1"], "--host '192.0.2.1' is not an address of this machine"),
    ],
)
def test_where_it_cannot_listen_is_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["serve", *argv, "--objects", "5"])
    assert raised.value.code == 2
    assert message in " ".join(capsys.readouterr().err.split())


# -- the real thing ---------------------------------------------------------------------


class Terminal:
    """A child's standard output on a pseudo-terminal of a given width, read as it comes."""

    def __init__(self, columns: int) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self._text = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)

    def start(self) -> None:
        os.close(self.slave)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: every writer has closed it
                return
            if not chunk:
                return
            with self._lock:
                self._text += chunk.decode("utf-8", "replace")

    def lines(self) -> list[str]:
        with self._lock:
            return ESCAPES.sub("", self._text).replace("\r", "").splitlines()


class Lines:
    """A pipe's lines, read as they come."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(stream), daemon=True).start()


def wait_for(condition: Any, what: str, told: Any = lambda: "", seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}; {told()}"
        time.sleep(0.2)


def working_aws_cli() -> str | None:
    """An installed AWS CLI that runs, v1 or v2; None where there is none."""
    found = shutil.which("aws")
    if found is None:
        return None
    try:
        version = subprocess.run(
            [found, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if version.returncode == 0 else None


@pytest.mark.timeout(600)
def test_serve_is_sam_local_start_lambda(tmp_path: Path) -> None:
    # Given overrides in SAM's format (every function; one by its model, one by its full
    # name), a temporary folder whose path a shell would split, and SAM's port taken
    env_vars = tmp_path / "env.json"
    env_vars.write_text(
        json.dumps(
            {
                "threaded": {"S3FANOUT_DEFAULT_CONCURRENCY": 3},
                "Parameters": {"S3FANOUT_DEFAULT_CONCURRENCY": "7"},
                "concurrency-eval-sync": {"POWERTOOLS_SERVICE_NAME": "served-by-sam-format"},
            }
        )
    )
    scratch = tmp_path / "scratch space"
    scratch.mkdir()
    terminal = Terminal(columns=60)
    environment = os.environ | {
        "CONCURRENCY_EVAL_BUNDLE_CACHE": str(ROOT / "build" / "bundles"),
        "TMPDIR": str(scratch),
        "COLUMNS": "60",
    }
    with held(serve.DEFAULT_PORT):
        # When serve starts, its output on a terminal 60 columns wide
        process = subprocess.Popen(
            [COMMAND, "serve", "--objects", "20", "--max-size", "2000", "--latency-ms", "0",
             "--env-vars", str(env_vars)],
            stdin=subprocess.DEVNULL, stdout=terminal.slave, stderr=subprocess.PIPE, text=True,
            env=environment, cwd=tmp_path, start_new_session=True,
        )  # fmt: skip
        terminal.start()
        log = Lines(process.stderr)
        wait_for(
            lambda: any(line.startswith("serving until Ctrl-C") for line in terminal.lines()),
            "serve",
            lambda: f"its standard error: {''.join(log.lines)[-2000:]}",
        )
    try:
        lines = terminal.lines()
        # Then it said where it listens, once, and that SAM's port was taken
        (api,) = [line for line in lines if line.startswith("Lambda API:")]
        endpoint = api.split()[2]
        assert f"port {serve.DEFAULT_PORT} is in use" in api
        assert not endpoint.endswith(f":{serve.DEFAULT_PORT}")
        assert sum(endpoint in line for line in lines) == 2  # its line, and the command's
        # And its commands are whole lines that a shell reads as printed
        (invoke_line,) = [line for line in lines if line.startswith("aws ")]
        (export_line,) = [line for line in lines if line.startswith("export ")]
        options, _ = check_invoke_command(invoke_line, endpoint)
        check_export_line(export_line)
        event_file = Path(options["--payload"].removeprefix("fileb://"))
        assert event_file.parent.parent == scratch
        assert json.loads(event_file.read_text())["folder"] == "20/"

        # When boto3 invokes each function with that event
        client = boto3.client(
            "lambda", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )  # fmt: skip
        answers = {
            model: json.loads(
                client.invoke(FunctionName=f"concurrency-eval-{model}", Payload=event_file.read_bytes())[
                    "Payload"
                ].read()
            )
            for model in ("sync", "threaded", "asyncio")
        }
        # Then each finds the key, under the environment --env-vars gave it: a function's
        # own value over Parameters, whichever comes first in the file
        assert {answer["error"] for answer in answers.values()} == {None}
        assert answers["threaded"]["concurrency"] == 3
        assert answers["asyncio"]["concurrency"] == 7
        variables = client.get_function_configuration(FunctionName="concurrency-eval-sync")["Environment"]
        assert variables["Variables"]["POWERTOOLS_SERVICE_NAME"] == "served-by-sam-format"
        # And each invocation's log is shown as it is written, after its function's name
        wait_for(
            lambda: sum('"platform.report"' in line for line in log.lines) >= 3, "the invocations' logs", 60
        )
        for model in ("sync", "threaded", "asyncio"):
            assert any(
                line.startswith(f"concurrency-eval-{model} | ") and '"platform.report"' in line
                for line in log.lines
            ), log.lines
        assert any(
            line.startswith("concurrency-eval-sync | ") and '"service":"served-by-sam-format"' in line
            for line in log.lines
        )

        # When the printed commands are pasted into a shell, where an AWS CLI works
        aws = working_aws_cli()
        if aws is not None:
            clean = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
            pasted = subprocess.run(
                ["bash", "-c", f"{export_line}\n{invoke_line}"], cwd=tmp_path, env=clean,
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            # Then the AWS CLI invokes the function with the dummy credentials, and the
            # answer is in response.json, apart from what the CLI prints
            assert pasted.returncode == 0, pasted.stderr
            assert json.loads(pasted.stdout)["StatusCode"] == 200
            assert json.loads((tmp_path / "response.json").read_text()) == answers["asyncio"] | {"time": ANY}
    finally:
        tree = descendants(process.pid)
        # When Ctrl-C reaches it, as a terminal sends it: to the whole process group
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=120)
    # Then it exits 130 with everything it started stopped and its event file gone
    assert code == 130, "\n".join(log.lines[-20:])
    assert wait_until_gone(tree) == set()
    assert not event_file.exists()
