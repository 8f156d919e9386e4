"""GitHub Actions OIDC: the provider and the two roles CI assumes, and nothing more.

Each role trusts only tokens for the configured repository, with the subject claim
of the job that uses it: the publisher the branch (`repo:O/R:ref:refs/heads/B`),
the deployer the GitHub environment (`repo:O/R:environment:E`), which is what GitHub
puts in the token of a job that declares `environment:`.
"""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import GitHubConfig
from stacks.nag import acknowledge, arn_of

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
#: The roles `cdk bootstrap` creates, which a deployment assumes in turn.
BOOTSTRAP_ROLES = ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")


class GitHubOidc(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        github: GitHubConfig,
        artifact_bucket: s3.IBucket,
        artifact_prefix: str,
        provider_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        if provider_arn is None:
            # The native resource: no custom-resource Lambda, unlike OpenIdConnectProvider.
            provider: iam.IOidcProvider = iam.OidcProviderNative(
                self, "Provider", url=f"https://{GITHUB_ISSUER}", client_ids=[AUDIENCE]
            )
        else:
            provider = iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", provider_arn)
        self.provider_arn = provider.oidc_provider_arn

        self.publisher = self._role(
            "Publisher",
            provider,
            github.branch_subject,
            f"Publishes layer and function zips under {artifact_prefix} from {github.owner}/{github.repo}",
        )
        objects = artifact_bucket.arn_for_objects(f"{artifact_prefix}*")
        self.publisher.add_to_policy(
            iam.PolicyStatement(
                sid="PutAndCompareArtifacts",
                # GetObject backs HeadObject, which reads the content hash of what is
                # already published so that unchanged artifacts are not uploaded again.
                actions=["s3:PutObject", "s3:GetObject"],
                resources=[objects],
            )
        )
        self.publisher.add_to_policy(
            iam.PolicyStatement(
                sid="ListArtifactPrefix",
                # Without it, HeadObject of an absent key answers 403 instead of 404.
                actions=["s3:ListBucket"],
                resources=[artifact_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{artifact_prefix}*"]}},
            )
        )
        acknowledge(
            self.publisher,
            f"AwsSolutions-IAM5[Resource::{arn_of(artifact_bucket)}/{artifact_prefix}*]",
            "The publisher writes any artifact under the artifact prefix, and only there.",
        )

        self.deployer = self._role(
            "Deployer",
            provider,
            github.environment_subject,
            f"Deploys the stacks from {github.owner}/{github.repo} in environment {github.environment}",
        )
        qualifier = cdk.Stack.of(self).synthesizer.bootstrap_qualifier or "hnb659fds"
        self.deployer.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkBootstrapRoles",
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[
                    cdk.Fn.sub(
                        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-{qualifier}-{role}-${{AWS::AccountId}}-${{AWS::Region}}"
                    )
                    for role in BOOTSTRAP_ROLES
                ],
            )
        )

    def _role(
        self, construct_id: str, provider: iam.IOidcProvider, subject: str, description: str
    ) -> iam.Role:
        return iam.Role(
            self,
            construct_id,
            description=description,
            max_session_duration=cdk.Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_ISSUER}:aud": AUDIENCE,
                        f"{GITHUB_ISSUER}:sub": subject,
                    }
                },
            ),
        )
