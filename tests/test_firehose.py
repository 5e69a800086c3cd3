"""Firehose delivery streams: collected live from the local cloud with where they deliver (the
bucket inventory's regions, another account's bucket by GetBucketLocation, a third party's endpoint
as `endpoint:HOST`), the same verdicts from `check` and `scan`, an approved processor's endpoint
waived and an unknown one failing, a hand-made stream found by drift, and a refused read never a
pass."""

from __future__ import annotations

import json

import pytest

from luxguard.core.model import Resource
from luxguard.pipeline import Settings, evaluate
from luxguard.resources.firehose_delivery_stream import delivery, place_of
from tests.helpers import (check_and_scan, deploy, drift_changes, drift_failures, named, run_cli, scan_live,
                           scan_refusing, scan_with_approvals, verdicts_of)
from tests.moto_cloud import EU, LU, client, create_delivery_stream

FIREHOSE = "AWS::KinesisFirehose::DeliveryStream"
DATADOG = "https://http-intake.logs.datadoghq.eu/api/v2/logs"
PARTNER = "https://ingest.partner-analytics.example/v1"

# A real team's way: a raw clickstream fed into Firehose, an archive per region, partners' endpoints
PROGRAM = f"""
clicks = t.stream('clicks')
t.delivery_stream('clickstream-archive')
t.delivery_stream('clicks-from-stream', source=clicks)
t.delivery_stream('eu-archive', bucket_region='eu-west-1')
t.delivery_stream('to-datadog', endpoint='{DATADOG}')
t.delivery_stream('to-partner', endpoint='{PARTNER}')
t.delivery_stream('aws-key', cmk=False)
"""

APPROVALS = """
approvals:
  - id: APR-2026-LOGS
    customer: ACME S.A.
    data_categories: [technical]
    destinations: {regions: [endpoint:http-intake.logs.datadoghq.eu]}
    scope: {name_patterns: [to-datadog]}
    document: LC-DPA-2026-114
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.mark.parametrize("target,place", [
    ("https://http-intake.logs.datadoghq.eu/api/v2/logs", "endpoint:http-intake.logs.datadoghq.eu"),
    ("jdbc:redshift://crm.abc123.eu-west-1.redshift.amazonaws.com:5439/dev", "eu-west-1"),
    ("https://search-crm-abc.lu-central-1.es.amazonaws.com", "lu-central-1"),
    ("https://abc123.us-east-1.aoss.amazonaws.com", "us-east-1"),
    ("arn:aws:es:eu-central-1:123456789012:domain/crm", "eu-central-1"),
    ("arn:aws:glue:eu-west-1:123456789012:catalog", "eu-west-1"),
    ("https://xy12345.eu-west-1.snowflakecomputing.com", "endpoint:xy12345.eu-west-1.snowflakecomputing.com"),
    ("arn:aws:s3:::lux-archive", "lu-central-1"), ("arn:aws:s3:::someone-elses", None), ("", None)])
def test_each_destination_has_a_place(target, place):
    assert place_of(target, {"lux-archive": LU}.get) == place


def test_a_destination_of_unknown_region_leaves_the_regions_undecided():
    stream = Resource(type=FIREHOSE, id="s")
    found = delivery([{"extendedS3Configuration": {"bucketArn": "arn:aws:s3:::someone-elses",
                                                   "s3BackupConfiguration": {"bucketArn": "arn:aws:s3:::lux-archive"}}}],
                     {"lux-archive": LU}.get, stream)
    assert found == {"destinations": ["arn:aws:s3:::lux-archive", "arn:aws:s3:::someone-elses"],
                     "destination_regions": [LU]}
    assert "someone-elses" in stream.collection_errors["destination_regions"]


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_with_where_they_deliver(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    streams = named(result.resources, FIREHOSE)
    assert sorted(streams) == ["aws-key", "clicks-from-stream", "clickstream-archive", "eu-archive", "to-datadog",
                               "to-partner"]
    assert streams["eu-archive"].properties["destination_regions"] == [EU]
    assert streams["to-datadog"].properties["destination_regions"] == ["endpoint:http-intake.logs.datadoghq.eu", LU]
    archive = streams["clickstream-archive"].properties
    assert archive["customer_managed_key"] is True and archive["kms_key_region"] == LU
    assert archive["classification"] == ["technical"]
    assert streams["aws-key"].properties["encrypted"] is True and streams["aws-key"].properties["customer_managed_key"] is False
    assert streams["clicks-from-stream"].properties["source"].endswith(":stream/clicks")
    assert all(not s.collection_errors for s in streams.values())
    # the archive buckets are the scan's own: no GetBucketLocation beyond the inventory's
    assert result.api_calls["firehose.ListDeliveryStreams"] == 2
    assert result.api_calls["firehose.DescribeDeliveryStream"] == 6


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, FIREHOSE)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-RES-013", "eu-archive"), ("LUX-RES-013", "to-datadog"), ("LUX-RES-013", "to-partner"),
        ("LUX-ENC-027", "aws-key")}
    assert ("LUX-ENC-027", "clicks-from-stream") not in planned   # its source's key protects it


def test_an_approved_endpoint_is_waived_and_an_unknown_one_fails(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = {f["resource"]["name"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
                if f["rule_id"] == "LUX-RES-013"}
    assert {name: f["status"] for name, f in findings.items() if f["status"] != "pass"} == {
        "to-datadog": "waived", "to-partner": "fail", "eu-archive": "fail"}
    assert "APR-2026-LOGS" in json.dumps(findings["to-datadog"])
    assert "endpoint:ingest.partner-analytics.example" in findings["to-partner"]["message"]


def test_another_accounts_bucket_is_located_and_a_missing_one_is_an_error(fresh_cloud):
    s3 = client(fresh_cloud, "s3", EU)
    s3.create_bucket(Bucket="processor-landing", CreateBucketConfiguration={"LocationConstraint": EU})
    create_delivery_stream(fresh_cloud, "to-landing", "processor-landing")
    create_delivery_stream(fresh_cloud, "to-nowhere", "no-such-bucket-anywhere")
    streams = named(scan_live(fresh_cloud).resources, FIREHOSE)
    assert streams["to-landing"].properties["destination_regions"] == [EU]
    assert streams["to-nowhere"].properties["destination_regions"] == []
    assert "NoSuchBucket" in streams["to-nowhere"].collection_errors["destination_regions"]
    report = evaluate(Settings().engine(), Settings(), list(streams.values()), "aws")
    assert verdicts_of(report, FIREHOSE)[("LUX-RES-013", "to-nowhere")] == "error"


def test_drift_finds_a_stream_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, FIREHOSE) == set()
    create_delivery_stream(endpoint, "by-hand", "firehose-archive-lu-central-1", url=PARTNER)
    assert drift_failures(capsys, state, endpoint, FIREHOSE) == {("DRIFT-UNMANAGED", "unmanaged")}


@pytest.mark.parametrize("operation", ["ListDeliveryStreams", "DescribeDeliveryStream"])
def test_a_refused_read_is_an_error(capsys, deployed, operation):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "firehose", operation)
                if f["resource"]["type"] == FIREHOSE]
    assert {f["rule_id"] for f in findings} >= {"LUX-RES-013", "LUX-ENC-027"}
    assert {f["status"] for f in findings if f["rule_id"] in ("LUX-RES-013", "LUX-ENC-027")} == {"error"}


def test_enforcer_tags_a_stream_abroad_and_plans_nothing_the_second_time(capsys, fresh_cloud, tmp_path):
    create_delivery_stream(fresh_cloud, "eu-feed", "anything", region=EU, tags={"data-classification": "technical"})

    def enforce() -> list[dict]:
        code, out, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", f"{LU},{EU}",
                                 "--format", "json", "--rule", "LUX-RES-001", "--apply", "--yes",
                                 "--audit-log", str(tmp_path / "audit.jsonl"), "--db", str(tmp_path / "h.db"))
        assert code in (0, 1), err
        return [c for c in json.loads(out)["plan"] if c["resource"]["id"] == "eu-feed"]

    [change] = enforce()
    assert [(c["service"], c["operation"]) for c in change["calls"]] == [("firehose", "TagDeliveryStream")]
    tags = {t["Key"]: t["Value"] for t in
            client(fresh_cloud, "firehose", EU).list_tags_for_delivery_stream(DeliveryStreamName="eu-feed")["Tags"]}
    assert tags["luxguard:residency"] == "violation" and tags["data-classification"] == "technical"
    assert enforce() == []   # idempotent: nothing left to do


def test_drift_finds_a_destination_and_a_key_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    firehose = client(endpoint, "firehose", LU)
    described = firehose.describe_delivery_stream(DeliveryStreamName="clickstream-archive")["DeliveryStreamDescription"]
    firehose.update_destination(
        DeliveryStreamName="clickstream-archive", CurrentDeliveryStreamVersionId=described["VersionId"],
        DestinationId=described["Destinations"][0]["DestinationId"],
        ExtendedS3DestinationUpdate={"BucketARN": "arn:aws:s3:::firehose-archive-eu-west-1"})
    firehose.stop_delivery_stream_encryption(DeliveryStreamName="aws-key")
    firehose.stop_delivery_stream_encryption(DeliveryStreamName="to-partner")
    assert drift_changes(capsys, state, endpoint, FIREHOSE) == {
        ("DRIFT-DELIVERY-DESTINATION", "clickstream-archive", "destinations"),
        ("DRIFT-DELIVERY-DESTINATION", "clickstream-archive", "destination_regions"),
        ("DRIFT-STREAM-ENCRYPTION", "aws-key", "encrypted"), ("DRIFT-STREAM-ENCRYPTION", "to-partner", "encrypted"),
        ("DRIFT-STORE-ENCRYPTION", "to-partner", "kms_key_id"),
        ("DRIFT-STORE-ENCRYPTION", "to-partner", "customer_managed_key")}
