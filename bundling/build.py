"""Build the Lambda bundles with uv, without Docker: two layers and three functions.

One build path serves every consumer: the CDK assets, the local runner and the
published zips all take their directories from here. This module must never import
aws_cdk (importing it starts a Node.js process).

Each bundle has a content key, a hash of everything its content is made from: the
locked requirements subset, the target platform and Python version, the sources, and
this module's recipe version. Keys are computed without building, so an unchanged
bundle is found in the cache (`build/bundles/`) and never rebuilt, and the CDK
assets, which use the key as their hash, are never republished.

Bundles ship bytecode compiled by the target's Python version in unchecked-hash mode:
Lambda's code directories are read-only, so anything not shipped compiled would be
compiled again on every cold start, and hash-based bytecode is deterministic.
"""

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from contracts.bundles import (
    BUNDLES,
    DEFAULT_ARCHITECTURE,
    DEFAULT_PYTHON_VERSION,
    LAYERS,
    RUNTIME,
    Architecture,
    lambda_architecture,
    source_directory,
)

#: Bump when the build steps change in a way that changes bundle contents.
RECIPE_VERSION = "2"
_UV_PLATFORMS: dict[Architecture, str] = {
    "arm64": "aarch64-manylinux_2_28",
    "x86_64": "x86_64-manylinux_2_28",
}
#: Where Lambda puts layers and function code; compiled bytecode names these paths.
LAYER_ROOT = "/opt/python"
#: Where bundles are cached when the builder is not told; default build/bundles.
CACHE_VARIABLE = "CONCURRENCY_EVAL_BUNDLE_CACHE"
FUNCTION_ROOT = "/var/task"
#: Above this many source files, bytecode is compiled by a pool of processes.
_FILES_FOR_A_POOL = 200

# Files no Lambda function reads: other packages' tests, type stubs, C sources,
# console scripts, uv's lock file, and installer records (direct_url.json names the
# build machine's paths and uv_cache.json the build time, which would make bundles
# differ between builds).
_STRIP_DIRS = frozenset({"__pycache__", "tests", "test", "bin"})
_STRIP_SUFFIXES = (".pyi", ".pyx", ".pxd", ".c", ".h", ".cpp")
_STRIP_DIST_INFO = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json"})
_STRIP_TOP_LEVEL = frozenset({".lock"})


class BuildError(RuntimeError):
    """A bundle could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """The platform bundles are built for: a Lambda architecture, or this host."""

    architecture: Architecture | None = DEFAULT_ARCHITECTURE
    python_version: str = DEFAULT_PYTHON_VERSION

    @classmethod
    def host(cls, python_version: str = DEFAULT_PYTHON_VERSION) -> "Target":
        return cls(None, python_version)

    @property
    def label(self) -> str:
        return f"{self.architecture or 'host'}-py{self.python_version}"

    @property
    def uv_platform(self) -> str | None:
        return None if self.architecture is None else _UV_PLATFORMS[self.architecture]


@dataclass(frozen=True)
class Bundle:
    name: str
    key: str
    path: Path

    @property
    def is_layer(self) -> bool:
        return self.name in LAYERS


@dataclass
class Builder:
    """Builds bundles for one target into a cache under `cache_dir`, keyed by content."""

    root: Path
    target: Target = field(default_factory=Target)
    cache_dir: Path | None = None
    #: What uv installs the framework layer from: its folder (default) or any
    #: requirement uv understands, such as `s3fanout @ git+https://...@v1.2.0`.
    framework_source: str | None = None
    progress: Callable[[str], None] = field(default=lambda message: print(message, file=sys.stderr))
    #: Names of the bundles this builder really built (not found in the cache).
    built: list[str] = field(default_factory=list)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    _requirements: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        if self.cache_dir is None:
            configured = os.environ.get(CACHE_VARIABLE)
            self.cache_dir = Path(configured) if configured else self.root / "build" / "bundles"

    # -- content keys -----------------------------------------------------------

    def key(self, name: str) -> str:
        """The bundle's content key: the same inputs always give the same key."""
        _check_name(name)
        if name not in self._keys:
            digest = hashlib.sha256()
            for part in (f"recipe {RECIPE_VERSION}", f"bundle {name}", f"target {self.target.label}"):
                digest.update(part.encode() + b"\0")
            for label, content in self._inputs(name):
                digest.update(label.encode() + b"\0" + hashlib.sha256(content).digest())
            self._keys[name] = digest.hexdigest()
        return self._keys[name]

    def _inputs(self, name: str) -> Iterable[tuple[str, bytes]]:
        if name == "pypi":
            yield "requirements", self.pypi_requirements().encode()
        elif name == RUNTIME:
            yield "requirements", self.runtime_requirements().encode()
            yield "platform", _linux_platform().encode()
        elif name == "framework":
            if self.framework_source is not None:
                yield "source", self.framework_source.encode()
            else:
                yield from _tree_files(self.root / source_directory("framework"))
        else:
            yield from _tree_files(self.root / source_directory(name))

    def pypi_requirements(self) -> str:
        """The PyPI layer's locked requirements, with hashes, exported from uv.lock."""
        if self._requirements is None:
            self._requirements = self._export("pypi-layer")
        return self._requirements

    def runtime_requirements(self) -> str:
        """The runtime interface client's locked requirements, with hashes."""
        return self._export("lambda-runtime")

    def _export(self, group: str) -> str:
        return self._uv(
            "export", "--frozen", "--only-group", group, "--no-emit-project",
            "--no-emit-workspace", "--format", "requirements.txt", "--no-header", "--quiet",
        )  # fmt: skip

    # -- building ---------------------------------------------------------------

    def path(self, name: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / self.target.label / f"{name}-{self.key(name)[:24]}"

    def build(self, name: str) -> Bundle:
        """The bundle's directory, built now unless the cache already holds it."""
        destination = self.path(name)
        if destination.is_dir():
            return Bundle(name, self.key(name), destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        # One process builds a bundle while any other that wants it (a test run's
        # workers, a sweep started beside `serve`) waits, then finds it in the cache.
        with (destination.parent / f"{_LOCK}{name}").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not destination.is_dir():
                self._build_locked(name, destination)
        return Bundle(name, self.key(name), destination)

    def _build_locked(self, name: str, destination: Path) -> None:
        started = time.perf_counter()
        self.progress(f"building {name} for {self.target.label} ...")
        _remove_abandoned(destination.parent)
        scratch_prefix = f"{_SCRATCH}{os.getpid()}-{name}-"
        with tempfile.TemporaryDirectory(dir=destination.parent, prefix=scratch_prefix) as scratch:
            staging = Path(scratch) / "bundle"
            staging.mkdir()
            self._build_into(name, staging)
            try:
                staging.rename(destination)
            except OSError:
                if not destination.is_dir():  # a process that takes no lock may have won the race
                    raise
        self.built.append(name)
        self.progress(f"built {name} for {self.target.label} in {time.perf_counter() - started:.1f} s")

    def build_all(self, names: Sequence[str] = BUNDLES) -> dict[str, Bundle]:
        return {name: self.build(name) for name in names}

    def _build_into(self, name: str, staging: Path) -> None:
        if name == "pypi":
            requirements = staging.parent / "requirements.txt"
            requirements.write_text(self.pypi_requirements())
            site = staging / "python"
            self._install(site, "--only-binary", ":all:", "--require-hashes", "-r", str(requirements))
            strip(site)
            self._compile(site, LAYER_ROOT)
        elif name == RUNTIME:
            # Linux wheels even on a Mac: there, the C transport cannot load and the
            # local service's pure-Python client takes its place.
            requirements = staging.parent / "requirements.txt"
            requirements.write_text(self.runtime_requirements())
            self._install(
                staging, "--only-binary", ":all:", "--require-hashes", "-r", str(requirements),
                platform=_linux_platform(),
            )  # fmt: skip
            strip(staging)
            self._compile(staging, str(staging))
        elif name == "framework":
            site = staging / "python"
            self._install(site, self.framework_source or str(self.root / source_directory("framework")))
            strip(site)
            self._compile(site, LAYER_ROOT)
        else:
            for source in sorted((self.root / source_directory(name)).glob("*.py")):
                shutil.copyfile(source, staging / source.name)
            self._compile(staging, FUNCTION_ROOT)

    def _install(self, site: Path, *requirements: str, platform: str | None = None) -> None:
        platform = platform or self.target.uv_platform
        # Third-party packages come as wheels only (a source build would target this
        # host, not Lambda); the framework is pure Python and is built from source.
        target_args = ["--python-platform", platform] if platform else []
        self._uv(
            "pip", "install", "--quiet", "--no-deps", "--no-config", "--target", str(site),
            "--python", str(self.python()), "--python-version", self.target.python_version,
            "--link-mode", "copy", *target_args, *requirements,
        )  # fmt: skip

    def _compile(self, directory: Path, runtime_root: str) -> None:
        # Isolated, without site: nothing installed or set around the build (a .pth
        # file, a tracer such as coverage's) may run in the compiler, where the extra
        # references it holds would change marshal's output and so the bytecode.
        # A process a core for the dependencies' hundreds of files; in one process for
        # a function's or the framework's few, where starting the pool (a fork server,
        # a resource tracker, a worker a core) costs more than compiling them.
        workers = 0 if sum(1 for _ in directory.rglob("*.py")) > _FILES_FOR_A_POOL else 1
        _run(
            [
                str(self.python()),
                "-I",
                "-S",
                "-m",
                "compileall",
                "-q",
                "-j",
                str(workers),
                "--invalidation-mode",
                "unchecked-hash",
                "-s",
                str(directory),
                "-p",
                runtime_root,
                str(directory),
            ],
            what=f"compiling bytecode in {directory.name}",
        )

    def python(self) -> Path:
        """An interpreter of the target's Python version, to compile bytecode with."""
        return find_python(self.target.python_version)

    def _uv(self, *args: str) -> str:
        # Never colour: callers such as the CDK CLI force colour in their children.
        return _run([find_uv(self.root), "--color", "never", *args], what=f"uv {args[0]}", cwd=self.root)


def strip(site: Path) -> None:
    """Remove what Lambda never reads, keeping dist-info metadata packages read at run
    time (METADATA for versions, entry_points.txt, licences)."""
    for directory in sorted(site.rglob("*"), reverse=True):
        if directory.is_dir() and directory.name in _STRIP_DIRS:
            # `bin` only at the top: it holds console scripts, elsewhere it may be data.
            if directory.name == "bin" and directory.parent != site:
                continue
            shutil.rmtree(directory)
    for stubs in site.glob("*-stubs"):
        shutil.rmtree(stubs)
    for path in site.rglob("*"):
        if path.is_file() and (
            path.suffix in _STRIP_SUFFIXES
            or (path.parent == site and path.name in _STRIP_TOP_LEVEL)
            or (path.parent.name.endswith(".dist-info") and path.name in _STRIP_DIST_INFO)
        ):
            path.unlink()


@functools.cache
def find_python(version: str) -> Path:
    """An interpreter of `version`, from the running one, uv, or PATH; else a clear error.

    Cached: every install and compile asks, and the answer does not change in a run.
    """
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return Path(sys.executable)
    try:
        found = subprocess.run(
            [find_uv(Path.cwd()), "python", "find", "--no-project", version],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        ).stdout.strip()
        if found:
            return Path(found)
    except (subprocess.CalledProcessError, BuildError):
        pass
    on_path = shutil.which(f"python{version}")
    if on_path:
        return Path(on_path)
    raise BuildError(
        f"no Python {version} interpreter found, and bytecode must be compiled by the "
        f"Lambda runtime's version. Install it (for example `pyenv install {version}` "
        f"or your system's python{version} package) and make it visible as "
        f"`python{version}` on PATH, or point UV_PYTHON at it."
    )


def find_uv(root: Path) -> str:
    """uv itself: the one running us (`uv run` sets UV), the project's pinned
    scripts/uv, or the one on PATH."""
    running = os.environ.get("UV")
    if running:
        return running
    bootstrap = root / "scripts" / "uv"
    if bootstrap.is_file():
        return str(bootstrap)
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    raise BuildError("uv was not found; run through `scripts/uv run ...` or install uv")


def _tree_files(directory: Path) -> Iterable[tuple[str, bytes]]:
    """Every source file under `directory`, by relative path, in a stable order."""
    if not directory.is_dir():
        raise BuildError(f"{directory} does not exist")
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not {"__pycache__", ".venv"} & set(relative.parts) and path.suffix != ".pyc":
            yield relative.as_posix(), path.read_bytes()


def _check_name(name: str) -> None:
    if name not in (*BUNDLES, RUNTIME):
        raise BuildError(f"unknown bundle {name!r}; the bundles are {', '.join((*BUNDLES, RUNTIME))}")


def host_architecture() -> Architecture:
    """This machine as Lambda names architectures (host bundles are built for it)."""
    import platform

    return lambda_architecture(platform.machine())


def _linux_platform() -> str:
    """The Linux platform of this machine's architecture, as uv names it."""
    return _UV_PLATFORMS[host_architecture()]


def _run(command: Sequence[str], what: str, cwd: Path | None = None) -> str:
    completed = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    if completed.returncode != 0:
        raise BuildError(f"{what} failed (exit {completed.returncode}):\n{completed.stderr.strip()}")
    return completed.stdout


#: A build's scratch folder beside the cache, named after the building process.
_SCRATCH = ".building-"
#: The lock a bundle's builder holds, beside the cache: one per bundle name.
_LOCK = ".lock-"


def _remove_abandoned(cache: Path) -> None:
    """Scratch folders of builds whose process is gone (killed, or interrupted while it
    was cleaning up): removed, so that no half-built bundle lingers in the cache."""
    for scratch in cache.glob(f"{_SCRATCH}*"):
        owner = scratch.name.removeprefix(_SCRATCH).split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(scratch, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
