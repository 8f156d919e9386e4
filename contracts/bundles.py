"""The bundles the build makes and every consumer takes: two layers, three functions,
and the runtime client the local Lambda service runs them under."""

from typing import Literal

#: The concurrency models, one function each, in the order tables list them.
MODELS = ("sync", "threaded", "asyncio")
LAYERS = ("pypi", "framework")
#: What is deployed (and published): the layers and the functions.
BUNDLES = LAYERS + MODELS
#: AWS's runtime interface client (the managed runtime's /var/runtime), for the local
#: Lambda service only: never deployed, so not one of BUNDLES.
RUNTIME = "runtime"

Architecture = Literal["arm64", "x86_64"]
ARCHITECTURES: tuple[Architecture, ...] = ("arm64", "x86_64")
DEFAULT_ARCHITECTURE: Architecture = "arm64"


def lambda_architecture(machine: str) -> Architecture:
    """A machine's architecture (`platform.machine()`) as Lambda names it."""
    return "arm64" if machine.lower() in ("arm64", "aarch64") else "x86_64"


#: The Python versions of Lambda's Python runtimes the project builds for.
PYTHON_VERSIONS = ("3.13", "3.12", "3.14")
DEFAULT_PYTHON_VERSION = "3.13"


def runtime_name(python_version: str) -> str:
    """Lambda's runtime identifier for a Python version: 3.13 -> python3.13."""
    return f"python{python_version}"


#: Lambda's runtime identifiers, as cdk.json's `runtime` takes them.
RUNTIMES = tuple(runtime_name(version) for version in PYTHON_VERSIONS)
DEFAULT_RUNTIME = runtime_name(DEFAULT_PYTHON_VERSION)


def source_directory(name: str) -> str:
    """Where a bundle's own sources live, relative to the repository root."""
    if name == "pypi":
        return "layers"
    if name == "framework":
        return "layers/framework"
    return f"lambdas/{name}"
