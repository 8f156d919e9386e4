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

from bundling.build import Builder
from contracts.bundles import MODELS
from contracts.stack import CODE_SOURCE_OUTPUT, DATA_BUCKET_OUTPUT, alias_output, function_output
from stacks.bundle_assets import bundle_code
from stacks.dashboard import EvaluationDashboard
from stacks.evaluation_function import EvaluationFunction
from stacks.nag import acknowledge
from stacks.private_bucket import private_bucket
from stacks.settings import AppSettings


class EvaluationStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AppSettings,
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
            cdk.RemovalPolicy.DESTROY if settings.removal_policy == "destroy" else cdk.RemovalPolicy.RETAIN
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
        code = self._code_source(settings, builder)
        runtime = lambda_.Runtime(settings.runtime, lambda_.RuntimeFamily.PYTHON)
        architecture = (
            lambda_.Architecture.ARM_64 if settings.architecture == "arm64" else lambda_.Architecture.X86_64
        )
        layers = self._layers(code, runtime, architecture, removal_policy)
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
                settings=settings,
                removal_policy=removal_policy,
            )
            for model in MODELS
        }
        EvaluationDashboard(self, "Dashboard", functions={m: f.function for m, f in self.functions.items()})

        self._outputs(settings)

    def _layers(
        self,
        code: Callable[[str], lambda_.Code],
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        removal_policy: cdk.RemovalPolicy,
    ) -> list[lambda_.ILayerVersion]:
        """Both layers, built for the functions' runtime and architecture."""
        return [
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

    def _outputs(self, settings: AppSettings) -> None:
        """What the tool finds the deployment by (contracts.stack)."""
        cdk.CfnOutput(self, DATA_BUCKET_OUTPUT, value=self.data_bucket.bucket_name)
        cdk.CfnOutput(self, CODE_SOURCE_OUTPUT, value="published" if settings.published else "local assets")
        for model, evaluated in self.functions.items():
            cdk.CfnOutput(self, function_output(model), value=evaluated.function.function_name)
            cdk.CfnOutput(self, alias_output(model), value=evaluated.alias.alias_name)

    def _acknowledge_auto_delete(self) -> None:
        """The provider CDK adds to empty the bucket on delete is CDK's own, not ours to shape."""
        provider = self.node.try_find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
        if provider is None:
            return
        reason = "CDK's own S3 auto-delete provider (removalPolicy=destroy); its role and runtime are CDK's."
        for rule in ("AwsSolutions-IAM4", "AwsSolutions-L1"):
            acknowledge(provider, rule, reason)

    def _code_source(self, settings: AppSettings, builder: Builder) -> Callable[[str], lambda_.Code]:
        """Local bundles as assets by default; published zips pinned by version if given."""
        published = settings.published
        if published is None:
            return lambda name: bundle_code(builder, name)
        bucket = s3.Bucket.from_bucket_name(self, "ArtifactBucket", published.bucket)
        return lambda name: lambda_.Code.from_bucket_v2(
            bucket, published.objects[name].key, object_version=published.objects[name].version
        )
