"""Load the three handlers the way Lambda does: each `handler.py` from its own folder."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("sync", "threaded", "asyncio")
MAGIC = "MyMagicString"


def handler_path(model: str) -> Path:
    return ROOT / "lambdas" / model / "handler.py"


def load_handler_module(model: str) -> ModuleType:
    """Import lambdas/<model>/handler.py under a unique name, once per test session."""
    name = f"lambda_{model}_handler"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, handler_path(model))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def invoke(model: str, event: object, context: object = None) -> dict[str, Any]:
    """One invocation, with Lambda's context (15 minutes left, Lambda's longest, by default)."""
    response: dict[str, Any] = load_handler_module(model).handler(event, context or FakeContext(900_000))
    return response


class FakeContext:
    """Lambda's context object, as the runtime hands it to a handler, with a fixed time left."""

    def __init__(self, remaining_ms: int, request_id: str = "test-request") -> None:
        self._remaining_ms = remaining_ms
        self.aws_request_id = request_id
        self.function_name = "concurrency-eval-test"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:concurrency-eval-test"
        self.memory_limit_in_mb = 1024
        self.log_group_name = "/aws/lambda/concurrency-eval-test"
        self.log_stream_name = "2026/11/23/[$LATEST]0000"

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms
