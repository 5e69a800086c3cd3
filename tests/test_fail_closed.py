"""Fail closed: a fault-injecting proxy between `luxguard scan` and the local cloud.

For each kind of fault (refusal, throttling past retries, connection reset, delay past the read
timeout, a 200 whose body is an HTML page, foreign XML or foreign JSON), injected on every
collector's listing and, separately, on every per-resource read: nothing that was not read
passes, no violation of the clean run disappears, the default gate exits 1, and the history's
timeline keeps every open violation with its first-seen date.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import types
from pathlib import Path
from typing import Any, Iterator

import botocore.endpoint
import pytest

import scanners.clients
from cli import run
from luxguard.core.rules import load_rules
from luxguard.sinks.history import HistoryStore
from tests.fault_proxy import FAULTS, FaultProxy
from tests.helpers import run_cli
from tests.moto_cloud import LU, client, create_delivery_stream, create_distribution, reset, tls_policy

S3, KMS, SG = "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::EC2::SecurityGroup"
VOLUME, SNAPSHOT, EBS = "AWS::EC2::Volume", "AWS::EC2::Snapshot", "AWS::EC2::EBSEncryptionByDefault"
RDS, DDB, TRAIL = "AWS::RDS::DBInstance", "AWS::DynamoDB::Table", "AWS::CloudTrail::Trail"
DB_SNAPSHOT, FUNCTION, REPOSITORY = "AWS::RDS::DBSnapshot", "AWS::Lambda::Function", "AWS::ECR::Repository"
EFS, IMAGE = "AWS::EFS::FileSystem", "AWS::EC2::Image"
VAULT, PLAN = "AWS::Backup::BackupVault", "AWS::Backup::BackupPlan"
CLUSTER, CLUSTER_SNAPSHOT = "AWS::RDS::DBCluster", "AWS::RDS::DBClusterSnapshot"
PEERING, TEMPLATE = "AWS::EC2::VPCPeeringConnection", "AWS::EC2::LaunchTemplate"
TRANSIT, CDN = "AWS::EC2::TransitGatewayPeeringAttachment", "AWS::CloudFront::Distribution"
INSTANCE, EKS = "AWS::EC2::Instance", "AWS::EKS::Cluster"   # no instance seeded: the local cloud runs none in Luxembourg
WAREHOUSE, DOMAIN, CACHE = "AWS::Redshift::Cluster", "AWS::OpenSearchService::Domain", "AWS::ElastiCache::ReplicationGroup"
FIREHOSE, ECS = "AWS::KinesisFirehose::DeliveryStream", "AWS::ECS::Cluster"
USER, GROUP, ROLE = "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"
PASSWORDS, ROOT = "AWS::IAM::AccountPasswordPolicy", "AWS::IAM::RootUser"
GLOBAL = {S3, USER, GROUP, ROLE, PASSWORDS, ROOT, CDN}   # listed once per account: a failure covers every region

# Each collector's listing: the call whose failure hides every resource of the type in a region.
LISTINGS = {
    S3: ("s3", "ListBuckets"), KMS: ("kms", "ListKeys"), SG: ("ec2", "DescribeSecurityGroups"),
    VOLUME: ("ec2", "DescribeVolumes"), SNAPSHOT: ("ec2", "DescribeSnapshots"), EBS: ("ec2", "GetEbsEncryptionByDefault"),
    RDS: ("rds", "DescribeDBInstances"), DB_SNAPSHOT: ("rds", "DescribeDBSnapshots"), IMAGE: ("ec2", "DescribeImages"),
    FUNCTION: ("lambda", "ListFunctions"), REPOSITORY: ("ecr", "DescribeRepositories"), DDB: ("dynamodb", "ListTables"),
    TRAIL: ("cloudtrail", "DescribeTrails"), EFS: ("elasticfilesystem", "DescribeFileSystems"),
    VAULT: ("backup", "ListBackupVaults"), PLAN: ("backup", "ListBackupPlans"),
    CLUSTER: ("rds", "DescribeDBClusters"), CLUSTER_SNAPSHOT: ("rds", "DescribeDBClusterSnapshots"),
    WAREHOUSE: ("redshift", "DescribeClusters"), DOMAIN: ("es", "ListDomainNames"),   # OpenSearch signs as `es`
    CACHE: ("elasticache", "DescribeReplicationGroups"), PEERING: ("ec2", "DescribeVpcPeeringConnections"),
    TEMPLATE: ("ec2", "DescribeLaunchTemplates"), TRANSIT: ("ec2", "DescribeTransitGatewayPeeringAttachments"),
    CDN: ("cloudfront", "ListDistributions"), INSTANCE: ("ec2", "DescribeInstances"),
    EKS: ("eks", "ListClusters"), FIREHOSE: ("firehose", "ListDeliveryStreams"),
    ECS: ("ecs", "ListClusters"),
    # users, groups and roles are three listings of one answer
    USER: ("iam", "GetAccountAuthorizationDetails"), GROUP: ("iam", "GetAccountAuthorizationDetails"),
    ROLE: ("iam", "GetAccountAuthorizationDetails"), PASSWORDS: ("iam", "GetAccountPasswordPolicy"),
    ROOT: ("iam", "GetAccountSummary"),
}
# Every per-resource read, and the properties (model groups) each type gets from them; with all of
# them broken, a rule reading any of these groups must not pass.
READS = {("s3", op) for op in ("GetBucketLocation", "GetBucketEncryption", "GetPublicAccessBlock", "GetBucketPolicy",
                               "GetBucketOwnershipControls", "GetBucketAcl", "GetBucketVersioning", "GetBucketLogging",
                               "GetBucketLifecycleConfiguration", "GetObjectLockConfiguration",
                               "GetBucketReplication")} | {
    ("s3-control", "GetPublicAccessBlock"), ("kms", "DescribeKey"), ("kms", "GetKeyPolicy"),
    ("kms", "GetKeyRotationStatus"), ("ec2", "DescribeSnapshotAttribute"), ("ec2", "GetEbsDefaultKmsKeyId"),
    ("dynamodb", "DescribeTable"), ("dynamodb", "ListTagsOfResource"), ("cloudtrail", "GetTrailStatus"),
    ("iam", "GenerateCredentialReport"), ("iam", "GetCredentialReport"), ("rds", "DescribeDBSnapshotAttributes"),
    ("kms", "ListGrants"), ("elasticfilesystem", "DescribeFileSystemPolicy"), ("ec2", "DescribeImageAttribute"),
    ("ecr", "DescribeRegistry"), ("ecr", "GetRepositoryPolicy"), ("ecr", "ListTagsForResource"),
    ("backup", "GetBackupPlan"), ("backup", "ListTags"), ("tagging", "GetResources"),
    ("rds", "DescribeGlobalClusters"), ("rds", "DescribeDBClusterSnapshotAttributes"), ("es", "DescribeDomains"),
    ("es", "ListTags"), ("ec2", "DescribeLaunchTemplateVersions"), ("eks", "DescribeCluster"),
    ("firehose", "DescribeDeliveryStream"), ("firehose", "ListTagsForDeliveryStream"), ("ecs", "DescribeClusters")}
UNREAD_WHEN_READS_FAIL = {
    S3: {"region", "encryption", "public_access_block", "policy", "ownership", "acl", "versioning", "logging",
         "lifecycle", "object_lock", "replication", "tags", "classification", "role"},
    KMS: {"key_manager", "state", "rotation_enabled", "policy", "sharing"}, EFS: {"policy"},
    VOLUME: {"customer_managed_key"}, SNAPSHOT: {"public", "customer_managed_key"}, RDS: {"customer_managed_key"},
    DB_SNAPSHOT: {"public", "sharing"}, FUNCTION: set(), IMAGE: {"public", "sharing"},
    CLUSTER: {"customer_managed_key", "replica_regions"}, CLUSTER_SNAPSHOT: {"public", "sharing"},
    PEERING: set(), TRANSIT: set(), CDN: {"tags", "classification", "role"},
    INSTANCE: {"encrypted", "customer_managed_key"},
    EKS: {"encrypted", "customer_managed_key", "endpoint_public", "public_access_cidrs", "tags", "classification", "role"},
    FIREHOSE: {"encrypted", "kms_key_id", "kms_key_region", "customer_managed_key", "source", "destinations",
               "destination_regions", "tags", "classification", "role"},
    ECS: {"encrypted", "kms_key_id", "kms_key_region", "customer_managed_key", "tags", "classification", "role"},
    TEMPLATE: {"encrypted", "customer_managed_key"}, WAREHOUSE: {"customer_managed_key"},
    CACHE: {"customer_managed_key", "tags", "classification", "role"},
    DOMAIN: {"encrypted", "customer_managed_key", "node_to_node_encryption", "enforce_https", "policy", "tags",
             "classification", "role"},
    REPOSITORY: {"replica_regions", "policy", "tags", "classification", "role"},
    VAULT: {"tags", "classification", "role"}, PLAN: {"copy_regions", "sharing", "tags", "classification", "role"},
    DDB: {"sse", "kms_key_id", "kms_key_region", "customer_managed_key", "replica_regions", "tags",
          "classification", "role"},
    TRAIL: {"logging", "s3_bucket_region"}, EBS: {"kms_key_id"}, SG: set(),
    USER: {"console_access", "mfa_enabled", "access_keys"}, GROUP: set(), ROLE: set(), PASSWORDS: set(), ROOT: set(),
}
CODES = {"denied": {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"},
         "throttled": {"SlowDown", "RequestLimitExceeded", "ThrottlingException", "Throttling"}}
# Long enough for a healthy answer from a busy machine; a delayed answer comes later than that.
READ_TIMEOUT, DELAY = 1.5, 2.0


def _seed(endpoint: str) -> None:
    """One of each collector's resources, violations and compliant ones, all in Luxembourg."""
    s3 = client(endpoint, "s3")
    for name in ("fp-private", "fp-public-acl"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": LU})
    s3.put_bucket_encryption(Bucket="fp-private", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_policy(Bucket="fp-private", Policy=tls_policy("fp-private"))
    s3.put_bucket_versioning(Bucket="fp-private", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_acl(Bucket="fp-public-acl", ACL="public-read")
    kms = client(endpoint, "kms")
    rotated = kms.create_key(Description="rotated")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=rotated["KeyId"])
    kms.create_key(Description="not rotated")
    ec2 = client(endpoint, "ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    ssh = ec2.create_security_group(GroupName="open-ssh", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.create_volume(AvailabilityZone=f"{LU}a", Size=1, Encrypted=True, KmsKeyId=rotated["Arn"])
    plain = ec2.create_volume(AvailabilityZone=f"{LU}a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=plain)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    image = ec2.register_image(Name="fp-image", RootDeviceName="/dev/xvda")["ImageId"]
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.enable_ebs_encryption_by_default()
    ireland = client(endpoint, "ec2", "eu-west-1").create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=ireland, PeerRegion="eu-west-1")
    hub = ec2.create_transit_gateway(Description="fp-hub")["TransitGateway"]["TransitGatewayId"]
    ec2.create_transit_gateway_peering_attachment(TransitGatewayId=hub, PeerTransitGatewayId="tgw-0a1b2c3d4e5f60718",
                                                  PeerRegion="eu-west-1", PeerAccountId="999999999999")
    create_distribution(endpoint, f"fp-private.s3.{LU}.amazonaws.com", viewer="allow-all")
    create_delivery_stream(endpoint, "fp-partner-feed", "fp-private", url="https://ingest.partner-analytics.example/v1")
    client(endpoint, "ecs").create_cluster(clusterName="fp-apps")
    client(endpoint, "eks").create_cluster(name="fp-k8s", roleArn="arn:aws:iam::123456789012:role/eks",
                                           resourcesVpcConfig={"subnetIds": []})
    ec2.create_launch_template(LaunchTemplateName="fp-template", LaunchTemplateData={"BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}]})
    client(endpoint, "rds").create_db_instance(
        DBInstanceIdentifier="fp-db", Engine="postgres", DBInstanceClass="db.t3.micro", MasterUsername="admin",
        MasterUserPassword="not-a-secret-1", AllocatedStorage=20, StorageEncrypted=True, KmsKeyId=rotated["Arn"],
        PubliclyAccessible=True)
    rds = client(endpoint, "rds")
    rds.create_db_snapshot(DBSnapshotIdentifier="fp-db-manual", DBInstanceIdentifier="fp-db")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="fp-db-manual", AttributeName="restore",
                                     ValuesToAdd=["all"])
    # an Aurora global cluster stored in Luxembourg and Ireland; its public manual snapshot
    rds.create_global_cluster(GlobalClusterIdentifier="fp-global", Engine="aurora-postgresql")
    for region, name in ((LU, "fp-cluster"), ("eu-west-1", "fp-cluster-dr")):
        client(endpoint, "rds", region).create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-postgresql", GlobalClusterIdentifier="fp-global",
            StorageEncrypted=True, KmsKeyId=rotated["Arn"], MasterUsername="admin", MasterUserPassword="not-a-secret-1")
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="fp-cluster-manual", DBClusterIdentifier="fp-cluster")
    client(endpoint, "redshift").create_cluster(
        ClusterIdentifier="fp-warehouse", NodeType="dc2.large", MasterUsername="admin", MasterUserPassword="Not-a-secret-1",
        Encrypted=True, KmsKeyId=rotated["Arn"], PubliclyAccessible=True)
    client(endpoint, "opensearch").create_domain(
        DomainName="fp-search", EncryptionAtRestOptions={"Enabled": True, "KmsKeyId": rotated["Arn"]},
        AccessPolicies=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:ESHttpGet", "Resource": "*"}]}))
    client(endpoint, "elasticache").create_replication_group(
        ReplicationGroupId="fp-cache", ReplicationGroupDescription="x", Engine="redis", CacheNodeType="cache.t3.micro",
        AtRestEncryptionEnabled=True, KmsKeyId=rotated["Arn"], Tags=[{"Key": "data-classification", "Value": "contact"}])
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="fp-cluster-manual", AttributeName="restore",
                                             ValuesToAdd=["all"])
    client(endpoint, "dynamodb").create_table(
        TableName="fp-table", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    client(endpoint, "cloudtrail").create_trail(Name="fp-trail", S3BucketName="fp-private")
    efs = client(endpoint, "efs")
    shared = efs.create_file_system(CreationToken="fp-shared", Encrypted=True, KmsKeyId=rotated["Arn"])["FileSystemId"]
    efs.put_file_system_policy(FileSystemId=shared, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}))
    efs.create_file_system(CreationToken="fp-plain", Encrypted=False)
    ecr = client(endpoint, "ecr")
    ecr.create_repository(repositoryName="fp-images", tags=[{"Key": "data-classification", "Value": "contact"}])
    ecr.set_repository_policy(repositoryName="fp-images", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}))
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}]}]})
    backup = client(endpoint, "backup")
    backup.create_backup_vault(BackupVaultName="fp-vault", BackupVaultTags={"data-classification": "contact"})
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "fp-plan", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "fp-vault", "CopyActions": [
            {"DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:999999999999:backup-vault:theirs"}]}]})
    iam = client(endpoint, "iam")
    iam.create_user(UserName="fp-console")
    iam.create_login_profile(UserName="fp-console", Password="Long-Enough-Passw0rd!")
    iam.create_group(GroupName="fp-admins")
    iam.put_group_policy(GroupName="fp-admins", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.create_role(RoleName="fp-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}))


@pytest.fixture(scope="module")
def cloud(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The seeded cloud behind the proxy, and the clean scan recorded in a history."""
    reset(moto_endpoint)
    _seed(moto_endpoint)
    db = tmp_path_factory.mktemp("history") / "clean.db"
    with FaultProxy(moto_endpoint, delay=DELAY) as proxy:
        yield {"proxy": proxy, "db": db}


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """One retry, no backoff sleep, a short read timeout: each fault costs a fraction of a second."""
    monkeypatch.setattr(scanners.clients, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(scanners.clients, "READ_TIMEOUT", READ_TIMEOUT)
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda _s: None))


def scan(capsys: Any, proxy: FaultProxy, db: Path, *args: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", proxy.url, "--regions", LU, "--format", "json",
                             "--db", db, *args)
    assert code in (0, 1), err
    return code, json.loads(out), err


def verdicts(document: dict) -> dict[tuple[str, str, str], str]:
    return {(f["rule_id"], f["resource"]["type"], f["resource"]["id"]): f["status"] for f in document["findings"]}


def timeline(db: Path) -> dict[tuple, tuple]:
    return {(r["rule_id"], r["resource_type"], r["resource_id"]): (r["first_seen"], r["resolved_at"])
            for r in HistoryStore(str(db)).timeline()}


@pytest.fixture(scope="module")
def clean(cloud: dict[str, Any]) -> dict:
    """The clean scan (no fault), recorded once: what every faulted run is compared with."""
    out = io.StringIO()
    cloud["proxy"].inject(None)
    with contextlib.redirect_stdout(out):
        code = run(["scan", "--endpoint-url", cloud["proxy"].url, "--regions", LU, "--format", "json",
                    "--db", str(cloud["db"])])
    document = json.loads(out.getvalue())
    assert code == 1 and document["summary"]["errors"] == 0, \
        [f["message"] for f in document["findings"] if f["status"] == "error"]
    return document


RULES = load_rules()


def _rule_groups(rule_id: str) -> frozenset[str]:
    return next(r.property_groups for r in RULES if r.id == rule_id)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("plan", ["listings", "reads"])
def test_faults_never_pass_and_never_resolve(cloud, clean, capsys, tmp_path, fast_retries, monkeypatch, plan, fault):
    db = tmp_path / "history.db"
    shutil.copy(cloud["db"], db)
    before = timeline(db)
    proxy = cloud["proxy"]
    if fault == "delay":   # every delayed call waits the whole timeout: no retry for those
        monkeypatch.setattr(scanners.clients, "MAX_ATTEMPTS", 0)
    targets = set(LISTINGS.values()) if plan == "listings" else READS
    proxy.inject(fault, targets)
    code, document, err = scan(capsys, proxy, db)
    assert proxy.hits, "the proxy injected nothing"
    proxy.inject(None)
    faulted, healthy = verdicts(document), verdicts(clean)

    # No pass for what was not read.
    for (rule_id, rtype, rid), status in faulted.items():
        if status != "pass":
            continue
        assert plan == "reads", (rule_id, rtype, rid)
        if rtype in (DB_SNAPSHOT, CLUSTER_SNAPSHOT) and rid.startswith("rds:"):
            continue   # an automated snapshot cannot be shared: there is nothing to read
        unread = _rule_groups(rule_id) & UNREAD_WHEN_READS_FAIL[rtype]
        assert not unread, f"{rule_id} passed on {rtype} {rid} without reading {sorted(unread)}"
    # No violation of the clean run disappears: it fails again, or is undecided (on the resource,
    # or on the listing that should have returned it).
    unlisted = {(f["rule_id"], f["resource"]["type"]) for f in document["findings"] if "listing" in f}
    for (rule_id, rtype, rid), status in healthy.items():
        if status == "fail":
            assert faulted.get((rule_id, rtype, rid)) in ("fail", "error") or (rule_id, rtype) in unlisted, \
                (rule_id, rtype, rid, faulted.get((rule_id, rtype, rid)))
    # A failed listing is one error per rule of its type, in its region and account, with the cloud's code.
    if plan == "listings":
        for rtype in LISTINGS:   # (the EBS default is one setting per region: its read fails on it)
            expected = {r.id for r in RULES if rtype in r.resource_types}
            listed = {f["rule_id"] for f in document["findings"] if f["resource"]["type"] == rtype
                      and ("listing" in f or rtype == EBS) and f["status"] == "error"}
            assert listed == expected, rtype
        for finding in (f for f in document["findings"] if "listing" in f):
            listing = finding["listing"]
            assert finding["status"] == "error" and finding["resource"]["id"] == "*"
            assert listing["account"] == "123456789012"
            assert listing["region"] == (None if listing["resource_type"] in GLOBAL else LU)
            if fault in CODES:
                assert listing["code"] in CODES[fault], listing
    # Counted, and the default gate fails on it (stderr says why).
    errors = [f for f in document["findings"] if f["status"] == "error"]
    assert errors and document["summary"]["errors"] == len(errors)
    assert code == 1 and "could not be read or decided" in err
    if fault in CODES:
        assert all(any(c in f["message"] for c in CODES[fault]) for f in errors), \
            [f["message"] for f in errors if not any(c in f["message"] for c in CODES[fault])][:3]
    # The timeline: every violation open before is still open, since the same day; nothing new.
    after = timeline(db)
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) == set(before), sorted(set(after) - set(before))


# Refusals that hide every critical violation of the estate (SSH open to the world, a public-read
# bucket, a public database, a public snapshot or AMI, a repository replicated abroad, a backup
# plan copying abroad, a database stored abroad too, a public cluster snapshot or warehouse, a
# distribution caching a bucket at the edges, a delivery stream feeding a third party).
HIDING_CRITICAL = {("ec2", "DescribeSecurityGroups"), ("s3", "GetBucketAcl"), ("rds", "DescribeDBInstances"),
                   ("ec2", "DescribeSnapshotAttribute"), ("rds", "DescribeDBSnapshotAttributes"),
                   ("ec2", "DescribeImageAttribute"), ("ecr", "DescribeRegistry"), ("backup", "GetBackupPlan"),
                   ("rds", "DescribeGlobalClusters"), ("rds", "DescribeDBClusterSnapshotAttributes"),
                   ("redshift", "DescribeClusters"), ("cloudfront", "ListDistributions"),
                   ("firehose", "ListDeliveryStreams")}


def test_undecided_critical_findings_fail_the_critical_gate_unless_errors_are_allowed(cloud, clean, capsys, tmp_path):
    assert {f["rule_id"] for f in clean["findings"] if f["status"] == "fail" and f["severity"] == "critical"} == {
        "LUX-ACC-003", "LUX-ACC-004", "LUX-ACC-007", "LUX-ACC-008", "LUX-RES-009", "LUX-RES-010", "LUX-RES-012",
        "LUX-RES-013", "LUX-RES-018"}
    proxy = cloud["proxy"]
    proxy.inject("denied", HIDING_CRITICAL)
    try:
        code, document, err = scan(capsys, proxy, tmp_path / "h.db", "--fail-on", "critical")
        assert not any(f["status"] == "fail" and f["severity"] == "critical" for f in document["findings"])
        undecided = {f["rule_id"] for f in document["findings"] if f["status"] == "error"}
        assert {"LUX-ACC-003", "LUX-ACC-004", "LUX-ACC-007", "LUX-ACC-008", "LUX-RES-009", "LUX-RES-010",
                "LUX-RES-012", "LUX-RES-013", "LUX-RES-018"} <= undecided
        assert code == 1 and "they fail the run" in err
        code, _, err = scan(capsys, proxy, tmp_path / "h.db", "--fail-on", "critical", "--allow-errors")
        assert code == 0 and "--allow-errors: they do not fail the run" in err
    finally:
        proxy.inject(None)


def test_a_refused_listing_shows_in_every_format(cloud, clean, capsys, tmp_path):
    proxy = cloud["proxy"]
    proxy.inject("denied", {("ec2", "DescribeSecurityGroups")})
    try:
        outputs = {}
        for fmt in ("json", "sarif", "junit", "text"):
            code, out, err = run_cli(capsys, "scan", "--endpoint-url", proxy.url, "--regions", LU, "--no-history",
                                     "--format", fmt)
            assert code == 1, err
            outputs[fmt] = out
    finally:
        proxy.inject(None)
    sg_rules = {r.id for r in RULES if SG in r.resource_types}
    document = json.loads(outputs["json"])
    listed = [f for f in document["findings"] if "listing" in f]
    assert {f["rule_id"] for f in listed} == sg_rules and document["summary"]["errors"] == len(sg_rules)
    assert all(f["listing"]["code"] == "UnauthorizedOperation" for f in listed)
    sarif = json.loads(outputs["sarif"])["runs"][0]
    open_results = {r["ruleId"] for r in sarif["results"] if r.get("kind") == "open"}
    assert open_results == sg_rules and sarif["invocations"][0]["executionSuccessful"] is False
    assert {n["associatedRule"]["id"] for n in sarif["invocations"][0]["toolExecutionNotifications"]} == sg_rules
    import xml.etree.ElementTree as ET

    cases = ET.fromstring(outputs["junit"]).iter("testcase")
    errored = {case.get("classname") for case in cases if case.find("error") is not None}
    assert errored == sg_rules
    assert "AWS::EC2::SecurityGroup *" in outputs["text"] and "UnauthorizedOperation" in outputs["text"]
    assert "INCOMPLETE" in outputs["text"] or "FAIL" in outputs["text"]
