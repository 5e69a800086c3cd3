"""`luxguard scan` and `watch` end to end against moto's server over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from luxguard.sinks.history import HistoryStore
from tests.helpers import run_cli
from tests.moto_cloud import LU, client, seed_estate

REGIONS = "lu-central-1,eu-west-1,us-east-1"
ROOT = Path(__file__).resolve().parent.parent

# seed_estate's violation labels -> the rule that must fail on each listed resource
EXPECTED_RULE = {
    "bucket_outside_lu": "LUX-RES-001", "instance_outside_lu": "LUX-RES-001", "bucket_without_cmk": "LUX-ENC-001", "bucket_public_policy": "LUX-ACC-002",
    "bucket_public_acl": "LUX-ACC-003", "bucket_replicates_abroad": "LUX-RES-002",
    "bucket_key_outside_lu": "LUX-RES-003", "kms_rotation_off": "LUX-ENC-005", "kms_key_outside_lu": "LUX-RES-001",
    "sg_open_admin": "LUX-ACC-004", "volume_unencrypted": "LUX-ENC-006", "snapshot_public": "LUX-ACC-008",
    "image_public": "LUX-ACC-008", "image_unencrypted": "LUX-ENC-007",
    "rds_public": "LUX-ACC-007", "rds_unencrypted": "LUX-ENC-008", "dynamodb_default_sse": "LUX-ENC-009",
    "trail_single_region": "LUX-LOG-002", "trail_bucket_outside_lu": "LUX-RES-007", "trail_not_logging": "LUX-LOG-002",
    "queue_without_cmk": "LUX-ENC-011", "topic_without_cmk": "LUX-ENC-012", "log_group_kept_forever": "LUX-RET-006",
    "secret_with_aws_key": "LUX-ENC-014", "parameter_in_plain_text": "LUX-ENC-015", "stream_unencrypted": "LUX-ENC-016",
    "delivery_stream_abroad": "LUX-RES-013",
}


def scan_json(capsys, endpoint: str, *args: str) -> tuple[int, dict]:
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", endpoint, "--regions", REGIONS, "--format", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def failing(document: dict) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["resource"]["id"]) for f in document["findings"] if f["status"] == "fail"}


def test_every_seeded_violation_is_found(fresh_cloud, capsys, tmp_path):
    estate = seed_estate(fresh_cloud)
    code, document = scan_json(capsys, fresh_cloud, "--db", str(tmp_path / "h.db"))
    assert code == 1 and document["source"] == "aws"
    found = failing(document)
    for label, ids in estate["violating"].items():
        for resource_id in ids:
            assert (EXPECTED_RULE[label], resource_id) in found, (label, resource_id)
    regions = {f["resource"]["region"] for f in document["findings"]}
    assert regions == {"lu-central-1", "eu-west-1", "us-east-1", None}   # None: IAM, which is global
    # and nothing compliant is flagged: every rule that applies to those resources passes
    compliant = set(estate["compliant"])
    flagged = sorted((rule, rid) for rule, rid in found if rid in compliant)
    assert flagged == []
    evaluated = {f["resource"]["id"] for f in document["findings"] if f["status"] == "pass"}
    assert compliant <= evaluated


def test_unreachable_endpoint_and_bad_regions_are_one_line_exit_2(moto_endpoint, capsys):
    code, _, err = run_cli(capsys, "scan", "--endpoint-url", "http://127.0.0.1:9", "--regions", LU, "--no-history")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "127.0.0.1:9" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "scan", "--endpoint-url", moto_endpoint, "--regions", "Luxembourg!", "--no-history")
    assert code == 2 and "--regions" in err and len(err.strip().splitlines()) == 1


def test_history_timeline_first_seen_last_seen_resolved(fresh_cloud, capsys, tmp_path):
    db = str(tmp_path / "history.db")
    kms = client(fresh_cloud, "kms", LU)
    key_id = kms.create_key(Description="no rotation")["KeyMetadata"]["KeyId"]
    scan_json(capsys, fresh_cloud, "--db", db)
    scan_json(capsys, fresh_cloud, "--db", db)
    store = HistoryStore(db)
    (row,) = [t for t in store.timeline() if t["resource_id"] == key_id and t["rule_id"] == "LUX-ENC-005"]
    assert row["resolved_at"] is None and row["last_seen"] > row["first_seen"]
    kms.enable_key_rotation(KeyId=key_id)
    scan_json(capsys, fresh_cloud, "--db", db)
    (row,) = [t for t in store.timeline() if t["resource_id"] == key_id and t["rule_id"] == "LUX-ENC-005"]
    assert row["resolved_at"] is not None
    runs = store.runs()
    assert [r.summary["failed"] for r in runs][-1] < runs[0].summary["failed"]
    stored = store.findings(runs[-1].id)
    assert any(f["rule_id"] == "LUX-ENC-005" and f["status"] == "pass" for f in stored)


def test_interrupted_scan_leaves_history_intact(fresh_cloud, capsys, tmp_path, monkeypatch):
    db = str(tmp_path / "history.db")
    client(fresh_cloud, "kms", LU).create_key(Description="k")
    scan_json(capsys, fresh_cloud, "--db", db)
    before = [(r.id, r.summary) for r in HistoryStore(db).runs()]
    timeline_before = HistoryStore(db).timeline()

    original = boto3.Session.client

    def interrupting_client(self, service, *args, **kwargs):
        made = original(self, service, *args, **kwargs)
        if service == "ec2":
            def interrupt(**_):
                raise KeyboardInterrupt
            made.meta.events.register("before-call.ec2.DescribeVolumes", interrupt)
        return made

    monkeypatch.setattr(boto3.Session, "client", interrupting_client)
    code, _, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", REGIONS, "--db", db)
    assert code == 130 and "aborted" in err
    assert [(r.id, r.summary) for r in HistoryStore(db).runs()] == before
    assert HistoryStore(db).timeline() == timeline_before


def test_failed_history_write_changes_nothing(fresh_cloud, capsys, tmp_path, monkeypatch):
    db = str(tmp_path / "history.db")
    client(fresh_cloud, "kms", LU).create_key(Description="k")
    scan_json(capsys, fresh_cloud, "--db", db)
    before = HistoryStore(db).runs()

    def broken_timeline(*_args, **_kwargs):
        from sqlalchemy.exc import OperationalError
        raise OperationalError("UPDATE timeline", {}, Exception("disk I/O error"))

    monkeypatch.setattr(HistoryStore, "_move_timeline", staticmethod(broken_timeline))
    code, _, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--regions", REGIONS, "--db", db)
    assert code == 2 and "history unchanged" in err
    assert [r.id for r in HistoryStore(db).runs()] == [r.id for r in before]


def test_watch_runs_scans_and_survives_a_failing_one(fresh_cloud, capsys, tmp_path):
    db = str(tmp_path / "history.db")
    # An empty cloud still fails the gate at `low` (the default security group, EBS default encryption).
    code, _, err = run_cli(capsys, "watch", "--endpoint-url", fresh_cloud, "--regions", LU, "--interval", "0.1s",
                           "--max-runs", "2", "--db", db)
    assert code == 1 and "watch stopped after 2 scan(s); the last scan failed the gate" in err
    assert len(HistoryStore(db).runs()) == 2
    code, _, err = run_cli(capsys, "watch", "--endpoint-url", "http://127.0.0.1:9", "--regions", LU,
                           "--interval", "0.1s", "--max-runs", "2", "--db", db)
    assert code == 2 and err.count("failed: cannot reach the cloud endpoint") == 2
    assert "watch stopped after 2 scan(s); the last scan could not run" in err


def test_watch_stops_cleanly_on_sigterm(moto_endpoint, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "watch", "--endpoint-url", moto_endpoint, "--regions", LU,
         "--interval", "1h", "--db", str(tmp_path / "h.db")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not HistoryStore(str(tmp_path / "h.db")).runs():
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    # Stopped cleanly: the exit code is the last scan's gate, not a signal's.
    assert process.returncode == (1 if "; gate fails" in err else 0), err
    assert "watch stopped after 1 scan(s)" in err


@pytest.mark.parametrize("interval", ["0", "-5s", "five minutes"])
def test_watch_rejects_bad_interval(interval, capsys):
    code, _, err = run_cli(capsys, "watch", "--interval", interval)
    assert code == 2 and "--interval" in err


@pytest.mark.parametrize("as_of, status, waiver_status", [("2026-06-01", "waived", "waived"),
                                                          ("2027-03-01", "fail", "fail"),      # both expired
                                                          ("2025-01-01", "fail", "waived")])   # approval not yet granted
def test_scan_applies_approvals_and_waivers(fresh_cloud, capsys, tmp_path, as_of, status, waiver_status):
    import yaml

    eu = client(fresh_cloud, "s3", "eu-west-1")
    eu.create_bucket(Bucket="acme-crm-ie", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    eu.put_bucket_tagging(Bucket="acme-crm-ie", Tagging={"TagSet": [{"Key": "data-classification", "Value": "contact"}]})
    approvals = tmp_path / "approvals.yaml"
    approvals.write_text(yaml.safe_dump({"approvals": [{
        "id": "APR-ACME", "customer": "ACME", "data_categories": ["contact"], "destinations": {"regions": ["eu-west-1"]},
        "scope": {"tags": {"data-classification": "contact"}}, "document": "DPA-1", "approved_by": "ACME DPO",
        "granted": "2026-01-01", "expires": "2026-12-31"}]}))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "id": "WVR-LOG", "rule": "LUX-LOG-001", "resource": "acme-*", "reason": "logging moves to CloudTrail",
        "owner": "platform", "expires": "2026-12-31"}]}))
    _, document = scan_json(capsys, fresh_cloud, "--no-history", "--approvals", str(approvals),
                            "--waivers", str(waivers), "--as-of", as_of)
    statuses = {f["rule_id"]: f for f in document["findings"] if f["resource"]["id"] == "acme-crm-ie"}
    assert statuses["LUX-RES-001"]["status"] == status
    assert statuses["LUX-LOG-001"]["status"] == waiver_status
    if status == "waived":
        assert statuses["LUX-RES-001"]["waiver"]["id"] == "APR-ACME"
        assert statuses["LUX-LOG-001"]["waiver"]["id"] == "WVR-LOG"
