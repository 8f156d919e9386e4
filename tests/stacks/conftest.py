"""The app as configured for a GitHub repository, and with each optional dimension,
synthesized once per session."""

import json
from collections.abc import Callable
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
    """The cdk.out of the app with one of OPTIONS, synthesized once per session when first asked."""
    done: dict[str, Path] = {}

    def synthesized(name: str) -> Path:
        if name not in done:
            outdir = tmp_path_factory.mktemp("cdk.out")
            synth(outdir, OPTIONS[name])
            done[name] = outdir
        return done[name]

    return synthesized
