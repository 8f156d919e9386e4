"""cdk.json as the CDK CLI reads it: the context it passes to the app, and the command
it runs the app with (through a shell)."""

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent.parent / "cdk.json"
APP_PROGRAM = "app.py"


def context() -> dict[str, Any]:
    """The context `cdk synth` passes: cdk.json's, feature flags included."""
    settings: dict[str, Any] = _document()["context"]
    return settings


def app_command(program: Sequence[str] = (APP_PROGRAM,)) -> str:
    """cdk.json's app command, with `program` (the arguments after `python`) in place
    of `app.py`: the app, or another program started exactly as the app is."""
    command: str = _document()["app"]
    if not command.endswith(f" {APP_PROGRAM}"):
        raise ValueError(f"cdk.json's app command must end with ' {APP_PROGRAM}'; got {command!r}")
    return command.removesuffix(APP_PROGRAM) + shlex.join(program)


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PATH.read_text())
    return document
