"""removalPolicy=destroy deletes what it says: a seeded data bucket is emptied first."""

from pathlib import Path

import pytest

from tests.infra.conftest import synth


@pytest.mark.parametrize("policy", ["destroy", "retain"])
def test_the_data_bucket_is_emptied_on_delete_only_when_destroyed(tmp_path: Path, policy: str) -> None:
    # When the app is synthesized (cdk-nag runs, and fails on any unacknowledged finding)
    template = synth(tmp_path, {"removalPolicy": policy})["ConcurrencyEvalEvaluation"]
    resources = template["Resources"].values()
    emptiers = [r for r in resources if r["Type"] == "Custom::S3AutoDeleteObjects"]
    buckets = [r for r in resources if r["Type"] == "AWS::S3::Bucket"]
    # Then a destroyed bucket is emptied by CDK's auto-delete resource, a retained one never
    assert len(buckets) == 1
    assert len(emptiers) == (1 if policy == "destroy" else 0)
    assert buckets[0]["DeletionPolicy"] == ("Delete" if policy == "destroy" else "Retain")
