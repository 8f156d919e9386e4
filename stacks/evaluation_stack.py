"""The evaluation: the data bucket, both layers, the three functions, the dashboard.

Layers and functions share this one stack on purpose. A layer in another stack
reaches its functions through an export, and CloudFormation refuses to change an
export that is in use, so a new layer version would fail to deploy; here the
functions refer to the layer versions directly and update with them in one deploy.
"""

from collections.abc import Callable

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from concurrency_eval.build import FUNCTIONS, Builder
from stacks.bundling import bundle_code
from stacks.config import AppConfig
from stacks.dashboard import EvaluationDashboard
from stacks.evaluation_function import EvaluationFunction
from stacks.nag import acknowledge
from stacks.private_bucket import private_bucket


class EvaluationStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        builder: Builder,
        env: cdk.Environment | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="concurrency-eval: three concurrency models, one workload",
            env=env,
        )
        removal_policy = (
            cdk.RemovalPolicy.DESTROY if config.removal_policy == "destroy" else cdk.RemovalPolicy.RETAIN
        )
        destroy = removal_policy == cdk.RemovalPolicy.DESTROY
        # CloudFormation deletes only empty buckets: a seeded one is emptied on delete.
        self.data_bucket = private_bucket(self, "Data", removal_policy, auto_delete_objects=destroy)
        acknowledge(
            self.data_bucket,
            "AwsSolutions-S1",
            "Holds generated benchmark data; access logs would record every benchmark GET and add cost.",
        )
        if destroy:
            self._acknowledge_auto_delete()
        code = self._code_source(config, builder)
        runtime = lambda_.Runtime(config.runtime, lambda_.RuntimeFamily.PYTHON)
        architecture = (
            lambda_.Architecture.ARM_64 if config.architecture == "arm64" else lambda_.Architecture.X86_64
        )
        layers: list[lambda_.ILayerVersion] = [
            lambda_.LayerVersion(
                self,
                f"{name.capitalize()}Layer",
                code=code(name),
                compatible_runtimes=[runtime],
                compatible_architectures=[architecture],
                description=description,
                removal_policy=removal_policy,
            )
            for name, description in (
                ("pypi", "concurrency-eval: boto3, aiobotocore, Powertools (from uv.lock)"),
                ("framework", "concurrency-eval: the s3fanout framework"),
            )
        ]
        self.functions: dict[str, EvaluationFunction] = {
            model: EvaluationFunction(
                self,
                model.capitalize(),
                model=model,
                code=code(model),
                layers=layers,
                runtime=runtime,
                architecture=architecture,
                data_bucket=self.data_bucket,
                config=config,
                removal_policy=removal_policy,
            )
            for model in FUNCTIONS
        }
        EvaluationDashboard(self, "Dashboard", functions={m: f.function for m, f in self.functions.items()})

        cdk.CfnOutput(self, "DataBucketName", value=self.data_bucket.bucket_name)
        cdk.CfnOutput(self, "CodeSource", value="published" if config.published else "local assets")
        for model, evaluated in self.functions.items():
            cdk.CfnOutput(self, f"{model.capitalize()}FunctionName", value=evaluated.function.function_name)
            cdk.CfnOutput(self, f"{model.capitalize()}AliasName", value=evaluated.alias.alias_name)

    def _acknowledge_auto_delete(self) -> None:
        """The provider CDK adds to empty the bucket on delete is CDK's own, not ours to shape."""
        provider = self.node.try_find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
        if provider is None:
            return
        reason = "CDK's own S3 auto-delete provider (removalPolicy=destroy); its role and runtime are CDK's."
        for rule in ("AwsSolutions-IAM4", "AwsSolutions-L1"):
            acknowledge(provider, rule, reason)

    def _code_source(self, config: AppConfig, builder: Builder) -> Callable[[str], lambda_.Code]:
        """Local bundles as assets by default; published zips pinned by version if given."""
        published = config.published
        if published is None:
            return lambda name: bundle_code(builder, name)
        bucket = s3.Bucket.from_bucket_name(self, "ArtifactBucket", published.bucket)
        return lambda name: lambda_.Code.from_bucket_v2(
            bucket, published.objects[name].key, object_version=published.objects[name].version
        )
