"""What a new user waits for: `make local` and `make test` from a fresh clone.

Each run is one or more make targets, run in order in a clone of its own (a committed
revision, nothing from the working tree), one run after the other. For each target it
prints the wall time and the CPU time of everything it started, then the size of the
`.venv` the run built and how many distributions that holds, and pytest's slowest
tests. Shared caches stay as a user's machine keeps them (uv's package cache, the tool's
cache under ~/.cache/concurrency-eval), so a second run shows what a later clone costs.
To see where `make test`'s time goes, give its steps as one run ("sync-dev npm lint
typecheck pytest synth workflows").

To compare two revisions, give the earlier one as --against: each run is made for both,
alternating (one then the other, then the other way round, --repeat times), and the
ratios of their medians are printed: on a shared machine a single run of the same
revision varies by a fifth, and runs minutes apart meet different loads.

With --cold each run starts from empty caches, as on a fresh machine and in CI: mypy's
and matplotlib's are made again. Only uv's package cache and the pinned uv are kept, so
that nothing is downloaded.

Usage: python3 benchmarks/fresh_clone.py [--revision REV] [--against REV [--repeat N]]
                                         [--cold] [--slowest N] [--keep] [RUN ...]
       (default runs: "local" "test")
"""

import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent


def directory_bytes(path: Path) -> int:
    return sum(entry.lstat().st_size for entry in path.rglob("*") if not entry.is_symlink())


def distributions(venv: Path) -> int:
    return len(list(venv.glob("lib/python*/site-packages/*.dist-info")))


def slowest_tests(output: str) -> list[str]:
    """The lines of pytest's `--durations` section."""
    section = re.search(r"=+ slowest \d+ durations =+\n(.*?)\n(?:\n|=)", output, re.DOTALL)
    return section.group(1).splitlines() if section else []


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float


def children_cpu_s() -> float:
    """CPU time of every process this one started and waited for, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make(target: str, clone: Path, output: TextIO, env: dict[str, str]) -> int:
    """`make target`'s exit status. make and everything it starts form a group of their
    own, so that when the benchmark is stopped (Ctrl-C, SIGTERM, SIGHUP) the whole group
    is told to stop too, and waited for: no test run goes on after it."""
    process = subprocess.Popen(
        ["make", target], cwd=clone, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    try:
        return process.wait()
    except BaseException:
        stop_group(process)
        raise


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's group, then SIGKILL to what is left of it after 30 s."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait()
    give_up = time.monotonic() + 30
    try:
        while True:
            os.killpg(process.pid, signal.SIGKILL if time.monotonic() > give_up else 0)
            time.sleep(0.1)
    except ProcessLookupError:
        return


def run_in_fresh_clone(
    revision: str, targets: list[str], slowest: int, keep: bool, cold: bool = False
) -> Timed | None:
    """The run's wall and CPU time, or None if a target failed."""
    clone = Path(tempfile.mkdtemp(prefix=f"fresh-{targets[0]}-"))
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", revision], check=True)
    # The whole run's output goes to a log beside the clone: a failure says where to look.
    log = clone.with_suffix(".log")
    env = os.environ | {"PYTEST_ADDOPTS": f"--durations={slowest}"}
    if cold:
        env |= cold_caches(clone.with_suffix(".cache"))
    total, total_cpu, finished = 0.0, 0.0, False
    try:
        with log.open("w") as output:
            for target in targets:
                started, started_cpu = time.monotonic(), children_cpu_s()
                returncode = make(target, clone, output, env)
                seconds, cpu = time.monotonic() - started, children_cpu_s() - started_cpu
                total, total_cpu = total + seconds, total_cpu + cpu
                ok = returncode == 0
                status = "ok" if ok else f"FAILED (exit {returncode}), see {log}"
                print(
                    f"  {revision} make {target:<10} {seconds:7.1f} s  {cpu:7.1f} CPU-s   {status}",
                    flush=True,
                )
                if not ok:
                    return None
        finished = True
        venv = clone / ".venv"
        size_mb = directory_bytes(venv) / 1e6 if venv.is_dir() else 0.0
        installed = f".venv {size_mb:.0f} MB, {distributions(venv)} distributions"
        print(f"{revision} {' '.join(targets)}: {total:.1f} s, {total_cpu:.1f} CPU-s in all; {installed}")
        for line in slowest_tests(log.read_text()):
            print(f"    {line}")
        return Timed(total, total_cpu)
    finally:
        # Interrupted or not, no clone is left behind; the log of a run that did not finish is kept.
        if not keep:
            shutil.rmtree(clone, ignore_errors=True)
            shutil.rmtree(clone.with_suffix(".cache"), ignore_errors=True)
            if finished:
                log.unlink()


def cold_caches(empty: Path) -> dict[str, str]:
    """The environment of a run whose caches start empty (XDG_CACHE_HOME: mypy's,
    matplotlib's), but for uv's packages and the pinned uv itself, as this machine has them:
    that uv first on PATH, where scripts/uv takes it rather than installing it again."""

    def output(*command: str) -> str:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    # `uv run` tells what it runs which uv it is.
    uv = output(str(ROOT / "scripts" / "uv"), "run", "--no-project", "printenv", "UV")
    empty.mkdir()
    return {
        "XDG_CACHE_HOME": str(empty),
        "UV_CACHE_DIR": output(uv, "cache", "dir"),
        "PATH": f"{Path(uv).parent}{os.pathsep}{os.environ['PATH']}",
    }


def compare(
    baseline: str, candidate: str, targets: list[str], repeat: int, slowest: int, keep: bool, cold: bool
) -> None:
    """Both revisions' runs alternating, then the candidate's medians over the baseline's."""
    timed: dict[str, list[Timed]] = {baseline: [], candidate: []}
    for round_ in range(repeat):
        for revision in (baseline, candidate) if round_ % 2 == 0 else (candidate, baseline):
            result = run_in_fresh_clone(revision, targets, slowest, keep, cold)
            if result is None:
                print(f"{' '.join(targets)}: no ratio, a run of {revision} failed")
                return
            timed[revision].append(result)
    for what, unit in (("wall_s", "s"), ("cpu_s", "CPU-s")):
        before = statistics.median(getattr(t, what) for t in timed[baseline])
        after = statistics.median(getattr(t, what) for t in timed[candidate])
        if before <= 0:
            print(f"{' '.join(targets)}: too short to compare ({before:.2f} {unit})")
            continue
        print(
            f"{' '.join(targets)}: {candidate} / {baseline} = {after / before:.2f} "
            f"({after:.0f} against {before:.0f} {unit}, medians of {repeat} runs each, alternating)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--revision", default="HEAD", help="the commit, branch or tag to clone (default HEAD)"
    )
    parser.add_argument("--against", help="an earlier revision to compare --revision with, run for run")
    parser.add_argument(
        "--repeat", type=int, default=2, help="with --against: how many runs of each revision (default 2)"
    )
    parser.add_argument(
        "runs", nargs="*", default=["local", "test"], help="make targets, a fresh clone each run"
    )
    parser.add_argument("--slowest", type=int, default=20, help="how many of pytest's slowest tests to print")
    parser.add_argument("--keep", action="store_true", help="keep the clones and logs")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="empty caches each run, as on a fresh machine (uv's packages kept)",
    )
    args = parser.parse_args()
    # A stop asked of the benchmark ends it as Ctrl-C does, its clones removed; Ctrl-C
    # too when started from a script that ignores it in the background.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, _: sys.exit(128 + number))
    if args.repeat < 1:
        parser.error("--repeat takes a whole number of runs, 1 or more")
    revision = short(args.revision)
    print(f"revision {revision}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    for run in args.runs:
        if args.against is None:
            run_in_fresh_clone(revision, run.split(), args.slowest, args.keep, args.cold)
        else:
            compare(
                short(args.against), revision, run.split(), args.repeat, args.slowest, args.keep, args.cold
            )


def short(revision: str) -> str:
    """The revision's abbreviated commit (the script stops, saying why, if there is none)."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "--verify", f"{revision}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        raise SystemExit(f"no commit {revision!r} in {ROOT}: {found.stderr.strip()}")
    return found.stdout.strip()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the clones are removed, the unfinished run's log kept", file=sys.stderr)
        sys.exit(130)
