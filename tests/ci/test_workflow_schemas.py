"""The workflows and Dependabot's configuration against their published schemas, with
check-jsonschema and the schemas it ships (no network): what `make workflows` runs,
passing on the repository's files and failing on a misspelt key, which GitHub would
otherwise report only after a push."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.handlers import ROOT

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
#: Each schema check `make workflows` runs: the schema check-jsonschema ships, and the files.
SCHEMAS = {
    "vendor.github-workflows": ".github/workflows/*.yml",
    "vendor.dependabot": ".github/dependabot.yml",
}
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_make_workflows_checks_every_file_against_its_schema() -> None:
    # Given what `make workflows` would run
    dry = subprocess.run(
        ["make", "-n", "workflows"], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout  # fmt: skip
    # Then it checks the workflows and Dependabot's configuration, each against its schema
    for schema, files in SCHEMAS.items():
        assert f"check-jsonschema --builtin-schema {schema} {files}" in dry
    # And actionlint where it is installed, and zizmor
    assert "command -v actionlint" in dry
    assert "zizmor --offline --persona pedantic .github/workflows" in dry


@pytest.mark.parametrize(("schema", "files"), [
    ("vendor.github-workflows", WORKFLOWS),
    ("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"]),
], ids=["workflows", "dependabot"])  # fmt: skip
def test_the_repositorys_files_follow_their_schemas(schema: str, files: list[Path]) -> None:
    # Given the files as committed; When checked against their schema; Then they pass
    result = check(schema, *files)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "path", "key", "misspelt"),
    [
        # A job's key, a step's key, a workflow's key, and an update's key in dependabot.yml
        (
            "vendor.github-workflows",
            ".github/workflows/pull-request.yml",
            "timeout-minutes:",
            "timeout-minute:",
        ),
        ("vendor.github-workflows", ".github/workflows/main.yml", "        with:", "        whith:"),
        ("vendor.github-workflows", ".github/workflows/pull-request.yml", "\nconcurrency:", "\nconcurency:"),
        ("vendor.github-workflows", ".github/workflows/main.yml", "    environment:", "    enviroment:"),
        ("vendor.dependabot", ".github/dependabot.yml", "    schedule:", "    schedul:"),
    ],
    ids=["job", "step", "workflow", "job-environment", "dependabot"],
)
def test_a_misspelt_key_fails_the_check_and_is_named(
    schema: str, path: str, key: str, misspelt: str, tmp_path: Path
) -> None:
    # Given a committed file with one key misspelt
    original = (ROOT / path).read_text()
    assert key in original
    broken = tmp_path / Path(path).name
    broken.write_text(original.replace(key, misspelt, 1))
    # When it is checked against its schema
    result = check(schema, broken)
    # Then the check fails, and says which key
    assert result.returncode == 1
    assert misspelt.strip().rstrip(":") in result.stdout
