"""Queues, topics, log groups, secrets, parameters and streams: collected live from the local
cloud, the same verdicts from `check` and `scan`, and drift when they are changed by hand."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from scanners import collect
from tests.helpers import deploy, run_cli
from tests.moto_cloud import EU, LU, client

STORES = {"AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret",
          "AWS::SSM::Parameter", "AWS::Kinesis::Stream"}

# One compliant and at least one violating resource per type.
PROGRAM = """
t.queue(name='q-ok')
t.queue(name='q-sse-sqs', cmk=False)
t.queue(name='q-ireland', region='eu-west-1', key_region='eu-west-1')
t.topic(name='t-ok')
t.topic(name='t-plain', cmk=False, classification=None)
t.log_group(name='lg-ok')
t.log_group(name='lg-forever', cmk=False, retention_days=None)
t.secret(name='s-ok')
t.secret(name='s-abroad', cmk=False, replicas=['eu-west-1'])
t.parameter(name='p-ok')
t.parameter(name='p-plain', secure=False)
t.stream(name='k-ok')
t.stream(name='k-plain', encrypted=False)
t.stream(name='k-aws-key', cmk=False)
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def verdicts(report) -> dict[tuple[str, str, str], str]:
    return {(f.rule_id, f.resource.type, f.resource.id): f.status.value
            for f in report.findings if f.resource.type in STORES}


def scan(endpoint: str, regions=(LU, EU)):
    return collect(boto3.Session(region_name=LU), list(regions), endpoint)


def test_collected_properties(deployed):
    _, _, endpoint = deployed
    result = scan(endpoint)
    assert result.failures == []
    found = {(r.type, r.id): r for r in result.resources if r.type in STORES}
    assert {(t, i) for t, i in found if t == "AWS::SQS::Queue"} == {
        ("AWS::SQS::Queue", n) for n in ("q-ok", "q-sse-sqs", "q-ireland")}
    queue = found[("AWS::SQS::Queue", "q-ok")]
    assert queue.arn == "arn:aws:sqs:lu-central-1:123456789012:q-ok"
    assert queue.properties["customer_managed_key"] is True and queue.properties["kms_key_region"] == LU
    assert queue.properties["classification"] == ["contact"]
    assert found[("AWS::SQS::Queue", "q-ireland")].region == EU
    assert found[("AWS::SQS::Queue", "q-sse-sqs")].properties["kms_key_id"] is None
    assert found[("AWS::SNS::Topic", "t-plain")].properties["classification"] == []
    assert found[("AWS::Logs::LogGroup", "lg-ok")].properties["retention_days"] == 30
    assert found[("AWS::Logs::LogGroup", "lg-forever")].properties["retention_days"] is None
    secret = found[("AWS::SecretsManager::Secret", "s-abroad")]
    assert secret.properties["replica_regions"] == [EU]
    assert secret.properties["kms_key_id"] == "alias/aws/secretsmanager"
    assert secret.properties["customer_managed_key"] is False
    # the replica in Ireland is a copy of s-abroad, not a second secret
    assert [r.region for r in result.resources if r.id == "s-abroad"] == [LU]
    assert found[("AWS::SSM::Parameter", "/app/p-plain")].properties["parameter_type"] == "String"
    assert found[("AWS::SSM::Parameter", "/app/p-ok")].properties["customer_managed_key"] is True
    assert found[("AWS::Kinesis::Stream", "k-plain")].properties["encrypted"] is False
    assert found[("AWS::Kinesis::Stream", "k-ok")].properties["classification"] == ["technical"]
    aws_key = found[("AWS::Kinesis::Stream", "k-aws-key")].properties
    assert aws_key["encrypted"] is True and aws_key["customer_managed_key"] is False


def test_tags_come_from_one_tagging_pass_per_region(deployed):
    _, _, endpoint = deployed
    calls = scan(endpoint).api_calls
    # queues, topics, log groups and parameters in two regions: one GetResources each
    assert calls["resource-groups-tagging-api.GetResources"] == 2
    assert not any(op in calls for op in ("sqs.ListQueueTags", "sns.ListTagsForResource",
                                          "cloudwatch-logs.ListTagsForResource", "ssm.ListTagsForResource"))
    assert calls["cloudwatch-logs.DescribeLogGroups"] == 2 and calls["ssm.DescribeParameters"] == 2


def test_a_failed_tagging_pass_makes_classification_undecided(fresh_cloud):
    client(fresh_cloud, "sqs").create_queue(QueueName="untaggable")
    session = boto3.Session(region_name=LU)

    def refuse(**_: Any) -> None:
        raise RuntimeError("tagging API down")

    from scanners import runner

    original = runner.TagIndex

    class BrokenTags(original):   # the tagging client refuses every call before sending it
        def region(self, region):
            tags = super().region(region)
            self._clients.client("resourcegroupstaggingapi", region).meta.events.register(
                "before-call.resource-groups-tagging-api.GetResources", refuse)
            return tags

    runner.TagIndex = BrokenTags
    try:
        result = collect(session, [LU], fresh_cloud)
    finally:
        runner.TagIndex = original
    [queue] = [r for r in result.resources if r.type == "AWS::SQS::Queue"]
    assert "tagging API down" in queue.collection_errors["classification"]
    settings = Settings()
    report = evaluate(settings.engine(), settings, [queue], "aws")
    by_rule = {f.rule_id: f.status.value for f in report.findings}
    assert by_rule["LUX-CLS-001"] == "error" and by_rule["LUX-ENC-011"] == "fail"


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts(check_capture(capture, settings))
    live_resources = [r for r in scan(endpoint).resources if r.type in STORES]
    live = verdicts(evaluate(settings.engine(), settings, live_resources, "aws"))
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    failing = {(rule, rid) for (rule, _, rid), status in planned.items() if status == "fail"}
    assert failing == {
        ("LUX-ENC-011", "q-sse-sqs"), ("LUX-RES-001", "q-ireland"), ("LUX-RES-004", "q-ireland"),
        ("LUX-ENC-012", "t-plain"), ("LUX-CLS-001", "t-plain"),
        ("LUX-ENC-013", "lg-forever"), ("LUX-RET-006", "lg-forever"),
        ("LUX-ENC-014", "s-abroad"), ("LUX-RES-008", "s-abroad"),
        ("LUX-ENC-015", "/app/p-plain"),
        ("LUX-ENC-016", "k-plain"), ("LUX-ENC-016", "k-aws-key"),
    }


def _drift(capsys, state, endpoint) -> set[tuple]:
    code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                             "--no-history")
    assert code in (0, 1), err
    return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"))
            for f in json.loads(out)["findings"] if f["status"] == "fail"}


def test_drift_finds_each_change_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert _drift(capsys, state, endpoint) == set()

    lu = lambda service: client(endpoint, service, LU)
    queue_url = lu("sqs").get_queue_url(QueueName="q-ok")["QueueUrl"]
    lu("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"KmsMasterKeyId": ""})
    lu("logs").delete_retention_policy(logGroupName="lg-ok")
    lu("secretsmanager").replicate_secret_to_regions(SecretId="s-ok", AddReplicaRegions=[{"Region": "us-east-1"}])
    lu("ssm").put_parameter(Name="/app/p-ok", Value="x", Type="String", Overwrite=True)
    lu("kinesis").stop_stream_encryption(StreamName="k-ok", EncryptionType="KMS",
                                         KeyId=lu("kinesis").describe_stream_summary(
                                             StreamName="k-ok")["StreamDescriptionSummary"]["KeyId"])
    lu("sns").delete_topic(TopicArn=f"arn:aws:sns:{LU}:123456789012:t-ok")
    lu("sqs").create_queue(QueueName="hand-made")

    assert _drift(capsys, state, endpoint) == {
        ("DRIFT-STORE-ENCRYPTION", "q-ok", "kms_key_id"),
        ("DRIFT-STORE-ENCRYPTION", "q-ok", "customer_managed_key"),
        ("DRIFT-LOGS-RETENTION", "lg-ok", "retention_days"),
        ("DRIFT-SECRET-REPLICAS", "s-ok", "replica_regions"),
        ("DRIFT-PARAMETER-TYPE", "/app/p-ok", "parameter_type"),
        ("DRIFT-STORE-ENCRYPTION", "/app/p-ok", "kms_key_id"),
        ("DRIFT-STORE-ENCRYPTION", "/app/p-ok", "customer_managed_key"),
        ("DRIFT-STREAM-ENCRYPTION", "k-ok", "encrypted"),
        ("DRIFT-STORE-ENCRYPTION", "k-ok", "kms_key_id"),
        ("DRIFT-STORE-ENCRYPTION", "k-ok", "customer_managed_key"),
        ("DRIFT-MISSING", "t-ok", "missing"),
        ("DRIFT-UNMANAGED", "hand-made", "unmanaged"),
    }


def test_enforcer_tags_a_queue_abroad_without_moving_it(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    code, out, err = run_cli(capsys, "enforce", "--endpoint-url", endpoint, "--regions", f"{LU},{EU}",
                             "--format", "json", "--rule", "LUX-RES-001", "--apply", "--yes",
                             "--audit-log", str(tmp_path / "audit.jsonl"), "--db", str(tmp_path / "h.db"))
    assert code in (0, 1), err
    [change] = [c for c in json.loads(out)["plan"] if c["resource"]["id"] == "q-ireland"]
    assert [(c["service"], c["operation"]) for c in change["calls"]] == [("sqs", "TagQueue")]
    tags = client(endpoint, "resourcegroupstaggingapi", EU).get_resources(
        ResourceARNList=[f"arn:aws:sqs:{EU}:123456789012:q-ireland"])["ResourceTagMappingList"][0]["Tags"]
    assert {"Key": "luxguard:residency", "Value": "violation"} in tags
    assert {"Key": "data-classification", "Value": "contact"} in tags   # existing tags kept
    assert client(endpoint, "sqs", EU).get_queue_url(QueueName="q-ireland")["QueueUrl"]
