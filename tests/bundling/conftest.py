"""Real bundles, built once per session with uv into a cache of the session's own."""

from pathlib import Path

import pytest

from bundling.build import Builder, Bundle, Target
from tests.handlers import ROOT


@pytest.fixture(scope="session")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundles")


@pytest.fixture(scope="session")
def host_bundles(bundle_cache: Path) -> dict[str, Bundle]:
    return Builder(ROOT, Target.host(), cache_dir=bundle_cache, progress=lambda _: None).build_all()


@pytest.fixture(scope="session")
def arm64_bundles(bundle_cache: Path) -> dict[str, Bundle]:
    return Builder(ROOT, Target("arm64"), cache_dir=bundle_cache, progress=lambda _: None).build_all()
