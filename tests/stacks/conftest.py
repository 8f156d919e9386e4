"""The app as configured for a GitHub repository, synthesized once per session."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.stacks.synthesis import GITHUB, synth


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cdk.out of the app configured for a GitHub repository, bundling skipped."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    synth(outdir, GITHUB)
    return outdir


@pytest.fixture(scope="session")
def templates(synthesized: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in synthesized.glob("*.template.json")
    }
