"""Private connectivity (`vpc=true`): the functions in isolated subnets whose only way
out is S3's gateway endpoints. No NAT gateway, no internet gateway, nothing inbound.

A gateway endpoint costs nothing and carries S3 traffic inside AWS's network; the
`s3express` one reaches S3 Express One Zone's Regional and Zonal endpoints alike
(Amazon S3 User Guide, "Networking for directory buckets in an Availability Zone").
With a directory bucket the subnet is placed in the bucket's zone (by its AZ ID), so
that every environment reads it from the same zone, as S3 Express One Zone is meant to
be used; otherwise the subnets span two zones.
"""

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3express as s3express
from constructs import Construct

from stacks.nag import acknowledge

HTTPS = 443


class PrivateNetwork(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_bucket: s3.IBucket,
        express_bucket: s3express.CfnDirectoryBucket | None,
        zone: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=1 if zone else 2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Functions", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ],
            # Nothing uses the default security group; CDK's flag would strip it with a
            # custom resource (a Lambda function of its own) that this stack does not need.
            restrict_default_security_group=False,
        )
        if zone:
            self._place_in_zone(zone)
        acknowledge(
            self.vpc,
            "AwsSolutions-VPC7",
            "Isolated subnets whose only traffic is the functions' HTTPS to S3 through gateway endpoints; "
            "an evaluation deployment records its requests in its results, not in flow logs.",
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self._endpoints(data_bucket, express_bucket)
        self.security_group = ec2.SecurityGroup(
            self,
            "Functions",
            vpc=self.vpc,
            description="The evaluation functions: HTTPS out to the S3 gateway endpoints, nothing in",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(HTTPS),
            "HTTPS to S3, through the gateway endpoints (the only route out of the subnets)",
        )

    def _place_in_zone(self, zone: str) -> None:
        """The one subnet in the directory bucket's zone, named by its AZ ID: a zone's
        name maps to a different zone in each account, its ID to the same one."""
        (subnet,) = self.vpc.isolated_subnets
        cfn_subnet = subnet.node.default_child
        assert isinstance(cfn_subnet, ec2.CfnSubnet)
        cfn_subnet.add_property_deletion_override("AvailabilityZone")
        cfn_subnet.add_property_override("AvailabilityZoneId", zone)

    def _endpoints(
        self, data_bucket: s3.IBucket, express_bucket: s3express.CfnDirectoryBucket | None
    ) -> None:
        """S3's gateway endpoints, each letting through only the reads of the data set."""
        s3_endpoint = self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="ReadDataSet",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject", "s3:ListBucket"],
                resources=[data_bucket.bucket_arn, data_bucket.arn_for_objects("*")],
            )
        )
        if express_bucket is None:
            return
        express_endpoint = self.vpc.add_gateway_endpoint(
            "S3Express", service=ec2.GatewayVpcEndpointAwsService.S3_EXPRESS
        )
        express_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="ReadExpressDataSet",
                principals=[iam.AnyPrincipal()],
                actions=["s3express:CreateSession"],
                resources=[express_bucket.attr_arn],
            )
        )
