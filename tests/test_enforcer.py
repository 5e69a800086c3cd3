"""`luxguard enforce` end to end against moto's server: plans, repairs, audit, safety."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from luxguard.sinks.history import HistoryStore
from tests.helpers import run_cli
from tests.moto_cloud import ACCOUNT, EU, LU, US, client, seed_estate

REGIONS = f"{LU},{EU},{US}"
# GenerateCredentialReport changes nothing: IAM asks for it before GetCredentialReport (keys, MFA).
READ_ONLY = re.compile(r"^(Get|List|Describe|Head|GenerateCredentialReport$)")
# Every mutating call the enforcer may make (anything else fails the safety test).
ALLOWED_WRITES = {
    "PutBucketEncryption", "PutPublicAccessBlock", "PutBucketPolicy", "PutBucketVersioning", "PutBucketAcl",
    "PutBucketTagging", "EnableKeyRotation", "TagResource", "RevokeSecurityGroupIngress", "ModifyDBInstance",
    "EnableEbsEncryptionByDefault", "ModifySnapshotAttribute", "ModifyDBSnapshotAttribute",
    "ModifyDBClusterSnapshotAttribute", "ModifyImageAttribute", "RemovePermission", "ModifyCluster", "CreateTags",
    "AddTagsToResource",
    "RevokeSecurityGroupEgress", "SetQueueAttributes", "SetTopicAttributes", "PutResourcePolicy", "PutKeyPolicy",
    "UpdateDomainConfig", "AddTags",
}
# The removals that are the repair itself: a world-open ingress range, a public ACL grant, the
# default security group's rules (CIS 5.4). Nothing is ever deleted, not even an emptied policy.
ALLOWED_REMOVALS = {"RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "PutBucketAcl", "RemovePermission"}
DESTRUCTIVE = re.compile(r"^(Delete|Remove|Terminate|Revoke|Disable|Deregister|Purge|Detach|Disassociate|"
                         r"Cancel|Schedule|Stop|Restore|Copy|Move|Restore)")


@pytest.fixture
def calls(monkeypatch, moto_endpoint) -> list[tuple[str, str, dict]]:
    """Every API call any botocore client makes in this process (scans, enforcer, re-scan),
    with its parameters: a hook registered on each client as it is created, on
    `before-parameter-build.*.*` (emitted once per API call, before `before-call`)."""
    recorded: list[tuple[str, str, dict]] = []
    original = botocore.session.Session.create_client

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        new = original(self, *args, **kwargs)

        def record(event_name: str, params: dict, model: Any, **_: Any) -> None:
            recorded.append((event_name.split(".")[1], model.name, dict(params)))

        new.meta.events.register("before-parameter-build.*.*", record)
        return new

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    return recorded


def writes(recorded: list) -> list[tuple[str, str]]:
    return [(service, op) for service, op, _ in recorded if not READ_ONLY.match(op)]


def deny(operation: str, monkeypatch, service: str = "s3") -> None:
    """Every client created from now on gets AccessDenied for `operation`."""
    original = botocore.session.Session.create_client

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        new = original(self, *args, **kwargs)

        def refuse(**_: Any) -> None:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected: not allowed"}}, operation)

        new.meta.events.register(f"before-call.{service}.{operation}", refuse)
        return new

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)


def enforce(capsys, endpoint: str, tmp_path: Path, *args: str, regions: str = LU) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "enforce", "--endpoint-url", endpoint, "--regions", regions, "--format", "json",
                             "--audit-log", str(tmp_path / "audit.jsonl"), "--db", str(tmp_path / "h.db"),
                             "--actor", "tester@ci", *args)
    assert code in (0, 1), err
    return code, json.loads(out), err


def planned(document: dict, runnable_only: bool = True) -> set[tuple[str, str, str]]:
    return {(c["rule_id"], c["resource"]["id"], c["action"]) for c in document["plan"]
            if not (runnable_only and c["blocked"])}


def result_of(document: dict, rule_id: str, resource_id: str) -> dict:
    (found,) = [r for r in document["results"] if r["rule_id"] == rule_id and r["resource"]["id"] == resource_id]
    return found


def scan_failing(capsys, endpoint: str) -> set[tuple[str, str]]:
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", endpoint, "--regions", REGIONS, "--format", "json",
                             "--no-history")
    assert code in (0, 1), err
    return {(f["rule_id"], f["resource"]["id"]) for f in json.loads(out)["findings"] if f["status"] == "fail"}


def lu_key(endpoint: str) -> str:
    return client(endpoint, "kms", LU).create_key(Description="designated")["KeyMetadata"]["Arn"]


def inventory(endpoint: str) -> dict[str, set]:
    """Everything that exists, to prove nothing was deleted."""
    found: dict[str, set] = {"buckets": {b["Name"] for b in client(endpoint, "s3").list_buckets()["Buckets"]}}
    found["objects"] = {(b, o["Key"]) for b in found["buckets"]
                        for o in client(endpoint, "s3").list_objects_v2(Bucket=b).get("Contents", [])}
    for region in (LU, EU, US):
        ec2 = client(endpoint, "ec2", region)
        found[f"sg {region}"] = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
        found[f"volumes {region}"] = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
        found[f"snapshots {region}"] = {s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
        found[f"keys {region}"] = {k["KeyId"] for k in client(endpoint, "kms", region).list_keys()["Keys"]}
        found[f"db {region}"] = {d["DBInstanceIdentifier"] for d in
                                 client(endpoint, "rds", region).describe_db_instances()["DBInstances"]}
        found[f"tables {region}"] = set(client(endpoint, "dynamodb", region).list_tables()["TableNames"])
    return found


def ledger_bucket(endpoint: str) -> None:
    """An accounting bucket without versioning (LUX-RET-001), holding one object."""
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="lux-ledger", CreateBucketConfiguration={"LocationConstraint": LU})
    s3.put_bucket_tagging(Bucket="lux-ledger", Tagging={"TagSet": [{"Key": "data-classification",
                                                                      "Value": "accounting"}]})
    s3.put_object(Bucket="lux-ledger", Key="2026/invoice-1.pdf", Body=b"invoice")


# ------------------------------------------------------------------------------ the whole estate

def test_whole_estate_dry_run_then_apply_deletes_nothing_and_a_second_run_plans_nothing(fresh_cloud, capsys,
                                                                                        tmp_path, calls):
    estate = seed_estate(fresh_cloud)
    ids = estate["ids"]
    ledger_bucket(fresh_cloud)
    key = lu_key(fresh_cloud)
    before = inventory(fresh_cloud)

    # Dry-run (the default): the plan, and not one mutating call, no audit written.
    calls.clear()
    code, document, _ = enforce(capsys, fresh_cloud, tmp_path, "--kms-key", key, regions=REGIONS)
    assert code == 0 and document["mode"] == "dry-run"
    assert calls and writes(calls) == []
    assert not (tmp_path / "audit.jsonl").exists() and not (tmp_path / "h.db").exists()
    plan = planned(document)
    for expected in [
        ("LUX-ENC-001", "lux-public-acl", "s3_set_default_encryption"),
        ("LUX-ACC-001", "lux-public-policy", "s3_block_public_access"),
        ("LUX-ENC-003", "lux-public-policy", "s3_deny_insecure_transport"),
        ("LUX-ACC-003", "lux-public-acl", "s3_remove_public_acl"),
        ("LUX-RET-001", "lux-ledger", "s3_enable_versioning"),
        ("LUX-ENC-005", ids["kms_lu_no_rotation"], "kms_enable_rotation"),
        ("LUX-ACC-004", ids["sg_open_admin"], "sg_revoke_world_ingress"),
        ("LUX-ACC-007", "lux-db-public", "rds_disable_public_access"),
        ("LUX-ACC-008", ids["snap_public"], "ebs_unshare_snapshot"),
        ("LUX-ACC-008", ids["ami_public"], "ebs_unshare_snapshot"),
        ("LUX-ENC-010", EU, "ebs_enable_default_encryption"),
        ("LUX-RES-001", "euw-unencrypted", "tag_residency_violation"),
        ("LUX-RES-001", ids["kms_eu_cmk"], "tag_residency_violation"),
        ("LUX-RES-001", ids["vol_eu"], "tag_residency_violation"),
    ]:
        assert expected in plan, expected
    # S3 needs a key in the bucket's region: the LU key cannot encrypt an Irish bucket.
    (irish,) = [c for c in document["plan"] if c["rule_id"] == "LUX-ENC-001" and c["resource"]["id"] == "euw-unencrypted"]
    assert "eu-west-1" in irish["blocked"] and irish["calls"] == []
    # The plan shows the exact call.
    (sg,) = [c for c in document["plan"] if c["rule_id"] == "LUX-ACC-004"]
    assert sg["calls"] == [{"service": "ec2", "region": LU, "operation": "RevokeSecurityGroupIngress", "params": {
        "GroupId": ids["sg_open_admin"], "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}}]

    # --apply over the whole estate.
    calls.clear()
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--kms-key", key, "--quarantine", "--apply", "--yes",
                                  regions=REGIONS)
    # Irish/US buckets cannot take the Luxembourg key: refused, the rest still ran.
    assert code == 1, err
    refused = {(r["rule_id"], r["resource"]["id"]) for r in document["results"] if r["outcome"] == "refused"}
    assert refused == {("LUX-ENC-001", b) for b in ("euw-replica", "euw-trail-logs", "euw-unencrypted",
                                                                "us-legacy")}

    # Nothing deleted: only allowed writes, no destructive operation but the two repairs.
    made = writes(calls)
    assert made and {op for _, op in made} <= ALLOWED_WRITES, {op for _, op in made} - ALLOWED_WRITES
    assert [op for _, op in made if DESTRUCTIVE.match(op) and op not in ALLOWED_REMOVALS] == []
    assert not any(op.startswith("Delete") for _, op, _ in calls)
    after = inventory(fresh_cloud)
    assert after.keys() == before.keys()
    for kind, existing in before.items():   # server access logging may add log objects; nothing goes
        assert existing <= after[kind], (kind, existing - after[kind])

    for rule_id, resource_id in [
        ("LUX-ENC-001", "lux-public-acl"), ("LUX-ENC-001", "lux-trail-logs"), ("LUX-ACC-001", "lux-public-policy"),
        ("LUX-ACC-002", "lux-public-policy"), ("LUX-ACC-003", "lux-public-acl"), ("LUX-RET-001", "lux-ledger"),
        ("LUX-ENC-005", ids["kms_lu_no_rotation"]), ("LUX-ACC-004", ids["sg_open_admin"]),
        ("LUX-ACC-008", ids["snap_public"]), ("LUX-ACC-008", ids["ami_public"]), ("LUX-ENC-010", EU),
        ("LUX-ENC-010", US),
    ]:
        result = result_of(document, rule_id, resource_id)
        assert (result["outcome"], result["verification"]) == ("succeeded", "now passes"), (rule_id, resource_id)
    # Removing the public statement left the TLS-only Deny in its place: the TLS repair finds
    # nothing to do when it re-reads the policy.
    tls = result_of(document, "LUX-ENC-003", "lux-public-policy")
    assert tls["outcome"] == "no-op" and "by an earlier action" in tls["detail"]
    rds = result_of(document, "LUX-ACC-007", "lux-db-public")
    assert rds["outcome"] == "succeeded" and rds["verification"] in (
        "now passes", "pending (the cloud applies it asynchronously)")
    residency = result_of(document, "LUX-RES-001", "us-legacy")
    assert residency["outcome"] == "succeeded" and residency["verification"].startswith("recorded")

    failing = scan_failing(capsys, fresh_cloud)
    for rule_id, resource_id in [("LUX-ACC-004", ids["sg_open_admin"]), ("LUX-ACC-003", "lux-public-acl"),
                                 ("LUX-ENC-005", ids["kms_lu_no_rotation"]), ("LUX-ACC-007", "lux-db-public"),
                                 ("LUX-RET-001", "lux-ledger"), ("LUX-ACC-008", ids["snap_public"])]:
        assert (rule_id, resource_id) not in failing
    assert ("LUX-RES-001", "euw-unencrypted") in failing   # residency is recorded, never "repaired" by moving data
    tags = client(fresh_cloud, "ec2", EU).describe_tags(Filters=[{"Name": "resource-id", "Values": [ids["vol_eu"]]}])
    assert {t["Key"]: t["Value"] for t in tags["Tags"]}["luxguard:residency"] == "violation"
    kms_tags = client(fresh_cloud, "kms", EU).list_resource_tags(KeyId=ids["kms_eu_cmk"])["Tags"]
    assert {t["TagKey"] for t in kms_tags} >= {"luxguard:residency", "luxguard:residency-finding-date"}

    # Second run: nothing runnable is planned, and applying again makes no call that changes anything.
    calls.clear()
    code, again, _ = enforce(capsys, fresh_cloud, tmp_path, "--kms-key", key, "--quarantine", regions=REGIONS)
    assert planned(again) == set()
    assert writes(calls) == []


# ------------------------------------------------------------------------------ exact changes

def test_tls_statement_is_merged_and_every_statement_kept(fresh_cloud, capsys, tmp_path):
    s3 = client(fresh_cloud, "s3")
    s3.create_bucket(Bucket="lux-shared", CreateBucketConfiguration={"LocationConstraint": LU})
    existing = [
        {"Sid": "AppRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
         "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::lux-shared/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::lux-shared"},
    ]
    s3.put_bucket_policy(Bucket="lux-shared", Policy=json.dumps({"Version": "2012-10-17", "Id": "keep-me",
                                                                "Statement": existing}))
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-003", "--apply", "--yes")
    assert code == 0, err
    policy = json.loads(s3.get_bucket_policy(Bucket="lux-shared")["Policy"])
    assert policy["Id"] == "keep-me" and policy["Version"] == "2012-10-17"
    assert policy["Statement"] == existing + [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::lux-shared", "arn:aws:s3:::lux-shared/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
    assert result_of(document, "LUX-ENC-003", "lux-shared")["verification"] == "now passes"
    code, again, _ = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-003")
    assert again["plan"] == []


def test_security_group_keeps_every_compliant_permission(fresh_cloud, capsys, tmp_path):
    ec2 = client(fresh_cloud, "ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    app = ec2.create_security_group(GroupName="app", Description="x", VpcId=vpc)["GroupId"]
    group = ec2.create_security_group(GroupName="mixed", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8", "Description": "vpn"}]},
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]},
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "192.168.0.0/16"}]},
    ])
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ACC-004", "--resource", group,
                                  "--apply", "--yes")
    assert code == 0, err
    remaining = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    simple = sorted((p["FromPort"], tuple(r["CidrIp"] for r in p["IpRanges"]),
                     tuple(r["CidrIpv6"] for r in p["Ipv6Ranges"]), tuple(g["GroupId"] for g in p["UserIdGroupPairs"]))
                    for p in remaining if p["IpRanges"] or p["Ipv6Ranges"] or p["UserIdGroupPairs"])
    assert simple == [(22, ("10.0.0.0/8",), (), ()), (443, ("0.0.0.0/0",), (), ()), (5432, (), (), (app,)),
                      (8080, ("192.168.0.0/16",), (), ())]
    assert result_of(document, "LUX-ACC-004", group)["verification"] == "now passes"


def test_quarantine_tags_and_denies_writes_keeping_tags_policy_and_data(fresh_cloud, capsys, tmp_path):
    s3 = client(fresh_cloud, "s3", EU)
    s3.create_bucket(Bucket="euw-crm", CreateBucketConfiguration={"LocationConstraint": EU})
    s3.put_object(Bucket="euw-crm", Key="contacts.csv", Body=b"a,b")
    s3.put_bucket_tagging(Bucket="euw-crm", Tagging={"TagSet": [{"Key": "Team", "Value": "crm"},
                                                                {"Key": "data-classification", "Value": "contact"}]})
    statement = {"Sid": "AppRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::euw-crm/*"}
    s3.put_bucket_policy(Bucket="euw-crm", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    code, _, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-RES-001", "--quarantine",
                           "--apply", "--yes", regions=EU)
    assert code == 0, err
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="euw-crm")["TagSet"]}
    assert tags["Team"] == "crm" and tags["data-classification"] == "contact"
    assert tags["luxguard:residency"] == "violation"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", tags["luxguard:residency-finding-date"])
    policy = json.loads(s3.get_bucket_policy(Bucket="euw-crm")["Policy"])
    assert policy["Statement"] == [statement, {
        "Sid": "LuxguardQuarantineDenyWrites", "Effect": "Deny", "Principal": "*",
        "Action": ["s3:PutObject", "s3:ReplicateObject"], "Resource": "arn:aws:s3:::euw-crm/*"}]
    assert s3.get_object(Bucket="euw-crm", Key="contacts.csv")["Body"].read() == b"a,b"
    code, again, _ = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-RES-001", "--quarantine", regions=EU)
    assert again["plan"] == [] and any(s["kind"] == "up-to-date" for s in again["skipped"])


# ------------------------------------------------------------------------------ audit, waivers, errors

def test_audit_log_in_history_store_and_jsonl_holds_before_and_after(fresh_cloud, capsys, tmp_path):
    kms = client(fresh_cloud, "kms")
    key_id = kms.create_key(Description="no rotation")["KeyMetadata"]["KeyId"]
    code, text, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--rule", "LUX-ENC-005")
    assert code == 0, err
    assert f"kms.EnableKeyRotation({{\"KeyId\": \"{key_id}\"}})" in text and "~ key rotation: off -> on" in text
    assert "dry-run: nothing was changed; run with --apply" in text
    code, _, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-005", "--apply", "--yes")
    assert code == 0, err
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    mine = [e for e in lines if e["resource_id"] == key_id]
    assert [e["outcome"] for e in mine] == ["started", "succeeded"]
    assert mine[-1]["before"] == {"KeyRotationEnabled": False} and mine[-1]["after"] == {"KeyRotationEnabled": True}
    assert mine[-1]["actor"] == "tester@ci" and mine[-1]["action"] == "kms_enable_rotation"
    assert mine[-1]["calls"] == [{"service": "kms", "region": LU, "operation": "EnableKeyRotation",
                                  "params": {"KeyId": key_id}}]
    stored = [e for e in HistoryStore(str(tmp_path / "h.db")).audit() if e["resource_id"] == key_id]
    assert [e["outcome"] for e in stored] == ["started", "succeeded"]
    assert stored[-1]["before"] == {"KeyRotationEnabled": False} and stored[-1]["after"] == {"KeyRotationEnabled": True}
    assert stored[-1]["rule_id"] == "LUX-ENC-005" and stored[-1]["actor"] == "tester@ci"


def test_a_change_fixed_by_hand_before_apply_records_the_state_read_at_apply_time(fresh_cloud, capsys, tmp_path,
                                                                                  calls, monkeypatch):
    """Planned, then fixed by hand, then applied: a no-op whose before and after are what the apply
    step re-read (not the plan's stale values), and not one write."""
    from luxguard.actors.enforcer import session as enforce_session

    kms = client(fresh_cloud, "kms")
    key_id = kms.create_key(Description="rotated by hand meanwhile")["KeyMetadata"]["KeyId"]
    planned_before: list = []
    live: list = []
    original = enforce_session.apply_and_verify

    def fix_by_hand_then_apply(session: Any, *args: Any, **kwargs: Any) -> Any:
        (change,) = session.plan.changes
        planned_before.append(change.before)
        kms.enable_key_rotation(KeyId=key_id)
        live.append({"KeyRotationEnabled": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]})
        calls.clear()
        return original(session, *args, **kwargs)

    monkeypatch.setattr(enforce_session, "apply_and_verify", fix_by_hand_then_apply)
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-005", "--apply", "--yes")
    assert code == 0, err
    assert planned_before == [{"KeyRotationEnabled": False}] and live == [{"KeyRotationEnabled": True}]
    assert writes(calls) == []
    result = result_of(document, "LUX-ENC-005", key_id)
    assert result["outcome"] == "no-op" and "already compliant" in result["detail"]
    assert result["before"] == result["after"] == live[0]
    assert result["calls"] == [] and result["diff"] == []
    (entry,) = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()
                if json.loads(line)["resource_id"] == key_id]
    assert entry["outcome"] == "no-op" and entry["before"] == entry["after"] == live[0] and entry["calls"] == []
    (stored,) = [e for e in HistoryStore(str(tmp_path / "h.db")).audit() if e["resource_id"] == key_id]
    assert stored["outcome"] == "no-op" and stored["before"] == stored["after"] == live[0]


def test_waived_findings_are_never_acted_on(fresh_cloud, capsys, tmp_path, calls):
    kms = client(fresh_cloud, "kms")
    key_id = kms.create_key(Description="waived")["KeyMetadata"]["KeyId"]
    other = kms.create_key(Description="not waived")["KeyMetadata"]["KeyId"]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(f"waivers:\n- id: W1\n  rule: LUX-ENC-005\n  resource: '{key_id}'\n"
                       f"  reason: HSM-backed key rotated by hand\n  owner: sec@lux\n  expires: '2099-01-01'\n")
    calls.clear()
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-005", "--waivers", str(waivers),
                                  "--apply", "--yes")
    assert code == 0, err
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    assert kms.get_key_rotation_status(KeyId=other)["KeyRotationEnabled"] is True
    rotated = [p["KeyId"] for _, op, p in calls if op == "EnableKeyRotation"]
    assert rotated == [other]
    assert {(s["resource"]["id"], s["kind"]) for s in document["skipped"]} >= {(key_id, "waived")}
    assert not any(e["resource_id"] == key_id for e in HistoryStore(str(tmp_path / "h.db")).audit())


def test_access_denied_is_one_failed_action_and_the_rest_still_runs(fresh_cloud, capsys, tmp_path, monkeypatch):
    key = lu_key(fresh_cloud)
    s3 = client(fresh_cloud, "s3")
    for name in ("lux-a", "lux-b"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": LU})
    rotation_key = client(fresh_cloud, "kms").create_key(Description="r")["KeyMetadata"]["KeyId"]
    deny("PutBucketEncryption", monkeypatch)
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--kms-key", key, "--rule", "LUX-ENC-001",
                                  "--rule", "LUX-ACC-001", "--rule", "LUX-ENC-005", "--apply", "--yes")
    assert code == 1, err
    for name in ("lux-a", "lux-b"):
        result = result_of(document, "LUX-ENC-001", name)
        assert result["outcome"] == "failed: AccessDenied" and "injected: not allowed" in result["detail"]
        assert result_of(document, "LUX-ACC-001", name)["verification"] == "now passes"
    assert result_of(document, "LUX-ENC-005", rotation_key)["outcome"] == "succeeded"
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    failed = [e for e in entries if e["outcome"].startswith("failed")]
    assert {e["resource_id"] for e in failed} == {"lux-a", "lux-b"}
    assert all(e["before"] == {"Rules": []} or e["before"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
               ["SSEAlgorithm"] == "AES256" for e in failed)


def test_missing_unknown_and_foreign_keys_are_per_action_errors(fresh_cloud, capsys, tmp_path):
    s3 = client(fresh_cloud, "s3")
    s3.create_bucket(Bucket="lux-plain", CreateBucketConfiguration={"LocationConstraint": LU})
    client(fresh_cloud, "kms").create_key(Description="rotation off")
    foreign = client(fresh_cloud, "kms", EU).create_key(Description="irish")["KeyMetadata"]["Arn"]
    unknown = f"arn:aws:kms:{LU}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    for args, expected in [((), "needs --kms-key"), (("--kms-key", foreign), "outside the pinned country LU"),
                           (("--kms-key", unknown), "NotFoundException")]:
        code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-001", *args)
        (change,) = document["plan"]
        assert change["blocked"] and expected in change["blocked"] and change["calls"] == [], change
    # Applied: the refused action is a per-action error (exit 1); the key rotation still runs.
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ENC-001", "--rule", "LUX-ENC-005",
                                  "--kms-key", foreign, "--apply", "--yes")
    assert code == 1, err
    result = result_of(document, "LUX-ENC-001", "lux-plain")
    assert result["outcome"] == "refused" and "outside the pinned country LU" in result["detail"]
    assert [r["outcome"] for r in document["results"] if r["rule_id"] == "LUX-ENC-005"] == ["succeeded"]
    with pytest.raises(ClientError):   # still no default encryption: nothing was guessed
        s3.get_bucket_encryption(Bucket="lux-plain")
    code, _, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--kms-key", "alias/lux", "--regions", LU)
    assert code == 2 and "full ARN" in err and len(err.strip().splitlines()) == 1


def test_apply_without_a_terminal_or_yes_refuses_with_exit_2(fresh_cloud, capsys):
    code, _, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--apply")
    assert code == 2 and "--yes" in err and len(err.strip().splitlines()) == 1


def test_unknown_action_in_a_rule_file_is_a_clear_error(fresh_cloud, capsys, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "LUX-ACC-099.yaml").write_text(
        "id: LUX-ACC-099\ntitle: Buckets are teleported\ncategory: access\nseverity: low\n"
        "resource_types: [AWS::S3::Bucket]\ncondition: {property: versioning.enabled, equals: true}\n"
        "message: bucket {id} x\nclause: {section: somewhere, quote: something}\ngdpr: [Art. 32]\n"
        "remediation: teleport it somewhere\naction: {name: s3_teleport}\n")
    code, _, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--rules", str(rules))
    assert code == 2 and "LUX-ACC-099.yaml" in err and "s3_teleport" in err and "action.name" in err
    (rules / "LUX-ACC-099.yaml").write_text((rules / "LUX-ACC-099.yaml").read_text().replace(
        "{name: s3_teleport}", "{name: sg_revoke_world_ingress, options: {ports: [ssh]}}"))
    code, _, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--rules", str(rules))
    assert code == 2 and "action.options" in err


# ------------------------------------------------------------------------------ drift

def test_drift_findings_restore_the_declared_value_or_are_manual(fresh_cloud, capsys, tmp_path):
    s3 = client(fresh_cloud, "s3")
    s3.create_bucket(Bucket="lux-drifted", CreateBucketConfiguration={"LocationConstraint": LU})
    ec2 = client(fresh_cloud, "ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    bucket = {"type": "AWS::S3::Bucket", "id": "lux-drifted", "arn": "arn:aws:s3:::lux-drifted", "region": LU}
    sg = {"type": "AWS::EC2::SecurityGroup", "id": group, "region": LU}
    web = {"protocol": "tcp", "ports": [443, 443], "sources": ["0.0.0.0/0"], "open_to_world": True}

    def drift(rule_id: str, category: str, resource: dict, **details: Any) -> dict:
        return {"rule_id": rule_id, "category": category, "severity": "high", "status": "fail", "resource": resource,
                "message": "drift", "drift": details}

    findings = {"schema_version": 1, "source": "drift", "started_at": "2026-03-01T00:00:00Z", "findings": [
        drift("LUX-RET-001", "retention", bucket, property="versioning.enabled", declared=True, actual=False),
        drift("LUX-ACC-001", "access", bucket, property="public_access_block.block_public_acls", declared=True,
              actual=False),
        drift("LUX-ACC-004", "access", sg, property="ingress", declared=[web],
              actual=[web, dict(web, ports=[8443, 8443])]),
        drift("LUX-ENC-001", "encryption", bucket, property="encryption.algorithm", declared="AES256", actual=None),
        drift("LUX-ENC-001", "encryption", dict(bucket, id="lux-gone"), kind="missing"),
    ]}
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(findings))
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--findings", str(path), "--apply", "--yes")
    assert code == 0, err
    assert s3.get_bucket_versioning(Bucket="lux-drifted")["Status"] == "Enabled"
    pab = s3.get_public_access_block(Bucket="lux-drifted")["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                   "RestrictPublicBuckets": False}
    ports = sorted(p["FromPort"] for p in ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
                   ["IpPermissions"] if p["IpRanges"])
    assert ports == [443]    # the declared world-open HTTPS rule stays; the hand-added 8443 is revoked
    assert {r["verification"] for r in document["results"]} == {"restored"}
    manual = {(s["resource"]["id"], s["kind"]) for s in document["skipped"]}
    assert manual == {("lux-drifted", "manual"), ("lux-gone", "manual")}
