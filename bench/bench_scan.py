"""What a live scan costs: luxguard's `scanners.collect` (and Cloud Custodian, if available)
against a seeded moto server on loopback.

Usage:
    .venv/bin/python bench/bench_scan.py [--sizes 100,1000] [--workers 8]
                                         [--c7n-python /tmp/c7n-venv/bin/python | --no-c7n]
    .venv/bin/python bench/bench_scan.py --setup-c7n     # creates /tmp/c7n-venv with `pip install c7n`

For each size N (buckets) the moto server is reset and seeded with N buckets (60% lu-central-1,
40% eu-west-1; a mix of SSE-S3/SSE-KMS/none, public access blocks, TLS-deny and public
policies, versioning, logging, lifecycle, public ACLs, tags), ~N/10 security groups, ~N/20
KMS keys, ~N/10 EBS volumes and ~N/20 AMIs (a third public, a third launchable by a foreign
account), with a thread pool. Then each tool scans lu-central-1 and
eu-west-1 in its OWN child process (so the scanner does not share the GIL with moto, and its
peak RSS is its own):

- luxguard: `collect(session, [lu-central-1, eu-west-1], endpoint, --workers)` in this venv;
  calls/requests are ScanResult.api_calls / http_requests (botocore before-call/before-send).
- c7n: `custodian run --dryrun -s OUT bench/c7n_policies.yaml --region lu-central-1
  --region eu-west-1` with AWS_ENDPOINT_URL pointing at moto, in a SEPARATE venv (c7n pins
  an older boto3; never install it into .venv). A small runner script patches
  botocore.session.Session.create_client to count before-call/before-send the same way.

Memory: peak RSS of the scanning child process (VmHWM from /proc/self/status, reset after the
tool's imports) and its growth over the RSS measured after those imports (Δ). Not ru_maxrss:
on Linux it survives exec, so a child would report this parent's peak (moto + the estate).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

LU, EU = "lu-central-1", "eu-west-1"
REGIONS = [LU, EU]
ACCOUNT = "123456789012"
POLICIES = BENCH / "c7n_policies.yaml"
C7N_CANDIDATES = (BENCH / ".venv-c7n" / "bin" / "python", Path("/tmp/c7n-venv/bin/python"))
C7N_SETUP_VENV = Path("/tmp/c7n-venv")


def _sandbox() -> tuple[Callable[[], None], dict[str, str], tuple[str, ...]]:
    """register_luxembourg_region + the fake-credential env of the local sandbox cloud."""
    from luxguard.sandbox.local_cloud import SANDBOX_ENV, UNSET_ENV, register_luxembourg_region

    return register_luxembourg_region, dict(SANDBOX_ENV), tuple(UNSET_ENV)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    _, sandbox, unset = _sandbox()
    env = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("AWS_")}
    env.update(sandbox)
    env.update(extra or {})
    return env


def memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB. Not ru_maxrss: on Linux it survives exec, so a child started by
    this (large) parent would report the parent's peak."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux >= 4.0); best effort."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


# ------------------------------------------------------------------------------- the estate

def _tls_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def _public_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]})


ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True,
               "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
DB_PORTS = (3306, 5432, 1433)


def seed(endpoint: str, size: int, workers: int) -> dict[str, int]:
    """N buckets, ~N/10 security groups, ~N/20 KMS keys, ~N/10 volumes, ~N/20 AMIs; returns counts."""
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=workers * 2, retries={"mode": "standard", "max_attempts": 5})
    c = {(svc, r): boto3.client(svc, region_name=r, endpoint_url=endpoint, config=config)
         for svc in ("s3", "ec2", "kms") for r in REGIONS}

    def pool_map(fn: Callable[[int], Any], n: int) -> list[Any]:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, range(n)))

    # KMS keys: half per region, two thirds with rotation on.
    def key(i: int) -> tuple[str, str]:
        region = REGIONS[i % 2]
        kms = c["kms", region]
        meta = kms.create_key(Description=f"bench key {i}")["KeyMetadata"]
        if i % 3:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        kms.create_alias(AliasName=f"alias/bench-{i}", TargetKeyId=meta["KeyId"])
        return region, meta["Arn"]

    keys: dict[str, list[str]] = {r: [] for r in REGIONS}
    for region, arn in pool_map(key, max(2, size // 20)):
        keys[region].append(arn)

    # One access-log target per region (logging must stay in-region).
    log_buckets = {}
    for region in REGIONS:
        name = f"bench-logs-{region}"
        c["s3", region].create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        c["s3", region].put_bucket_acl(Bucket=name, ACL="log-delivery-write")
        log_buckets[region] = name

    def bucket(i: int) -> None:
        region = LU if i % 5 < 3 else EU
        s3, name = c["s3", region], f"bench-{i:05d}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if i % 3 == 0:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        elif i % 3 == 1:
            arn = keys[region][i % len(keys[region])]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn},
                 "BucketKeyEnabled": True}]})
        if i % 2 == 0:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_BLOCKED)
        if i % 17 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=_public_policy(name))
        elif i % 4 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=_tls_policy(name))
        if i % 29 == 0:
            s3.put_bucket_acl(Bucket=name, ACL="public-read")
        if i % 5 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if i % 10 == 0:
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": log_buckets[region], "TargetPrefix": f"{name}/"}})
        if i % 8 == 0:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
                {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365}}]})
        if i % 2:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
                {"Key": "data-classification", "Value": "billing" if i % 4 == 1 else "public"},
                {"Key": "team", "Value": f"t{i % 7}"}]})

    pool_map(bucket, size)

    vpcs = {r: c["ec2", r].describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            for r in REGIONS}

    def group(i: int) -> None:
        region = REGIONS[i % 2]
        ec2 = c["ec2", region]
        gid = ec2.create_security_group(
            GroupName=f"bench-sg-{i}", Description="bench", VpcId=vpcs[region],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": f"t{i % 7}"}]}],
        )["GroupId"]
        if i % 4 == 0:    # SSH open to the world
            perm = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        elif i % 4 == 1:  # a database port open to the world
            port = DB_PORTS[i % len(DB_PORTS)]
            perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        else:             # fine: internal HTTPS
            perm = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[perm])

    pool_map(group, max(1, size // 10))

    def volume(i: int) -> None:
        region = REGIONS[i % 2]
        extra: dict[str, Any] = {}
        if i % 3 == 0:
            extra = {"Encrypted": True, "KmsKeyId": keys[region][i % len(keys[region])]}
        elif i % 3 == 1:
            extra = {"Encrypted": True}
        c["ec2", region].create_volume(
            AvailabilityZone=f"{region}a", Size=1,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"bench-vol-{i}"}]}],
            **extra)

    pool_map(volume, max(1, size // 10))

    def image(i: int) -> None:   # AMIs: one in three public, one in three launchable by a foreign account
        ec2 = c["ec2", REGIONS[i % 2]]
        image_id = ec2.register_image(Name=f"bench-ami-{i}", RootDeviceName="/dev/xvda")["ImageId"]
        ec2.create_tags(Resources=[image_id], Tags=[{"Key": "data-classification", "Value": "contact"}])
        grantee = [{"Group": "all"}, {"UserId": "999999999999"}, None][i % 3]
        if grantee:
            ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [grantee]})

    pool_map(image, max(1, size // 20))
    stores = seed_stores(endpoint, max(1, size // 10), keys, workers)
    return {"buckets": size + len(log_buckets), "security_groups": max(1, size // 10),
            "kms_keys": max(2, size // 20), "volumes": max(1, size // 10), "images": max(1, size // 20), **stores}


def seed_stores(endpoint: str, count: int, keys: dict[str, list[str]], workers: int) -> dict[str, int]:
    """`count` each of queues, topics, log groups, secrets, parameters, streams, Lambda functions,
    EFS file systems, ECR repositories and backup vaults, half per region (and a backup plan per
    two vaults, an Aurora cluster with a manual snapshot, a Redshift cluster, a cache and an OpenSearch domain per
    four), one in three with a customer-managed key, two in three tagged, one function and one repository in four with a resource policy, one
    file system in five with a file-system policy."""
    import boto3

    from luxguard.resources.lambda_function import deployment_package

    package = deployment_package()
    role = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint).create_role(
        RoleName="bench-lambda", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')["Role"]["Arn"]

    clients: dict[tuple[str, str], Any] = {}

    def c(service: str, region: str) -> Any:
        if (service, region) not in clients:
            clients[service, region] = boto3.client(service, region_name=region, endpoint_url=endpoint)
        return clients[service, region]

    for service in ("sqs", "sns", "logs", "secretsmanager", "ssm", "kinesis", "lambda", "efs", "ecr", "backup", "rds",
                    "redshift", "opensearch", "elasticache", "eks", "ecs", "cloudfront", "firehose", "iam"):   # clients first (not thread-safe to create)
        for region in REGIONS:
            c(service, region)

    def store(i: int) -> None:
        region = REGIONS[i % 2]
        key = keys[region][i % len(keys[region])] if i % 3 == 0 else None
        tags = {"data-classification": "contact", "team": f"t{i % 7}"} if i % 3 else {}
        tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
        c("sqs", region).create_queue(QueueName=f"bench-q-{i}", tags=tags,
                                      Attributes={"KmsMasterKeyId": key} if key else {})
        c("sns", region).create_topic(Name=f"bench-t-{i}", Tags=tag_list,
                                      Attributes={"KmsMasterKeyId": key} if key else {})
        c("logs", region).create_log_group(logGroupName=f"/bench/{i}", **({"kmsKeyId": key} if key else {}),
                                           **({"tags": tags} if tags else {}))
        c("secretsmanager", region).create_secret(Name=f"bench-s-{i}", SecretString="x", Tags=tag_list,
                                                  **({"KmsKeyId": key} if key else {}))
        c("ssm", region).put_parameter(Name=f"/bench/p-{i}", Value="x", Type="SecureString" if i % 2 else "String",
                                       Tags=tag_list, **({"KeyId": key} if key and i % 2 else {}))
        c("kinesis", region).create_stream(StreamName=f"bench-k-{i}", ShardCount=1)
        c("lambda", region).create_function(
            FunctionName=f"bench-f-{i}", Runtime="python3.12", Role=role, Handler="index.handler",
            Code={"ZipFile": package}, Tags=tags, Environment={"Variables": {"STAGE": "bench"}},
            **({"KMSKeyArn": key} if key else {}))
        file_system = c("efs", region).create_file_system(
            CreationToken=f"bench-fs-{i}", Encrypted=bool(key), Tags=tag_list,
            **({"KmsKeyId": key} if key else {}))["FileSystemId"]
        if i % 5 == 0:   # one in five: a file-system policy (mount for the account itself)
            c("efs", region).put_file_system_policy(FileSystemId=file_system, Policy=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                                                         "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}))
        if i % 4 == 0:
            c("lambda", region).add_permission(FunctionName=f"bench-f-{i}", StatementId="invoke",
                                               Action="lambda:InvokeFunction", Principal="123456789012")
        c("ecr", region).create_repository(
            repositoryName=f"bench-r-{i}", tags=tag_list,
            **({"encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": key}} if key else {}))
        if i % 4 == 0:
            c("ecr", region).set_repository_policy(repositoryName=f"bench-r-{i}", policyText=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))
        c("backup", region).create_backup_vault(BackupVaultName=f"bench-v-{i}", BackupVaultTags=tags,
                                                **({"EncryptionKeyArn": key} if key else {}))
        if i % 4 < 2:   # one vault in two (both regions): a daily plan into it, copying into an earlier vault there
            copies = [{"DestinationBackupVaultArn": f"arn:aws:backup:{region}:123456789012:backup-vault:bench-v-{i - 2}"}] \
                if i >= 2 else []
            c("backup", region).create_backup_plan(BackupPlan={"BackupPlanName": f"bench-b-{i}", "Rules": [
                {"RuleName": "daily", "TargetBackupVaultName": f"bench-v-{i}", "CopyActions": copies}]},
                BackupPlanTags=tags)
        if i % 4 == 0:   # one in four: an Aurora cluster with a manual snapshot (one in three of those shared),
            # a warehouse, a cache, a search domain, alternating between the regions
            home = REGIONS[(i // 4) % 2]
            key = keys[home][i % len(keys[home])] if key else None   # the key of that region
            c("rds", home).create_db_cluster(
                DBClusterIdentifier=f"bench-c-{i}", Engine="aurora-postgresql", MasterUsername="app",
                MasterUserPassword="bench-not-secret-1", StorageEncrypted=bool(key), Tags=tag_list,
                **({"KmsKeyId": key} if key else {}))
            c("rds", home).create_db_cluster_snapshot(DBClusterIdentifier=f"bench-c-{i}",
                                                        DBClusterSnapshotIdentifier=f"bench-cs-{i}", Tags=tag_list)
            c("redshift", home).create_cluster(
                ClusterIdentifier=f"bench-w-{i}", NodeType="dc2.large", MasterUsername="app",
                MasterUserPassword="Bench-not-secret-1", Encrypted=bool(key), Tags=tag_list,
                **({"KmsKeyId": key} if key else {}))
            c("elasticache", home).create_replication_group(
                ReplicationGroupId=f"bench-e-{i}", ReplicationGroupDescription="bench", Engine="redis",
                CacheNodeType="cache.t3.micro", AtRestEncryptionEnabled=bool(key), TransitEncryptionEnabled=bool(i % 3),
                Tags=tag_list, **({"KmsKeyId": key} if key else {}))
            c("opensearch", home).create_domain(
                DomainName=f"bench-d-{i}", TagList=tag_list, NodeToNodeEncryptionOptions={"Enabled": bool(i % 3)},
                EncryptionAtRestOptions={"Enabled": bool(key), **({"KmsKeyId": key} if key else {})})
            c("eks", home).create_cluster(   # an EKS cluster: secrets under the key, half with an open API
                name=f"bench-k8s-{i}", roleArn="arn:aws:iam::123456789012:role/eks", tags=tags,
                resourcesVpcConfig={"subnetIds": [], "endpointPublicAccess": bool(i % 8)},
                **({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": key}}]} if key else {}))
            c("cloudfront", REGIONS[0]).create_distribution(DistributionConfig={   # and a CDN in front of a bucket
                "CallerReference": f"bench-cdn-{i}", "Comment": "bench", "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": f"bench-{i}.s3.{home}.amazonaws.com",
                                                      "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                         "MinTTL": 0, "TrustedSigners": {"Enabled": False, "Quantity": 0},
                                         "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}}})
            c("ecs", home).create_cluster(   # an ECS cluster, its tasks' storage under the key when there is one
                clusterName=f"bench-ecs-{i}", tags=[{"key": k, "value": v} for k, v in tags.items()],
                **({"configuration": {"managedStorageConfiguration": {"fargateEphemeralStorageKmsKeyId": key}}}
                   if key else {}))
            if i < 400:   # a delivery stream into a bucket of its region (the local cloud's quota: 50 per region)
                c("firehose", home).create_delivery_stream(
                    DeliveryStreamName=f"bench-fh-{i}", DeliveryStreamType="DirectPut", **({"Tags": tag_list} if tags else {}),
                    ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/firehose",
                                                        "BucketARN": f"arn:aws:s3:::bench-{i:05d}"},
                    **({"DeliveryStreamEncryptionConfigurationInput": {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key}}
                       if key else {}))
            if i % 3 == 1:
                c("rds", home).modify_db_cluster_snapshot_attribute(
                    DBClusterSnapshotIdentifier=f"bench-cs-{i}", AttributeName="restore", ValuesToAdd=["999999999999"])
        iam = c("iam", REGIONS[0])   # IAM is global: users with a policy and a key, half with a console password
        iam.create_user(UserName=f"bench-u-{i}")
        iam.put_user_policy(UserName=f"bench-u-{i}", PolicyName="read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": f"arn:aws:s3:::bench-{i}/*"}]}))
        iam.create_access_key(UserName=f"bench-u-{i}")
        if i % 2:
            iam.create_login_profile(UserName=f"bench-u-{i}", Password="Bench-Passw0rd!-not-secret")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(store, range(count)))
    return {"queues": count, "topics": count, "log_groups": count, "secrets": count, "parameters": count,
            "streams": count, "functions": count, "file_systems": count, "repositories": count,
            "backup_vaults": count, "backup_plans": (count + 1) // 2, "db_clusters": (count + 3) // 4,
            "db_cluster_snapshots": (count + 3) // 4, "warehouses": (count + 3) // 4,
            "search_domains": (count + 3) // 4, "caches": (count + 3) // 4, "eks_clusters": (count + 3) // 4,
            "distributions": (count + 3) // 4, "delivery_streams": min((count + 3) // 4, 100), "ecs_clusters": (count + 3) // 4, "users": count}


# API calls of each new type: the services' own operations (the shared tagging pass separately).
SERVICE_TYPES = {"sqs": "AWS::SQS::Queue", "sns": "AWS::SNS::Topic", "cloudwatch-logs": "AWS::Logs::LogGroup",
                 "secrets-manager": "AWS::SecretsManager::Secret", "ssm": "AWS::SSM::Parameter",
                 "kinesis": "AWS::Kinesis::Stream", "dynamodb": "AWS::DynamoDB::Table",
                 "rds": "AWS::RDS::DBCluster",   # its calls also list instances and read the snapshots
                 "redshift": "AWS::Redshift::Cluster", "opensearch": "AWS::OpenSearchService::Domain",
                 "elasticache": "AWS::ElastiCache::ReplicationGroup", "cloudtrail": "AWS::CloudTrail::Trail", "kms": "AWS::KMS::Key",
                 "lambda": "AWS::Lambda::Function", "efs": "AWS::EFS::FileSystem", "ecr": "AWS::ECR::Repository",
                 "eks": "AWS::EKS::Cluster", "ecs": "AWS::ECS::Cluster", "cloudfront": "AWS::CloudFront::Distribution",
                 "firehose": "AWS::KinesisFirehose::DeliveryStream",
                 "backup": "AWS::Backup::BackupVault",   # its calls also read the plans (one per two vaults)
                 "iam": "AWS::IAM::User"}   # IAM's calls also list groups, roles, the password policy and root

# EC2 serves several types: an AMI's own calls (its devices' snapshots are read with the snapshots').
IMAGE_OPERATIONS = ("DescribeImages", "DescribeImageAttribute")


def calls_per_type(figures: dict[str, Any]) -> str:
    """'type: calls/resources = per resource' for every type with its own service."""
    by_service = Counter()
    for operation, count in figures["api_calls"].items():
        by_service[operation.split(".")[0]] += count
    lines = []
    for service, resource_type in sorted(SERVICE_TYPES.items(), key=lambda kv: kv[1]):
        resources = figures["types"].get(resource_type, 0)
        if resources:
            lines.append(f"  {resource_type:<28} {by_service[service]:>5} calls / {resources:>5} = "
                         f"{by_service[service] / resources:.2f} per resource")
    images = figures["types"].get("AWS::EC2::Image", 0)
    if images:   # EC2's calls are shared by several types: the AMIs' own operations
        own = sum(figures["api_calls"].get(f"ec2.{op}", 0) for op in IMAGE_OPERATIONS)
        lines.append(f"  {'AWS::EC2::Image':<28} {own:>5} calls / {images:>5} = {own / images:.2f} per resource")
        lines.sort()
    tagging = by_service["resource-groups-tagging-api"]
    lines.append(f"  {'(shared tagging pass)':<28} {tagging:>5} calls (GetResources, per region and page)")
    return "\n".join(lines)


def trivial_calls_child(endpoint: str, calls: int, workers: int) -> None:
    """Runs in a child process: `calls` STS GetCallerIdentity on `workers` threads; wall on stdout."""
    import boto3
    from botocore.config import Config

    sts = boto3.Session(region_name=LU).client("sts", endpoint_url=endpoint,
                                               config=Config(max_pool_connections=max(10, workers)))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda _i: sts.get_caller_identity(), range(calls)))
    json.dump({"wall": time.perf_counter() - started, "calls": calls}, sys.stdout)


def server_cpu() -> float:
    """CPU seconds of this process so far: moto's server runs in it, so the difference over a
    child's run is what the local cloud spent answering that child."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_trivial_calls(endpoint: str, calls: int, workers: int) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child-trivial", endpoint, "--trivial-calls",
               str(calls), "--workers", str(workers)]
    cpu = server_cpu()
    done = subprocess.run(command, check=False, env=child_env(), capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"trivial-calls child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout), "server_cpu": server_cpu() - cpu}


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


# ------------------------------------------------------------------------------- luxguard

def luxguard_child(endpoint: str, workers: int, trace: bool) -> None:
    """Runs in a child process: one collect(), JSON on stdout."""
    import tracemalloc

    import boto3

    from scanners.runner import collect

    session = boto3.Session(region_name=LU)
    baseline = memory_mb()[0]
    reset_peak()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = collect(session, REGIONS, endpoint, max_workers=workers)
    wall = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    types = Counter(r.type for r in result.resources)
    json.dump({
        "resources": len(result.resources), "types": dict(types), "wall": wall,
        "api_calls": result.api_calls, "http_requests": result.http_requests,
        "errors": [f.describe() for f in result.failures],
        "collection_errors": sum(len(r.collection_errors) for r in result.resources),
        "rss_peak_mb": memory_mb()[1], "rss_baseline_mb": baseline, "tracemalloc_peak_mb": traced,
    }, sys.stdout)


def run_luxguard(endpoint: str, workers: int, trace: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child-luxguard", endpoint,
               "--workers", str(workers)] + (["--tracemalloc"] if trace else [])
    started, cpu = time.perf_counter(), server_cpu()
    done = subprocess.run(command, check=False, env=child_env(), capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"luxguard child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout)
    figures["process_wall"] = time.perf_counter() - started
    figures["server_cpu"] = server_cpu() - cpu
    figures["buckets"] = figures["types"].get("AWS::S3::Bucket", 0)
    return figures


# ------------------------------------------------------------------------------- c7n

# Executed by the c7n venv's python: count every botocore client's calls, make the custom
# Luxembourg region acceptable to c7n, run the CLI, write the figures as JSON.
C7N_RUNNER = textwrap.dedent('''
    import json, os, sys, threading, time
    from collections import Counter

    import botocore.session

    lock = threading.Lock()
    calls, requests = Counter(), Counter()
    scanned, fetched, matched = {}, {}, {}

    def memory():
        """VmRSS, VmHWM in MiB (ru_maxrss survives exec and would report the parent's peak)."""
        fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))

    def key(event_name):
        return ".".join(event_name.split(".")[1:3])

    def on_call(event_name, **_):
        with lock:
            calls[key(event_name)] += 1

    def on_send(event_name, **_):
        with lock:
            requests[key(event_name)] += 1

    original_create_client = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        client = original_create_client(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", on_call)
        client.meta.events.register("before-send.*.*", on_send)
        return client

    botocore.session.Session.create_client = create_client

    import c7n.cli
    import c7n.manager
    import c7n.resources
    import c7n.resources.aws as aws

    c7n.resources.load_resources(("aws.*",))

    # botocore's endpoint data does not know lu-central-1, so c7n would skip every regional
    # policy there ("not available in region"): accept the regions given on the command line.
    original_map = aws.get_service_region_map

    def service_region_map(regions, resource_types, provider="aws"):
        services, resource_services = original_map(regions, resource_types, provider)
        for known in services.values():
            if known:
                known.extend(r for r in regions if r not in known and r != "all")
        return services, resource_services

    aws.get_service_region_map = service_region_map

    # Resources each policy fetched (before its filters) and kept (after).
    original_filter = c7n.manager.ResourceManager.filter_resources

    account = os.environ["BENCH_ACCOUNT"]

    def filter_resources(self, resources, event=None):
        kept = original_filter(self, resources, event)
        if "name" not in self.data:  # a helper manager (e.g. kms aliases for kms-key), not a policy
            return kept
        # moto ignores DescribeSnapshots(OwnerIds=[self]) and returns its public AMI snapshots:
        # count only the account's own resources, as luxguard does.
        own = sum(1 for r in resources if r.get("OwnerId") in (None, account))
        label = (self.type, self.config.region)
        with lock:
            scanned[label] = max(scanned.get(label, 0), own)
            fetched[label] = max(fetched.get(label, 0), len(resources))
            matched[self.data["name"] + " " + self.config.region] = len(kept)
        return kept

    c7n.manager.ResourceManager.filter_resources = filter_resources

    baseline = memory()[0]
    try:  # reset the high-water mark so that it is this run's peak (Linux >= 4.0)
        open("/proc/self/clear_refs", "w").write("5")
    except OSError:
        pass
    out = sys.argv[1]
    sys.argv = ["custodian"] + sys.argv[2:]
    status = 0
    started = time.perf_counter()
    try:
        c7n.cli.main()
    except SystemExit as exit:
        status = exit.code or 0
    except Exception as error:
        status = repr(error)
    wall = time.perf_counter() - started
    with open(out, "w") as f:
        json.dump({
            "status": status, "wall": wall, "api_calls": dict(calls), "http_requests": dict(requests),
            "scanned": {" ".join(k): v for k, v in scanned.items()},
            "fetched": {" ".join(k): v for k, v in fetched.items()}, "matched": matched,
            "rss_peak_mb": memory()[1],
            "rss_baseline_mb": baseline,
        }, f)
''')


def find_c7n_python(explicit: str | None) -> tuple[str | None, str]:
    """(python, '') or (None, why not)."""
    candidates = [Path(explicit)] if explicit else [Path(p) for p in filter(None, [os.environ.get("C7N_PYTHON")])]
    candidates += [] if explicit else list(C7N_CANDIDATES)
    for python in candidates:
        if not python.exists():
            continue
        code = "import c7n.version, botocore; print(c7n.version.version, botocore.__version__)"
        probe = subprocess.run([str(python), "-c", code], check=False, capture_output=True, text=True)
        if probe.returncode == 0:
            return str(python), probe.stdout.strip()
        return None, f"{python} cannot import c7n: {probe.stderr.strip().splitlines()[-1:]}"
    return None, ("no python with c7n found (tried " + ", ".join(map(str, candidates))
                  + "); run with --setup-c7n or --c7n-python PATH")


def setup_c7n() -> None:
    if not (C7N_SETUP_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(C7N_SETUP_VENV)], check=True)
    subprocess.run([str(C7N_SETUP_VENV / "bin" / "pip"), "install", "-q", "c7n"], check=True)


def run_c7n(python: str, endpoint: str, workdir: Path) -> dict[str, Any]:
    runner = workdir / "c7n_runner.py"
    runner.write_text(C7N_RUNNER)
    out_dir, figures_file = workdir / "out", workdir / "figures.json"
    command = [python, str(runner), str(figures_file), "run", "--dryrun", "-s", str(out_dir),
               "--cache", str(workdir / "c7n.cache"), str(POLICIES)]
    for region in REGIONS:
        command += ["--region", region]
    env = child_env({"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": LU, "BENCH_ACCOUNT": ACCOUNT})
    started = time.perf_counter()
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True, cwd=workdir, timeout=3600)
    (workdir / "custodian.log").write_text(done.stdout + done.stderr)
    if not figures_file.exists():
        raise RuntimeError(f"custodian exited {done.returncode} without figures:\n{done.stderr[-3000:]}")
    figures = json.loads(figures_file.read_text())
    if figures["status"] not in (0, None):
        raise RuntimeError(f"custodian failed ({figures['status']}):\n{done.stderr[-3000:]}")
    figures["process_wall"] = time.perf_counter() - started
    figures["resources"] = sum(figures["scanned"].values())
    figures["buckets"] = sum(v for k, v in figures["scanned"].items() if k.startswith("s3 "))
    figures["log_errors"] = [line for line in (done.stdout + done.stderr).splitlines()
                             if " ERROR " in line or "Traceback" in line or "not available in region" in line]
    return figures


# ------------------------------------------------------------------------------- report

def summarise(figures: dict[str, Any]) -> dict[str, Any]:
    calls = sum(figures["api_calls"].values())
    s3_calls = sum(v for k, v in figures["api_calls"].items() if k.split(".")[0] in ("s3", "s3-control"))
    resources, buckets = figures["resources"], figures["buckets"]
    return {
        "resources": resources,
        "wall": figures["wall"],
        "per_second": resources / figures["wall"] if figures["wall"] else 0.0,
        "calls": calls,
        "calls_per_resource": calls / resources if resources else 0.0,
        "s3_calls_per_bucket": s3_calls / buckets if buckets else 0.0,
        "http": sum(figures["http_requests"].values()),
        "rss_peak": figures["rss_peak_mb"],
        "rss_delta": figures["rss_peak_mb"] - figures["rss_baseline_mb"],
    }


HEADER = (f"{'tool':<9} {'size':>5} {'resources':>9} {'wall s':>7} {'res/s':>7} {'calls':>6} "
          f"{'calls/res':>9} {'s3 calls/bucket':>15} {'HTTP req':>8} {'peak RSS MB':>11} {'RSS Δ MB':>8}")


def row(tool: str, size: int, s: dict[str, Any]) -> str:
    return (f"{tool:<9} {size:>5} {s['resources']:>9} {s['wall']:>7.1f} {s['per_second']:>7.1f} {s['calls']:>6} "
            f"{s['calls_per_resource']:>9.2f} {s['s3_calls_per_bucket']:>15.2f} {s['http']:>8} "
            f"{s['rss_peak']:>11.1f} {s['rss_delta']:>8.1f}")


def top_operations(figures: dict[str, Any], limit: int = 40) -> str:
    items = sorted(figures["api_calls"].items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return ", ".join(f"{k}={v}" for k, v in items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000", help="bucket counts, comma-separated")
    parser.add_argument("--workers", type=int, default=8, help="luxguard collect(max_workers)")
    parser.add_argument("--seed-workers", type=int, default=16)
    parser.add_argument("--c7n-python", help="python of a venv with c7n (default: C7N_PYTHON, "
                        "bench/.venv-c7n, /tmp/c7n-venv)")
    parser.add_argument("--no-c7n", action="store_true")
    parser.add_argument("--setup-c7n", action="store_true", help=f"pip install c7n into {C7N_SETUP_VENV} and exit")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report luxguard's tracemalloc peak (slows the scan)")
    parser.add_argument("--json", help="write all raw figures to this file")
    parser.add_argument("--child-luxguard", metavar="ENDPOINT", help=argparse.SUPPRESS)
    parser.add_argument("--child-trivial", metavar="ENDPOINT", help=argparse.SUPPRESS)
    parser.add_argument("--trivial-calls", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_luxguard:
        luxguard_child(args.child_luxguard, args.workers, args.tracemalloc)
        return 0
    if args.child_trivial:
        trivial_calls_child(args.child_trivial, args.trivial_calls, args.workers)
        return 0
    if args.setup_c7n:
        setup_c7n()
        print(find_c7n_python(str(C7N_SETUP_VENV / "bin" / "python")))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    register, sandbox, unset = _sandbox()
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(sandbox)
    register()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    c7n_python, c7n_why = (None, "disabled with --no-c7n") if args.no_c7n else find_c7n_python(args.c7n_python)
    if c7n_python:
        version, botocore_version = (c7n_why.split() + ["?", "?"])[:2]
        print(f"c7n: using {c7n_python} (c7n {version}, botocore {botocore_version})")
    else:
        print(f"c7n: not measured: {c7n_why}")

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1", host
    endpoint = f"http://127.0.0.1:{port}"
    print(f"moto on {endpoint}; luxguard workers={args.workers}; "
          f"memory = peak RSS (VmHWM) of the scanning child process, and its growth over post-import RSS")
    rows, raw = [], {}
    try:
        for size in sizes:
            reset(endpoint)
            started = time.perf_counter()
            seeded = seed(endpoint, size, args.seed_workers)
            print(f"\n== size {size}: seeded {seeded} in {time.perf_counter() - started:.1f}s")

            lux = run_luxguard(endpoint, args.workers, args.tracemalloc)
            raw[f"luxguard {size}"] = lux
            rows.append(row("luxguard", size, summarise(lux)))
            print(f"luxguard: {lux['types']}; listing errors {lux['errors'] or 'none'}; "
                  f"per-resource collection errors {lux['collection_errors']}"
                  + (f"; tracemalloc peak {lux['tracemalloc_peak_mb']:.1f} MB" if lux["tracemalloc_peak_mb"] else ""))
            print(f"luxguard calls: {top_operations(lux)}")
            print("luxguard API calls per resource, by type:\n" + calls_per_type(lux))
            total = sum(lux["api_calls"].values())
            trivial = run_trivial_calls(endpoint, total, args.workers)
            raw[f"trivial {size}"] = trivial
            print(f"scan wall {lux['wall']:.2f}s for {total} calls; the same number of trivial calls "
                  f"(STS GetCallerIdentity, {args.workers} threads) {trivial['wall']:.2f}s: "
                  f"ratio {lux['wall'] / trivial['wall']:.2f}; the local cloud's CPU answering them: "
                  f"{lux['server_cpu']:.2f}s ({1000 * lux['server_cpu'] / total:.1f} ms per call) against "
                  f"{trivial['server_cpu']:.2f}s ({1000 * trivial['server_cpu'] / total:.1f} ms), ratio "
                  f"{lux['server_cpu'] / trivial['server_cpu']:.2f} (moto answers under one GIL: its CPU bounds the wall)")

            if c7n_python:
                workdir = Path(tempfile.mkdtemp(prefix=f"bench-c7n-{size}-"))
                try:
                    c7n = run_c7n(c7n_python, endpoint, workdir)
                except Exception as error:  # noqa: BLE001 - report honestly, keep luxguard's figures
                    first = str(error).strip().splitlines()
                    rows.append(f"c7n       {size:>5}  not measured: {first[0] if first else error!r}")
                    print(f"c7n: not measured: {error}\n(log: {workdir / 'custodian.log'})")
                    continue
                raw[f"c7n {size}"] = c7n
                rows.append(row("c7n", size, summarise(c7n)))
                print(f"c7n scanned (before filters): {c7n['scanned']}")
                print(f"c7n matched: {c7n['matched']}")
                print(f"c7n calls: {top_operations(c7n)}")
                if c7n["log_errors"]:
                    print("c7n log lines worth a look:\n  " + "\n  ".join(c7n["log_errors"][:10]))
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        server.stop()

    print("\n" + HEADER)
    print("-" * len(HEADER))
    for line in rows:
        print(line)
    print("\ncalls = logical API calls (botocore before-call); HTTP req = attempts (before-send, retries "
          "included);\nwall = the scan itself inside its child process (imports and interpreter start excluded).")
    if not c7n_python:
        print(f"c7n: not measured: {c7n_why}")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
