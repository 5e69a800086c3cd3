"""External access end to end: grants declared in Pulumi and read from the local cloud give the
same verdicts; the trusted zone and approved processors decide what is external."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_program
from tests.moto_cloud import ACCOUNT, LU, client

PARTNER, STRANGER = "333333333333", "999999999999"


def partner_policy(bucket: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Own", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*",
         "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def approvals_file(tmp_path: Path) -> Path:
    path = tmp_path / "approvals.yaml"
    path.write_text(f"""approvals:
  - id: APR-PARTNER-1
    customer: ACME S.A.
    data_categories: [billing]
    destinations: {{accounts: ["{PARTNER}"]}}
    scope: {{name_patterns: ["shared-*"]}}
    document: LC-DPA-2026-031
    approved_by: J. Doe, ACME DPO
    granted: "2026-01-01"
    expires: "2027-01-01"
""")
    return path


def acc011(report: dict) -> dict[str, tuple[str, str]]:
    return {f["resource"]["id"]: (f["status"], f["message"]) for f in report["findings"] if f["rule_id"] == "LUX-ACC-011"
            and f["resource"]["type"] == "AWS::S3::Bucket"}


@pytest.fixture
def estate(fresh_cloud: str) -> str:
    s3 = client(fresh_cloud, "s3", LU)
    for name, account in (("shared-approved", PARTNER), ("shared-stranger", STRANGER), ("own-only", ACCOUNT)):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": LU})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "billing"}]})
        s3.put_bucket_policy(Bucket=name, Policy=partner_policy(name, account))
    ec2 = client(fresh_cloud, "ec2", LU)
    volume = ec2.create_volume(AvailabilityZone=f"{LU}a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                  UserIds=[STRANGER])
    return snapshot


def test_scan_waives_the_approved_processor_and_fails_the_stranger(fresh_cloud, estate, tmp_path, capsys):
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                             "--no-history", "--approvals", approvals_file(tmp_path), "--as-of", "2026-06-01")
    report = json.loads(out)
    verdicts = acc011(report)
    assert verdicts["own-only"][0] == "pass"
    assert verdicts["shared-approved"][0] == "waived"
    assert verdicts["shared-stranger"][0] == "fail" and STRANGER in verdicts["shared-stranger"][1]
    approved = [f for f in report["findings"] if f["rule_id"] == "LUX-ACC-011" and f["resource"]["id"] == "shared-approved"]
    assert approved[0]["waiver"]["id"] == "APR-PARTNER-1"
    shared = [f for f in report["findings"] if f["rule_id"] == "LUX-ACC-012"]
    assert [(f["resource"]["id"], f["status"]) for f in shared] == [(estate, "fail")]


def test_a_trusted_account_is_inside_the_zone(fresh_cloud, estate, tmp_path, capsys):
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                             "--no-history", "--trusted-account", STRANGER)
    verdicts = acc011(json.loads(out))
    assert verdicts["shared-stranger"][0] == "pass" and verdicts["shared-approved"][0] == "fail"


def test_an_expired_approval_no_longer_waives(fresh_cloud, estate, tmp_path, capsys):
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                             "--no-history", "--approvals", approvals_file(tmp_path), "--as-of", "2027-02-01")
    status, message = acc011(json.loads(out))["shared-approved"]
    assert status == "fail" and "APR-PARTNER-1 expired" in message


def test_check_and_scan_agree_on_declared_grants(fresh_cloud, estate, tmp_path, capsys):
    body = "\n".join(
        f"import pulumi_aws as aws\n"
        f"b_{i} = aws.s3.Bucket('{name}', bucket='{name}', tags={{'data-classification': 'billing'}}, opts=t.opts())\n"
        f"aws.s3.BucketPolicy('{name}-policy', bucket=b_{i}.id, policy={partner_policy(name, account)!r}, opts=t.opts())"
        for i, (name, account) in enumerate((("shared-approved", PARTNER), ("shared-stranger", STRANGER),
                                             ("own-only", ACCOUNT))))
    program = write_program(tmp_path / "prog", body, config={"luxguard:accountId": ACCOUNT})
    _, out, _ = run_cli(capsys, "check", program, "--stack", "test", "--format", "json")
    declared = {k: v[0] for k, v in acc011(json.loads(out)).items()}
    _, out, _ = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json", "--no-history")
    deployed = {k: v[0] for k, v in acc011(json.loads(out)).items()}
    assert declared == deployed == {"own-only": "pass", "shared-approved": "fail", "shared-stranger": "fail"}


# --- queues, topics and secrets: their resource policies judged like bucket policies ---------------

STORE_TYPES = {"queue": "AWS::SQS::Queue", "topic": "AWS::SNS::Topic", "secret": "AWS::SecretsManager::Secret"}
# name -> the account its policy lets in (approvals scope: shared-*)
STORE_GRANTS = {"shared-approved": PARTNER, "shared-stranger": STRANGER, "own-only": ACCOUNT}


def store_verdicts(report: dict) -> dict[tuple[str, str], str]:
    """(model type, resource id) -> LUX-ACC-011 status, for queues, topics and secrets."""
    return {(f["resource"]["type"], f["resource"]["id"]): f["status"] for f in report["findings"]
            if f["rule_id"] == "LUX-ACC-011" and f["resource"]["type"] in STORE_TYPES.values()}


def store_program(tmp_path: Path, inline: bool = False) -> Path:
    """Each store type once per grant, built by the toolkit (QueuePolicy/TopicPolicy/SecretPolicy,
    or the queue's and topic's own `policy` argument with `inline`)."""
    inline_arg = ", inline_policy=True" if inline else ""
    lines = []
    for name, account in STORE_GRANTS.items():
        lines.append(f"t.queue(name='{name}-q', cmk=False, classification='billing', policy='{account}'{inline_arg})")
        lines.append(f"t.topic(name='{name}-t', cmk=False, classification='billing', policy='{account}'{inline_arg})")
        lines.append(f"t.secret(name='{name}-s', cmk=False, classification='billing', policy='{account}')")
    return write_program(tmp_path / ("inline" if inline else "prog"), "\n".join(lines),
                         config={"luxguard:accountId": ACCOUNT})


def deploy_stores(endpoint: str) -> None:
    """The program's queues, topics and secrets, created with boto3 and the same policy documents."""
    from tests.programs.toolkit import resource_policy

    sqs, sns, secrets = (client(endpoint, service, LU) for service in ("sqs", "sns", "secretsmanager"))
    tags = {"data-classification": "billing"}
    for name, account in STORE_GRANTS.items():
        sqs.create_queue(QueueName=f"{name}-q", tags=tags, Attributes={
            "Policy": resource_policy("sqs", f"arn:aws:sqs:{LU}:{ACCOUNT}:{name}-q", account)})
        sns.create_topic(Name=f"{name}-t", Tags=[{"Key": k, "Value": v} for k, v in tags.items()], Attributes={
            "Policy": resource_policy("sns", f"arn:aws:sns:{LU}:{ACCOUNT}:{name}-t", account)})
        arn = secrets.create_secret(Name=f"{name}-s", SecretString="x",
                                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()])["ARN"]
        secrets.put_resource_policy(SecretId=arn, ResourcePolicy=resource_policy("secretsmanager", "*", account))


def expected_store_verdicts(approved: str) -> dict[tuple[str, str], str]:
    suffix = {"AWS::SQS::Queue": "q", "AWS::SNS::Topic": "t", "AWS::SecretsManager::Secret": "s"}
    status = {"shared-approved": approved, "shared-stranger": "fail", "own-only": "pass"}
    return {(kind, f"{name}-{s}"): status[name] for kind, s in suffix.items() for name in STORE_GRANTS}


@pytest.mark.parametrize("inline", [False, True], ids=["policy-resources", "inline-policies"])
def test_store_policies_fail_the_stranger_in_check_and_scan_and_waive_the_processor(fresh_cloud, tmp_path, capsys,
                                                                                    inline):
    judged = ("--format", "json", "--approvals", approvals_file(tmp_path), "--as-of", "2026-06-01")
    _, out, err = run_cli(capsys, "check", store_program(tmp_path, inline), "--stack", "test", *judged)
    declared = json.loads(out)
    deploy_stores(fresh_cloud)
    _, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--no-history", *judged)
    deployed = json.loads(out)
    assert store_verdicts(declared) == store_verdicts(deployed) == expected_store_verdicts("waived")
    for report in (declared, deployed):
        stranger = [f for f in report["findings"] if f["rule_id"] == "LUX-ACC-011" and f["status"] == "fail"]
        assert stranger and all(STRANGER in f["message"] and PARTNER not in f["message"] for f in stranger)
        waived = [f for f in report["findings"] if f["rule_id"] == "LUX-ACC-011" and f["status"] == "waived"]
        assert {f["waiver"]["id"] for f in waived} == {"APR-PARTNER-1"}


def test_without_the_approval_the_processor_account_is_outside_the_zone(fresh_cloud, tmp_path, capsys):
    _, out, _ = run_cli(capsys, "check", store_program(tmp_path), "--stack", "test", "--format", "json")
    assert store_verdicts(json.loads(out)) == expected_store_verdicts("fail")
    deploy_stores(fresh_cloud)
    _, out, _ = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                        "--no-history")
    assert store_verdicts(json.loads(out)) == expected_store_verdicts("fail")


def test_stores_without_a_policy_pass_live_too(fresh_cloud, capsys):
    """No policy attached: SQS answers no Policy attribute, SNS its default owner-only policy,
    Secrets Manager no ResourcePolicy; none lets anyone else in."""
    client(fresh_cloud, "sqs", LU).create_queue(QueueName="plain-q")
    client(fresh_cloud, "sns", LU).create_topic(Name="plain-t")
    client(fresh_cloud, "secretsmanager", LU).create_secret(Name="plain-s", SecretString="x")
    _, out, _ = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                        "--no-history")
    assert store_verdicts(json.loads(out)) == {("AWS::SQS::Queue", "plain-q"): "pass",
                                               ("AWS::SNS::Topic", "plain-t"): "pass",
                                               ("AWS::SecretsManager::Secret", "plain-s"): "pass"}


def test_a_refused_policy_read_is_an_error_not_a_pass(fresh_cloud, capsys):
    """GetResourcePolicy refused (the secret's other reads answer): LUX-ACC-011 is `error` on the
    secret, its encryption rule keeps its verdict."""
    import boto3
    from botocore.exceptions import ClientError

    from scanners import collect

    client(fresh_cloud, "secretsmanager", LU).create_secret(Name="locked-s", SecretString="x")
    session = boto3.Session(region_name=LU)

    def refuse(**_: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "GetResourcePolicy")

    session.events.register("before-call.secrets-manager.GetResourcePolicy", refuse)
    result = collect(session, [LU], fresh_cloud)
    [secret] = [r for r in result.resources if r.type == "AWS::SecretsManager::Secret"]
    assert secret.collection_errors == {"policy": "AccessDeniedException: not allowed"}
    from luxguard.pipeline import Settings, evaluate

    settings = Settings()
    by_rule = {f.rule_id: f.status.value for f in evaluate(settings.engine(), settings, [secret], "aws").findings}
    assert by_rule["LUX-ACC-011"] == "error" and by_rule["LUX-ENC-014"] == "fail"


PREVIEW_PROGRAM = """
import json
import pulumi_aws as aws
reader = aws.iam.Role('reader', assume_role_policy='{}')
# the policy names a role id only the update knows: unknown at preview
unknown_policy = reader.unique_id.apply(lambda uid: json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:userid": uid}}}]}))
q = t.queue(name='preview-q', classification='billing')
aws.sqs.QueuePolicy('preview-q-policy', queue_url=q.id, policy=unknown_policy, opts=t.opts())
tp = t.topic(name='preview-t', classification='billing')
aws.sns.TopicPolicy('preview-t-policy', arn=tp.arn, policy=unknown_policy, opts=t.opts())
s = t.secret(name='preview-s')
aws.secretsmanager.SecretPolicy('preview-s-policy', secret_arn=s.arn, policy=unknown_policy, opts=t.opts())
aws.sqs.Queue('preview-inline-q', name='preview-inline-q', policy=unknown_policy, tags={'data-classification': 'billing'},
              opts=t.opts())
"""


def test_a_policy_unknown_at_preview_makes_exactly_lux_acc_011_undecided(tmp_path, capsys):
    _, out, err = run_cli(capsys, "check", write_program(tmp_path / "preview", PREVIEW_PROGRAM), "--stack", "test",
                          "--format", "json")
    findings = [f for f in json.loads(out)["findings"] if f["resource"]["type"] in STORE_TYPES.values()]
    errors = {(f["resource"]["id"], f["rule_id"]) for f in findings if f["status"] == "error"}
    assert errors == {(name, "LUX-ACC-011") for name in ("preview-q", "preview-t", "preview-s", "preview-inline-q")}
    assert all("not known until the update runs" in f["message"] for f in findings if f["status"] == "error")
    failed = {(f["resource"]["id"], f["rule_id"]) for f in findings if f["status"] == "fail"}
    assert failed == {("preview-inline-q", "LUX-ENC-011")}   # the only store without a customer-managed key


def _grant(account: str, action: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                                    "Action": action, "Resource": "*"}]}


def test_cloudformation_policy_resources_judge_every_store_they_name(tmp_path, capsys):
    """One AWS::SQS::QueuePolicy listing two queues judges both; the topic and secret policies name
    their store with !Ref (a URL or ARN in CloudFormation)."""
    template = {"Resources": {
        "Orders": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "orders"}},
        "Refunds": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "refunds"}},
        "Own": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "own"}},
        "Shared": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Orders"}, {"Ref": "Refunds"}], "PolicyDocument": _grant(STRANGER, "sqs:*")}},
        "OwnPolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Own"}], "PolicyDocument": _grant(ACCOUNT, "sqs:*")}},
        "Events": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}},
        "EventsPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "Events"}], "PolicyDocument": _grant(STRANGER, "sns:Subscribe")}},
        "Token": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "token"}},
        "TokenPolicy": {"Type": "AWS::SecretsManager::ResourcePolicy", "Properties": {
            "SecretId": {"Ref": "Token"}, "ResourcePolicy": _grant(STRANGER, "secretsmanager:GetSecretValue")}}}}
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    _, out, err = run_cli(capsys, "check", path, "--region", LU, "--format", "json")
    assert store_verdicts(json.loads(out)) == {
        ("AWS::SQS::Queue", "orders"): "fail", ("AWS::SQS::Queue", "refunds"): "fail",
        ("AWS::SQS::Queue", "own"): "pass", ("AWS::SNS::Topic", "events"): "fail",
        ("AWS::SecretsManager::Secret", "token"): "fail"}, err


def test_terraform_inline_and_separate_policies(tmp_path, capsys):
    (tmp_path / "main.tf").write_text(f"""
provider "aws" {{
  region = "{LU}"
}}

resource "aws_sqs_queue" "inline" {{
  name   = "inline-q"
  policy = jsonencode({json.dumps(_grant(STRANGER, "sqs:SendMessage"))})
}}

resource "aws_sqs_queue" "separate" {{
  name = "separate-q"
}}

resource "aws_sqs_queue_policy" "separate" {{
  queue_url = aws_sqs_queue.separate.id
  policy    = jsonencode({json.dumps(_grant(ACCOUNT, "sqs:SendMessage"))})
}}

resource "aws_sns_topic" "events" {{
  name = "events"
}}

resource "aws_sns_topic_policy" "events" {{
  arn    = aws_sns_topic.events.arn
  policy = jsonencode({json.dumps(_grant(STRANGER, "sns:Publish"))})
}}

resource "aws_secretsmanager_secret" "token" {{
  name = "token"
}}

resource "aws_secretsmanager_secret_policy" "token" {{
  secret_arn = aws_secretsmanager_secret.token.arn
  policy     = jsonencode({json.dumps(_grant(STRANGER, "secretsmanager:GetSecretValue"))})
}}
""")
    _, out, err = run_cli(capsys, "check", tmp_path, "--format", "json")
    assert store_verdicts(json.loads(out)) == {
        ("AWS::SQS::Queue", "inline-q"): "fail", ("AWS::SQS::Queue", "separate-q"): "pass",
        ("AWS::SNS::Topic", "events"): "fail", ("AWS::SecretsManager::Secret", "token"): "fail"}, err


@pytest.mark.parametrize("inline", [False, True], ids=["policy-resources", "inline-policies"])
def test_the_sandbox_deploys_the_declared_store_policies(fresh_cloud, tmp_path, capsys, inline):
    """`provision` (demo, sandbox) attaches QueuePolicy/TopicPolicy/SecretPolicy and inline policies
    for real: the scan of what it deployed reads the same grants."""
    from luxguard.sandbox.provision import provision_capture
    from luxguard.sources.pulumi_capture import capture_program

    provision_capture(capture_program(store_program(tmp_path, inline), "test"), fresh_cloud)
    _, out, _ = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", LU, "--format", "json",
                        "--no-history")
    assert store_verdicts(json.loads(out)) == expected_store_verdicts("fail")


def test_policies_cost_one_call_per_secret_and_none_per_queue_or_topic(fresh_cloud):
    """SQS and SNS answer the policy with the attributes already read; Secrets Manager needs
    GetResourcePolicy (ListSecrets and DescribeSecret do not carry it)."""
    import boto3

    from scanners import collect

    deploy_stores(fresh_cloud)
    calls = collect(boto3.Session(region_name=LU), [LU], fresh_cloud).api_calls
    stores = len(STORE_GRANTS)
    assert calls["sqs.GetQueueAttributes"] == calls["sns.GetTopicAttributes"] == stores
    assert calls["secrets-manager.GetResourcePolicy"] == calls["secrets-manager.DescribeSecret"] == stores
