"""Without the optional dimensions, the templates stay as they were, byte for byte."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.stacks.snapshot import CONFIGURATIONS, REFRESH, normalised, path, synthesized

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_templates_without_the_optional_dimensions_are_unchanged(name: str, tmp_path: Path) -> None:
    # Given the templates committed for this configuration
    committed = json.loads(path(name).read_text())
    # When the app is synthesized with it now
    current = synthesized(name, tmp_path)
    # Then nothing but the bundles' hashes differs
    assert current == committed, (
        f"the {name!r} templates changed; if that is intended, run `{REFRESH}` and commit the snapshots"
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            {"Code": {"S3Key": "a" * 64 + ".zip", "S3Bucket": "b"}},
            {"Code": {"S3Key": "<bundle>.zip", "S3Bucket": "b"}},
        ),
        ({"Code": {"S3Key": "artifacts/sync.zip"}}, {"Code": {"S3Key": "artifacts/sync.zip"}}),
        (
            {"SyncFunctionCurrentVersion5D4A0508" + "f" * 32: {"Ref": "X"}},
            {"SyncFunctionCurrentVersion5D4A0508<bundle hash>": {"Ref": "X"}},
        ),
        ({"Data666C94C7": [{"S3Key": "a" * 64 + ".zip"}]}, {"Data666C94C7": [{"S3Key": "<bundle>.zip"}]}),
    ],
)
def test_only_the_bundles_hashes_are_taken_out(template: dict[str, Any], expected: dict[str, Any]) -> None:
    assert normalised(template) == expected
