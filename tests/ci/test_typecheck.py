"""mypy reads the aws_cdk modules the code reaches and no other: the list pyproject.toml
gives it is exactly those. aws_cdk's own __init__ names all of its ~350 modules for type
checkers; followed, they cost mypy three times the time and memory from a cold cache, and
a module missing from the list would be typed as Any without a word."""

import ast
import functools
import re
import sysconfig
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.handlers import ROOT

MYPY = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
#: The jsii-generated packages: what the code imports of them leads into aws_cdk.
JSII_PACKAGES = ("aws_cdk", "cdk_nag", "constructs")
#: How a jsii-generated module names, in its TYPE_CHECKING block, each module whose types
#: its signatures use (`    import aws_cdk.aws_iam as _aws_iam_1f54b5e8`). Examples in its
#: docstrings start at the margin, and its own list of every submodule is relative
#: (`from . import aws_iam as aws_iam`): neither is what a signature needs.
TYPE_CHECKING_IMPORT = re.compile(
    rf"^    import ((?:{'|'.join(JSII_PACKAGES)})(?:\.\w+)*) as _\w+$", re.MULTILINE
)


def source(module: str) -> Path | None:
    """The installed file of a module, found without importing it (aws_cdk starts Node.js)."""
    path = SITE_PACKAGES.joinpath(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def project_files() -> Iterator[Path]:
    for entry in MYPY["files"]:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def imported_jsii_modules(files: Iterable[Path]) -> set[str]:
    """The modules of the jsii packages these files import, each `from aws_cdk import
    aws_s3` counted as the module aws_cdk.aws_s3."""
    modules: set[str] = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {module for module in modules if module.split(".")[0] in JSII_PACKAGES and source(module)}


@functools.cache
def signature_imports(module: str) -> list[str] | None:
    """The modules a jsii module's signatures use; None where it is not installed. Cached:
    aws_cdk's modules are long (aws_ec2 alone is 147,000 lines), and the tests ask again."""
    path = source(module)
    return None if path is None else TYPE_CHECKING_IMPORT.findall(path.read_text())


def reached(modules: Iterable[str]) -> set[str]:
    """These modules, where installed, and every module their signatures use, and theirs."""
    seen: set[str] = set()
    pending = list(modules)
    while pending:
        module = pending.pop()
        uses = None if module in seen else signature_imports(module)
        if uses is not None:
            seen.add(module)
            pending.extend(uses)
    return seen


def overrides_with(option: str, value: Any) -> set[str]:
    return {
        module
        for override in MYPY["overrides"]
        if override.get(option) == value
        for module in ([override["module"]] if isinstance(override["module"], str) else override["module"])
    }


def test_the_code_reaches_the_modules_of_aws_cdk_mypy_follows_and_no_other() -> None:
    # Given the aws_cdk modules the code imports, and those their signatures use
    needed = {
        module
        for module in reached(imported_jsii_modules(project_files()))
        if module.split(".")[0] == "aws_cdk"
    }
    # Then mypy skips aws_cdk but for exactly those
    assert "aws_cdk.*" in overrides_with("follow_imports", "skip")
    followed = overrides_with("follow_imports", "normal")
    assert not needed - followed, (
        f"mypy would type these as Any: add {sorted(needed - followed)} to the modules with "
        'follow_imports = "normal" in pyproject.toml'
    )
    assert not followed - needed, f"nothing reaches {sorted(followed - needed)}: remove them from that list"


@pytest.mark.parametrize(
    ("module", "uses"),
    [
        # A function takes a role, a VPC and a log group.
        ("aws_cdk.aws_lambda", {"aws_cdk.aws_iam", "aws_cdk.aws_ec2", "aws_cdk.aws_logs"}),
        # cdk-nag's checks are aspects of aws_cdk.
        ("cdk_nag", {"aws_cdk"}),
    ],
)
def test_the_modules_a_signature_uses_are_found_in_the_generated_sources(module: str, uses: set[str]) -> None:
    # When the modules a jsii module reaches are read from its installed source
    found = reached([module])
    # Then they hold those its signatures use, and not every module of aws_cdk
    assert uses <= found
    assert "aws_cdk.alexa_ask" not in found


def test_an_import_from_a_package_counts_as_its_module(tmp_path: Path) -> None:
    # Given a file that names a module of aws_cdk the two ways
    code = tmp_path / "stack.py"
    code.write_text(
        "import aws_cdk.aws_sqs as sqs\nfrom aws_cdk import Duration, aws_sns as sns\nimport json\n"
    )
    # Then both are found, the class is not taken for a module, and json is not jsii's
    assert imported_jsii_modules([code]) == {"aws_cdk", "aws_cdk.aws_sqs", "aws_cdk.aws_sns"}
