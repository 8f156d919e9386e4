"""The runtime loop of a local function process, standing in for Lambda's bootstrap.

Started as `python -I -S -B lambda_bootstrap.py RESULTS_FD PATH...` so that only the
standard library and the bundle directories are importable, as on Lambda, and no
bytecode is written (Lambda's code directories are read-only). Standard library
only: nothing else is on the path.

Imports the handler (the init phase), then reads one invocation request per line
from standard input and writes one JSON line per event to RESULTS_FD. Standard
output and error are the function's logs. Exits when standard input closes.
"""

import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback

_CLEAR_REFS = "/proc/self/clear_refs"
_STATUS = "/proc/self/status"


class Context:
    """The Lambda context object's fields and its deadline."""

    def __init__(self, request_id: str, timeout_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"))
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def peak_rss_kb() -> int:
    """The process's peak resident memory (VmHWM) since start or the last reset."""
    try:
        with open(_STATUS) as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def reset_peak_rss() -> bool:
    """Start a new peak; False where the kernel does not allow it."""
    try:
        with open(_CLEAR_REFS, "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def die_with_parent() -> None:
    """End this process when the runner dies, even in the middle of an invocation."""
    parent = os.getppid()
    try:
        import ctypes

        pr_set_pdeathsig = 1
        if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL) == 0:
            if os.getppid() != parent:  # the runner died before the request took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:  # where prctl is missing: look every half second
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group; the runner handles it and
    # ends this process by closing its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    results = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    sys.path[:0] = sys.argv[2:]

    def send(message: dict[str, object]) -> None:
        results.write(json.dumps(message) + "\n")

    module_name, _, function_name = os.environ.get("_HANDLER", "handler.handler").rpartition(".")
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except BaseException as init_failure:  # noqa: BLE001 - an init error is reported, as Lambda does
        send({"type": "init_error", "error": _error(init_failure)})
        return 1
    send(
        {
            "type": "init",
            "init_ms": (time.perf_counter() - wall) * 1000,
            "cpu_ms": (time.process_time() - cpu) * 1000,
            "peak_rss_kb": peak_rss_kb(),
        }
    )
    for line in sys.stdin:
        request = json.loads(line)
        peak_resets = reset_peak_rss()
        context = Context(request["request_id"], request["timeout_ms"])
        wall, cpu = time.perf_counter(), time.process_time()
        response, error = None, None
        try:
            response = handler(request["event"], context)
        except Exception as failure:  # noqa: BLE001 - an unhandled error, as Lambda reports it
            error = _error(failure)
        send(
            {
                "type": "result",
                "duration_ms": (time.perf_counter() - wall) * 1000,
                "cpu_ms": (time.process_time() - cpu) * 1000,
                "peak_rss_kb": peak_rss_kb(),
                "peak_is_per_invocation": peak_resets,
                "response": response,
                "error": error,
            }
        )
    return 0


def _error(error: BaseException) -> dict[str, object]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


if __name__ == "__main__":
    sys.exit(main())
