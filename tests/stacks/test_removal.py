"""removalPolicy=destroy deletes what it says: a seeded data bucket is emptied first."""

from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from tests.stacks.synthesis import EVALUATION, synth


@pytest.mark.parametrize("policy", ["destroy", "retain"])
def test_the_data_bucket_is_emptied_on_delete_only_when_destroyed(tmp_path: Path, policy: str) -> None:
    # When the app is synthesized (cdk-nag runs, and fails on any unacknowledged finding)
    templates = synth(tmp_path, {"removalPolicy": policy})
    template = Template.from_json(templates[EVALUATION])
    # Then a destroyed bucket is emptied by CDK's auto-delete resource, a retained one never
    template.resource_count_is("AWS::S3::Bucket", 1)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 1 if policy == "destroy" else 0)
    template.has_resource(
        "AWS::S3::Bucket", {"DeletionPolicy": "Delete" if policy == "destroy" else "Retain"}
    )
