"""cdk.json sets every feature flag aws-cdk-lib recommends, as `cdk init` would."""

import json
import tarfile
from pathlib import Path

import aws_cdk

from contracts import cdk_json


def recommended_flags() -> dict[str, object]:
    """The library's own list, shipped in its jsii assembly."""
    (assembly,) = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(assembly) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        flags: dict[str, object] = json.load(member)
    return flags


def test_every_recommended_flag_is_set_to_its_recommended_value() -> None:
    context = cdk_json.context()
    recommended = recommended_flags()
    assert len(recommended) > 50
    assert {flag: context.get(flag) for flag in recommended} == recommended
