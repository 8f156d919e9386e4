"""An execution environment's limits on real processes: each way of enforcing the CPU
share, the memory limit with and without a memory controller, and nothing left behind."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from concurrency_eval.emulators.lambda_service import limits

pytestmark = pytest.mark.timeout(120)
SPIN = "import time\nt = time.perf_counter()\nsum(i * i for i in range(int(__import__('sys').argv[1])))\n" \
       "print(time.perf_counter() - t)"  # fmt: skip
ALLOCATE = (
    "import sys, time\nblock = bytearray(int(sys.argv[1]) * 1024 * 1024)\n"
    "for i in range(0, len(block), 4096): block[i] = 1\nprint('done', flush=True)\ntime.sleep(30)"
)
AVAILABLE = [method for method in limits.METHODS if limits._unavailable(method) is None]
#: The confined scripts run none of the project's code: started without the coverage
#: measurement `make pytest` passes to subprocesses, whose start-up and data file would
#: take seconds at a fourteenth of a core.
UNMEASURED = {name: value for name, value in os.environ.items() if not name.startswith("COVERAGE_")}


def run_confined(confinement: limits.Confinement, script: str, *arguments: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        confinement.command([sys.executable, "-c", script, *arguments]), stdout=subprocess.PIPE, text=True,
        env=UNMEASURED,
    )  # fmt: skip
    confinement.started(process.pid)
    return process


def spin_seconds(method: str, memory_mb: int, loops: str) -> float:
    # Throttled from the first instruction, as an environment is once its INIT has ended.
    confinement = limits.confine(
        f"spin-{memory_mb}-{time.monotonic_ns()}", memory_mb, method, burst_init=False
    )
    try:
        process = run_confined(confinement, SPIN, loops)
        output, _ = process.communicate(timeout=100)
        return float(output)
    finally:
        confinement.close()


def test_the_share_follows_lambdas_rule() -> None:
    assert limits.vcpus_for(1769, machine_cpus=8) == 1.0
    assert limits.vcpus_for(128, machine_cpus=8) == pytest.approx(128 / 1769)
    assert limits.vcpus_for(10_240, machine_cpus=8) == pytest.approx(10_240 / 1769)  # 5.8, under six
    assert limits.vcpus_for(10_240, machine_cpus=2) == 2  # never more than the machine
    # A Lambda vCPU 1.3 times as fast as a core here takes 1.3 cores
    assert limits.vcpus_for(1769, machine_cpus=8, cpu_speed=1.3) == pytest.approx(1.3)


@pytest.mark.parametrize(
    ("memory_mb", "machine_cpus", "expected"),
    [(128, 8, 2.0), (1769, 8, 2.0), (10_240, 8, 10_240 / 1769), (128, 1, 1.0)],
)
def test_init_gets_two_vcpus_or_the_memorys_share_where_more(
    memory_mb: int, machine_cpus: int, expected: float
) -> None:
    assert limits.init_vcpus_for(memory_mb, machine_cpus=machine_cpus) == pytest.approx(expected)


@pytest.mark.timing
@pytest.mark.parametrize("method", AVAILABLE)
def test_a_cpu_bound_loop_at_128_mb_takes_at_least_5x_as_long_as_at_1769(method: str) -> None:
    # A ratio with a wide margin (13.8x expected): the mechanism works, whatever the noise
    fast = spin_seconds(method, 1769, "1000000")
    slow = spin_seconds(method, 128, "1000000")
    assert slow >= 5 * fast, (method, fast, slow)


#: Spins, says how long it took, waits for a line on standard input, spins again.
SPIN_TWICE = (
    "import sys, time\n"
    "def spin():\n    t = time.perf_counter(); sum(i * i for i in range(1000000))\n"
    "    return time.perf_counter() - t\n"
    "print(spin(), flush=True)\nsys.stdin.readline()\nprint(spin(), flush=True)"
)


@pytest.mark.timing
@pytest.mark.parametrize("method", AVAILABLE)
def test_init_runs_unthrottled_and_the_share_applies_once_it_ends(method: str) -> None:
    # Given an environment at 128 MB whose INIT bursts, as an on-demand one does
    confinement = limits.confine(f"burst-{time.monotonic_ns()}", 128, method)
    process = subprocess.Popen(
        confinement.command([sys.executable, "-c", SPIN_TWICE]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=UNMEASURED,
    )  # fmt: skip
    confinement.started(process.pid)
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        # When the same work runs during INIT and after it
        during_init = float(process.stdout.readline())
        confinement.init_ended()
        process.stdin.write("\n")
        process.stdin.flush()
        after_init = float(process.stdout.readline())
        # Then it is throttled only after INIT (13.8x expected; a wide margin)
        assert after_init >= 5 * during_init, (method, during_init, after_init)
    finally:
        process.kill()
        process.wait()
        confinement.close()


def test_auto_picks_the_kernels_bandwidth_control_here_and_none_only_when_asked() -> None:
    if sys.platform != "linux" or not any(m.startswith("cgroup") for m in AVAILABLE):
        pytest.skip("this machine lets the tool make no cpu cgroup")
    assert limits.choose_method("auto").startswith("cgroup")
    assert limits.choose_method("none") == "none"
    with pytest.raises(limits.LimitsUnavailable, match="unknown CPU limit method"):
        limits.choose_method("cgroup-v9")
    missing = [method for method in limits.METHODS if method not in AVAILABLE]
    for method in missing:  # here: cgroup v2 has no cpu controller
        with pytest.raises(limits.LimitsUnavailable, match="run with --no-cpu-limit"):
            limits.choose_method(method)


@pytest.mark.parametrize("memory_controller", [True, False], ids=["cgroup", "polled"])
def test_going_over_the_memory_size_kills_and_says_so(memory_controller: bool) -> None:
    method = AVAILABLE[0]
    within = limits.confine(f"within-{memory_controller}", 256, method, memory_controller)
    over = limits.confine(f"over-{memory_controller}", 128, method, memory_controller)
    try:
        fine = run_confined(within, ALLOCATE, "40")
        assert fine.stdout is not None
        assert fine.stdout.readline() == "done\n"
        assert not within.out_of_memory()
        assert within.peak_rss_mb() >= 40
        fine.kill()
        greedy = run_confined(over, ALLOCATE, "400")
        greedy.wait(timeout=60)
        assert greedy.returncode == -9
        assert over.out_of_memory()
    finally:
        within.close()
        over.close()


@pytest.mark.timing
@pytest.mark.parametrize(("memory_controller", "at_least", "at_most"), [(True, 1, 20), (False, 25, 1000)],
                         ids=["cgroup", "polled"])  # fmt: skip
def test_memory_is_read_often_only_where_the_service_itself_enforces_the_limit(
    memory_controller: bool, at_least: int, at_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an idle process in an environment whose memory a cgroup limits, or nothing does
    readings: list[float] = []
    sample = limits.Confinement._sample_memory

    def counted(confinement: limits.Confinement) -> int:
        readings.append(time.monotonic())
        return sample(confinement)

    monkeypatch.setattr(limits.Confinement, "_sample_memory", counted)
    confinement = limits.confine(f"readings-{memory_controller}", 256, AVAILABLE[0], memory_controller)
    try:
        process = run_confined(confinement, ALLOCATE, "1")
        assert process.stdout is not None
        assert process.stdout.readline() == "done\n"
        # When a second goes by
        readings.clear()
        time.sleep(1.0)
        # Then a cgroup's limit leaves the service a reading every 100 ms, for the peak of a
        # process that ends between reports; without one, it looks every 10 ms, to kill in time
        # (the bounds leave room for a loaded machine's late wake-ups)
        assert at_least <= len(readings) <= at_most, len(readings)
        assert confinement.peak_rss_mb() >= 1
        process.kill()
        process.wait()
    finally:
        confinement.close()


def test_a_throttled_process_is_never_left_stopped() -> None:
    confinement = limits.confine("stopped", 128, "duty-cycle", burst_init=False)
    process = run_confined(confinement, SPIN, "100000000")
    try:
        time.sleep(0.5)
        confinement.close()
        time.sleep(0.3)
        assert psutil.Process(process.pid).status() != psutil.STATUS_STOPPED
    finally:
        process.kill()
        process.wait()


def cgroup_dirs(pattern: str) -> list[Path]:
    found: list[Path] = []
    for root in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/memory")):
        if root.is_dir():
            found.extend(p for p in root.rglob(pattern) if p.is_dir())
    return found


def test_close_removes_the_cgroups_and_stale_ones_of_dead_owners_go_too() -> None:
    if not cgroup_dirs("*") or "cgroup-v1" not in AVAILABLE:
        pytest.skip("this machine lets the tool make no cgroup")
    confinement = limits.confine("tidy", 256, "cgroup-v1")
    assert cgroup_dirs("tidy")
    confinement.close()
    assert cgroup_dirs("tidy") == []
    # Given a cgroup left by a service that died (a pid that no longer exists)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    base = Path("/sys/fs/cgroup/cpu") / f"concurrency-eval-{dead.stdout.strip()}"
    (base / "left-behind").mkdir(parents=True)
    # When a new service starts, Then it is removed (by this one's clean-up, or by that of
    # another starting at the same moment, in another test worker: any removes what dead
    # owners left, so which one did is not for this test to say)
    limits.remove_stale()
    assert not base.exists()
