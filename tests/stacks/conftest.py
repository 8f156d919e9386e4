"""The app as configured for a GitHub repository, and with each optional dimension,
synthesized once per run: by the first pytest-xdist worker that needs it, for all."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.shared import made_once, run_directory
from tests.stacks.synthesis import GITHUB, synth


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cdk.out of the app configured for a GitHub repository, bundling skipped."""
    return made_once(run_directory(tmp_path_factory) / "cdk.out-github", lambda outdir: synth(outdir, GITHUB))


@pytest.fixture(scope="session")
def templates(synthesized: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in synthesized.glob("*.template.json")
    }


#: The optional dimensions, alone and together, as a user passes them with -c.
OPTIONS: dict[str, dict[str, Any]] = {
    "two architectures": {"architectures": "arm64,x86_64"},
    "express": {"dataBucket": "express", "dataBucketZone": "use1-az4"},
    "vpc": {"vpc": "true"},
    "vpc and express": {"vpc": "true", "dataBucket": "express", "dataBucketZone": "use1-az4"},
    "everything": {
        **GITHUB,
        "architectures": "x86_64,arm64",
        "dataBucket": "express",
        "dataBucketZone": "usw2-az1",
        "vpc": True,
        "removalPolicy": "destroy",
        "reservedConcurrency": 10,
        "provisionedConcurrency": 1,
    },
}


@pytest.fixture(scope="session")
def synthesized_with(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The cdk.out of the app with one of OPTIONS, synthesized once per run when first asked."""
    root = run_directory(tmp_path_factory)

    def synthesized(name: str) -> Path:
        folder = "cdk.out-" + "-".join(name.split())
        return made_once(root / folder, lambda outdir: synth(outdir, OPTIONS[name]))

    return synthesized
