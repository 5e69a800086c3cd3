"""Drift of who may reach a store: resource policies (queues, topics, secrets, functions, keys)
and snapshot shares changed by hand are reported grant by grant, a caller who gained access at
the rule's severity and one who only lost some at `low`; an unchanged estate has none. Grants to
the owning account alone (AWS's default topic policy, a key's root statement) do not count."""

from __future__ import annotations

import json

import pytest

from luxguard.sandbox.provision import provision_capture
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import run_cli, write_program
from tests.moto_cloud import LU, client

ACCOUNT, FOREIGN = "123456789012", "999999999999"

PROGRAM = """
t.queue(name='q-held', policy='own_account')
t.queue(name='q-none')
t.queue(name='q-partner', policy='foreign_account')
t.topic(name='t-none')
t.topic(name='t-held', policy='own_account')
t.secret(name='s-held', policy='own_account')
t.function(name='fn-held', permission='own_account')
t.key('k-held')
t.snapshot(name='snap-held')
t.db_snapshot(name='dbs-held')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    capture = capture_program(write_program(tmp_path / "p", PROGRAM), "test")
    provisioned = provision_capture(capture, fresh_cloud)
    ids = {r.name: r.id for r in provisioned.capture.resources if r.custom}
    return provisioned.write_state(tmp_path / "state.json"), fresh_cloud, ids


def policy_drift(capsys, state, endpoint) -> dict[tuple[str, str], dict]:
    """(rule, resource id) -> the finding, for the grant-comparing drift rules."""
    code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                             "--no-history")
    assert code in (0, 1), err
    return {(f["rule_id"], f["resource"]["id"]): f for f in json.loads(out)["findings"]
            if f["drift"].get("property", "").endswith("grants")}


def allow(principal, actions, resource="*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "HandMade", "Effect": "Allow", "Principal": principal, "Action": actions, "Resource": resource}]})


def test_unchanged_policies_and_shares_have_no_drift(capsys, deployed):
    state, endpoint, _ = deployed
    assert policy_drift(capsys, state, endpoint) == {}


def test_each_policy_or_share_changed_by_hand_is_its_grant_drift(capsys, deployed):
    state, endpoint, ids = deployed
    lu = lambda service: client(endpoint, service, LU)
    sqs = lu("sqs")
    held = sqs.get_queue_url(QueueName="q-held")["QueueUrl"]
    own = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    both = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Access", "Effect": "Allow", "Principal": own, "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
         "Resource": "*"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": FOREIGN}, "Action": "sqs:SendMessage",
         "Resource": "*"}]})
    sqs.set_queue_attributes(QueueUrl=held, Attributes={"Policy": both})
    partner = sqs.get_queue_url(QueueName="q-partner")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=partner, Attributes={"Policy": allow({"AWS": FOREIGN}, "sqs:ReceiveMessage")})
    sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="q-none")["QueueUrl"],
                             Attributes={"Policy": allow({"AWS": FOREIGN}, "sqs:ReceiveMessage")})
    lu("sns").set_topic_attributes(TopicArn=f"arn:aws:sns:{LU}:{ACCOUNT}:t-held", AttributeName="Policy",
                                   AttributeValue=allow({"AWS": FOREIGN}, "sns:Publish"))
    lu("sns").set_topic_attributes(TopicArn=f"arn:aws:sns:{LU}:{ACCOUNT}:t-none", AttributeName="Policy",
                                   AttributeValue=allow(own, "sns:Publish"))
    lu("secretsmanager").put_resource_policy(SecretId="s-held", ResourcePolicy=allow("*", "secretsmanager:GetSecretValue"))
    lu("lambda").add_permission(FunctionName="fn-held", StatementId="partner", Action="lambda:InvokeFunction",
                                Principal=FOREIGN)
    lu("ec2").modify_snapshot_attribute(SnapshotId=ids["snap-held"], Attribute="createVolumePermission",
                                        OperationType="add", UserIds=[FOREIGN])
    lu("rds").modify_db_snapshot_attribute(DBSnapshotIdentifier="dbs-held", AttributeName="restore",
                                           ValuesToAdd=[FOREIGN])
    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": own, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
         "Action": "kms:Decrypt", "Resource": "*"}]})
    lu("kms").put_key_policy(KeyId=ids["k-held"], PolicyName="default", Policy=key_policy)

    found = policy_drift(capsys, state, endpoint)
    summary = {key: (f["severity"], f["drift"]["added"], f["drift"]["removed"]) for key, f in found.items()}
    assert summary == {
        ("DRIFT-RESOURCE-POLICY", "q-held"): ("high", [f"account {FOREIGN}: sqs:SendMessage"], []),
        ("DRIFT-RESOURCE-POLICY", "q-none"): ("high", [f"account {FOREIGN}: sqs:ReceiveMessage"], []),
        ("DRIFT-RESOURCE-POLICY", "t-held"): ("high", [f"account {FOREIGN}: sns:Publish"], []),
        ("DRIFT-RESOURCE-POLICY", "s-held"): ("high", ["anyone: secretsmanager:GetSecretValue"], []),
        ("DRIFT-RESOURCE-POLICY", "q-partner"): ("low", [], [f"account {FOREIGN}: sqs:SendMessage"]),
        ("DRIFT-RESOURCE-POLICY", "fn-held"): ("high", [f"account {FOREIGN}: lambda:InvokeFunction"], []),
        ("DRIFT-RESOURCE-POLICY", ids["k-held"]): ("high", [f"account {FOREIGN}: kms:Decrypt"], []),
        ("DRIFT-EBS-SNAPSHOT-PUBLIC", ids["snap-held"]): ("critical", [f"account {FOREIGN}: ec2:CreateVolume"], []),
        ("DRIFT-EBS-SNAPSHOT-PUBLIC", "dbs-held"): ("critical", [f"account {FOREIGN}: rds:RestoreDBInstanceFromDBSnapshot"],
                                                    []),
    }
    message = found[("DRIFT-RESOURCE-POLICY", "q-held")]["message"]
    assert message == (f"queue q-held: policy.grants differ from the stack (added by hand: account {FOREIGN}: "
                       "sqs:SendMessage)")
    assert all(f["category"] == "access" and f["status"] == "fail" for f in found.values())


def test_a_policy_that_cannot_be_read_is_undecided(capsys, deployed):
    """A refused GetQueueAttributes is an `error` on the grants comparison, never "unchanged"."""
    from tests.fault_proxy import FaultProxy

    state, endpoint, _ = deployed
    with FaultProxy(endpoint) as proxy:
        proxy.inject("denied", {("sqs", "GetQueueAttributes")})
        code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", proxy.url, "--format", "json",
                                 "--no-history")
    assert code == 1, err
    errors = {(f["rule_id"], f["resource"]["id"]) for f in json.loads(out)["findings"]
              if f["status"] == "error" and f["drift"].get("property") == "policy.grants"}
    assert errors == {("DRIFT-RESOURCE-POLICY", "q-held"), ("DRIFT-RESOURCE-POLICY", "q-none"),
                      ("DRIFT-RESOURCE-POLICY", "q-partner")}
