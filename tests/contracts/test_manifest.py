"""The published-artifacts manifest: what `publish` writes is what the stacks read."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concurrency_eval.artifacts.publish import Artifact, manifest
from contracts.bundles import BUNDLES, LAYERS
from contracts.manifest import PublishedArtifacts, PublishedObject

KEYS = st.text("abcdefghijklmnopqrstuvwxyz0123456789/-_.", min_size=1, max_size=60)


def artifacts(versions: dict[str, str]) -> list[Artifact]:
    return [
        Artifact(
            name, "layer" if name in LAYERS else "function", f"artifacts/{name}.zip", version, "ab" * 32, True
        )
        for name, version in versions.items()
    ]


@given(st.fixed_dictionaries(dict.fromkeys(BUNDLES, KEYS)))
def test_what_publish_writes_the_stacks_read_back(versions: dict[str, str]) -> None:
    # Given the artifacts a publish uploaded, with any versions S3 gave them
    written = manifest("my-artifacts", artifacts(versions))
    # When the stacks read the manifest, as a document or as the JSON text `-c` passes
    for document in (written, json.dumps(written)):
        read = PublishedArtifacts.from_document(document)
        # Then every bundle is pinned to the key and version that were published
        assert read.bucket == "my-artifacts"
        assert read.objects == {
            name: PublishedObject(f"artifacts/{name}.zip", version, "ab" * 32)
            for name, version in versions.items()
        }
        # And writing it again gives the same document
        assert read.to_document() == written


def _without(name: str) -> dict[str, Any]:
    document = manifest("my-artifacts", artifacts(dict.fromkeys(BUNDLES, "v1")))
    del document["artifacts"][name]
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "is not JSON"),
        ([], "must be an object"),
        ({"bucket": "my-artifacts"}, "must be an object"),
        ({"bucket": "Not_A_Bucket", "artifacts": {}}, "no valid bucket name"),
        (_without("framework"), "lacks framework"),
        (
            {"bucket": "my-artifacts", "artifacts": {name: {"key": "k"} for name in BUNDLES}},
            "needs a key and a version",
        ),
    ],
)
def test_a_broken_manifest_says_what_is_wrong(document: object, message: str) -> None:
    # Given a manifest that is not one; When it is read; Then the error names the fault
    with pytest.raises(ValueError, match=message):
        PublishedArtifacts.from_document(document)
