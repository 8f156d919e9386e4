"""Imports run one way: commands -> sweep -> backends -> emulators, results, artifacts
-> workload -> system -> bundling -> contracts -> the framework; the CDK app imports
only the stacks, the build and the contracts; the framework and the handlers import
nothing of the rest.

A small AST check, so that a wrong import fails the tests with the line that made it."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("concurrency_eval", "contracts", "bundling", "stacks", "app", "s3fanout", "tests", "benchmarks")
#: The tool's packages and the two beside it, from the top down. A module may import
#: its own package and any package below its own, never one above or beside it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("concurrency_eval.commands",),
    ("concurrency_eval.sweep",),
    ("concurrency_eval.backends",),
    ("concurrency_eval.emulators", "concurrency_eval.results", "concurrency_eval.artifacts"),
    ("concurrency_eval.workload",),
    ("concurrency_eval.system",),
    ("bundling",),
    ("contracts",),
    # The framework, whose event contract the tool's events follow.
    ("s3fanout",),
)
#: Everything else of the repository: what each may import of the project.
OUTSIDE_LAYERS = {
    "app": ("stacks", "bundling", "contracts"),
    "stacks": ("stacks", "bundling", "contracts"),
    "handlers": ("s3fanout",),
}


def package_of(module: str) -> str:
    for layer in LAYERS:
        for package in layer:
            if module == package or module.startswith(package + "."):
                return package
    return module.split(".")[0]


def allowed(importer: str, imported: str) -> bool:
    """May module `importer` import module `imported`?"""
    if imported.split(".")[0] not in PROJECT:
        return True
    source, target = package_of(importer), package_of(imported)
    if source == target:
        return True
    if source in OUTSIDE_LAYERS:
        return target in OUTSIDE_LAYERS[source]
    levels = {package: index for index, layer in enumerate(LAYERS) for package in layer}
    if source not in levels:
        return True  # tests and benchmarks may use anything
    return target in levels and levels[target] > levels[source]


def imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, absolute, with its line; relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            yield node.lineno, base


def modules(root: Path) -> Iterator[tuple[Path, str]]:
    """Each Python module of the repository that the layers govern, with its name."""
    for directory in ("concurrency_eval", "contracts", "bundling", "stacks"):
        for path in sorted((root / directory).rglob("*.py")):
            yield path, ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
    yield root / "app.py", "app"
    for path in sorted((root / "layers/framework/src/s3fanout").glob("*.py")):
        yield path, f"s3fanout.{path.stem}"
    for path in sorted((root / "lambdas").glob("*/handler.py")):
        yield path, "handlers"


def violations(root: Path) -> list[str]:
    found = []
    for path, module in modules(root):
        for line, imported in imports(path, module):
            if not allowed(module, imported):
                found.append(f"{path.relative_to(root)}:{line}: {module} imports {imported}")
    return found


def test_every_import_runs_the_one_way() -> None:
    # Given the repository as it is
    # When every import is checked against the layers
    found = violations(ROOT)
    # Then none runs against them
    assert found == []


@pytest.mark.parametrize(
    ("importer", "imported", "expected"),
    [
        ("concurrency_eval.commands.run", "concurrency_eval.sweep.flow", True),
        ("concurrency_eval.sweep.engine", "concurrency_eval.backends.target", True),
        ("concurrency_eval.backends.local", "concurrency_eval.sweep.engine", False),
        ("concurrency_eval.results.report", "concurrency_eval.commands.cli", False),
        ("concurrency_eval.emulators.embedded_s3", "concurrency_eval.results.document", False),
        ("concurrency_eval.emulators.lambda_service.service", "contracts.lambda_logs", True),
        ("stacks.settings", "contracts.manifest", True),
        ("stacks.evaluation_stack", "concurrency_eval.workload.dataset", False),
        ("app", "concurrency_eval.commands.cli", False),
        ("contracts.manifest", "bundling.build", False),
        ("bundling.build", "contracts.bundles", True),
        ("s3fanout.event", "contracts.ranges", False),
        ("handlers", "s3fanout.blocking", True),
        ("handlers", "concurrency_eval.backends.local", False),
        ("concurrency_eval.sweep.flow", "boto3", True),
    ],
)
def test_the_rule_allows_down_and_refuses_up_and_sideways(
    importer: str, imported: str, expected: bool
) -> None:
    # Given a module and what it imports; When the rule judges it; Then it is as the layers say
    assert allowed(importer, imported) is expected


def test_a_module_importing_against_the_direction_is_named_with_its_line(tmp_path: Path) -> None:
    # Given a copy of the layout in which the build imports the command line
    for directory in ("concurrency_eval/commands", "contracts", "bundling", "stacks", "lambdas/sync"):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / "layers/framework/src/s3fanout").mkdir(parents=True)
    (tmp_path / "app.py").write_text("from stacks import settings\n")
    (tmp_path / "concurrency_eval/commands/cli.py").write_text("import bundling.build\n")
    (tmp_path / "bundling/build.py").write_text("import os\n\nfrom concurrency_eval.commands import cli\n")
    (tmp_path / "lambdas/sync/handler.py").write_text("from s3fanout import blocking\n")
    # When the check runs over it
    found = violations(tmp_path)
    # Then exactly that import is reported, where it is
    assert found == ["bundling/build.py:3: bundling.build imports concurrency_eval.commands"]
