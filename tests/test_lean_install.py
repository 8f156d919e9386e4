"""`make local` installs the tool alone: everything the tool, the build and the framework
import at run time comes from the project's own dependencies in uv.lock, never from the
groups that `make synth` and `make test` add (the CDK, the checkers, the test runner).

An AST check over the sources and a walk over uv.lock, so that an import that would need
the larger install fails here, with its line, and not on a user's first `make local`."""

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest

from tests.test_architecture import PROJECT, ROOT, modules

#: What the tool runs: its packages, the build, the contracts, the framework.
TOOL = ("concurrency_eval", "contracts", "bundling", "s3fanout")
#: Imports made only inside a bundle the build makes with uv, never in the tool's process.
BUNDLED = {"concurrency_eval.emulators.lambda_service.bootstrap": "lambda-runtime"}
#: What the lean install must go without (hundreds of megabytes; the issue it answers).
NEVER_LEAN = ("aws-cdk-lib", "cdk-nag", "constructs", "cfn-lint", "mypy", "pytest", "ruff")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_packages() -> dict[str, dict[str, Any]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def closure(packages: dict[str, dict[str, Any]], requirements: list[dict[str, Any]]) -> set[str]:
    """Every distribution `requirements` install, with their extras, from the lock (markers
    ignored: what any platform may install)."""
    found: set[str] = set()
    pending = list(requirements)
    while pending:
        requirement = pending.pop()
        name = requirement["name"]
        package = packages[name]
        extras = requirement.get("extra", [])
        if name in found and not extras:
            continue
        found.add(name)
        pending.extend(package.get("dependencies", []))
        for extra in extras:
            pending.extend(package.get("optional-dependencies", {}).get(extra, []))
    return found


def lean_install() -> set[str]:
    """What `uv sync` installs with no group: the project and its dependencies."""
    packages = locked_packages()
    return closure(packages, [{"name": "concurrency-eval"}])


def group(name: str) -> set[str]:
    packages = locked_packages()
    return closure(packages, packages["concurrency-eval"]["dev-dependencies"][name])


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Each absolute import a module makes when it runs (not those only a type checker reads)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and is_type_checking(node):
            for other in node.orelse:
                yield from runtime_imports(other)
            continue
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        yield from runtime_imports(node)


def third_party_imports(root: Path) -> Iterator[tuple[str, str, int, str]]:
    """(module, path, line, top-level name) of every third-party import the tool makes."""
    for path, module in modules(root):
        if module.split(".")[0] not in TOOL:
            continue
        for line, imported in runtime_imports(ast.parse(path.read_text(), str(path))):
            top = imported.split(".")[0]
            if top not in sys.stdlib_module_names and top not in PROJECT:
                yield module, str(path.relative_to(root)), line, top


def test_what_the_tool_imports_the_lean_install_provides() -> None:
    # Given what `uv sync` installs without a group, and which distribution provides each module
    lean = lean_install()
    providers = {module: {normalized(d) for d in dists} for module, dists in packages_distributions().items()}
    # When every import the tool makes at run time is traced to its distribution
    missing = []
    for module, path, line, top in third_party_imports(ROOT):
        allowed = lean | group(BUNDLED[module]) if module in BUNDLED else lean
        # A module not installed here (a bundle's) is taken to be its distribution's name.
        provided_by = providers.get(top, {normalized(top)})
        if not provided_by & allowed:
            missing.append(f"{path}:{line}: {top} (from {', '.join(sorted(provided_by))})")
    # Then each comes with the tool itself
    assert missing == []


@pytest.mark.parametrize("distribution", NEVER_LEAN)
def test_the_lean_install_goes_without_the_cdk_and_the_checkers(distribution: str) -> None:
    # Given the distributions `uv sync` installs by default; Then the heavy ones are not among them
    assert distribution not in lean_install()
    # And `make test` installs them (the dev group)
    assert distribution in group("dev")


def test_a_type_only_import_is_not_a_runtime_one() -> None:
    # Given a module that imports a stub package only for the type checker
    source = "from typing import TYPE_CHECKING\nimport boto3\nif TYPE_CHECKING:\n    import mypy_boto3_s3\n"
    # When its runtime imports are read
    found = [name for _, name in runtime_imports(ast.parse(source))]
    # Then the stub is not one of them
    assert found == ["typing", "boto3"]
