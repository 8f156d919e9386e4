"""Ending a server the tool started in a child process: the same steps for each."""

import contextlib
import subprocess


def stop_child(process: subprocess.Popen[str], grace_s: float) -> None:
    """Close its standard input (it stops when that closes), ask it to end, and kill it if
    it has not within `grace_s`; nothing of it is left running."""
    if process.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
