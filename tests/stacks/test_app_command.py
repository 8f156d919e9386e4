"""How `cdk synth` starts the app: cdk.json's command, run through a shell as the CDK
CLI runs it, and the Node.js that jsii starts under it."""

import json
import os
import subprocess

import pytest

from contracts import cdk_json
from tests.handlers import ROOT

PRINT_JSII_NODE = "import os; print(os.environ['JSII_NODE'])"


def run_app_command_with(program: list[str], environment: dict[str, str]) -> str:
    """cdk.json's command with `app.py` swapped for `program`, run through a shell."""
    completed = subprocess.run(
        cdk_json.app_command(program),
        shell=True,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


@pytest.mark.parametrize(
    ("users_jsii_node", "expected"),
    [(None, "scripts/jsii-node"), ("/opt/node/bin/node", "/opt/node/bin/node")],
)
def test_the_app_runs_jsii_node_unless_the_user_chose_a_node(
    users_jsii_node: str | None, expected: str
) -> None:
    # Given an environment with or without the user's own JSII_NODE
    environment = {key: value for key, value in os.environ.items() if key != "JSII_NODE"}
    if users_jsii_node is not None:
        environment["JSII_NODE"] = users_jsii_node

    # When the shell runs cdk.json's app command
    jsii_node = run_app_command_with(["-c", PRINT_JSII_NODE], environment)

    # Then jsii starts scripts/jsii-node, or the user's choice is kept
    assert jsii_node == expected


def test_jsii_node_runs_node_with_liftoff_only_and_passes_its_arguments() -> None:
    # Given the wrapper jsii starts instead of node
    wrapper = ROOT / "scripts" / "jsii-node"

    # When it runs a program with arguments, as jsii runs its runtime
    completed = subprocess.run(
        [wrapper, "-p", "JSON.stringify([process.execArgv, process.argv.slice(1)])", "first", "second"],
        capture_output=True,
        text=True,
        check=True,
    )

    # Then Node.js runs with V8's baseline WebAssembly compiler only, and the arguments arrive
    exec_argv, argv = json.loads(completed.stdout)
    assert "--liftoff-only" in exec_argv
    assert argv == ["first", "second"]


def test_jsii_runs_on_the_node_lts_the_lock_file_pins() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["node"]
    if not (ROOT / "node_modules" / ".bin" / "node").exists():
        pytest.skip("npm ci has not run (make npm installs the pinned Node.js)")
    version = subprocess.run(
        [str(ROOT / "scripts" / "jsii-node"), "-e", "console.log(process.version)"],
        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"},
    ).stdout.strip()  # fmt: skip
    # The pinned LTS, not the machine's own (Node 20 here, which is end-of-life)
    assert version == f"v{pinned}"
    assert int(pinned.split(".")[0]) % 2 == 0  # even majors are the LTS lines
