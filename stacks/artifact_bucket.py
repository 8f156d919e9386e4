"""The versioned bucket that published layer and function zips go to."""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.nag import acknowledge
from stacks.private_bucket import private_bucket

#: Old versions of an artifact stay this long after a newer one replaces them, so a
#: deployment pinned to an older version keeps working for a while.
NONCURRENT_VERSION_DAYS = 90
ACCESS_LOG_DAYS = 365


class ArtifactBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = private_bucket(
            self,
            "AccessLogs",
            cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireAccessLogs", expiration=cdk.Duration.days(ACCESS_LOG_DAYS))
            ],
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the access log bucket of the artifact bucket; logging it again would recurse.",
        )
        self.bucket = private_bucket(
            self,
            "Bucket",
            cdk.RemovalPolicy.RETAIN,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifact-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldVersions",
                    noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
        )
