"""`luxguard enforce` on who can reach the data, against moto's server: public grants leave
resource policies (every other statement kept), public and foreign snapshot shares, default
security groups emptied (CIS 5.4); foreign grants reported, removed only with
--remove-external-grants; approved processors' grants never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from luxguard.resources.lambda_function import deployment_package
from tests.helpers import run_cli
from tests.moto_cloud import ACCOUNT, LU, client
from tests.test_enforcer import calls, deny, enforce, planned, result_of, writes  # noqa: F401 - fixture

PROCESSOR, STRANGER = "222233334444", "999988887777"
BUCKET = "shared-crm"
ARN = f"arn:aws:s3:::{BUCKET}"
PUBLIC = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
TLS = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
       "Resource": [ARN, f"{ARN}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
APPROVED = {"Sid": "Processor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROCESSOR}:root"},
            "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
FOREIGN = {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{STRANGER}:root"},
           "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
AS_OF = ("--as-of", "2026-06-01")


def own(resource: str, action: str) -> dict:
    return {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": action, "Resource": resource}


def anyone(resource: str, action: str) -> dict:
    return {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": action, "Resource": resource}


def approvals(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "approvals.yaml"
    path.write_text(f"""approvals:
  - id: APR-CRM-1
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ["{PROCESSOR}"]}}
    scope: {{name_patterns: ["shared-*"]}}
    document: LC-DPA-2026-031
    approved_by: J. Doe, ACME DPO
    granted: "2026-01-01"
    expires: "2027-01-01"
""")
    return "--approvals", str(path)


def seed(endpoint: str) -> dict[str, str]:
    """The estate: a bucket policy with a public, a TLS, an approved and a foreign statement; a
    snapshot shared with everyone and a stranger; a queue, a topic and a secret anyone may use."""
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": LU})
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "data-classification", "Value": "contact"}]})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Id": "crm",
                                                            "Statement": [PUBLIC, TLS, APPROVED, FOREIGN]}))
    ec2 = client(endpoint, "ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{LU}a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                  GroupNames=["all"], UserIds=[STRANGER])
    rds = client(endpoint, "rds")
    rds.create_db_instance(DBInstanceIdentifier="crm-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="not-a-secret-1", AllocatedStorage=20)
    rds.create_db_snapshot(DBInstanceIdentifier="crm-db", DBSnapshotIdentifier="crm-nightly")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="crm-nightly", AttributeName="restore",
                                     ValuesToAdd=["all", STRANGER])
    lam = client(endpoint, "lambda")
    role = client(endpoint, "iam").create_role(RoleName="crm-export", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="crm-export", Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": deployment_package()})
    lam.add_permission(FunctionName="crm-export", StatementId="Anyone", Action="lambda:InvokeFunction", Principal="*")
    lam.add_permission(FunctionName="crm-export", StatementId="Partner", Action="lambda:InvokeFunction",
                       Principal=STRANGER)
    sqs = client(endpoint, "sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{LU}:{ACCOUNT}:orders"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        own(queue_arn, "sqs:*"), anyone(queue_arn, "sqs:SendMessage")]})})
    sns = client(endpoint, "sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [own(topic, "sns:Publish"), anyone(topic, "sns:Subscribe"),
                                              dict(own(topic, "sns:Publish"), Sid="Partner",
                                                   Principal={"AWS": STRANGER})]}))
    secrets = client(endpoint, "secretsmanager")
    secret = secrets.create_secret(Name="db-password", SecretString="s3cr3t")["ARN"]
    secrets.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        anyone("*", "secretsmanager:GetSecretValue")]}))
    kms = client(endpoint, "kms")
    key = kms.create_key(Description="crm", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        own("*", "kms:*"), anyone("*", "kms:Decrypt")]}))["KeyMetadata"]["KeyId"]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=default["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "vpn"}]}])
    return {"snapshot": snapshot, "queue": url, "topic": topic, "secret": secret, "sg": default["GroupId"], "key": key}


def bucket_statements(endpoint: str) -> list[dict]:
    return json.loads(client(endpoint, "s3").get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]


def shares(endpoint: str, snapshot: str) -> list[dict]:
    return client(endpoint, "ec2").describe_snapshot_attribute(
        SnapshotId=snapshot, Attribute="createVolumePermission")["CreateVolumePermissions"]


def invokers(endpoint: str) -> list[str]:
    policy = json.loads(client(endpoint, "lambda").get_policy(FunctionName="crm-export")["Policy"])
    return sorted(s["Sid"] for s in policy["Statement"])


def restorers(endpoint: str) -> list[str]:
    answer = client(endpoint, "rds").describe_db_snapshot_attributes(DBSnapshotIdentifier="crm-nightly")
    return sorted(v for a in answer["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
                  if a["AttributeName"] == "restore" for v in a["AttributeValues"])


def default_rules(endpoint: str, group: str) -> tuple[list, list]:
    found = client(endpoint, "ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    return found["IpPermissions"], found["IpPermissionsEgress"]


def scan(capsys, endpoint: str, tmp_path: Path) -> list[dict]:
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", endpoint, "--regions", LU, "--format", "json",
                             "--no-history", *approvals(tmp_path), *AS_OF)
    assert code in (0, 1), err
    return json.loads(out)["findings"]


def test_public_grants_go_foreign_ones_are_reported_and_approved_ones_stay(fresh_cloud, capsys, tmp_path, calls):
    ids = seed(fresh_cloud)
    rules = ("--rule", "LUX-ACC-002", "--rule", "LUX-ACC-009", "--rule", "LUX-ACC-011", "--rule", "LUX-ACC-008", "--rule", "LUX-ACC-012",
             "--rule", "LUX-ACC-006", *approvals(tmp_path), *AS_OF)
    default_before = default_rules(fresh_cloud, ids["sg"])
    assert default_before[0] and default_before[1]

    # Dry-run: the exact changes, and nothing changed.
    calls.clear()
    code, plan, err = enforce(capsys, fresh_cloud, tmp_path, *rules)
    assert code == 0 and plan["mode"] == "dry-run" and writes(calls) == []
    assert {("LUX-ACC-002", BUCKET, "policy_remove_public_grants"), ("LUX-ACC-008", ids["snapshot"], "ebs_unshare_snapshot"),
            ("LUX-ACC-006", ids["sg"], "sg_remove_default_rules")} <= planned(plan)
    (bucket,) = [c for c in plan["plan"] if c["resource"]["id"] == BUCKET]
    (call,) = bucket["calls"]
    assert call["operation"] == "PutBucketPolicy"
    assert json.loads(call["params"]["Policy"]) == {"Version": "2012-10-17", "Id": "crm",
                                                     "Statement": [TLS, APPROVED, FOREIGN]}
    assert any(line.startswith("- statement PublicRead") for line in bucket["diff"])
    assert any("Processor" in line and "never touched" in line for line in bucket["diff"])
    assert bucket["kept"] == [f"statement Partner: AWS:arn:aws:iam::{STRANGER}:root lets {STRANGER} do s3:GetObject "
                              f"(outside the trusted zone; --remove-external-grants would remove "
                              f"AWS:arn:aws:iam::{STRANGER}:root)"]
    by_id = {c["resource"]["id"]: c for c in plan["plan"]}
    assert [c["operation"] for c in by_id["orders"]["calls"]] == ["SetQueueAttributes"]
    assert [c["operation"] for c in by_id["alerts"]["calls"]] == ["SetTopicAttributes"]
    # the secret's only statement was public: the policy keeps a TLS-only Deny, it is never deleted
    (secret_call,) = by_id["db-password"]["calls"]
    assert secret_call["operation"] == "PutResourcePolicy"
    assert [s["Effect"] for s in json.loads(secret_call["params"]["ResourcePolicy"])["Statement"]] == ["Deny"]
    sg_calls = by_id[ids["sg"]]["calls"]
    assert [c["operation"] for c in sg_calls] == ["RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress"]
    assert {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}]} in sg_calls[0]["params"]["IpPermissions"]
    assert sg_calls[1]["params"]["IpPermissions"] == [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    assert [c["operation"] for c in by_id[ids["key"]]["calls"]] == ["PutKeyPolicy"]
    assert bucket_statements(fresh_cloud) == [PUBLIC, TLS, APPROVED, FOREIGN]
    assert {p.get("Group") or p.get("UserId") for p in shares(fresh_cloud, ids["snapshot"])} == {"all", STRANGER}
    assert [c["operation"] for c in by_id["crm-nightly"]["calls"]] == ["ModifyDBSnapshotAttribute"]
    assert "- restore attribute group all (public)" in by_id["crm-nightly"]["diff"]
    assert restorers(fresh_cloud) == sorted(["all", STRANGER])
    assert [(c["operation"], c["params"]["StatementId"]) for c in by_id["crm-export"]["calls"]] == [
        ("RemovePermission", "Anyone")]
    assert invokers(fresh_cloud) == ["Anyone", "Partner"]

    # Applied: no public grant, every other statement kept, the stranger kept (reported).
    code, applied, err = enforce(capsys, fresh_cloud, tmp_path, *rules, "--apply", "--yes")
    assert code == 0, err
    assert bucket_statements(fresh_cloud) == [TLS, APPROVED, FOREIGN]
    assert shares(fresh_cloud, ids["snapshot"]) == [{"UserId": STRANGER}]
    assert restorers(fresh_cloud) == [STRANGER]
    assert invokers(fresh_cloud) == ["Partner"]
    assert default_rules(fresh_cloud, ids["sg"]) == ([], [])
    queue = json.loads(client(fresh_cloud, "sqs").get_queue_attributes(
        QueueUrl=ids["queue"], AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in queue["Statement"]] == ["Owner"]
    topic = json.loads(client(fresh_cloud, "sns").get_topic_attributes(TopicArn=ids["topic"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in topic["Statement"]] == ["Owner", "Partner"]
    assert result_of(applied, "LUX-ACC-011", "alerts")["verification"].startswith("partly: external grants kept")
    key_policy = json.loads(client(fresh_cloud, "kms").get_key_policy(KeyId=ids["key"], PolicyName="default")["Policy"])
    assert [s["Sid"] for s in key_policy["Statement"]] == ["Owner"]
    secret_policy = json.loads(client(fresh_cloud, "secretsmanager").get_resource_policy(
        SecretId=ids["secret"])["ResourcePolicy"])
    assert [(s["Effect"], s["Condition"]) for s in secret_policy["Statement"]] == [
        ("Deny", {"Bool": {"aws:SecureTransport": "false"}})]
    assert result_of(applied, "LUX-ACC-002", BUCKET)["verification"] == "now passes"
    assert result_of(applied, "LUX-ACC-006", ids["sg"])["verification"] == "now passes"
    # The audit keeps the default group's rules as they were, to authorise them again.
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    (sg_entry,) = [e for e in entries if e["resource_id"] == ids["sg"] and e["outcome"] == "succeeded"]
    assert sg_entry["before"]["IpPermissions"] == json.loads(json.dumps(default_before[0], default=str))
    assert sg_entry["after"]["IpPermissions"] == [] and sg_entry["after"]["IpPermissionsEgress"] == []

    # No public grant is left; the stranger's grants still fail (reported, not removed).
    findings = scan(capsys, fresh_cloud, tmp_path)
    failing = {(f["rule_id"], f["resource"]["id"]) for f in findings if f["status"] == "fail"}
    assert not {("LUX-ACC-002", BUCKET), ("LUX-ACC-008", ids["snapshot"]), ("LUX-ACC-006", ids["sg"])} & failing
    acc011 = [f for f in findings if f["rule_id"] == "LUX-ACC-011" and f["status"] == "fail"]
    assert sorted(f["resource"]["id"] for f in acc011) == ["alerts", "crm-export", BUCKET]
    assert not any("*" in f["message"] for f in acc011)
    assert ("LUX-ACC-012", ids["snapshot"]) in failing

    # Second run: nothing planned; the foreign grants are listed as kept.
    calls.clear()
    code, again, _ = enforce(capsys, fresh_cloud, tmp_path, *rules)
    assert planned(again, runnable_only=False) == set() and writes(calls) == []
    assert {(s["resource"]["id"], s["kind"]) for s in again["skipped"]} >= {(BUCKET, "kept"), (ids["snapshot"], "kept")}

    # --remove-external-grants: the stranger goes, the approved processor stays.
    code, removed, err = enforce(capsys, fresh_cloud, tmp_path, *rules, "--remove-external-grants", "--apply", "--yes")
    assert code == 0, [(r["rule_id"], r["outcome"], r["verification"], r["detail"]) for r in removed["results"]]
    assert result_of(removed, "LUX-ACC-011", BUCKET)["verification"] == "now waived (an approval covers what is left)"
    assert bucket_statements(fresh_cloud) == [TLS, APPROVED]
    topic = json.loads(client(fresh_cloud, "sns").get_topic_attributes(TopicArn=ids["topic"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in topic["Statement"]] == ["Owner"]
    assert shares(fresh_cloud, ids["snapshot"]) == []
    assert restorers(fresh_cloud) == []
    failing = {(f["rule_id"], f["resource"]["id"]) for f in scan(capsys, fresh_cloud, tmp_path) if f["status"] == "fail"}
    assert not {("LUX-ACC-011", BUCKET), ("LUX-ACC-011", "alerts"), ("LUX-ACC-012", ids["snapshot"])} & failing
    code, last, _ = enforce(capsys, fresh_cloud, tmp_path, *rules, "--remove-external-grants")
    assert planned(last, runnable_only=False) == set()


def test_a_statement_loses_only_its_public_principal(fresh_cloud, capsys, tmp_path):
    s3 = client(fresh_cloud, "s3")
    s3.create_bucket(Bucket="lux-mixed", CreateBucketConfiguration={"LocationConstraint": LU})
    statement = {"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/app", "*"]},
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lux-mixed/*"}
    s3.put_bucket_policy(Bucket="lux-mixed", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ACC-002", "--apply", "--yes")
    assert code == 0, err
    (left,) = json.loads(s3.get_bucket_policy(Bucket="lux-mixed")["Policy"])["Statement"]
    assert left == dict(statement, Principal={"AWS": [f"arn:aws:iam::{ACCOUNT}:role/app"]})
    assert result_of(document, "LUX-ACC-002", "lux-mixed")["verification"] == "now passes"


def test_remove_external_grants_refuses_a_findings_file(fresh_cloud, capsys, tmp_path):
    path = tmp_path / "findings.json"
    path.write_text(json.dumps({"schema_version": 1, "source": "aws", "started_at": "2026-03-01T00:00:00Z",
                                "findings": []}))
    code, _, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--findings", str(path),
                           "--remove-external-grants")
    assert code == 2 and "--remove-external-grants" in err and len(err.strip().splitlines()) == 1


def test_a_refused_put_bucket_policy_is_one_failed_action(fresh_cloud, capsys, tmp_path, monkeypatch):
    s3 = client(fresh_cloud, "s3")
    s3.create_bucket(Bucket="lux-open", CreateBucketConfiguration={"LocationConstraint": LU})
    s3.put_bucket_policy(Bucket="lux-open", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        dict(PUBLIC, Resource="arn:aws:s3:::lux-open/*"), dict(TLS, Resource="arn:aws:s3:::lux-open/*")]}))
    deny("PutBucketPolicy", monkeypatch)
    code, document, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ACC-002", "--apply", "--yes")
    assert code == 1, err
    result = result_of(document, "LUX-ACC-002", "lux-open")
    assert result["outcome"] == "failed: AccessDenied" and "injected: not allowed" in result["detail"]
    assert len(json.loads(s3.get_bucket_policy(Bucket="lux-open")["Policy"])["Statement"]) == 2
    code, text, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--rule", "LUX-ACC-002",
                              "--apply", "--yes", "--audit-log", str(tmp_path / "a.jsonl"), "--db", str(tmp_path / "h.db"))
    assert code == 1
    assert sum(1 for line in text.splitlines() if line.startswith("  failed: AccessDenied")) == 1


@pytest.mark.parametrize("group_name", ["not-default"])
def test_only_the_default_group_is_emptied(fresh_cloud, capsys, tmp_path, group_name):
    """The action refuses any other group, even when a rule file points it there."""
    from luxguard.actors.enforcer import EnforceContext, make_action
    from luxguard.core.model import Finding, Resource, Status
    from luxguard.core.locations import Locations  # noqa: F401 - the context's type

    ec2 = client(fresh_cloud, "ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName=group_name, Description="x", VpcId=vpc)["GroupId"]
    from scanners import open_session
    from scanners.clients import ClientFactory
    from luxguard.pipeline import Settings

    clients = ClientFactory(open_session(None, LU), fresh_cloud, 1)
    ctx = EnforceContext(clients=clients, locations=Settings().locations())
    finding = Finding(rule_id="LUX-ACC-006", category="access", severity="medium", status=Status.FAIL,
                      resource=Resource(type="AWS::EC2::SecurityGroup", id=group, region=LU), message="")
    change = make_action("sg_remove_default_rules").plan(finding, ctx)
    assert change is not None and change.blocked and "not a VPC's default group" in change.blocked
    assert default_rules(fresh_cloud, group)[1]   # its egress rule is still there
