"""A moto server on loopback that stands in for the cloud, with Luxembourg's lu-central-1.

Fixtures: `moto_endpoint` (one server per test session), `fresh_cloud` (reset state per test).
Helpers: `register_luxembourg_region()`, `seed_estate(endpoint)`.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any, Iterator

import boto3
import pytest

from luxguard.sandbox.local_cloud import SANDBOX_ENV, UNSET_ENV, register_luxembourg_region

LU, EU, US = "lu-central-1", "eu-west-1", "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name in UNSET_ENV:
            patch.delenv(name, raising=False)
        for name, value in SANDBOX_ENV.items():
            patch.setenv(name, value)
        register_luxembourg_region()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        assert host == "127.0.0.1"
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def fresh_cloud(moto_endpoint: str) -> str:
    reset(moto_endpoint)
    return moto_endpoint


def client(endpoint: str, service: str, region: str = LU) -> Any:
    if service == "s3control":  # needs the account-prefix fix the scanner's factory applies
        from scanners.clients import ClientFactory

        return ClientFactory(boto3.Session(region_name=region), endpoint).client(service, region)
    return boto3.client(service, region_name=region, endpoint_url=endpoint)


# ---------------------------------------------------------------------------- the estate

def _bucket(s3: Any, name: str, region: str, **extra: Any) -> None:
    if region == US:
        s3.create_bucket(Bucket=name, **extra)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}, **extra)


def _kms_sse(key_arn: str) -> dict:
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                              "KMSMasterKeyID": key_arn},
                       "BucketKeyEnabled": True}]}


ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True,
               "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def tls_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
    ]})


def public_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def _seed_keys(endpoint: str, ids: dict[str, str]) -> dict[str, str]:
    """Returns key ARNs by label."""
    arns = {}
    for label, region, rotate in (("kms_lu_cmk", LU, True), ("kms_lu_no_rotation", LU, False),
                                  ("kms_eu_cmk", EU, True)):
        kms = client(endpoint, "kms", region)
        meta = kms.create_key(Description=label)["KeyMetadata"]
        if rotate:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        kms.create_alias(AliasName=f"alias/{label.replace('_', '-')}", TargetKeyId=meta["KeyId"])
        ids[label], arns[label] = meta["KeyId"], meta["Arn"]
    return arns


def _seed_buckets(endpoint: str, keys: dict[str, str]) -> None:
    lu, eu, us = (client(endpoint, "s3", r) for r in (LU, EU, US))
    _bucket(lu, "lux-access-logs", LU)
    lu.put_bucket_encryption(Bucket="lux-access-logs", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    lu.put_bucket_tagging(Bucket="lux-access-logs", Tagging={"TagSet": [{"Key": "luxguard:role", "Value": "access-logs"}]})
    lu.put_bucket_acl(Bucket="lux-access-logs", ACL="log-delivery-write")

    name = "lux-compliant"
    _bucket(lu, name, LU)
    lu.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=_kms_sse(keys["kms_lu_cmk"]))
    lu.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_BLOCKED)
    lu.put_bucket_policy(Bucket=name, Policy=tls_policy(name))
    lu.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    lu.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "lux-access-logs", "TargetPrefix": f"{name}/"}})
    lu.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
        {"ID": "shorter", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 90}},
        {"ID": "disabled", "Status": "Disabled", "Filter": {"Prefix": "x/"}, "Expiration": {"Days": 1}},
    ]})
    lu.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    lu.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "contact+billing"}]})

    _bucket(lu, "lux-accounting", LU, ObjectLockEnabledForBucket=True)
    lu.put_object_lock_configuration(Bucket="lux-accounting", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 10}}})
    lu.put_bucket_encryption(Bucket="lux-accounting", ServerSideEncryptionConfiguration=_kms_sse(keys["kms_lu_cmk"]))
    lu.put_public_access_block(Bucket="lux-accounting", PublicAccessBlockConfiguration=ALL_BLOCKED)
    lu.put_bucket_policy(Bucket="lux-accounting", Policy=tls_policy("lux-accounting"))
    lu.put_bucket_logging(Bucket="lux-accounting", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "lux-access-logs", "TargetPrefix": "lux-accounting/"}})
    lu.put_bucket_ownership_controls(Bucket="lux-accounting",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    lu.put_bucket_tagging(Bucket="lux-accounting", Tagging={"TagSet": [{"Key": "data-classification", "Value": "accounting"}]})

    _bucket(eu, "euw-unencrypted", EU)
    _bucket(lu, "lux-public-policy", LU)
    lu.put_bucket_policy(Bucket="lux-public-policy", Policy=public_policy("lux-public-policy"))
    _bucket(lu, "lux-public-acl", LU)
    lu.put_bucket_acl(Bucket="lux-public-acl", ACL="public-read")

    _bucket(eu, "euw-replica", EU)
    eu.put_bucket_versioning(Bucket="euw-replica", VersioningConfiguration={"Status": "Enabled"})
    _bucket(lu, "lux-replicated", LU)
    lu.put_bucket_versioning(Bucket="lux-replicated", VersioningConfiguration={"Status": "Enabled"})
    lu.put_bucket_replication(Bucket="lux-replicated", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{ACCOUNT}:role/replication", "Rules": [
            {"ID": "to-ireland", "Priority": 1, "Filter": {}, "Status": "Enabled",
             "DeleteMarkerReplication": {"Status": "Disabled"},
             "Destination": {"Bucket": "arn:aws:s3:::euw-replica"}},
            {"ID": "to-partner", "Priority": 2, "Filter": {"Prefix": "p/"}, "Status": "Enabled",
             "DeleteMarkerReplication": {"Status": "Disabled"},
             "Destination": {"Bucket": "arn:aws:s3:::partner-bucket-elsewhere"}},
        ]})

    _bucket(lu, "lux-foreign-key", LU)
    lu.put_bucket_encryption(Bucket="lux-foreign-key", ServerSideEncryptionConfiguration=_kms_sse(keys["kms_eu_cmk"]))
    _bucket(us, "us-legacy", US)
    us.put_bucket_encryption(Bucket="us-legacy", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    _bucket(lu, "lux-trail-logs", LU)
    _bucket(eu, "euw-trail-logs", EU)


def _seed_ec2(endpoint: str, keys: dict[str, str], ids: dict[str, str]) -> None:
    ec2 = client(endpoint, "ec2", LU)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    ids["sg_open_admin"] = ec2.create_security_group(GroupName="open-admin", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ids["sg_open_admin"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}]},
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ])
    ids["sg_app_tier"] = ec2.create_security_group(GroupName="app-tier", Description="x", VpcId=vpc)["GroupId"]
    ids["sg_web_ok"] = ec2.create_security_group(
        GroupName="web-ok", Description="x", VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Team", "Value": "web"}]}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ids["sg_web_ok"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "internal https"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": ids["sg_app_tier"]}]},
    ])
    ids["vol_encrypted"] = ec2.create_volume(
        AvailabilityZone=f"{LU}a", Size=1, Encrypted=True, KmsKeyId=keys["kms_lu_cmk"],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "db-data"},
                                                               {"Key": "data-classification", "Value": "billing"}]}])["VolumeId"]
    ids["vol_plain"] = ec2.create_volume(AvailabilityZone=f"{LU}a", Size=1)["VolumeId"]
    ids["snap_public"] = ec2.create_snapshot(VolumeId=ids["vol_plain"])["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=ids["snap_public"], Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    ids["snap_private"] = ec2.create_snapshot(VolumeId=ids["vol_encrypted"], TagSpecifications=[
        {"ResourceType": "snapshot", "Tags": [{"Key": "data-classification", "Value": "billing"}]}])["SnapshotId"]
    _seed_image(ec2, ids)
    _seed_launch_and_network(ec2, keys, ids)
    ec2.enable_ebs_encryption_by_default()
    ireland = client(endpoint, "ec2", EU)
    ids["vol_eu"] = ireland.create_volume(AvailabilityZone=f"{EU}a", Size=1)["VolumeId"]
    # An instance in Ireland (the local cloud runs none in Luxembourg), its root volume under the Irish CMK
    # (of an Amazon image: one of the account's own would be one more AMI and snapshot in the estate)
    image = ireland.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
    ids["instance_eu"] = ireland.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "Encrypted": True, "KmsKeyId": keys["kms_eu_cmk"]}}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "lux-worker"}]}],
    )["Instances"][0]["InstanceId"]


def _seed_image(ec2: Any, ids: dict[str, str]) -> None:
    """A public AMI (moto backs every image with its own unencrypted snapshot, listed with the rest)."""
    ids["ami_public"] = ec2.register_image(Name="lux-app-image", RootDeviceName="/dev/xvda",
                                           VirtualizationType="hvm")["ImageId"]
    ec2.create_tags(Resources=[ids["ami_public"]], Tags=[{"Key": "data-classification", "Value": "billing"}])
    ec2.modify_image_attribute(ImageId=ids["ami_public"], LaunchPermission={"Add": [{"Group": "all"}]})
    (answer,) = ec2.describe_images(ImageIds=[ids["ami_public"]])["Images"]
    ids["snap_of_ami"] = answer["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]


def _seed_launch_and_network(ec2: Any, keys: dict[str, str], ids: dict[str, str]) -> None:
    """A launch template under the Luxembourg CMK and a peering between two Luxembourg VPCs: compliant."""
    mesh = [ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"] for cidr in ("10.50.0.0/16", "10.60.0.0/16")]
    ids["peering_lu"] = ec2.create_vpc_peering_connection(VpcId=mesh[0], PeerVpcId=mesh[1], TagSpecifications=[
        {"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "Name", "Value": "lux-mesh"}]}],
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    hubs = [ec2.create_transit_gateway(Description=f"lux-hub-{n}")["TransitGateway"]["TransitGatewayId"] for n in (1, 2)]
    ids["transit_lu"] = ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=hubs[0], PeerTransitGatewayId=hubs[1], PeerRegion=LU, PeerAccountId=ACCOUNT,
        TagSpecifications=[{"ResourceType": "transit-gateway-attachment", "Tags": [{"Key": "Name", "Value": "lux-hub"}]}],
    )["TransitGatewayPeeringAttachment"]["TransitGatewayAttachmentId"]
    ids["template_lu"] = ec2.create_launch_template(
        LaunchTemplateName="lux-web", LaunchTemplateData={"BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "Encrypted": True, "KmsKeyId": keys["kms_lu_cmk"]}}]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "data-classification", "Value": "contact"}]}],
    )["LaunchTemplate"]["LaunchTemplateId"]


def _seed_databases(endpoint: str, keys: dict[str, str]) -> None:
    rds = client(endpoint, "rds", LU)
    common = {"DBInstanceClass": "db.t3.micro", "MasterUsername": "admin",
              "MasterUserPassword": "not-a-secret-1", "AllocatedStorage": 20}
    rds.create_db_instance(DBInstanceIdentifier="lux-db-ok", Engine="postgres", StorageEncrypted=True,
                           KmsKeyId=keys["kms_lu_cmk"], PubliclyAccessible=False,
                           Tags=[{"Key": "data-classification", "Value": "billing"}], **common)
    rds.create_db_instance(DBInstanceIdentifier="lux-db-public", Engine="mysql", StorageEncrypted=False,
                           PubliclyAccessible=True, **common)
    classified = [{"Key": "data-classification", "Value": "contact"}]
    rds.create_db_cluster(DBClusterIdentifier="lux-crm", Engine="aurora-postgresql", StorageEncrypted=True,
                          KmsKeyId=keys["kms_lu_cmk"], MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                          Tags=classified)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="lux-crm", DBClusterSnapshotIdentifier="lux-crm-weekly",
                                   Tags=classified)
    client(endpoint, "redshift", LU).create_cluster(
        ClusterIdentifier="lux-warehouse", NodeType="dc2.large", MasterUsername="admin",
        MasterUserPassword="Not-a-secret-1", Encrypted=True, KmsKeyId=keys["kms_lu_cmk"], PubliclyAccessible=False,
        Tags=[{"Key": "data-classification", "Value": "billing"}])
    client(endpoint, "opensearch", LU).create_domain(
        DomainName="lux-search", EncryptionAtRestOptions={"Enabled": True, "KmsKeyId": keys["kms_lu_cmk"]},
        NodeToNodeEncryptionOptions={"Enabled": True}, DomainEndpointOptions={"EnforceHTTPS": True},
        TagList=[{"Key": "data-classification", "Value": "contact"}])
    client(endpoint, "elasticache", LU).create_replication_group(
        ReplicationGroupId="lux-cache", ReplicationGroupDescription="sessions cache", Engine="redis",
        CacheNodeType="cache.t3.micro", AtRestEncryptionEnabled=True, KmsKeyId=keys["kms_lu_cmk"],
        TransitEncryptionEnabled=True, Tags=[{"Key": "data-classification", "Value": "contact"}])
    ddb = client(endpoint, "dynamodb", LU)
    table = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    ddb.create_table(TableName="lux-orders", SSESpecification={
        "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys["kms_lu_cmk"]},
        Tags=[{"Key": "data-classification", "Value": "billing"}], **table)
    ddb.create_table(TableName="lux-sessions", **table)


def _seed_trails(endpoint: str) -> None:
    lu = client(endpoint, "cloudtrail", LU)
    lu.create_trail(Name="lux-trail", S3BucketName="lux-trail-logs", IsMultiRegionTrail=True,
                    EnableLogFileValidation=True)
    lu.start_logging(Name="lux-trail")
    lu.create_trail(Name="lux-trail-single", S3BucketName="euw-trail-logs")


def _seed_stores(endpoint: str, keys: dict[str, str]) -> None:
    """A compliant and a violating queue, topic, log group, secret, parameter, stream, delivery stream and
    file system."""
    cmk, tags = keys["kms_lu_cmk"], [{"Key": "data-classification", "Value": "contact"}]
    sqs = client(endpoint, "sqs")
    sqs.create_queue(QueueName="lux-orders-queue", Attributes={"KmsMasterKeyId": cmk},
                     tags={"data-classification": "contact"})
    sqs.create_queue(QueueName="lux-plain-queue")
    sns = client(endpoint, "sns")
    sns.create_topic(Name="lux-order-events", Attributes={"KmsMasterKeyId": cmk}, Tags=tags)
    sns.create_topic(Name="lux-plain-topic", Tags=tags)
    logs = client(endpoint, "logs")
    logs.create_log_group(logGroupName="/lux/app", kmsKeyId=cmk, tags={"data-classification": "technical"})
    logs.put_retention_policy(logGroupName="/lux/app", retentionInDays=90)
    logs.create_log_group(logGroupName="/lux/forever", kmsKeyId=cmk, tags={"data-classification": "technical"})
    secrets = client(endpoint, "secretsmanager")
    secrets.create_secret(Name="lux-api-credentials", SecretString="x", KmsKeyId=cmk, Tags=tags)
    secrets.create_secret(Name="lux-default-key-secret", SecretString="x", Tags=tags)
    ssm = client(endpoint, "ssm")
    ssm.put_parameter(Name="/lux/export-token", Value="x", Type="SecureString", KeyId=cmk, Tags=tags)
    ssm.put_parameter(Name="/lux/plain-token", Value="x", Type="String", Tags=tags)
    kinesis = client(endpoint, "kinesis")
    for name in ("lux-clickstream", "lux-plain-stream"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
        kinesis.add_tags_to_stream(StreamName=name, Tags={"data-classification": "technical"})
    kinesis.start_stream_encryption(StreamName="lux-clickstream", EncryptionType="KMS", KeyId=cmk)
    create_delivery_stream(endpoint, "lux-clickstream-archive", "lux-compliant", tags={"data-classification": "technical"})
    client(endpoint, "firehose").start_delivery_stream_encryption(
        DeliveryStreamName="lux-clickstream-archive",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": cmk})
    create_delivery_stream(endpoint, "lux-partner-feed", "lux-compliant", url="https://ingest.partner-analytics.example/v1",
                           tags={"data-classification": "technical"})
    efs = client(endpoint, "efs")
    home = efs.create_file_system(CreationToken="lux-home", Encrypted=True, KmsKeyId=cmk, Tags=tags)["FileSystemId"]
    efs.put_file_system_policy(FileSystemId=home, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Mount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}))
    efs.create_file_system(CreationToken="lux-plain-share", Encrypted=False, Tags=tags)


def _seed_identities(endpoint: str, keys: dict[str, str]) -> None:
    """A user, a group and a function's execution role that read no personal data, and the
    function (environment under the Luxembourg CMK): the identity and compute types, compliant."""
    from luxguard.resources.lambda_function import deployment_package

    iam = client(endpoint, "iam", "us-east-1")
    iam.create_user(UserName="lux-deployer", Tags=[{"Key": "team", "Value": "platform"}])
    iam.create_group(GroupName="lux-operators")
    role = iam.create_role(RoleName="lux-fn-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    iam.put_role_policy(RoleName="lux-fn-role", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                                "Resource": "*"}]}))
    client(endpoint, "lambda", LU).create_function(
        FunctionName="lux-fn", Runtime="python3.12", Handler="index.handler", Role=role["Role"]["Arn"],
        Code={"ZipFile": deployment_package()}, KMSKeyArn=keys["kms_lu_cmk"], Environment={"Variables": {"STAGE": "prod"}},
        Tags={"data-classification": "contact"})


def _seed_repository(endpoint: str, keys: dict[str, str]) -> None:
    """An image repository under the Luxembourg CMK, classified, with no policy: compliant."""
    client(endpoint, "ecr", LU).create_repository(
        repositoryName="lux-images", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": keys["kms_lu_cmk"]},
        tags=[{"Key": "data-classification", "Value": "contact"}])


def _seed_backup(endpoint: str, keys: dict[str, str]) -> None:
    """A backup vault under the Luxembourg CMK and a daily plan copying into a second Luxembourg
    vault: compliant."""
    backup = client(endpoint, "backup", LU)
    for name in ("lux-backups", "lux-backups-copy"):
        backup.create_backup_vault(BackupVaultName=name, EncryptionKeyArn=keys["kms_lu_cmk"],
                                   BackupVaultTags={"data-classification": "contact"})
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "lux-daily", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "lux-backups",
        "CopyActions": [{"DestinationBackupVaultArn": f"arn:aws:backup:{LU}:{ACCOUNT}:backup-vault:lux-backups-copy"}]}]},
        BackupPlanTags={"data-classification": "contact"})


def create_distribution(endpoint: str, domain: str, viewer: str = "https-only", tags: dict | None = None) -> str:
    """A CloudFront distribution in front of `domain` (an S3 host name is an S3 origin, any other a
    website over HTTPS); its id."""
    origin: dict[str, Any] = {"Id": "origin", "DomainName": domain}
    if ".s3." in domain:
        origin["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    else:
        origin["CustomOriginConfig"] = {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}
    config = {"CallerReference": domain + viewer, "Comment": domain, "Enabled": True, "PriceClass": "PriceClass_100",
              "Origins": {"Quantity": 1, "Items": [origin]},
              "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": viewer, "MinTTL": 0,
                                       "TrustedSigners": {"Enabled": False, "Quantity": 0},
                                       "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}}}
    items = [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]
    return client(endpoint, "cloudfront", "us-east-1").create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config, "Tags": {"Items": items}})["Distribution"]["Id"]


def create_delivery_stream(endpoint: str, name: str, bucket: str, region: str = "lu-central-1",
                           url: str | None = None, tags: dict | None = None) -> str:
    """A Firehose stream into `bucket` (or to `url`, the bucket as its backup), unencrypted; its ARN."""
    role = f"arn:aws:iam::{ACCOUNT}:role/firehose"
    s3 = {"RoleARN": role, "BucketARN": f"arn:aws:s3:::{bucket}"}
    destination = {"HttpEndpointDestinationConfiguration": {"EndpointConfiguration": {"Url": url, "Name": "partner"},
                                                            "RoleARN": role, "S3Configuration": s3}} if url else \
        {"ExtendedS3DestinationConfiguration": s3}
    listed = {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]} if tags else {}
    return client(endpoint, "firehose", region).create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut", **destination, **listed)["DeliveryStreamARN"]


def seed_estate(endpoint: str) -> dict[str, Any]:
    """Create a mixed estate; returns {'ids': label -> id, 'compliant': [ids],
    'violating': violation -> [ids]} (ids are bucket names, key ids, sg-/vol-/snap- ids...)."""
    ids: dict[str, str] = {}
    keys = _seed_keys(endpoint, ids)
    _seed_buckets(endpoint, keys)
    _seed_ec2(endpoint, keys, ids)
    _seed_databases(endpoint, keys)
    _seed_trails(endpoint)
    _seed_stores(endpoint, keys)
    _seed_identities(endpoint, keys)
    _seed_repository(endpoint, keys)
    _seed_backup(endpoint, keys)
    client(endpoint, "eks").create_cluster(
        name="lux-platform", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks", tags={"Team": "platform"},
        resourcesVpcConfig={"subnetIds": [], "endpointPublicAccess": False, "endpointPrivateAccess": True},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": keys["kms_lu_cmk"]}}])
    client(endpoint, "glacier").create_vault(accountId="-", vaultName="lux-archive-vault")
    client(endpoint, "ecs").create_cluster(clusterName="lux-apps", tags=[{"key": "Team", "value": "platform"}], configuration={
        "managedStorageConfiguration": {"fargateEphemeralStorageKmsKeyId": keys["kms_lu_cmk"]}})
    ids["cdn_site"] = create_distribution(endpoint, "www.luxcloud.example", tags={"Name": "lux-site"})
    client(endpoint, "s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    return {
        "ids": ids,
        "compliant": ["lux-compliant", "lux-accounting", ids["kms_lu_cmk"], ids["sg_web_ok"],
                      ids["vol_encrypted"], ids["snap_private"], LU, "lux-db-ok", "lux-orders", "lux-trail",
                      "lux-orders-queue", "lux-order-events", "/lux/app", "lux-api-credentials", "/lux/export-token",
                      "lux-clickstream", "lux-clickstream-archive", "lux-deployer", "lux-operators", "lux-fn-role", "lux-fn", "lux-backups",
                      "lux-daily", "lux-crm", "lux-crm-weekly", "lux-warehouse", "lux-search",
                      "lux-cache", ids["peering_lu"], ids["transit_lu"], ids["template_lu"],
                      ids["cdn_site"], "lux-platform", "lux-apps", "lux-archive-vault"],
        "violating": {
            "bucket_outside_lu": ["euw-replica", "euw-trail-logs", "euw-unencrypted", "us-legacy"],
            "instance_outside_lu": [ids["instance_eu"]],
            "delivery_stream_abroad": ["lux-partner-feed"],
            "bucket_without_cmk": ["euw-replica", "euw-trail-logs", "euw-unencrypted", "lux-public-acl",
                                   "lux-public-policy", "lux-replicated", "lux-trail-logs", "us-legacy"],
            "bucket_public_policy": ["lux-public-policy"],
            "bucket_public_acl": ["lux-public-acl"],
            "bucket_replicates_abroad": ["lux-replicated"],
            "bucket_key_outside_lu": ["lux-foreign-key", "us-legacy"],
            "kms_rotation_off": [ids["kms_lu_no_rotation"]],
            "kms_key_outside_lu": [ids["kms_eu_cmk"]],
            "sg_open_admin": [ids["sg_open_admin"]],
            "volume_unencrypted": [ids["vol_eu"], ids["vol_plain"]],
            "snapshot_public": [ids["snap_public"]],
            "image_public": [ids["ami_public"]],
            "image_unencrypted": [ids["ami_public"]],
            "rds_public": ["lux-db-public"],
            "rds_unencrypted": ["lux-db-public"],
            "dynamodb_default_sse": ["lux-sessions"],
            "trail_single_region": ["lux-trail-single"],
            "trail_bucket_outside_lu": ["lux-trail-single"],
            "trail_not_logging": ["lux-trail-single"],
            "queue_without_cmk": ["lux-plain-queue"],
            "topic_without_cmk": ["lux-plain-topic"],
            "log_group_kept_forever": ["/lux/forever"],
            "secret_with_aws_key": ["lux-default-key-secret"],
            "parameter_in_plain_text": ["/lux/plain-token"],
            "stream_unencrypted": ["lux-plain-stream"],
        },
    }
