"""An execution environment's limits: Lambda's CPU share and memory size, enforced.

Lambda gives a function CPU in proportion to its memory: memory/1769 of a vCPU, at
most six. Here that share is enforced by the kernel's CFS bandwidth control in a
cgroup of the environment's own (v2 `cpu.max`, or v1 `cpu.cfs_quota_us`) wherever the
tool may make one, else by a portable throttle that stops and continues the process
on a duty cycle. Memory: a process over its memory size is killed, by the memory
controller where there is one, else by a watcher that polls its resident memory.
Both the CPU time and the peak memory are read from outside the process.

cgroups are named after the service process that made them; `remove_stale` removes
those whose service is gone, so that even a service killed outright (which cannot
clean up) leaves nothing behind once the next one starts.
"""

import contextlib
import os
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

import psutil

from contracts.lambda_limits import INIT_VCPUS, vcpus

METHODS = ("cgroup-v2", "cgroup-v1", "duty-cycle")
#: The CFS period: short enough that a short invocation gets its share evenly.
PERIOD_US = 20_000
#: The kernel refuses quotas below 1 ms.
_MIN_QUOTA_US = 1_000
#: The portable throttle's period and how often it looks.
_DUTY_PERIOD_S = 0.1
_DUTY_POLL_S = 0.001
#: How often resident memory is read where no memory cgroup limits it: soon enough to kill
#: a process that goes over its size.
_MEMORY_POLL_S = 0.01
#: How often where one does: only to keep the peak of a process that ends between reports
#: (a report reads the kernel's high-water mark, VmHWM, afresh). A reading costs about 0.2
#: ms of the service's CPU: every 10 ms, 2% of a core for each environment, idle or not,
#: taken from the functions on the same cores.
_PEAK_POLL_S = 0.1
_PREFIX = "concurrency-eval-"
_CGROUP_ROOT = Path("/sys/fs/cgroup")


def service_cgroup_name(pid: int) -> str:
    """The name of the cgroup that holds the environments' cgroups of the service `pid`."""
    return f"{_PREFIX}{pid}"


class LimitsUnavailable(RuntimeError):
    """No way to enforce a CPU share here; the message names the flag that runs without one."""


def vcpus_for(memory_mb: int, machine_cpus: int | None = None, cpu_speed: float = 1.0) -> float:
    """Lambda's CPU share: memory/1769 of a vCPU, at most six, never more than this machine
    has. `cpu_speed` is a Lambda vCPU's speed against one of this machine's cores: the share
    in this machine's cores is the share in Lambda's times it."""
    cpus = machine_cpus or os.cpu_count() or 1
    return min(vcpus(memory_mb) * cpu_speed, cpus)


def init_vcpus_for(memory_mb: int, machine_cpus: int | None = None, cpu_speed: float = 1.0) -> float:
    """The INIT phase's CPU: unthrottled (INIT_VCPUS), or the memory's share where that is more."""
    cpus = machine_cpus or os.cpu_count() or 1
    share = vcpus_for(memory_mb, machine_cpus, cpu_speed)
    return max(share, min(INIT_VCPUS * cpu_speed, cpus))


def choose_method(requested: str = "auto") -> str:
    """The method that works here: the one asked for, or the first of METHODS for "auto"."""
    if requested == "none":
        return "none"
    candidates = METHODS if requested == "auto" else (requested,)
    reasons = []
    for method in candidates:
        if method not in METHODS:
            raise LimitsUnavailable(
                f"unknown CPU limit method {method!r}; use auto, {', '.join(METHODS)} or none"
            )
        reason = _unavailable(method)
        if reason is None:
            return method
        reasons.append(f"{method}: {reason}")
    raise LimitsUnavailable(
        "no way to give each execution environment its CPU share here ("
        + "; ".join(reasons)
        + "); run with --no-cpu-limit to give every environment the whole machine"
    )


def _unavailable(method: str) -> str | None:
    """Why `method` cannot work here, or None when it can."""
    if method == "duty-cycle":
        return None if hasattr(signal, "SIGSTOP") else "no SIGSTOP on this platform"
    controller = _CpuController.find(method)
    if controller is None:
        return "no writable cpu controller"
    try:
        probe = controller.make(f"probe-{threading.get_ident()}", 1.0)
    except OSError as error:
        return str(error)
    _remove(probe)
    return None


class _CpuController:
    """Where this process may make cpu cgroups, for one cgroup version."""

    def __init__(self, version: int, base: Path) -> None:
        self.version = version
        self.base = base

    @classmethod
    def find(cls, method: str) -> "_CpuController | None":
        version = 2 if method == "cgroup-v2" else 1
        path = _own_cgroup("cpu" if version == 1 else "")
        mount = _mount_point("cpu" if version == 1 else None)
        if path is None or mount is None:
            return None
        base = mount / path.lstrip("/")
        if version == 2 and "cpu" not in _read(base / "cgroup.controllers").split():
            return None
        return cls(version, base / service_cgroup_name(os.getpid()))

    def make(self, name: str, vcpus: float) -> Path:
        self.base.mkdir(exist_ok=True)
        if self.version == 2:
            (self.base / "cgroup.subtree_control").write_text("+cpu")
        directory = self.base / name
        directory.mkdir()
        try:
            if self.version == 1:
                (directory / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            self.set_share(directory, vcpus)
        except OSError:
            _remove(directory)
            raise
        return directory

    def set_share(self, directory: Path, vcpus: float) -> None:
        """Give the cgroup `vcpus` of CPU per period, from now on."""
        quota = max(_MIN_QUOTA_US, round(vcpus * PERIOD_US))
        if self.version == 2:
            (directory / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (directory / "cpu.cfs_quota_us").write_text(str(quota))


def _memory_cgroup(name: str, memory_mb: int) -> Path | None:
    """A v1 memory cgroup limited to `memory_mb`, or None where none can be made."""
    path, mount = _own_cgroup("memory"), _mount_point("memory")
    if path is None or mount is None:
        return None
    base = mount / path.lstrip("/") / service_cgroup_name(os.getpid())
    try:
        base.mkdir(exist_ok=True)
        directory = base / name
        directory.mkdir()
    except OSError:
        return None
    try:
        (directory / "memory.limit_in_bytes").write_text(str(memory_mb * 1024 * 1024))
        swap = directory / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(memory_mb * 1024 * 1024))
    except OSError:
        _remove(directory)
        return None
    return directory


class Confinement:
    """One execution environment's limits, from its first instruction to its end.

    An on-demand environment's INIT phase runs unthrottled, as on Lambda (INIT_VCPUS);
    its memory's share applies from `init_ended` on. With `burst_init` off (provisioned
    concurrency, a retried INIT) the share applies from the first instruction.
    """

    def __init__(
        self,
        name: str,
        memory_mb: int,
        method: str,
        memory_controller: bool = True,
        *,
        burst_init: bool = True,
        cpu_speed: float = 1.0,
    ) -> None:
        self.method = method
        self.name = name
        self.memory_mb = memory_mb
        self.vcpus = vcpus_for(memory_mb, cpu_speed=cpu_speed)
        self.init_vcpus = init_vcpus_for(memory_mb, cpu_speed=cpu_speed) if burst_init else self.vcpus
        #: INIT is over: the memory's share applies.
        self._throttled = threading.Event()
        self._cgroups: list[Path] = []
        self._cpu_cgroup: Path | None = None
        self._controller: _CpuController | None = None
        self._memory_cgroup: Path | None = None
        if method in ("cgroup-v1", "cgroup-v2"):
            self._controller = _CpuController.find(method)
            if self._controller is None:
                raise LimitsUnavailable(f"{method} is not available; run with --no-cpu-limit")
            self._cpu_cgroup = self._controller.make(name, self.init_vcpus)
            self._cgroups.append(self._cpu_cgroup)
        if memory_controller and sys.platform == "linux":
            self._memory_cgroup = _memory_cgroup(name, memory_mb)
            if self._memory_cgroup is not None:
                self._cgroups.append(self._memory_cgroup)
        self._process: psutil.Process | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._cpu_seconds = 0.0
        self._peak_rss = 0
        self._killed_for_memory = False
        self._lock = threading.Lock()

    def command(self, argv: list[str]) -> list[str]:
        """`argv`, started inside this environment's cgroups, so that even the
        interpreter's start-up runs within its limits."""
        if not self._cgroups:
            return argv
        joins = " && ".join(f"echo $$ > {shlex.quote(str(c / 'cgroup.procs'))}" for c in self._cgroups)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *argv]

    def started(self, pid: int) -> None:
        """A runtime process started in this environment (a retried INIT starts a second):
        watch its memory and, without cgroups, throttle it once INIT is over."""
        self._pid = pid
        try:
            process = self._process = psutil.Process(pid)
        except psutil.Error:
            return
        if self.init_vcpus == self.vcpus:
            self.init_ended()
        threading.Thread(
            target=self._watch_memory, args=(process,), name=f"memory-{self.name}", daemon=True
        ).start()
        if self.method == "duty-cycle" and self.vcpus < (os.cpu_count() or 1):
            threading.Thread(
                target=self._duty_cycle, args=(process,), name=f"throttle-{self.name}", daemon=True
            ).start()

    def init_ended(self) -> None:
        """INIT is over: from now on the environment gets its memory's share of CPU."""
        if self._throttled.is_set():
            return
        self._throttled.set()
        if self._controller is not None and self._cpu_cgroup is not None and self.init_vcpus != self.vcpus:
            with contextlib.suppress(OSError):
                self._controller.set_share(self._cpu_cgroup, self.vcpus)

    # -- measurements, from outside ---------------------------------------------------

    def cpu_seconds(self) -> float:
        """User and system CPU the process has used so far (its last reading once it ends)."""
        process = self._process
        if process is not None:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                self._cpu_seconds = times.user + times.system
        return self._cpu_seconds

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far."""
        self._sample_memory()
        return self._peak_rss / (1024 * 1024)

    def _sample_memory(self) -> int:
        """Read the current RSS (and, on Linux, the kernel's own peak, VmHWM)."""
        rss = 0
        if self._pid is not None:
            status = _read(Path(f"/proc/{self._pid}/status"))
            peak = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            current = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if current is not None:
                rss = int(current.group(1)) * 1024
            elif self._process is not None:
                with contextlib.suppress(psutil.Error):
                    rss = self._process.memory_info().rss
            with self._lock:
                self._peak_rss = max(self._peak_rss, rss, int(peak.group(1)) * 1024 if peak else 0)
        return rss

    def out_of_memory(self) -> bool:
        """Whether the environment was killed for going over its memory size."""
        if self._memory_cgroup is not None:
            counters = _read(self._memory_cgroup / "memory.oom_control")
            killed = re.search(r"^oom_kill (\d+)", counters, re.MULTILINE)
            if killed is not None and int(killed.group(1)) > 0:
                return True
        return self._killed_for_memory

    # -- enforcement without cgroups --------------------------------------------------

    def _watch_memory(self, process: psutil.Process) -> None:
        """Poll resident memory; where no memory cgroup limits it, kill the process over its
        size. Ends with the process, or once another has replaced it."""
        limit = self.memory_mb * 1024 * 1024
        interval = _MEMORY_POLL_S if self._memory_cgroup is None else _PEAK_POLL_S
        while not self._stop.wait(interval):
            if process is not self._process or not process.is_running():
                return
            rss = self._sample_memory()
            if self._memory_cgroup is None and rss > limit:
                self._killed_for_memory = True
                with contextlib.suppress(psutil.Error):
                    process.send_signal(signal.SIGCONT)
                    process.kill()
                return

    def _duty_cycle(self, process: psutil.Process) -> None:
        """Once INIT is over, stop the process once it has used its share of each period;
        continue it at the next. Overshoot is carried into the next period, so the average
        share is exact. Ends with the process, or once another has replaced it."""
        while not self._throttled.wait(_MEMORY_POLL_S):
            if self._stop.is_set() or process is not self._process:
                return
        debt = 0.0
        try:
            while not self._stop.is_set() and process is self._process:
                period_start = time.perf_counter()
                used_before = self.cpu_seconds()
                budget = self.vcpus * _DUTY_PERIOD_S - debt
                while (elapsed := time.perf_counter() - period_start) < _DUTY_PERIOD_S:
                    used = self.cpu_seconds() - used_before
                    if used >= budget:
                        process.suspend()
                        try:
                            self._stop.wait(_DUTY_PERIOD_S - elapsed)
                        finally:
                            process.resume()
                        break
                    time.sleep(_DUTY_POLL_S)
                debt = max(0.0, (self.cpu_seconds() - used_before) - budget)
        except psutil.Error:
            return

    # -- ending -----------------------------------------------------------------------

    def processes(self) -> set[int]:
        """Every process in this environment's cgroups: whatever the function started,
        even those that left its session."""
        found: set[int] = set()
        for cgroup in self._cgroups:
            found.update(int(pid) for pid in _read(cgroup / "cgroup.procs").split() if pid.isdigit())
        return found

    def close(self) -> None:
        """Stop watching, never leave the process stopped, and remove the cgroups once empty."""
        self._stop.set()
        if self._process is not None:
            with contextlib.suppress(psutil.Error):
                self._process.resume()
        for cgroup in self._cgroups:
            _remove(cgroup)
        self._cgroups = []


#: The limits of a new environment. Without `memory_controller` (where the machine has
#: none), memory is enforced by polling: the portable path, which tests force.
confine = Confinement


def remove_stale() -> int:
    """Remove the cgroups of service processes that no longer exist; how many were removed."""
    removed = 0
    for controller in ("cpu", "memory"):
        path, mount = _own_cgroup(controller), _mount_point(controller)
        if path is None or mount is None:
            continue
        removed += _remove_stale_under(mount / path.lstrip("/"))
    path, mount = _own_cgroup(""), _mount_point(None)
    if path is not None and mount is not None:
        removed += _remove_stale_under(mount / path.lstrip("/"))
    return removed


def _remove_stale_under(parent: Path) -> int:
    removed = 0
    with contextlib.suppress(OSError):
        for base in parent.glob(f"{_PREFIX}*"):
            owner = base.name.removeprefix(_PREFIX)
            if owner.isdigit() and not psutil.pid_exists(int(owner)):
                for child in base.iterdir():
                    if child.is_dir():
                        removed += _remove(child)
                removed += _remove(base)
    return removed


def _remove(cgroup: Path, wait_s: float = 5.0) -> int:
    """rmdir a cgroup, waiting for its last process to be reaped; its parent too once empty."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cgroup.rmdir()
            break
        except FileNotFoundError:
            return 0
        except OSError:
            if time.monotonic() >= deadline:
                return 0
            time.sleep(0.02)
    parent = cgroup.parent
    if parent.name.startswith(_PREFIX):
        with contextlib.suppress(OSError):
            parent.rmdir()
    return 1


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path for a v1 controller ("" for the v2 hierarchy)."""
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        _, controllers, path = line.split(":", 2)
        if controller == "" and controllers == "":
            return path
        if controller and controller in controllers.split(","):
            return path
    return None


def _mount_point(controller: str | None) -> Path | None:
    """Where the v1 hierarchy of `controller` (or, for None, the v2 one) is mounted."""
    for line in _read(Path("/proc/self/mounts")).splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        kind, options = fields[2], fields[3].split(",")
        if controller is None and kind == "cgroup2":
            return Path(fields[1])
        if controller is not None and kind == "cgroup" and controller in options:
            return Path(fields[1])
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
