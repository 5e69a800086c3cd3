"""A web server in the default VPC: AMI, zones, VPC and subnets all come from data sources."""
import pulumi
import pulumi_aws as aws

caller = aws.get_caller_identity()
region = aws.get_region()
zones = aws.get_availability_zones(state="available")
vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
ami = aws.ec2.get_ami(
    most_recent=True,
    owners=["amazon"],
    filters=[{"name": "name", "values": ["al2023-ami-*-x86_64"]}],
)

group = aws.ec2.SecurityGroup(
    "web-sg",
    name="web-sg",
    description="Enable HTTPS access",
    vpc_id=vpc.id,
    ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.0.0.0/8"]}],
    tags={"data-classification": "technical"},
)

server = aws.ec2.Instance(
    "web-server",
    instance_type="t3.micro",
    ami=ami.id,
    subnet_id=subnets.ids[0],
    availability_zone=zones.names[0],
    vpc_security_group_ids=[group.id],
)

pulumi.export("account", caller.account_id)
pulumi.export("region", region.name)
pulumi.export("publicIp", server.public_ip)
pulumi.export("publicDns", server.public_dns)
