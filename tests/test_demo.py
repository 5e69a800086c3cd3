"""`luxguard demo`: the whole loop on the embedded local cloud, checked through the files it writes."""

from __future__ import annotations

import json
import time
from pathlib import Path

from luxguard.sandbox.demo import SHADOW_BUCKET, SHADOW_FEED
from tests.helpers import run_cli

CONTACTS = "luxcloud-local-customer-contacts"


def _failing(path: Path) -> list[dict]:
    return [f for f in json.loads(path.read_text())["findings"] if f["status"] == "fail"]


def test_demo_runs_the_whole_loop(capsys, tmp_path):
    started = time.monotonic()
    code, out, err = run_cli(capsys, "demo", "--output-dir", tmp_path)
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert elapsed < 60
    assert "Traceback" not in out + err
    assert "sandbox" in out

    state = json.loads((tmp_path / "state.json").read_text())
    assert state["version"] == 3
    by_type: dict[str, list[dict]] = {}
    for resource in state["deployment"]["resources"]:
        by_type.setdefault(resource["type"], []).append(resource)
    [group] = by_type["aws:ec2/securityGroup:SecurityGroup"]
    [key] = by_type["aws:kms/key:Key"]
    assert group["id"].startswith("sg-") and len(by_type["aws:s3/bucket:Bucket"]) == 3
    stack_ids = {r["id"] for r in state["deployment"]["resources"] if r.get("custom")}

    # Clean before: no failing finding on a stack resource, no drift.
    assert [f for f in _failing(tmp_path / "scan-before.json") if f["resource"]["id"] in stack_ids] == []
    assert _failing(tmp_path / "drift-before.json") == []

    # After the hand changes: the scan sees the problems...
    after = {(f["rule_id"], f["resource"]["id"]) for f in _failing(tmp_path / "scan-after.json")}
    assert ("LUX-RES-001", SHADOW_BUCKET) in after
    assert ("LUX-RES-013", SHADOW_FEED) in after   # the stream that feeds it
    assert ("LUX-ENC-001", CONTACTS) in after
    assert ("LUX-ACC-004", group["id"]) in after
    [log_group] = by_type["aws:cloudwatch/logGroup:LogGroup"]
    assert ("LUX-RET-006", log_group["id"]) in after

    # ...the hand-made AMI anyone may launch among them...
    (image,) = {f["resource"]["id"] for f in _failing(tmp_path / "scan-after.json")
                if f["resource"]["type"] == "AWS::EC2::Image"}
    assert ("LUX-ACC-008", image) in after
    (image_snapshot,) = {f["resource"]["id"] for f in _failing(tmp_path / "scan-after.json")
                         if f["resource"]["type"] == "AWS::EC2::Snapshot"}   # the local cloud's, for the AMI

    # ...and drift says exactly what changed against the state.
    drift = _failing(tmp_path / "drift.json")
    seen = {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"), f["category"])
            for f in drift}
    assert seen == {
        ("DRIFT-S3-ENCRYPTION", CONTACTS, "encryption.algorithm", "encryption"),
        ("DRIFT-S3-ENCRYPTION", CONTACTS, "encryption.kms_key_id", "encryption"),
        ("DRIFT-S3-ENCRYPTION", CONTACTS, "encryption.bucket_key_enabled", "encryption"),
        ("DRIFT-SG-RULES", group["id"], "ingress", "access"),
        ("DRIFT-UNMANAGED", SHADOW_BUCKET, "unmanaged", "residency"),
        ("DRIFT-UNMANAGED", SHADOW_FEED, "unmanaged", "access"),
        ("DRIFT-LOGS-RETENTION", log_group["id"], "retention_days", "retention"),
        ("DRIFT-UNMANAGED", image, "unmanaged", "access"),
        ("DRIFT-UNMANAGED", image_snapshot, "unmanaged", "access"),
    }
    algorithm = next(f for f in drift if f["drift"].get("property") == "encryption.algorithm")
    assert algorithm["drift"] == {"property": "encryption.algorithm", "declared": "aws:kms", "actual": "AES256"}
    key_drift = next(f for f in drift if f["drift"].get("property") == "encryption.kms_key_id")
    assert key_drift["drift"]["declared"].endswith(f":key/{key['id']}")
    ingress = next(f for f in drift if f["drift"].get("property") == "ingress")
    assert ingress["drift"]["added"] == ["tcp 22 0.0.0.0/0"]

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stack_failing_before"] == 0 and summary["drift"]["failed"] == 9
    # The enforcer's dry-run and the HTML report.
    plan = (tmp_path / "enforce-plan.txt").read_text()
    assert "dry-run: nothing was changed" in plan
    lines = plan.splitlines()
    start = lines.index("nothing to change:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")), len(lines))
    covered = lines[start:end]
    assert len(covered) == 2 and len(set(covered)) == len(covered), covered   # every line tells its finding apart
    # One removed encryption is three drifted properties: one change, the other two covered by it,
    # each line naming its own property and the one the change was planned for.
    properties = ("encryption.algorithm", "encryption.kms_key_id", "encryption.bucket_key_enabled")
    (header,) = [line for line in lines if line.startswith("  [") and "DRIFT-S3-ENCRYPTION" in line]
    (planned_for,) = [p for p in properties if f"(drift of {p})" in header]
    assert sorted(line.split("(drift of ")[1].split(")")[0] for line in covered) == \
        sorted(p for p in properties if p != planned_for)
    assert all(line.endswith(f"planned for DRIFT-S3-ENCRYPTION (drift of {planned_for})") for line in covered)
    assert (tmp_path / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (tmp_path / "history.db").is_file()
