"""The parent's side of the embedded S3: start it in a child process, drive it over
its control API, and stop it, whatever happens."""

import json
import urllib.parse
import urllib.request
from typing import Any, Self

from concurrency_eval.emulators.child_process import ChildServer, StartsAndStops
from concurrency_eval.emulators.embedded_s3.faults import Faults
from concurrency_eval.emulators.embedded_s3.middleware import CONTROL_PREFIX


class EmbeddedS3(StartsAndStops):
    """Start the embedded S3 in a child process; stop it, whatever happens, on exit."""

    def __init__(self, faults: Faults | None = None, start_timeout: float = 30.0) -> None:
        self._child = ChildServer(
            "concurrency_eval.emulators.embedded_s3",
            ["--port", "0", "--faults", json.dumps((faults or Faults()).to_dict())],
            what="the embedded S3",
            start_timeout=start_timeout,
            grace_s=5,
        )
        self.endpoint = ""

    def start(self) -> Self:
        self.endpoint = self._child.start()["endpoint"]
        return self

    @property
    def pid(self) -> int | None:
        """The server process, for tests that stop and continue it."""
        return self._child.pid

    def stop(self) -> None:
        self._child.stop()

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._call("POST", "reset")

    def set_faults(self, faults: Faults) -> None:
        self._call("PUT", "faults", faults.to_dict())

    def _call(self, method: str, action: str, body: object = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint}{CONTROL_PREFIX}{action}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result
