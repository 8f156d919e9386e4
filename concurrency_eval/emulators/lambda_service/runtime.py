"""How an execution environment's runtime process starts, as Lambda starts the managed
python runtime: the interpreter, the bootstrap, the code, the layers, the runtime client."""

from collections.abc import Sequence
from pathlib import Path

#: The stand-in for Lambda's /var/runtime bootstrap (standard library only).
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
#: The pure-Python transport of the runtime client, found after the runtime bundle,
#: where awslambdaric's C extension cannot load.
PURE_CLIENT_DIR = Path(__file__).with_name("pure_runtime_client")


def runtime_command(
    python: Path, task_root: Path, layers: Sequence[Path], runtime: Path, *, pure_python_client: bool = False
) -> list[str]:
    """`python -I -S -B bootstrap.py ...`: isolated (no user site, no PYTHON* variables,
    no script folder on the path), no site-packages, and no bytecode written, since
    Lambda's code directories are read-only."""
    paths = [str(task_root), *(str(layer / "python") for layer in layers)]
    runtime_paths = [str(runtime), str(PURE_CLIENT_DIR)]
    if pure_python_client:
        runtime_paths.reverse()
    return [str(python), "-I", "-S", "-B", str(BOOTSTRAP), *paths, "--", *runtime_paths]
