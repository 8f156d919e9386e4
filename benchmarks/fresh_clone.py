"""What a new user waits for: `make local` and `make test` from a fresh clone.

Each run is one or more make targets, run in order in a clone of its own (a committed
revision, nothing from the working tree), one run after the other. For each target it
prints the wall time, then the size of the `.venv` the run built and how many
distributions that holds, and pytest's slowest tests. Shared caches stay as a user's
machine keeps them (uv's package cache, the tool's cache under ~/.cache/concurrency-eval),
so a second run shows what a later clone costs. To compare two revisions, run it for
each, back to back on the same machine; to see where `make test`'s time goes, give its
steps as one run ("sync-dev npm lint typecheck pytest synth workflows").

Usage: python3 benchmarks/fresh_clone.py [--revision REV] [--slowest N] [--keep] [RUN ...]
       (default runs: "local" "test")
"""

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def directory_bytes(path: Path) -> int:
    return sum(entry.lstat().st_size for entry in path.rglob("*") if not entry.is_symlink())


def distributions(venv: Path) -> int:
    return len(list(venv.glob("lib/python*/site-packages/*.dist-info")))


def slowest_tests(output: str) -> list[str]:
    """The lines of pytest's `--durations` section."""
    section = re.search(r"=+ slowest \d+ durations =+\n(.*?)\n(?:\n|=)", output, re.DOTALL)
    return section.group(1).splitlines() if section else []


def run_in_fresh_clone(revision: str, targets: list[str], slowest: int, keep: bool) -> None:
    clone = Path(tempfile.mkdtemp(prefix=f"fresh-{targets[0]}-"))
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", revision], check=True)
    # The whole run's output goes to a log beside the clone: a failure says where to look.
    log = clone.with_suffix(".log")
    env = os.environ | {"PYTEST_ADDOPTS": f"--durations={slowest}"}
    total, failed = 0.0, False
    with log.open("w") as output:
        for target in targets:
            started = time.monotonic()
            finished = subprocess.run(
                ["make", target], cwd=clone, stdout=output, stderr=subprocess.STDOUT, env=env
            )
            seconds = time.monotonic() - started
            total += seconds
            status = "ok" if finished.returncode == 0 else f"FAILED (exit {finished.returncode}), see {log}"
            print(f"  make {target:<10} {seconds:7.1f} s   {status}", flush=True)
            failed = failed or finished.returncode != 0
    venv = clone / ".venv"
    size_mb = directory_bytes(venv) / 1e6 if venv.is_dir() else 0.0
    installed = f".venv {size_mb:.0f} MB, {distributions(venv)} distributions"
    print(f"{' '.join(targets)}: {total:.1f} s in all; {installed}")
    for line in slowest_tests(log.read_text()):
        print(f"    {line}")
    if not keep:
        shutil.rmtree(clone, ignore_errors=True)
        if not failed:
            log.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--revision", default="HEAD", help="the commit, branch or tag to clone (default HEAD)"
    )
    parser.add_argument(
        "runs", nargs="*", default=["local", "test"], help="make targets, a fresh clone each run"
    )
    parser.add_argument("--slowest", type=int, default=20, help="how many of pytest's slowest tests to print")
    parser.add_argument("--keep", action="store_true", help="keep the clones and logs")
    args = parser.parse_args()
    revision = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.revision],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"revision {revision}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    for run in args.runs:
        run_in_fresh_clone(args.revision, run.split(), args.slowest, args.keep)


if __name__ == "__main__":
    main()
