"""Importing a handler is light and reads no environment variable (as at Lambda init)."""

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.handlers import MODELS, ROOT, handler_path

# Runs in a fresh interpreter: records every environment read made while the handler
# module is imported, with the file that made it, then lists the modules loaded.
PROBE = r"""
import json, os, sys, importlib.util

reads = []

class RecordingEnviron(type(os.environ)):
    def __getitem__(self, key):
        reads.append((key, sys._getframe(1).f_code.co_filename))
        return super().__getitem__(key)

    def get(self, key, default=None):
        reads.append((key, sys._getframe(1).f_code.co_filename))
        return super().get(key, default)

    def __contains__(self, key):
        reads.append((key, sys._getframe(1).f_code.co_filename))
        return super().__contains__(key)

os.environ.__class__ = RecordingEnviron
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.handler)
print(json.dumps({"reads": reads, "modules": sorted(sys.modules)}))
"""


def import_in_fresh_process(model: str) -> dict[str, Any]:
    framework = ROOT / "layers" / "framework" / "src"
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(handler_path(model))],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(framework), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


@pytest.mark.parametrize("model", MODELS)
def test_import_reads_no_environment_variable_from_project_code(model: str) -> None:
    # Given a fresh interpreter, When the handler module is imported
    result = import_in_fresh_process(model)
    # Then neither the handler nor the framework read the environment
    ours = [(name, path) for name, path in result["reads"] if "/lambdas/" in path or "/s3fanout/" in path]
    assert ours == []


@pytest.mark.parametrize(
    ("model", "must_not_load"),
    [
        ("sync", ["aiobotocore", "aiohttp", "asyncio", "aws_lambda_powertools"]),
        ("threaded", ["aiobotocore", "aiohttp", "asyncio", "aws_lambda_powertools"]),
        ("asyncio", ["boto3", "concurrent.futures.thread", "aws_lambda_powertools"]),
    ],
)
def test_import_loads_only_what_the_model_needs(model: str, must_not_load: list[str]) -> None:
    # Given a fresh interpreter, When the handler is imported
    modules = set(import_in_fresh_process(model)["modules"])
    # Then another model's client, the event loop machinery it does not use, and the
    # logging and metrics (built at first use) are not loaded
    assert modules & set(must_not_load) == set()
    assert "moto" not in modules
    assert "pytest" not in modules


def test_probe_sees_environment_reads() -> None:
    # The probe must be able to fail: a module reading os.environ at import is seen.
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE.replace(
                "spec.loader.exec_module(module)", "os.environ.get('HOME'); spec.loader.exec_module(module)"
            ),
            str(handler_path("sync")),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "layers" / "framework" / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert ["HOME", "<string>"] in json.loads(completed.stdout)["reads"]
