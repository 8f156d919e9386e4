"""The artifact bucket and, when a GitHub repository is configured, CI's OIDC roles."""

import aws_cdk as cdk
from constructs import Construct

from stacks.artifact_bucket import ArtifactBucket
from stacks.config import AppConfig
from stacks.github_oidc import GitHubOidc


class ArtifactsStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, env: cdk.Environment | None = None
    ) -> None:
        super().__init__(
            scope, construct_id, description="concurrency-eval: published artifacts and CI roles", env=env
        )
        artifacts = ArtifactBucket(self, "Artifacts")
        cdk.CfnOutput(self, "ArtifactBucketName", value=artifacts.bucket.bucket_name)
        cdk.CfnOutput(self, "ArtifactPrefix", value=config.artifact_prefix)
        if config.github is not None:
            oidc = GitHubOidc(
                self,
                "GitHub",
                github=config.github,
                artifact_bucket=artifacts.bucket,
                artifact_prefix=config.artifact_prefix,
                provider_arn=config.oidc_provider_arn,
                evaluation_stack=f"{config.stack_prefix}Evaluation",
            )
            cdk.CfnOutput(self, "PublisherRoleArn", value=oidc.publisher.role_arn)
            cdk.CfnOutput(self, "DeployerRoleArn", value=oidc.deployer.role_arn)
