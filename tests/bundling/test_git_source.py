"""The framework layer built from a git repository at a tag, as from a private one in CI.

No network: the repository is a local one, reached through a file:// URL, which uv
treats exactly as it treats https:// (CI adds the token with a git URL rewrite).
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from bundling.build import Builder, Target
from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(300)


def git(repository: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *arguments],
        cwd=repository, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def framework_repository(tmp_path: Path) -> Path:
    repository = tmp_path / "s3fanout"
    shutil.copytree(ROOT / "layers" / "framework", repository, ignore=shutil.ignore_patterns("__pycache__"))
    git(repository, "init", "-q")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "framework")
    git(repository, "tag", "v1.0.0")
    return repository


def test_framework_layer_builds_from_a_git_tag(framework_repository: Path, tmp_path: Path) -> None:
    # Given the framework in a git repository, tagged
    source = f"s3fanout @ git+file://{framework_repository}@v1.0.0"
    builder = Builder(
        ROOT, Target("arm64"), cache_dir=tmp_path / "cache", framework_source=source, progress=lambda _: None
    )
    # When the framework layer is built from it
    bundle = builder.build("framework")
    # Then the layer holds the framework, compiled, and nothing else
    site = bundle.path / "python"
    assert (site / "s3fanout" / "search.py").read_bytes() == (
        ROOT / "layers/framework/src/s3fanout/search.py"
    ).read_bytes()
    assert (site / "s3fanout" / "__pycache__" / "search.cpython-313.pyc").is_file()
    assert sorted(p.name for p in site.iterdir()) == ["s3fanout", "s3fanout-0.1.0.dist-info"]
    # and its key names the source, so another tag is another layer
    local = Builder(ROOT, Target("arm64")).key("framework")
    other = Builder(ROOT, Target("arm64"), framework_source=source.replace("v1.0.0", "v1.0.1")).key(
        "framework"
    )
    assert len({builder.key("framework"), local, other}) == 3


def test_a_missing_tag_fails_the_build_with_uvs_reason(framework_repository: Path, tmp_path: Path) -> None:
    from bundling.build import BuildError

    source = f"s3fanout @ git+file://{framework_repository}@v9.9.9"
    builder = Builder(
        ROOT, Target("arm64"), cache_dir=tmp_path / "cache", framework_source=source, progress=lambda _: None
    )
    with pytest.raises(BuildError, match=r"v9\.9\.9"):
        builder.build("framework")
