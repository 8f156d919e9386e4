"""An execution environment's walls, as far as this host allows.

On Lambda each environment is a microVM of its own. Here, where the service may make
mount namespaces and drop capabilities (it runs as root, with util-linux's `unshare`
and `setpriv`, as in most containers and CI runners), each environment's runtime:

- runs in a mount namespace of its own, with its code, its layers, the runtime and the
  interpreter read-only, and a temporary directory of its own (TMPDIR; /tmp itself
  stays the host's, where the embedded S3's certificate and the tests' functions live);
- has no capabilities (an empty bounding set, no new privileges), so it cannot remount
  its code writable or read another process's memory;
- makes itself not dumpable (the bootstrap does), so that no other environment can read
  its /proc/<pid>/environ;
- is the only process its Runtime API answers, and the Lambda API does not answer it
  (`peers`), as on Lambda a function reaches neither another's Runtime API nor, without
  a role that allows it, the Lambda API.

Still shared here, unlike on Lambda: the process list (no PID namespace), signals
between environments' processes (one user), /tmp and the rest of the file system
outside the read-only paths, the loopback network, and the machine's CPU and memory
beyond each environment's cgroup. Where the host allows none of this
(not root, no `unshare`), `unavailable()` says why and environments run without walls.
"""

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

_TOOLS = ("unshare", "setpriv", "mount")


@functools.cache
def unavailable() -> str | None:
    """Why environments cannot be walled off here, or None when they can."""
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not found (util-linux)"
    if os.geteuid() != 0:
        return "the service does not run as root, which mount namespaces need"
    trial = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, check=False
    )
    if trial.returncode != 0:
        return f"unshare --mount failed: {trial.stderr.decode(errors='replace').strip()}"
    return None


def private_tmp(name: str) -> Path:
    """A directory of the environment's own, for its /tmp."""
    return Path(tempfile.mkdtemp(prefix=f"concurrency-eval-tmp-{name}-"))


def walled(argv: Sequence[str], read_only: Sequence[Path]) -> list[str]:
    """`argv` started in a mount namespace of its own with its code read-only, without
    capabilities; the same process (`unshare` and `setpriv` exec, never fork)."""
    mounts = []
    for path in dict.fromkeys(p.resolve() for p in read_only):
        quoted = shlex.quote(str(path))
        mounts.append(f"mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} {quoted}")
    script = " && ".join([*mounts, 'exec setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", *argv]
