"""The changes an operator makes by hand, outside Pulumi: what `luxguard demo` and
`luxguard sandbox` plant in the local cloud after provisioning the reference stack, so that
scan, drift and enforce have something real to find (LOCAL SANDBOX ONLY)."""

from __future__ import annotations

from typing import Any

from luxguard.sandbox.local_cloud import LU

ABROAD = "eu-west-1"
SHADOW_BUCKET = "luxcloud-local-shadow-export"
APP_IMAGE = "luxcloud-local-app-server-image"
SHADOW_FEED = "luxcloud-local-shadow-feed"


def stack_ids(provisioned: Any) -> dict[str, str]:
    """'<logical name>|<pulumi type>' -> cloud id of each custom resource the stack created."""
    return {res.name + "|" + res.type: res.id for res in provisioned.capture.resources if res.custom}


def break_things(endpoint: str, provisioned: Any) -> list[str]:
    """Remove a bucket's encryption, open SSH to the world, drop a log group's retention, copy
    contacts into a bucket in Ireland (and a delivery stream that feeds it), and make a public AMI
    of the app server; returns one sentence per change."""
    import boto3

    ids = stack_ids(provisioned)
    contacts = ids["customer-contacts|aws:s3/bucket:Bucket"]
    group = ids["app|aws:ec2/securityGroup:SecurityGroup"]
    log_group = ids["app-logs|aws:cloudwatch/logGroup:LogGroup"]
    s3 = boto3.client("s3", region_name=LU, endpoint_url=endpoint)
    s3.delete_bucket_encryption(Bucket=contacts)
    ec2 = boto3.client("ec2", region_name=LU, endpoint_url=endpoint)
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "temporary debugging"}]}])
    boto3.client("logs", region_name=LU, endpoint_url=endpoint).delete_retention_policy(logGroupName=log_group)
    abroad = boto3.client("s3", region_name=ABROAD, endpoint_url=endpoint)
    abroad.create_bucket(Bucket=SHADOW_BUCKET, CreateBucketConfiguration={"LocationConstraint": ABROAD})
    abroad.put_object(Bucket=SHADOW_BUCKET, Key="contacts-export.csv", Body=b"name,email\n")
    boto3.client("firehose", region_name=LU, endpoint_url=endpoint).create_delivery_stream(
        DeliveryStreamName=SHADOW_FEED, DeliveryStreamType="DirectPut",
        Tags=[{"Key": "data-classification", "Value": "contact"}],
        ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/shadow-export",
                                            "BucketARN": f"arn:aws:s3:::{SHADOW_BUCKET}"})
    image = ec2.register_image(Name=APP_IMAGE, RootDeviceName="/dev/xvda")["ImageId"]
    ec2.create_tags(Resources=[image], Tags=[{"Key": "data-classification", "Value": "contact"}])
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    return [
        f"deleted the default encryption of bucket {contacts}",
        f"opened SSH (tcp 22) to 0.0.0.0/0 on security group {group}",
        f"removed the retention of log group {log_group} (client IP addresses kept forever)",
        f"created bucket {SHADOW_BUCKET} in {ABROAD} (Ireland) and copied a contacts export into it",
        f"created delivery stream {SHADOW_FEED} in Luxembourg that copies every record it gets into {SHADOW_BUCKET}",
        f"made an AMI of the app server ({image}, {APP_IMAGE}) that any AWS account may launch",
    ]
