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

from contracts.function import ALIAS
from contracts.stack import SMOKE_PREFIX, SWEEP_FUNCTION_ACTIONS, SWEEP_VERSION_ACTIONS
from stacks.nag import acknowledge, arn_of
from stacks.settings import GitHubSettings

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
        github: GitHubSettings,
        artifact_bucket: s3.IBucket,
        artifact_prefix: str,
        provider_arn: str | None,
        evaluation_stack: str,
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

        self.publisher = self._publisher(provider, github, artifact_bucket, artifact_prefix)
        self.deployer = self._deployer(provider, github)
        self._allow_smoke_test(evaluation_stack)
        self._allow_sweep(evaluation_stack)

    def _publisher(
        self,
        provider: iam.IOidcProvider,
        github: GitHubSettings,
        artifact_bucket: s3.IBucket,
        artifact_prefix: str,
    ) -> iam.Role:
        """Publishes from the branch: writes artifacts under the prefix, nothing else."""
        publisher = self._role(
            "Publisher",
            provider,
            github.branch_subject,
            f"Publishes layer and function zips under {artifact_prefix} from {github.owner}/{github.repo}",
        )
        objects = artifact_bucket.arn_for_objects(f"{artifact_prefix}*")
        publisher.add_to_policy(
            iam.PolicyStatement(
                sid="PutAndCompareArtifacts",
                # GetObject backs HeadObject, which reads the content hash of what is
                # already published so that unchanged artifacts are not uploaded again.
                actions=["s3:PutObject", "s3:GetObject"],
                resources=[objects],
            )
        )
        publisher.add_to_policy(
            iam.PolicyStatement(
                sid="ListArtifactPrefix",
                # Without it, HeadObject of an absent key answers 403 instead of 404.
                actions=["s3:ListBucket"],
                resources=[artifact_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{artifact_prefix}*"]}},
            )
        )
        acknowledge(
            publisher,
            f"AwsSolutions-IAM5[Resource::{arn_of(artifact_bucket)}/{artifact_prefix}*]",
            "The publisher writes any artifact under the artifact prefix, and only there.",
        )
        return publisher

    def _deployer(self, provider: iam.IOidcProvider, github: GitHubSettings) -> iam.Role:
        """Deploys from the GitHub environment, through the CDK bootstrap roles."""
        deployer = self._role(
            "Deployer",
            provider,
            github.environment_subject,
            f"Deploys the stacks from {github.owner}/{github.repo} in environment {github.environment}",
        )
        qualifier = cdk.Stack.of(self).synthesizer.bootstrap_qualifier or "hnb659fds"
        deployer.add_to_policy(
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
        return deployer

    def _allow_smoke_test(self, stack: str) -> None:
        """After deploying, the deployer checks each function's live alias answers
        (`make smoke`): read the stack's outputs, seed the smoke data set, invoke."""
        region_account = "${AWS::Region}:${AWS::AccountId}"
        # The evaluation stack's resources are named after it by CloudFormation.
        functions = cdk.Fn.sub(f"arn:${{AWS::Partition}}:lambda:{region_account}:function:{stack}-*:{ALIAS}")
        bucket = cdk.Fn.sub(f"arn:${{AWS::Partition}}:s3:::{stack.lower()}-data*")
        stack_arn = cdk.Fn.sub(f"arn:${{AWS::Partition}}:cloudformation:{region_account}:stack/{stack}/*")
        statements = (
            ("SmokeTestReadStack", ["cloudformation:DescribeStacks"], [stack_arn], None),
            ("SmokeTestInvokeLiveAliases", ["lambda:InvokeFunction"], [functions], None),
            (
                "SmokeTestListData",
                ["s3:ListBucket"],
                [bucket],
                {"StringLike": {"s3:prefix": [f"{SMOKE_PREFIX}*"]}},
            ),
            ("SmokeTestSeedData", ["s3:PutObject"], [cdk.Fn.join("", [bucket, f"/{SMOKE_PREFIX}*"])], None),
        )
        for sid, actions, resources, conditions in statements:
            self.deployer.add_to_policy(
                iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions)
            )
        reason = (
            "The smoke test reaches the evaluation stack's functions (live alias only), its data bucket (the "
            "smoke/ prefix only) and the stack itself by the names CloudFormation gives them."
        )
        where = "<AWS::Region>:<AWS::AccountId>"
        for resource in (
            f"arn:<AWS::Partition>:cloudformation:{where}:stack/{stack}/*",
            f"arn:<AWS::Partition>:lambda:{where}:function:{stack}-*:{ALIAS}",
            f"arn:<AWS::Partition>:s3:::{stack.lower()}-data*",
            f"arn:<AWS::Partition>:s3:::{stack.lower()}-data*/{SMOKE_PREFIX}*",
        ):
            acknowledge(self.deployer, f"AwsSolutions-IAM5[Resource::{resource}]", reason)

    def _allow_sweep(self, stack: str) -> None:
        """A sweep of the deployed functions (`run`): a version per memory size behind an
        alias, invoked in parallel, then every version and alias deleted. The evaluation
        stack's functions only, by the names CloudFormation gives them (`<stack>-...`);
        versions and aliases are their qualified ARNs (`<function>:<qualifier>`), which
        `<stack>-*:*` matches and a function's own ARN does not: DeleteFunction reaches
        versions only, never a function itself."""
        functions = f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{stack}-*"
        self.deployer.add_to_policy(
            iam.PolicyStatement(
                sid="SweepPublishVersionsAndAliases",
                actions=list(SWEEP_FUNCTION_ACTIONS),
                resources=[cdk.Fn.sub(functions)],
            )
        )
        self.deployer.add_to_policy(
            iam.PolicyStatement(
                sid="SweepInvokeAndDeleteVersions",
                actions=list(SWEEP_VERSION_ACTIONS),
                resources=[cdk.Fn.sub(f"{functions}:*")],
            )
        )
        where = "arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>"
        for resource in (f"{where}:function:{stack}-*", f"{where}:function:{stack}-*:*"):
            acknowledge(
                self.deployer,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                "A sweep reaches the evaluation stack's functions, and their versions and aliases, by the "
                "names CloudFormation gives them; those of no other stack.",
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
