"""One evaluated function: its role, log group, code, both layers, and `live` alias.

The three functions are built by this one construct, so that they can only differ
in their code: same runtime, architecture, memory, timeout, layers and environment.
"""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contracts.function import (
    ALIAS,
    DEPLOYED_LOG_FORMAT,
    FUNCTION_ENVIRONMENT,
    HANDLER,
    REQUESTS_IN_FLIGHT_VARIABLE,
)
from contracts.lambda_limits import LOG_RETENTION_PERIODS
from stacks.nag import acknowledge, arn_of
from stacks.settings import AppSettings


class EvaluationFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: str,
        code: lambda_.Code,
        layers: list[lambda_.ILayerVersion],
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        data_bucket: s3.IBucket,
        settings: AppSettings,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=retention_days(settings.log_retention_days),
            removal_policy=removal_policy,
        )
        self.role = self._role(model, data_bucket)
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"concurrency-eval: the {model} model",
            # The layers' own runtime and architecture: the stack builds both once.
            runtime=runtime,
            architecture=architecture,
            handler=HANDLER,
            code=code,
            layers=layers,
            memory_size=settings.memory_mb,
            timeout=cdk.Duration.seconds(settings.timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat(DEPLOYED_LOG_FORMAT),
            reserved_concurrent_executions=settings.reserved_concurrency,
            environment=_environment(settings),
        )
        self.alias = self.function.add_alias(
            ALIAS, provisioned_concurrent_executions=settings.provisioned_concurrency
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "The runtime is the `runtime` setting (python3.13 by default): the evaluation pins it so that "
            "results are comparable and the shipped bytecode matches it.",
        )

    def _role(self, model: str, data_bucket: s3.IBucket) -> iam.Role:
        """A role of its own instead of AWSLambdaBasicExecutionRole: write to this log
        group and read the data bucket, nothing else."""
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"The {model} evaluation function: read the data bucket, write its logs",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                # The log group's ARN ends in ":*", which covers its log streams.
                resources=[self.log_group.log_group_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(sid="ListData", actions=["s3:ListBucket"], resources=[data_bucket.bucket_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadData", actions=["s3:GetObject"], resources=[data_bucket.arn_for_objects("*")]
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{arn_of(data_bucket)}/*]",
            "The workload reads every object under the event's prefix, any prefix of the bucket.",
        )
        return role


def retention_days(days: int) -> logs.RetentionDays:
    return getattr(logs.RetentionDays, LOG_RETENTION_PERIODS[days])  # type: ignore[no-any-return]


def _environment(settings: AppSettings) -> dict[str, str]:
    """The functions' variables: the fixed ones, and requestsInFlight where it is set
    (unset, the template stays as it was)."""
    environment = dict(FUNCTION_ENVIRONMENT)
    if settings.requests_in_flight is not None:
        environment[REQUESTS_IN_FLIGHT_VARIABLE] = str(settings.requests_in_flight)
    return environment
