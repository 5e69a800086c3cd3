"""The live collectors against a seeded moto server on loopback (see tests/moto_cloud.py)."""

from __future__ import annotations

import types
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from luxguard.core.errors import LuxguardError
from luxguard.core.locations import load_locations
from luxguard.core.model import Resource
from luxguard.resources import property_kind, vocabulary
from scanners import ScanResult, collect, open_session, resolve_regions
from scanners.answers import EXPECTED
from scanners.dynamodb import table_properties
from scanners.keys import KeyResolver
from scanners.s3 import region_from_location
from tests.moto_cloud import (
    ACCOUNT,
    ALL_BLOCKED,
    EU,
    LU,
    US,
    client,
    reset,
    seed_estate,
)

REGIONS = [LU, EU, US]
# Settings of the account (or of a region in it), which have no ARN of their own.
ACCOUNT_SETTINGS = {"AWS::EC2::EBSEncryptionByDefault", "AWS::IAM::AccountPasswordPolicy"}


@pytest.fixture(scope="module")
def estate(moto_endpoint: str) -> tuple[dict[str, Any], ScanResult]:
    """Seed once and scan once for all read-only tests (seeding is the slow part)."""
    reset(moto_endpoint)
    seeded = seed_estate(moto_endpoint)
    return seeded, collect(boto3.Session(region_name=LU), REGIONS, moto_endpoint)


def find(result: ScanResult, resource_type: str, resource_id: str) -> Resource:
    matches = [r for r in result.resources if r.type == resource_type and r.id == resource_id]
    assert len(matches) == 1, f"{resource_type} {resource_id}: {len(matches)} found"
    return matches[0]


def ids_of(result: ScanResult, resource_type: str) -> set[str]:
    return {r.id for r in result.resources if r.type == resource_type}


def bucket(result: ScanResult, name: str) -> Resource:
    return find(result, "AWS::S3::Bucket", name)


# ------------------------------------------------------------------------ whole scan

def test_scan_covers_every_type_sorted_and_within_the_vocabulary(estate):
    _, result = estate
    assert result.regions == REGIONS and result.account_id == ACCOUNT
    assert result.failures == []
    assert [(r.type, r.id) for r in result.resources] == sorted((r.type, r.id) for r in result.resources)
    assert {r.type for r in result.resources} == set(vocabulary()["types"])
    # every read is believed only once it is checked to be the API's answer (scanners/answers.py)
    assert set(result.api_calls) <= set(EXPECTED), sorted(set(result.api_calls) - set(EXPECTED))
    for resource in result.resources:
        if resource.type.startswith(("AWS::IAM::", "AWS::CloudFront::")):   # global: no region to report
            assert resource.region is None and resource.properties.get("region") is None
        else:
            assert resource.region and resource.properties["region"] == resource.region
        assert resource.type in ACCOUNT_SETTINGS or resource.arn
        for path in _leaf_paths(resource.properties):
            assert property_kind(resource.type, path), f"{resource.type}: {path} not in model.yaml"


def test_progress_reports_each_listing(fresh_cloud):
    client(fresh_cloud, "s3").create_bucket(Bucket="progress", CreateBucketConfiguration={"LocationConstraint": LU})
    messages: list[str] = []
    collect(boto3.Session(region_name=LU), [LU], fresh_cloud, max_workers=2, progress=messages.append)
    assert "s3 progress: 1 resource(s)" in messages
    assert f"ec2 security groups {LU}: 1 resource(s)" in messages and f"kms {LU}: 0 resource(s)" in messages


def _leaf_paths(properties: dict, prefix: str = "") -> list[str]:
    paths = []
    for key, value in properties.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and key != "tags":
            paths += _leaf_paths(value, path + ".")
        else:
            paths.append(path)
    return paths


# ------------------------------------------------------------------------------- S3

def test_bucket_regions_follow_location_constraints(estate):
    _, result = estate
    assert {name: bucket(result, name).region for name in ("lux-compliant", "euw-unencrypted", "us-legacy")} == {
        "lux-compliant": LU, "euw-unencrypted": EU, "us-legacy": US}
    assert bucket(result, "us-legacy").arn == "arn:aws:s3:::us-legacy"
    assert region_from_location(None) == region_from_location("") == "us-east-1"
    assert region_from_location("EU") == "eu-west-1"


def test_compliant_bucket_has_every_group(estate):
    seeded, result = estate
    key_arn = f"arn:aws:kms:{LU}:{ACCOUNT}:key/{seeded['ids']['kms_lu_cmk']}"
    props = bucket(result, "lux-compliant").properties
    assert props["encryption"] == {"algorithm": "aws:kms", "kms_key_id": key_arn, "kms_key_region": LU,
                                   "customer_managed_key": True, "bucket_key_enabled": True}
    assert props["public_access_block"] == {"block_public_acls": True, "ignore_public_acls": True,
                                            "block_public_policy": True, "restrict_public_buckets": True,
                                            "all": True}
    assert props["policy"] == {"present": True, "public": False, "denies_insecure_transport": True,
                               "denies_unencrypted_uploads": True,
                               "statement_ids": ["DenyInsecureTransport", "DenyUnencryptedUploads"],
                               "grants": []}   # Deny statements only: nobody is granted anything
    assert props["acl"] == {"public": False}
    assert props["versioning"] == {"enabled": True}
    assert props["logging"] == {"enabled": True, "target_bucket": "lux-access-logs", "target_region": LU}
    # 365 (all objects) and 90 (tmp/) enabled, 1 day disabled: the shortest enabled wins.
    assert props["lifecycle"] == {"expiration_days": 90, "noncurrent_expiration_days": 30}
    assert props["object_lock"] == {"enabled": False, "retention_days": None}
    assert props["replication"] == {"destination_buckets": [], "destination_regions": []}
    assert props["ownership"] == "BucketOwnerEnforced"
    assert props["classification"] == ["billing", "contact"]
    assert bucket(result, "lux-compliant").collection_errors == {}


def test_bucket_without_encryption_configuration_reads_as_sse_s3(estate):
    _, result = estate
    euw = bucket(result, "euw-unencrypted")
    # moto 5.2 answers "not found" where S3 (since January 2023) answers SSE-S3: both are AES256.
    assert euw.region == EU and euw.get("encryption.algorithm") == "AES256"
    assert euw.get("encryption.customer_managed_key") is False
    assert euw.get("policy.present") is False and euw.get("lifecycle.expiration_days") is None
    assert euw.get("ownership") is None and euw.get("tags") == {}
    assert euw.collection_errors == {}


def test_key_regions_and_managers_for_buckets(estate):
    _, result = estate
    foreign = bucket(result, "lux-foreign-key")
    assert foreign.get("encryption.kms_key_region") == EU and foreign.get("encryption.customer_managed_key") is True
    legacy = bucket(result, "us-legacy")   # aws:kms without a key id = the aws/s3 key of us-east-1
    assert legacy.get("encryption.algorithm") == "aws:kms" and legacy.get("encryption.kms_key_id") == "alias/aws/s3"
    assert legacy.get("encryption.kms_key_region") == US and legacy.get("encryption.customer_managed_key") is False
    logs = bucket(result, "lux-access-logs")
    assert logs.get("encryption.algorithm") == "AES256" and logs.get("encryption.customer_managed_key") is False
    assert logs.get("role") == "access-logs"


def test_public_buckets_and_account_level_block(estate):
    _, result = estate
    assert bucket(result, "lux-public-policy").get("policy.public") is True
    assert bucket(result, "lux-public-policy").get("policy.statement_ids") == ["PublicRead"]
    assert bucket(result, "lux-public-acl").get("acl.public") is True
    assert bucket(result, "lux-access-logs").get("acl.public") is False   # log-delivery-write is not public
    # The seeded account-level block has only BlockPublicAcls: not all four anywhere.
    assert bucket(result, "lux-public-acl").get("public_access_block") == {
        "block_public_acls": False, "ignore_public_acls": False, "block_public_policy": False,
        "restrict_public_buckets": False, "all": False}


def test_account_level_block_makes_all_true(fresh_cloud):
    s3 = client(fresh_cloud, "s3")
    s3.create_bucket(Bucket="plain", CreateBucketConfiguration={"LocationConstraint": LU})
    client(fresh_cloud, "s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_BLOCKED)
    result = collect(boto3.Session(region_name=LU), [LU], fresh_cloud)
    pab = bucket(result, "plain").get("public_access_block")
    assert pab["all"] is True and pab["block_public_acls"] is False


def test_replication_object_lock_versioning(estate):
    _, result = estate
    replicated = bucket(result, "lux-replicated")
    assert replicated.get("replication") == {
        "destination_buckets": ["euw-replica", "partner-bucket-elsewhere"],
        "destination_regions": ["eu-west-1", "unknown"]}
    accounting = bucket(result, "lux-accounting")
    assert accounting.get("object_lock") == {"enabled": True, "retention_days": 3650}
    assert accounting.get("versioning.enabled") is True


# ------------------------------------------------------------------------------ KMS

def test_kms_keys(estate):
    seeded, result = estate
    ids = seeded["ids"]
    good = find(result, "AWS::KMS::Key", ids["kms_lu_cmk"])
    assert good.region == LU and good.get("name") == "kms-lu-cmk"
    assert {k: good.get(k) for k in ("key_manager", "state", "rotation_enabled", "policy.public")} == {
        "key_manager": "CUSTOMER", "state": "Enabled", "rotation_enabled": True, "policy.public": False}
    assert find(result, "AWS::KMS::Key", ids["kms_lu_no_rotation"]).get("rotation_enabled") is False
    assert find(result, "AWS::KMS::Key", ids["kms_eu_cmk"]).region == EU


def test_kms_pending_deletion_is_reported_without_rotation_call(fresh_cloud):
    kms = client(fresh_cloud, "kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    result = collect(boto3.Session(region_name=LU), [LU], fresh_cloud)
    key = find(result, "AWS::KMS::Key", key_id)
    assert key.get("state") == "PendingDeletion" and key.get("rotation_enabled") is None
    assert "kms.GetKeyRotationStatus" not in result.api_calls


# ------------------------------------------------------------------------------ EC2

def test_security_groups(estate):
    seeded, result = estate
    ids = seeded["ids"]
    admin = find(result, "AWS::EC2::SecurityGroup", ids["sg_open_admin"])
    assert admin.get("group_name") == "open-admin" and admin.get("is_default") is False
    assert admin.get("ingress") == [
        {"protocol": "tcp", "ports": [22, 22], "sources": ["0.0.0.0/0"], "open_to_world": True, "description": "ssh"},
        {"protocol": "tcp", "ports": [3389, 3389], "sources": ["::/0"], "open_to_world": True, "description": None},
    ]
    web = find(result, "AWS::EC2::SecurityGroup", ids["sg_web_ok"])
    assert [r["open_to_world"] for r in web.get("ingress")] == [False, False]
    assert web.get("ingress")[1]["sources"] == [ids["sg_app_tier"]]
    assert web.get("tags") == {"Team": "web"}
    defaults = [r for r in result.resources if r.type == "AWS::EC2::SecurityGroup" and r.get("is_default")]
    # moto: one default VPC per region; and the two VPCs of the seeded Luxembourg peering
    assert sorted(r.region for r in defaults) == sorted([*REGIONS, LU, LU])


def test_volumes_snapshots_and_ebs_default(estate):
    seeded, result = estate
    ids = seeded["ids"]
    good = find(result, "AWS::EC2::Volume", ids["vol_encrypted"])
    assert (good.get("encrypted"), good.get("kms_key_region"), good.get("customer_managed_key"), good.get("name")) == (
        True, LU, True, "db-data")
    assert find(result, "AWS::EC2::Volume", ids["vol_plain"]).get("encrypted") is False
    assert find(result, "AWS::EC2::Volume", ids["vol_eu"]).region == EU
    # moto ignores OwnerIds=self and returns AMI snapshots of other owners: filtered out.
    # the AMI's own snapshot (moto makes one per image) is the account's too.
    assert ids_of(result, "AWS::EC2::Snapshot") == {ids["snap_public"], ids["snap_private"], ids["snap_of_ami"]}
    assert find(result, "AWS::EC2::Snapshot", ids["snap_public"]).get("public") is True
    assert find(result, "AWS::EC2::Snapshot", ids["snap_private"]).get("public") is False
    # every snapshot: encrypted ones cannot be public but can be shared with other accounts
    assert result.api_calls["ec2.DescribeSnapshotAttribute"] == 3
    assert find(result, "AWS::EC2::Snapshot", ids["snap_public"]).get("sharing.grants")[0]["public"] is True
    assert find(result, "AWS::EC2::Snapshot", ids["snap_private"]).get("sharing.grants") == []
    lu_default = find(result, "AWS::EC2::EBSEncryptionByDefault", LU)
    assert lu_default.get("enabled") is True
    # moto does not implement GetEbsDefaultKmsKeyId: recorded, not fatal.
    assert set(lu_default.collection_errors) == {"kms_key_id"}
    assert find(result, "AWS::EC2::EBSEncryptionByDefault", EU).get("enabled") is False


def test_images(estate):
    seeded, result = estate
    ids = seeded["ids"]
    # only the account's own AMIs: moto's catalogue of Amazon's images is not listed
    assert ids_of(result, "AWS::EC2::Image") == {ids["ami_public"]}
    ami = find(result, "AWS::EC2::Image", ids["ami_public"])
    assert (ami.get("public"), ami.get("encrypted"), ami.get("classification"), ami.get("name")) == (
        True, False, ["billing"], "lux-app-image")
    assert ami.get("sharing.grants")[0]["public"] is True and ami.collection_errors == {}
    assert result.api_calls["ec2.DescribeImageAttribute"] == 1


# ------------------------------------------------------------------ RDS, DynamoDB, trails

def test_rds_instances(estate):
    _, result = estate
    ok = find(result, "AWS::RDS::DBInstance", "lux-db-ok")
    assert {k: ok.get(k) for k in ("storage_encrypted", "kms_key_region", "customer_managed_key",
                                    "publicly_accessible", "engine", "classification")} == {
        "storage_encrypted": True, "kms_key_region": LU, "customer_managed_key": True,
        "publicly_accessible": False, "engine": "postgres", "classification": ["billing"]}
    public = find(result, "AWS::RDS::DBInstance", "lux-db-public")
    assert (public.get("storage_encrypted"), public.get("publicly_accessible")) == (False, True)


def test_dynamodb_tables(estate):
    _, result = estate
    orders = find(result, "AWS::DynamoDB::Table", "lux-orders")
    assert orders.get("sse") == {"enabled": True, "type": "KMS"}
    assert (orders.get("kms_key_region"), orders.get("customer_managed_key")) == (LU, True)
    assert orders.get("classification") == ["billing"]
    sessions = find(result, "AWS::DynamoDB::Table", "lux-sessions")
    assert sessions.get("sse") == {"enabled": False, "type": None}
    assert sessions.get("customer_managed_key") is False and sessions.get("replica_regions") == []


def test_dynamodb_replicas_from_describe_table():
    """moto keeps no global-table replicas, so the parsing is checked on a canned response."""
    table = {"SSEDescription": {"Status": "ENABLED", "SSEType": "KMS"},
             "Replicas": [{"RegionName": "eu-west-1"}, {"RegionName": "lu-central-1"}]}
    props = table_properties(table, LU, KeyResolver(clients=None))  # type: ignore[arg-type]
    assert props["replica_regions"] == ["eu-west-1", "lu-central-1"]
    assert props["customer_managed_key"] is False and props["kms_key_region"] == LU


def test_cloudtrail(estate):
    _, result = estate
    assert ids_of(result, "AWS::CloudTrail::Trail") == {"lux-trail", "lux-trail-single"}  # no shadow copies
    trail = find(result, "AWS::CloudTrail::Trail", "lux-trail")
    assert {k: trail.get(k) for k in ("multi_region", "log_file_validation", "s3_bucket", "s3_bucket_region",
                                      "logging")} == {
        "multi_region": True, "log_file_validation": True, "s3_bucket": "lux-trail-logs",
        "s3_bucket_region": LU, "logging": True}
    single = find(result, "AWS::CloudTrail::Trail", "lux-trail-single")
    assert (single.get("multi_region"), single.get("s3_bucket_region"), single.get("logging")) == (False, EU, False)


def test_seeded_violations_show_in_properties(estate):
    seeded, result = estate
    checks = {
        "bucket_outside_lu": ("AWS::S3::Bucket", lambda r: r.region != LU),
        "bucket_without_cmk": ("AWS::S3::Bucket", lambda r: r.get("role") != "access-logs"
                                and not r.get("encryption.customer_managed_key")),
        "bucket_public_policy": ("AWS::S3::Bucket", lambda r: r.get("policy.public")),
        "bucket_public_acl": ("AWS::S3::Bucket", lambda r: r.get("acl.public")),
        "bucket_replicates_abroad": ("AWS::S3::Bucket", lambda r: r.get("replication.destination_regions") not in ([], [LU])),
        "bucket_key_outside_lu": ("AWS::S3::Bucket", lambda r: r.get("encryption.kms_key_region") not in (None, LU)),
        "kms_rotation_off": ("AWS::KMS::Key", lambda r: r.get("rotation_enabled") is False),
        "kms_key_outside_lu": ("AWS::KMS::Key", lambda r: r.get("key_manager") == "CUSTOMER" and r.region != LU),
        "sg_open_admin": ("AWS::EC2::SecurityGroup", lambda r: any(
            x["open_to_world"] and x["ports"] and x["ports"][0] <= 22 <= x["ports"][1] for x in r.get("ingress"))),
        "volume_unencrypted": ("AWS::EC2::Volume", lambda r: not r.get("encrypted")),
        "snapshot_public": ("AWS::EC2::Snapshot", lambda r: r.get("public")),
        "image_public": ("AWS::EC2::Image", lambda r: r.get("public")),
        "image_unencrypted": ("AWS::EC2::Image", lambda r: not r.get("encrypted")),
        "rds_public": ("AWS::RDS::DBInstance", lambda r: r.get("publicly_accessible")),
        "rds_unencrypted": ("AWS::RDS::DBInstance", lambda r: not r.get("storage_encrypted")),
        "dynamodb_default_sse": ("AWS::DynamoDB::Table", lambda r: not r.get("sse.enabled")),
        "trail_single_region": ("AWS::CloudTrail::Trail", lambda r: not r.get("multi_region")),
        "trail_bucket_outside_lu": ("AWS::CloudTrail::Trail", lambda r: r.get("s3_bucket_region") != LU),
        "trail_not_logging": ("AWS::CloudTrail::Trail", lambda r: not r.get("logging")),
        "queue_without_cmk": ("AWS::SQS::Queue", lambda r: not r.get("customer_managed_key")),
        "topic_without_cmk": ("AWS::SNS::Topic", lambda r: not r.get("customer_managed_key")),
        "log_group_kept_forever": ("AWS::Logs::LogGroup", lambda r: r.get("retention_days") is None),
        "secret_with_aws_key": ("AWS::SecretsManager::Secret", lambda r: not r.get("customer_managed_key")),
        "parameter_in_plain_text": ("AWS::SSM::Parameter", lambda r: r.get("parameter_type") != "SecureString"),
        "stream_unencrypted": ("AWS::Kinesis::Stream", lambda r: not r.get("encrypted")),
        "instance_outside_lu": ("AWS::EC2::Instance", lambda r: r.region != LU),
        "delivery_stream_abroad": ("AWS::KinesisFirehose::DeliveryStream",
                                   lambda r: r.get("destination_regions") != [LU]),
    }
    assert set(checks) == set(seeded["violating"])
    for label, (resource_type, violates) in checks.items():
        found = sorted(r.id for r in result.resources if r.type == resource_type and violates(r))
        assert found == sorted(seeded["violating"][label]), label


# ----------------------------------------------------------------------------- faults

def _buckets(endpoint: str, names: list[str], versioned: bool = False, owner_enforced: bool = False) -> None:
    s3 = client(endpoint, "s3")
    for name in names:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": LU})
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if owner_enforced:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})


def test_access_denied_on_one_call_is_recorded_and_scan_goes_on(fresh_cloud):
    _buckets(fresh_cloud, ["b-one", "b-two", "b-three"])
    session = boto3.Session(region_name=LU)

    def deny(params: dict, **_: Any) -> None:   # params: the serialised request
        if "/b-two?" in params["url"]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetBucketPolicy")

    session.events.register("before-call.s3.GetBucketPolicy", deny)
    result = collect(session, [LU], fresh_cloud)
    denied = bucket(result, "b-two")
    assert denied.collection_errors == {"policy": "AccessDenied: Access Denied"}
    assert "policy" not in denied.properties and denied.get("acl.public") is False
    for name in ("b-one", "b-three"):
        assert bucket(result, name).collection_errors == {}
        assert bucket(result, name).get("policy.present") is False


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any):
        yield self._data


def test_throttling_past_retries_is_recorded_after_five_retries(fresh_cloud, monkeypatch):
    _buckets(fresh_cloud, ["t-one", "t-two"])
    sleeps: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=sleeps.append))
    session = boto3.Session(region_name=LU)

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        if "/t-two" not in request.url:
            return None
        body = b"<Error><Code>ThrottlingException</Code><Message>Rate exceeded</Message></Error>"
        return AWSResponse(request.url, 400, {"Content-Type": "application/xml"}, _Body(body))

    session.events.register("before-send.s3.GetBucketPolicy", throttle)
    result = collect(session, [LU], fresh_cloud)
    assert bucket(result, "t-two").collection_errors == {"policy": "ThrottlingException: Rate exceeded"}
    assert bucket(result, "t-one").get("policy.present") is False
    assert result.api_calls["s3.GetBucketPolicy"] == 2
    # botocore's max_attempts=5 means 5 retries: 6 requests for t-two, 1 for t-one.
    assert result.http_requests["s3.GetBucketPolicy"] == 1 + 6
    assert len(sleeps) == 5                                          # standard-mode backoff between them


def test_unreachable_endpoint_is_a_clear_error(moto_endpoint):
    with pytest.raises(LuxguardError, match=r"cannot reach the cloud endpoint http://127\.0\.0\.1:9 "):
        collect(boto3.Session(region_name=LU), [LU], "http://127.0.0.1:9")


def test_missing_credentials_is_a_clear_error(moto_endpoint, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LuxguardError, match=r"no usable AWS credentials for http://127\.0\.0\.1:\d+ \(profile 'default'"):
        collect(boto3.Session(region_name=LU), [LU], moto_endpoint)


def test_rejected_credentials_is_a_clear_error(moto_endpoint):
    session = boto3.Session(region_name=LU)

    def reject(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InvalidClientTokenId", "Message": "bad"}}, "GetCallerIdentity")

    session.events.register("before-call.sts.GetCallerIdentity", reject)
    with pytest.raises(LuxguardError, match="credentials rejected by .*InvalidClientTokenId"):
        collect(session, [LU], moto_endpoint)


def test_unknown_profile_is_a_clear_error(moto_endpoint):
    with pytest.raises(LuxguardError, match="AWS profile 'no-such-profile' not found"):
        open_session("no-such-profile", LU)


# ------------------------------------------------------------------------ API calls

def _s3_calls(result: ScanResult) -> int:
    return sum(n for op, n in result.api_calls.items() if op.startswith("s3."))


@pytest.mark.parametrize("versioned, owner_enforced, per_bucket", [(False, False, 9), (True, False, 11),
                                                                   (False, True, 8)])
def test_api_calls_grow_linearly_with_buckets(fresh_cloud, versioned, owner_enforced, per_bucket):
    """ListBuckets + account PAB once; per bucket 9 calls, 11 with versioning (object lock
    and replication are only read when versioning is on), 8 when ACLs are disabled
    (BucketOwnerEnforced: the ACL grants nothing, so it is not read); their tags come from the
    region's tagging pass (one GetResources page per 100 tagged resources)."""
    totals = {}
    for count in (2, 5):
        reset(fresh_cloud)
        _buckets(fresh_cloud, [f"count-{i}" for i in range(count)], versioned=versioned, owner_enforced=owner_enforced)
        result = collect(boto3.Session(region_name=LU), [LU], fresh_cloud)
        assert _s3_calls(result) == 1 + per_bucket * count
        assert result.api_calls["s3-control.GetPublicAccessBlock"] == 1
        assert result.api_calls == result.http_requests          # no retries on a healthy server
        assert ("s3.GetBucketAcl" in result.api_calls) is not owner_enforced
        assert all(r.get("acl.public") is False for r in result.resources if r.type == "AWS::S3::Bucket")
        totals[count] = result.total_api_calls
    fixed = totals[2] - per_bucket * 2
    assert totals[5] == fixed + per_bucket * 5
    # STS + s3 list + s3control + the buckets' region's tagging pass; once per account: CloudFront's listing, IAM (authorization details, password policy,
    # account summary); per region: KMS 2, EC2 9 (security groups, instances, volumes, snapshots, AMIs,
    # EBS default, VPC and transit gateway peerings, launch templates), RDS 4 (instances, clusters, snapshots, cluster snapshots; global clusters only
    # where a cluster belongs to one), Redshift 1, OpenSearch 1 (domain names), ElastiCache 1,
    # DynamoDB 1, CloudTrail 1, Lambda 1, ECR 1, EKS 1, ECS 1, Glacier 1
    # (DescribeRegistry only where there are repositories); and one listing each for queues,
    # topics, log groups, secrets, parameters, streams, delivery streams, file systems, backup vaults,
    # backup plans.
    # (An account without AMIs makes no DescribeSnapshots for their devices.)
    assert fixed == 4 + 4 + 26 + 9


# -------------------------------------------------------------------------- regions

def test_resolve_regions(moto_endpoint):
    session = boto3.Session(region_name=LU)
    locations = load_locations()
    assert resolve_regions(session, "lu-central-1, eu-west-1,lu-central-1", locations, moto_endpoint) == [LU, EU]
    everything = resolve_regions(session, "all", locations, moto_endpoint)
    assert {LU, EU, US} <= set(everything) and everything == sorted(everything)
    assert not [r for r in everything if r.startswith(("cn-", "us-gov-"))]   # another partition's regions
    with pytest.raises(LuxguardError, match="not a region name: nowhere"):
        resolve_regions(session, "lu-central-1,nowhere", locations, moto_endpoint)
    with pytest.raises(LuxguardError, match=r"unknown region eu-west-9 \(did you mean"):
        resolve_regions(session, "eu-west-9", locations, moto_endpoint)


def test_resolve_regions_fails_closed_when_the_account_regions_are_refused(moto_endpoint):
    session = boto3.Session(region_name=LU)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "DescribeRegions")

    session.events.register("before-call.ec2.DescribeRegions", refuse)
    with pytest.raises(LuxguardError, match=r"cannot list the account's enabled regions .*UnauthorizedOperation"):
        resolve_regions(session, "all", load_locations(), moto_endpoint)
