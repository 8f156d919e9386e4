"""Deploying from published artifacts: every layer and function pinned by key and version."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from contracts.bundles import BUNDLES
from contracts.stack import CODE_SOURCE_OUTPUT
from stacks.settings import SettingsError, from_context
from tests.stacks.synthesis import EVALUATION, lambda_code, synth

BUCKET = "ci-artifacts-bucket"
NAMES = BUNDLES


def manifest() -> dict[str, Any]:
    return {
        "bucket": BUCKET,
        "artifacts": {
            name: {"key": f"artifacts/arm64-py3.13/{name}.zip", "version": f"v-{name}", "sha256": "ab"}
            for name in NAMES
        },
    }


def test_code_comes_from_the_pinned_versions(tmp_path: Path) -> None:
    # Given the manifest `concurrency-eval publish` prints, passed as -c does (a JSON string)
    templates = synth(tmp_path, {"publishedArtifacts": json.dumps(manifest())})
    template = templates[EVALUATION]
    # Then every function and layer points at its object version, and no bundle is an asset
    codes = lambda_code(template)
    assert len(codes) == 5
    expected = {(f"artifacts/arm64-py3.13/{n}.zip", f"v-{n}") for n in NAMES}
    assert {(code["S3Key"], code["S3ObjectVersion"]) for code in codes.values()} == expected
    assert all(code["S3Bucket"] == BUCKET for code in codes.values())
    assets = json.loads((tmp_path / f"{EVALUATION}.assets.json").read_text())["files"]
    assert all(asset["source"]["path"].endswith(".template.json") for asset in assets.values())
    Template.from_json(template).has_output(CODE_SOURCE_OUTPUT, {"Value": "published"})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("{not json", "is not JSON"),
        ("[]", 'must be an object {"bucket"'),
        (json.dumps({**manifest(), "bucket": "Bad_Bucket"}), "has no valid bucket name"),
        (
            json.dumps({"bucket": BUCKET, "artifacts": {"pypi": {"key": "k", "version": "v"}}}),
            "lacks framework, sync",
        ),
        (
            json.dumps({"bucket": BUCKET, "artifacts": {**manifest()["artifacts"], "sync": {"key": "k"}}}),
            "'sync' needs a key",
        ),
    ],
)
def test_a_bad_manifest_is_named(value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as raised:
        from_context({"publishedArtifacts": value})
    assert "publishedArtifacts" in str(raised.value)
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("source", "valid"),
    [
        ("s3fanout @ git+https://github.com/octo/s3fanout@v1.2.0", True),
        ("s3fanout @ git+ssh://git@github.com/octo/s3fanout@v1.2.0", True),
        ("s3fanout @ git+file:///srv/s3fanout@v1", True),
        ("s3fanout==1.2.0", False),
        ("s3fanout", False),
        ("garbage", False),
        ("s3fanout @ git+https://github.com/octo/s3fanout", False),
        ("s3fanout @ https://example.com/s3fanout-1.0.tar.gz", False),
        ("requests @ git+https://github.com/psf/requests@v2", False),
    ],
)
def test_framework_source_must_be_the_framework_from_a_url(source: str, valid: bool) -> None:
    if valid:
        assert from_context({"frameworkSource": source}).framework_source == source
    else:
        with pytest.raises(SettingsError, match="frameworkSource"):
            from_context({"frameworkSource": source})
