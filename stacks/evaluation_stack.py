"""The evaluation: the data bucket, both layers, the three functions, the dashboard;
and where asked, a variant of each for a second architecture, an S3 Express One Zone
directory bucket beside the data bucket, and private subnets for the functions.

Layers and functions share this one stack on purpose. A layer in another stack
reaches its functions through an export, and CloudFormation refuses to change an
export that is in use, so a new layer version would fail to deploy; here the
functions refer to the layer versions directly and update with them in one deploy.
"""

from collections.abc import Callable, Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3express as s3express
from constructs import Construct

from bundling.build import Builder
from contracts.bundles import MODELS, Architecture
from contracts.stack import (
    ARCHITECTURES_OUTPUT,
    CODE_SOURCE_OUTPUT,
    DATA_BUCKET_OUTPUT,
    EXPRESS_BUCKET_OUTPUT,
    alias_output,
    express_bucket_name,
    function_output,
    variant_function_name,
    variant_id,
)
from stacks.bundle_assets import bundle_code
from stacks.dashboard import EvaluationDashboard
from stacks.evaluation_function import EvaluationFunction
from stacks.nag import acknowledge
from stacks.private_bucket import directory_bucket, private_bucket
from stacks.private_network import PrivateNetwork
from stacks.settings import AppSettings


class EvaluationStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AppSettings,
        builders: Mapping[Architecture, Builder],
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
        self.express_bucket = self._express_bucket(settings, removal_policy)
        self.network = (
            PrivateNetwork(
                self,
                "Network",
                data_bucket=self.data_bucket,
                express_bucket=self.express_bucket,
                zone=settings.data_bucket_zone,
            )
            if settings.vpc
            else None
        )
        runtime = lambda_.Runtime(settings.runtime, lambda_.RuntimeFamily.PYTHON)
        #: Each function by model, and by architecture when two variants are deployed.
        self.functions: dict[tuple[str, Architecture | None], EvaluationFunction] = {}
        for architecture in settings.deployed_architectures:
            variant = architecture if len(settings.deployed_architectures) > 1 else None
            self._variant(settings, variant, architecture, builders[architecture], runtime, removal_policy)
        EvaluationDashboard(
            self,
            "Dashboard",
            functions={
                model if variant is None else f"{model}-{variant}": evaluated.function
                for (model, variant), evaluated in self.functions.items()
            },
        )

        self._outputs(settings)

    def _variant(
        self,
        settings: AppSettings,
        variant: Architecture | None,
        architecture: Architecture,
        builder: Builder,
        runtime: lambda_.Runtime,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        """Both layers and the three functions for one architecture; `variant` names them
        apart when there are two."""
        code = self._code_source(settings, builder)
        lambda_architecture = (
            lambda_.Architecture.ARM_64 if architecture == "arm64" else lambda_.Architecture.X86_64
        )
        layers = self._layers(code, runtime, lambda_architecture, removal_policy, variant)
        for model in MODELS:
            self.functions[model, variant] = EvaluationFunction(
                self,
                variant_id(model, variant),
                model=model,
                code=code(model),
                layers=layers,
                runtime=runtime,
                architecture=lambda_architecture,
                data_bucket=self.data_bucket,
                settings=settings,
                removal_policy=removal_policy,
                function_name=None
                if variant is None
                else variant_function_name(self.stack_name, model, variant),
                express_bucket=self.express_bucket,
                network=self.network,
            )

    def _express_bucket(
        self, settings: AppSettings, removal_policy: cdk.RemovalPolicy
    ) -> s3express.CfnDirectoryBucket | None:
        """The directory bucket (dataBucket=express), named after the stack and the account."""
        zone = settings.data_bucket_zone
        if not settings.express or zone is None:
            return None
        name = cdk.Fn.sub(express_bucket_name(self.stack_name, "${AWS::AccountId}", zone))
        return directory_bucket(self, "ExpressData", name, zone, removal_policy)

    def _layers(
        self,
        code: Callable[[str], lambda_.Code],
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        removal_policy: cdk.RemovalPolicy,
        variant: Architecture | None,
    ) -> list[lambda_.ILayerVersion]:
        """Both layers, built for the functions' runtime and architecture."""
        return [
            lambda_.LayerVersion(
                self,
                f"{variant_id(name, variant)}Layer",
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
        for (model, variant), evaluated in self.functions.items():
            cdk.CfnOutput(self, function_output(model, variant), value=evaluated.function.function_name)
            cdk.CfnOutput(self, alias_output(model, variant), value=evaluated.alias.alias_name)
        if len(settings.deployed_architectures) > 1:
            cdk.CfnOutput(self, ARCHITECTURES_OUTPUT, value=",".join(settings.deployed_architectures))
        if self.express_bucket is not None:
            cdk.CfnOutput(self, EXPRESS_BUCKET_OUTPUT, value=self.express_bucket.ref)

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
