"""Environments sealed from each other, probed from inside a function as a hostile one would.

On Lambda each environment is a microVM: no function can read another's variables, write
its own code, take another's events or call the Lambda API without a role. Here the
service builds those walls where the host allows (`sandbox`), and says why where not.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from concurrency_eval.emulators.lambda_service import sandbox
from concurrency_eval.emulators.lambda_service.server import LocalLambda
from tests.emulators.conftest import lambda_client, spec_for

pytestmark = pytest.mark.timeout(240)

WHOAMI = """
import os
def handler(event, context):
    return {"pid": os.getpid(), "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"]}
"""
PROBER = """
import http.client, json, os, tempfile, urllib.request
def attempt(action):
    try:
        return "allowed: " + str(action())[:200]
    except Exception as error:
        return "refused: " + type(error).__name__ + ": " + str(error)[:200]
def handler(event, context):
    def runtime_api():
        host, port = event["runtime_api"].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        connection.request("GET", "/2018-06-01/runtime/invocation/next")
        response = connection.getresponse()
        if response.status != 200:
            raise PermissionError(f"{response.status} {response.read()[:100]!r}")
        return response.read()
    def lambda_api():
        request = urllib.request.Request(event["lambda_api"] + "/2015-03-31/functions/whoami/configuration")
        return urllib.request.urlopen(request, timeout=5).read()
    def write_code():
        with open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "planted.py"), "w") as handle:
            handle.write("x = 1")
        return "written"
    return {
        "environ": attempt(lambda: open(f"/proc/{event['pid']}/environ", "rb").read()),
        "runtime_api": attempt(runtime_api),
        "lambda_api": attempt(lambda_api),
        "write_code": attempt(write_code),
        "tmpdir": tempfile.gettempdir(),
    }
"""


@pytest.fixture(scope="module")
def walled(tmp_path_factory: pytest.TempPathFactory, runtime_dir: Path) -> Iterator[LocalLambda]:
    directories = {}
    for name, source in (("whoami", WHOAMI), ("prober", PROBER)):
        directory = tmp_path_factory.mktemp(name)
        (directory / "handler.py").write_text(source)
        directories[name] = directory
    with LocalLambda(spec_for(directories, runtime_dir, environment={"SECRET": "s3cr3t"})) as running:
        yield running


def invoke(client: Any, name: str, event: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(
        client.invoke(FunctionName=name, Payload=json.dumps(event))["Payload"].read()
    )
    return answer


def test_the_service_says_whether_environments_have_walls(walled: LocalLambda) -> None:
    assert walled.isolation == (sandbox.unavailable() or "walled")


@pytest.mark.skipif(sandbox.unavailable() is not None, reason="this host gives environments no walls")
def test_a_function_cannot_reach_another_or_its_own_code(walled: LocalLambda) -> None:
    # Given another function's environment, warm, holding a secret in its variables
    client = lambda_client(walled.endpoint)
    target = invoke(client, "whoami", {})
    # When a hostile function tries every way into it, and into its own code
    probed = invoke(client, "prober", {**target, "lambda_api": walled.endpoint})
    # Then each is refused, as on Lambda
    assert probed["environ"].startswith("refused: PermissionError"), probed
    assert probed["runtime_api"].startswith("refused: PermissionError: 403"), probed
    assert probed["lambda_api"].startswith("refused: HTTPError"), probed
    assert "403" in probed["lambda_api"]
    assert probed["write_code"].startswith("refused: OSError"), probed
    assert "Read-only file system" in probed["write_code"]
    # And its temporary files go to a directory of its own
    assert "concurrency-eval-tmp-prober-" in probed["tmpdir"]
    # And the function it probed still answers, its events its own
    assert invoke(client, "whoami", {})["pid"] == target["pid"]
