"""The settings every bucket of the app shares: encrypted, SSL only, private; and the
S3 Express One Zone directory bucket, encrypted alike."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3express as s3express
from constructs import Construct


def private_bucket(
    scope: Construct, construct_id: str, removal_policy: cdk.RemovalPolicy, **extra: Any
) -> s3.Bucket:
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=removal_policy,
        **extra,
    )


def directory_bucket(
    scope: Construct, construct_id: str, name: str, zone: str, removal_policy: cdk.RemovalPolicy
) -> s3express.CfnDirectoryBucket:
    """An S3 Express One Zone directory bucket in `zone` (an AZ ID), encrypted as the others.

    A directory bucket is private by construction: no ACLs, no public access, no access
    points to the internet; access is by CreateSession only. CloudFormation deletes it
    only when empty, and has no auto-delete for it.
    """
    bucket = s3express.CfnDirectoryBucket(
        scope,
        construct_id,
        bucket_name=name,
        data_redundancy="SingleAvailabilityZone",
        location_name=zone,
        bucket_encryption=s3express.CfnDirectoryBucket.BucketEncryptionProperty(
            server_side_encryption_configuration=[
                s3express.CfnDirectoryBucket.ServerSideEncryptionRuleProperty(
                    server_side_encryption_by_default=s3express.CfnDirectoryBucket.ServerSideEncryptionByDefaultProperty(
                        sse_algorithm="AES256"
                    )
                )
            ]
        ),
    )
    bucket.apply_removal_policy(removal_policy)
    return bucket
