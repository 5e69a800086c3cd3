"""A VPC from the awsx multi-language component, and a security group in it."""
import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

vpc = awsx.ec2.Vpc("main", cidr_block="10.0.0.0/16",
                   nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=awsx.ec2.NatGatewayStrategy.SINGLE))

group = aws.ec2.SecurityGroup("db", name="db", vpc_id=vpc.vpc_id, description="database",
                              ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432,
                                        "cidr_blocks": ["0.0.0.0/0"]}],
                              egress=[])

pulumi.export("vpcId", vpc.vpc_id)
pulumi.export("privateSubnetIds", vpc.private_subnet_ids)
