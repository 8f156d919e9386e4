"""The artifact bucket and, when a GitHub repository is configured, CI's OIDC roles."""

import aws_cdk as cdk
from constructs import Construct

from contracts.stack import evaluation_stack_name
from stacks.artifact_bucket import ArtifactBucket
from stacks.github_oidc import GitHubOidc
from stacks.settings import AppSettings


class ArtifactsStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AppSettings,
        env: cdk.Environment | None = None,
    ) -> None:
        super().__init__(
            scope, construct_id, description="concurrency-eval: published artifacts and CI roles", env=env
        )
        artifacts = ArtifactBucket(self, "Artifacts")
        cdk.CfnOutput(self, "ArtifactBucketName", value=artifacts.bucket.bucket_name)
        cdk.CfnOutput(self, "ArtifactPrefix", value=settings.artifact_prefix)
        if settings.github is not None:
            oidc = GitHubOidc(
                self,
                "GitHub",
                github=settings.github,
                artifact_bucket=artifacts.bucket,
                artifact_prefix=settings.artifact_prefix,
                provider_arn=settings.oidc_provider_arn,
                evaluation_stack=evaluation_stack_name(settings.stack_prefix),
            )
            cdk.CfnOutput(self, "PublisherRoleArn", value=oidc.publisher.role_arn)
            cdk.CfnOutput(self, "DeployerRoleArn", value=oidc.deployer.role_arn)
