"""Asset keys: an unchanged bundle is never rebuilt, and a change touches only its own asset."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from bundling.build import Builder, Target
from tests.handlers import ROOT
from tests.stacks.synthesis import EVALUATION, lambda_code, synth

pytestmark = pytest.mark.timeout(600)


def synth_with(builder: Builder, outdir: Path, bundling: bool) -> dict[str, str]:
    """Synthesize with `builder`; return each Lambda asset's key by its resource (hash stripped)."""
    template = synth(outdir, bundling=bundling, builder=builder)[EVALUATION]
    return {logical_id[:-8]: code["S3Key"] for logical_id, code in lambda_code(template).items()}


class CountingBuilder(Builder):
    """A builder that also counts CDK's calls for bundles, built or found in the cache."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested: list[str] = []

    def build(self, name: str) -> Any:
        self.requested.append(name)
        return super().build(name)


def test_second_synth_does_no_bundling_work(tmp_path: Path) -> None:
    cache = tmp_path / "bundles"
    # Given a first synth with real bundles
    first = CountingBuilder(ROOT, Target("arm64"), cache_dir=cache, progress=lambda _: None)
    assets = synth_with(first, tmp_path / "out", bundling=True)
    assert sorted(first.built) == ["asyncio", "framework", "pypi", "sync", "threaded"]
    assert len(assets) == 5
    # When the app is synthesized again into the same output
    second = CountingBuilder(ROOT, Target("arm64"), cache_dir=cache, progress=lambda _: None)
    again = synth_with(second, tmp_path / "out", bundling=True)
    # Then CDK asked for no bundle at all, and the assets are the same
    assert second.requested == []
    assert again == assets
    # And into a fresh output, bundles come from the cache: nothing is built
    third = CountingBuilder(ROOT, Target("arm64"), cache_dir=cache, progress=lambda _: None)
    assert synth_with(third, tmp_path / "fresh", bundling=True) == assets
    assert sorted(third.requested) == ["asyncio", "framework", "pypi", "sync", "threaded"]
    assert third.built == []


def copy_of_sources(destination: Path) -> Path:
    destination.mkdir()
    for name in ("pyproject.toml", "uv.lock", ".python-version", "README.md"):
        shutil.copy2(ROOT / name, destination / name)
    for folder in ("lambdas", "layers", "scripts", "concurrency_eval"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


@pytest.mark.parametrize(
    ("change", "changed_assets"),
    [
        ("lambdas/sync/handler.py", {"SyncFunction"}),
        ("lambdas/asyncio/handler.py", {"AsyncioFunction"}),
        ("layers/framework/src/s3fanout/search.py", {"FrameworkLayer"}),
    ],
)
def test_a_change_changes_only_its_own_asset(change: str, changed_assets: set[str], tmp_path: Path) -> None:
    # Given the app's assets from the sources as they are
    before = synth_with(Builder(ROOT, Target("arm64")), tmp_path / "before", bundling=False)
    # When one source file changes
    root = copy_of_sources(tmp_path / "src")
    with (root / change).open("a") as source:
        source.write("\n# a change\n")
    after = synth_with(Builder(root, Target("arm64")), tmp_path / "after", bundling=False)
    # Then only the asset built from it has a new hash
    changed = {resource for resource in before if before[resource] != after[resource]}
    assert changed == changed_assets


def test_the_pypi_layer_key_follows_the_lock(tmp_path: Path) -> None:
    root = copy_of_sources(tmp_path / "src")
    lock = root / "uv.lock"
    original = {name: Builder(root, Target("arm64")).key(name) for name in ("pypi", "framework", "sync")}
    # A different locked artifact of a layer package (here: its hash) is a different layer
    text = lock.read_text()
    start = text.index("sha256:", text.index('name = "jmespath"')) + len("sha256:")
    lock.write_text(text[:start] + ("0" if text[start] != "0" else "1") + text[start + 1 :])
    changed = Builder(root, Target("arm64"))
    assert changed.key("pypi") != original["pypi"]
    assert changed.key("framework") == original["framework"]
    assert changed.key("sync") == original["sync"]
