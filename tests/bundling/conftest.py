"""Real bundles, built once per run with uv into a cache of the run's own: the first
pytest-xdist worker to ask builds each, the others wait for it (the builder's lock)."""

from pathlib import Path

import pytest

from bundling.build import Builder, Bundle, Target
from tests.fixtures.shared import run_directory
from tests.handlers import ROOT


@pytest.fixture(scope="session")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = run_directory(tmp_path_factory) / "bundles"
    cache.mkdir(exist_ok=True)
    return cache


@pytest.fixture(scope="session")
def host_bundles(bundle_cache: Path) -> dict[str, Bundle]:
    return Builder(ROOT, Target.host(), cache_dir=bundle_cache, progress=lambda _: None).build_all()


@pytest.fixture(scope="session")
def arm64_bundles(bundle_cache: Path) -> dict[str, Bundle]:
    return Builder(ROOT, Target("arm64"), cache_dir=bundle_cache, progress=lambda _: None).build_all()
