"""The bundles as Lambda gets them: importable alone, compiled, for the right platform."""

import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bundling.build import Builder, BuildError, Bundle, Target, find_python
from bundling.reproducible_zip import write_zip, zip_bytes
from contracts.bundles import MODELS
from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(600)

#: Lambda's limit for a function and its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
ELF_MACHINES = {"arm64": 183, "x86_64": 62}  # EM_AARCH64, EM_X86_64

# Runs in a Python 3.13 started with -I -S: no site-packages, no user paths, no
# PYTHON* variables; the bundle directories are the only other paths, in Lambda's order.
PROBE = r"""
import json, sys
sys.path[:0] = sys.argv[1:4]
import handler
class Context:  # Lambda's context object, as the runtime gives it
    function_name, function_version, memory_limit_in_mb = "probe", "$LATEST", 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:probe"
    aws_request_id, log_group_name, log_stream_name = "probe-request", "/aws/lambda/probe", "probe"
    def get_remaining_time_in_millis(self): return 60_000
response = handler.handler({"s3_bucket_name": "Not_A_Bucket", "folder": ""}, Context())
print(json.dumps({
    "error": response["error"],
    "handler_cached": handler.__cached__,
    "outside": sorted({m.__file__.split("/site-packages/")[0] for m in list(sys.modules.values())
                       if getattr(m, "__file__", None) and "site-packages" in m.__file__}),
}))
"""


def files_under(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def run_like_lambda(code: Path, framework: Path, pypi: Path) -> dict[str, object]:
    completed = subprocess.run(
        [
            str(find_python("3.13")),
            "-I",
            "-S",
            "-c",
            PROBE,
            str(code),
            str(framework / "python"),
            str(pypi / "python"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR"},
        cwd="/",
    )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("model", MODELS)
def test_each_handler_runs_from_its_bundles_alone(model: str, host_bundles: dict[str, Bundle]) -> None:
    # Given the host bundles, and nothing else on the path
    before = {name: files_under(bundle.path) for name, bundle in host_bundles.items()}
    # When a fresh Python 3.13 imports the handler and invokes it
    result = run_like_lambda(
        host_bundles[model].path, host_bundles["framework"].path, host_bundles["pypi"].path
    )
    # Then it answers through the framework, from the layers only
    assert result["error"]["type"] == "InvalidEvent"  # type: ignore[index]
    assert result["error"]["field"] == "s3_bucket_name"  # type: ignore[index]
    assert result["outside"] == []
    # and wrote nothing into the read-only bundle directories
    assert {name: files_under(bundle.path) for name, bundle in host_bundles.items()} == before


def test_shipped_bytecode_is_what_runs(host_bundles: dict[str, Bundle], tmp_path: Path) -> None:
    # Given a copy of the sync bundle whose source no longer matches its bytecode
    code = tmp_path / "sync"
    shutil.copytree(host_bundles["sync"].path, code)
    (code / "handler.py").write_text("raise SystemExit('the source was compiled again')\n")
    # When it runs, Then the shipped (unchecked-hash) bytecode is used, not the source
    result = run_like_lambda(code, host_bundles["framework"].path, host_bundles["pypi"].path)
    assert result["error"]["type"] == "InvalidEvent"  # type: ignore[index]


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int(struct.unpack("<H", header[18:20])[0])


@pytest.mark.parametrize("architecture", ["arm64"])
def test_target_bundle_is_built_for_lambda(architecture: str, arm64_bundles: dict[str, Bundle]) -> None:
    bundles = arm64_bundles
    # Compiled modules are for the target's machine and Python
    extensions = list(bundles["pypi"].path.rglob("*.so"))
    assert extensions
    for extension in extensions:
        assert elf_machine(extension) == ELF_MACHINES[architecture], extension
        assert "cpython-313" in extension.name or ".abi3." in extension.name, extension
    # Every module ships bytecode of the target version, hash-based and unchecked
    for bundle in bundles.values():
        sources = list(bundle.path.rglob("*.py"))
        assert sources
        for source in sources:
            compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
            header = compiled.read_bytes()[:8]
            assert header[:4] == importlib.util.MAGIC_NUMBER, compiled
            assert struct.unpack("<I", header[4:8])[0] == 0b01, compiled  # hash-based, unchecked
        assert not [p for p in bundle.path.rglob("*.pyc") if "cpython-313" not in p.name]
        assert not list(bundle.path.rglob("tests"))
        assert not list(bundle.path.rglob("RECORD"))
    # METADATA stays: packages read their own version at run time
    assert list(bundles["pypi"].path.glob("python/attrs-*.dist-info/METADATA"))
    # Each function with both layers fits Lambda's unzipped limit
    layers = sum(size(bundles[name].path) for name in ("pypi", "framework"))
    for model in MODELS:
        assert layers + size(bundles[model].path) < LAMBDA_UNZIPPED_LIMIT


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_builds_are_byte_identical(arm64_bundles: dict[str, Bundle], tmp_path: Path) -> None:
    # Given the same inputs, When built again into another cache
    again = Builder(ROOT, Target("arm64"), cache_dir=tmp_path, progress=lambda _: None).build_all()
    # Then every bundle has the same key and the same bytes
    for name, bundle in arm64_bundles.items():
        assert again[name].key == bundle.key
        assert files_under(again[name].path) == files_under(bundle.path), name


def test_zips_are_reproducible(arm64_bundles: dict[str, Bundle], tmp_path: Path) -> None:
    framework = arm64_bundles["framework"].path
    first = write_zip(framework, tmp_path / "a.zip")
    copy = tmp_path / "copy"
    shutil.copytree(framework, copy)  # new inode times, same content
    second = write_zip(copy, tmp_path / "b.zip")
    assert first == second
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    # And the zip made in memory (the local service's CodeSize and CodeSha256) is the same
    assert zip_bytes(framework) == (tmp_path / "a.zip").read_bytes()


def test_cached_bundles_are_not_rebuilt(arm64_bundles: dict[str, Bundle], bundle_cache: Path) -> None:
    builder = Builder(ROOT, Target("arm64"), cache_dir=bundle_cache, progress=lambda _: None)
    assert builder.build_all() == arm64_bundles
    assert builder.built == []


def test_a_missing_interpreter_says_how_to_get_one() -> None:
    with pytest.raises(BuildError) as raised:
        find_python("3.99")
    assert "pyenv install 3.99" in str(raised.value)
    assert "UV_PYTHON" in str(raised.value)


def test_unknown_bundle_names_the_known_ones() -> None:
    with pytest.raises(BuildError, match="the bundles are pypi, framework, sync, threaded, asyncio"):
        Builder(ROOT).key("lambda")


def test_build_module_does_not_import_cdk() -> None:
    probe = "import sys, bundling.build; print(sorted(m for m in sys.modules if 'cdk' in m or 'jsii' in m))"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert completed.stdout.strip() == "[]"


def test_requirements_stay_plain_when_the_caller_forces_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CDK CLI forces colour in the processes it starts; uv would colour its comments.
    monkeypatch.setenv("FORCE_COLOR", "1")
    requirements = Builder(ROOT, Target("arm64")).pypi_requirements()
    assert "\x1b" not in requirements
    assert "boto3==" in requirements


def test_builders_asking_at_once_build_a_bundle_once(tmp_path: Path) -> None:
    # Given two builders of the same bundle on one empty cache, as two processes would be
    builders = [Builder(ROOT, Target.host(), cache_dir=tmp_path, progress=lambda _: None) for _ in range(2)]
    # When both ask for it at once
    with ThreadPoolExecutor(2) as pool:
        bundles = list(pool.map(lambda builder: builder.build("framework"), builders))
    # Then one built it while the other waited, and took it from the cache
    assert sorted(builder.built for builder in builders) == [[], ["framework"]]
    assert bundles[0] == bundles[1]


def test_a_build_interrupted_mid_way_leaves_nothing_for_long(tmp_path: Path) -> None:
    # Given the scratch folders of a build whose process is gone, and of one still running
    builder = Builder(ROOT, Target.host(), cache_dir=tmp_path, progress=lambda _: None)
    folder = tmp_path / Target.host().label
    gone = 1
    while (Path("/proc") / str(gone)).exists():
        gone += 7919
    abandoned = folder / f".building-{gone}-framework-abc"
    running = folder / f".building-{os.getpid()}-pypi-def"
    for scratch in (abandoned, running):
        (scratch / "bundle").mkdir(parents=True)
    # When a bundle is built there
    builder.build("framework")
    # Then the abandoned half-build is gone, and the running one is left to its builder
    assert not abandoned.exists()
    assert running.exists()
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == [
        builder.path("framework").name
    ]
