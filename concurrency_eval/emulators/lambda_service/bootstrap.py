"""The runtime's bootstrap in a local execution environment: Lambda's /var/runtime/bootstrap.

Started as `python -I -S -B bootstrap.py TASK_ROOT LAYER_DIR... -- RUNTIME_DIR...`, with
the environment Lambda sets (_HANDLER, AWS_LAMBDA_RUNTIME_API, ...). It lays out the
import path as Lambda does (the function's code first, then the layers' /opt/python,
the standard library, then the runtime), and hands over to AWS's runtime interface
client, which imports the handler and serves invocations through the Runtime API.

Standard library only: nothing else is importable until the path is set. It ends
itself when the service that started it is gone (its standard input closes), since
nothing else would.
"""

import os
import sys
import threading


def _exit_with_parent() -> None:
    """The service keeps our standard input open; end-of-file means it is gone."""

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os._exit(137)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _not_dumpable() -> None:
    """No other process of this user may read this one's memory or /proc/<pid>/environ
    (which holds the function's credentials and variables): on Lambda no other sandbox
    can. Only Linux has the switch (prctl PR_SET_DUMPABLE)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0


def main() -> None:
    _not_dumpable()
    arguments = sys.argv[1:]
    split = arguments.index("--")
    code_paths, runtime_paths = arguments[:split], arguments[split + 1 :]
    sys.path[:0] = code_paths
    sys.path.extend(runtime_paths)
    _exit_with_parent()
    from awslambdaric.__main__ import main as runtime_main

    runtime_main([sys.argv[0], os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
