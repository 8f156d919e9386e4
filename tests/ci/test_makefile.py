"""The Makefile as a user meets it: `make help` and CONTRIBUTING.md name every target and
the coverage floors it enforces, `make clean` keeps the results, `make clean-results`
deletes them only when told, and installs run again only when the lock changed."""

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests.conftest import TIMING_MARK, timing_tests_make_would_miss
from tests.handlers import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()
#: Targets for the Makefile's own use, not for a user to type.
INTERNAL = {"help"}


def phony_targets() -> set[str]:
    declared = re.search(r"^\.PHONY: ((?:.*\\\n)*.*)$", MAKEFILE, re.MULTILINE)
    assert declared is not None
    return set(declared.group(1).replace("\\\n", " ").split()) - INTERNAL


def make(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *arguments], cwd=directory, capture_output=True, text=True,
        check=False, stdin=subprocess.DEVNULL, env={"PATH": os.environ["PATH"], "HOME": str(directory)},
    )  # fmt: skip


def test_help_names_every_target_and_the_floors_the_makefile_enforces() -> None:
    # Given what `make help` prints
    shown = make(ROOT, "help").stdout
    # Then every target is there, and the coverage floors are the Makefile's own
    for target in phony_targets():
        assert re.search(rf"(?<![\w-]){re.escape(target)}(?![\w-])", shown), target
    floors = dict(re.findall(r"^(\w*COVERAGE_FLOOR) := (\d+)$", MAKEFILE, re.MULTILINE))
    assert f"{floors['COVERAGE_FLOOR']}%" in shown
    assert f"framework {floors['FRAMEWORK_COVERAGE_FLOOR']}%" in shown


def test_contributing_names_every_target_and_the_floors() -> None:
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for target in phony_targets():
        assert f"make {target}" in contributing, target
    for floor in re.findall(r"^\w*COVERAGE_FLOOR := (\d+)$", MAKEFILE, re.MULTILINE):
        assert f"{floor}%" in contributing


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile in a folder with results, a build and a cache, as after a few runs."""
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    for folder in (
        "results/local-20261122-083111",
        "results/aws-20261123-101500",
        "build/bundles",
        ".mypy_cache",
    ):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "results/aws-20261123-101500/results.json").write_text("{}")
    return tmp_path


def test_clean_keeps_the_results_and_says_so(checkout: Path) -> None:
    # When `make clean` runs
    cleaned = make(checkout, "clean")
    # Then what the commands build is gone, the results are kept, and it says how to delete them
    assert cleaned.returncode == 0, cleaned.stderr
    assert not (checkout / "build").exists()
    assert not (checkout / ".mypy_cache").exists()
    assert (checkout / "results/aws-20261123-101500/results.json").is_file()
    assert "make clean-results" in cleaned.stdout


def test_clean_results_without_a_terminal_deletes_nothing_and_says_how(checkout: Path) -> None:
    # When `make clean-results` runs where it cannot ask (a script, CI)
    refused = make(checkout, "clean-results")
    # Then it fails, deletes nothing, and names the way to delete without asking
    assert refused.returncode != 0
    assert "CONFIRM=yes" in refused.stderr
    assert "aws-20261123-101500" in refused.stdout
    assert (checkout / "results/aws-20261123-101500/results.json").is_file()


@pytest.mark.parametrize("answer", ["n\n", "\n"], ids=["no", "enter"])
def test_clean_results_asks_and_no_is_the_default(checkout: Path, answer: str) -> None:
    if shutil.which("script") is None:
        pytest.skip("script(1) of util-linux is needed to give make a terminal")
    # Given a user at a terminal who answers no, or just presses Enter
    asked = subprocess.run(
        ["script", "-qec", "make --no-print-directory clean-results", "/dev/null"],
        cwd=checkout, capture_output=True, text=True, input=answer, check=False,
    )  # fmt: skip
    # Then it asked, listing the results, and deleted nothing
    assert "delete all of results/? [y/N]" in asked.stdout
    assert "aws-20261123-101500" in asked.stdout
    assert "not deleted" in asked.stdout
    assert (checkout / "results/aws-20261123-101500/results.json").is_file()


def test_clean_results_deletes_them_when_confirmed(checkout: Path) -> None:
    deleted = make(checkout, "clean-results", "CONFIRM=yes")
    assert deleted.returncode == 0, deleted.stderr
    assert not (checkout / "results").exists()


def test_an_install_runs_again_only_when_the_lock_or_the_project_changed(checkout: Path) -> None:
    # Given the files an install depends on, and an install stamped after them
    for name in ("uv.lock", "pyproject.toml", "layers/framework/pyproject.toml", "scripts/uv"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text("")
    (checkout / ".venv").mkdir()
    stamp = checkout / ".venv/.installed-dev"
    stamp.touch()
    # Then an unchanged tree needs no install
    assert "scripts/uv sync" not in make(checkout, "-n", "sync-dev").stdout
    # When the lock changes, Then the install runs again
    os.utime(checkout / "uv.lock", (stamp.stat().st_mtime + 10,) * 2)
    assert "scripts/uv sync --locked --group dev" in make(checkout, "-n", "sync-dev").stdout


def test_the_serial_phase_collects_every_file_that_marks_timing_tests_and_no_other() -> None:
    # Given the files that mark timing tests as tests/conftest.py requires
    marked = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("test_*.py")
        if TIMING_MARK in path.read_text()
    }
    # When make shows the serial phase's command
    shown = make(ROOT, "-n", "pytest").stdout.splitlines()
    command = next(line for line in shown if "-m timing" in line)
    # Then it collects those files, and only those
    assert marked
    assert {word for word in command.split() if word.startswith("tests/")} == marked


def test_the_quiet_tests_and_the_parallel_phase_share_out_every_other_test() -> None:
    # When make shows the commands of the quiet tests and of the parallel phase
    shown = make(ROOT, "-n", "pytest").stdout.replace("\\\n", " ").splitlines()
    quiet = next(
        line for line in shown if "nice -n 19" in line and "pytest" in line and "--cov" in line
    ).split()
    parallel = next(line for line in shown if "--dist=worksteal" in line).split()
    # Then the quiet tests run at the lowest priority, and the parallel phase leaves out
    # exactly their folders: each test runs in one of them (and neither runs a timing test)
    folders = [word for word in quiet if word.startswith("tests/")]
    assert folders
    assert sorted(
        word.removeprefix("--ignore=") for word in parallel if word.startswith("--ignore=")
    ) == sorted(folders)
    assert not [word for word in parallel if word.startswith("tests/")]
    assert "'not timing'" in " ".join(quiet)
    assert "'not timing'" in " ".join(parallel)


def starts_a_lambda_service(source: str) -> bool:
    """Whether a test module starts a Lambda service: it asks for a fixture that does, or
    imports the service or the local deployment."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.FunctionDef)
            and {arg.arg for arg in node.args.args} & LAMBDA_SERVICE_FIXTURES
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(LAMBDA_SERVICE_MODULES):
            return True
        if isinstance(node, ast.Import) and any(
            alias.name.startswith(LAMBDA_SERVICE_MODULES) for alias in node.names
        ):
            return True
    return False


#: The fixtures and modules that start a Lambda service.
LAMBDA_SERVICE_FIXTURES = {"runtime_dir", "deployment", "service"}
LAMBDA_SERVICE_MODULES = ("concurrency_eval.emulators.lambda_service", "concurrency_eval.backends.local")


def test_the_tests_beside_the_timing_tests_start_no_lambda_service() -> None:
    # Given the folders whose tests run beside the timing tests, at the lowest priority
    declared = re.search(r"^QUIET_TESTS := (.*)$", MAKEFILE, re.MULTILINE)
    assert declared is not None
    files = [path for folder in declared.group(1).split() for path in (ROOT / folder).rglob("*.py")]
    # Then none starts a Lambda service, whose environments' cgroups no niceness holds back
    assert files
    assert [str(path.relative_to(ROOT)) for path in files if starts_a_lambda_service(path.read_text())] == []


@pytest.mark.parametrize(
    ("source", "starts"),
    [
        ("def test_x(runtime_dir): ...\n", True),
        ("def test_x(tmp_path, deployment): ...\n", True),
        ("from concurrency_eval.emulators.lambda_service.server import LocalLambda\n", True),
        ("import concurrency_eval.backends.local\n", True),
        ("from concurrency_eval.results.charts import draw\ndef test_x(tmp_path): ...\n", False),
    ],
    ids=["runtime-dir", "deployment", "service", "local-backend", "neither"],
)
def test_a_module_that_starts_a_lambda_service_is_told_apart(source: str, starts: bool) -> None:
    assert starts_a_lambda_service(source) is starts


@pytest.mark.parametrize(
    ("source", "missed"),
    [
        (f"@{TIMING_MARK}\ndef test_ratio(): ...\n", []),
        (f"timing = {TIMING_MARK}\n", []),
        ("pytestmark = [slow_and_timed]\ndef test_ratio(): ...\n", ["test_t.py::test_ratio"]),
    ],
    ids=["decorated", "aliased-in-the-file", "marked-elsewhere"],
)
def test_a_timing_test_make_cannot_find_is_named(tmp_path: Path, source: str, missed: list[str]) -> None:
    # Given a test marked `timing`, in a file that says so, or not
    path = tmp_path / "test_t.py"
    path.write_text(source)
    item = SimpleNamespace(
        nodeid="test_t.py::test_ratio", path=path,
        get_closest_marker=lambda name: object() if name == "timing" else None,
    )  # fmt: skip
    # Then it is named when make's serial phase would not collect it
    assert timing_tests_make_would_miss([cast(pytest.Item, item)]) == missed
