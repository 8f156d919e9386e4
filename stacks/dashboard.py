"""A CloudWatch dashboard comparing the three functions side by side."""

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

PERIOD = cdk.Duration.minutes(1)


class EvaluationDashboard(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, functions: dict[str, lambda_.IFunction]
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{cdk.Stack.of(self).stack_name}-comparison"
        )

        def per_function(title: str, metric: str, statistic: str, label: str = "") -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=title,
                width=8,
                left=[
                    fn.metric(metric, statistic=statistic, period=PERIOD, label=f"{model}{label}")
                    for model, fn in functions.items()
                ],
            )

        self.dashboard.add_widgets(
            per_function("Duration p50 (ms)", "Duration", "p50"),
            per_function("Duration p90 (ms)", "Duration", "p90"),
            per_function("Duration max (ms)", "Duration", "Maximum"),
        )
        self.dashboard.add_widgets(
            per_function("Concurrent executions", "ConcurrentExecutions", "Maximum"),
            per_function("Errors", "Errors", "Sum"),
            per_function("Throttles", "Throttles", "Sum"),
        )
