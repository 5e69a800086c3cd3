"""`luxguard drift`: the reference stack provisioned into moto, changed by hand, compared with its state."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from luxguard.actors.drift import DRIFT_RULES, DriftDetector
from luxguard.core.errors import LuxguardError
from luxguard.pipeline import Settings
from luxguard.sandbox.provision import provision_capture
from luxguard.sources.pulumi_capture import capture_program
from luxguard.sources.state import load_backend, load_state_file, parse_state
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
LU, EU = "lu-central-1", "eu-west-1"
CONTACTS, LOGS, INVOICES = ("luxcloud-local-customer-contacts", "luxcloud-local-access-logs",
                            "luxcloud-local-invoices")


@pytest.fixture(scope="module")
def reference_capture():
    return capture_program(ROOT, "local")


@pytest.fixture
def estate(fresh_cloud: str, reference_capture, tmp_path: Path) -> dict[str, Any]:
    """The reference stack provisioned into an empty cloud, its state in tmp_path/state.json."""
    provisioned = provision_capture(copy.deepcopy(reference_capture), fresh_cloud)
    state = provisioned.write_state(tmp_path / "state.json")
    ids = {f"{r.type}|{r.name}": r.id for r in provisioned.capture.resources if r.custom}
    return {"endpoint": fresh_cloud, "state": state, "provisioned": provisioned,
            "sg": ids["aws:ec2/securityGroup:SecurityGroup|app"], "key": ids["aws:kms/key:Key|data-key"]}


def drift_json(capsys, estate: dict, *extra: str) -> tuple[int, dict]:
    code, out, err = run_cli(capsys, "drift", "--state", estate["state"], "--endpoint-url", estate["endpoint"],
                             "--format", "json", "--no-history", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


def summary(document: dict) -> set[tuple]:
    """(rule, resource id, property or kind, category) of every failing finding."""
    return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"), f["category"])
            for f in document["findings"] if f["status"] == "fail"}


def by_property(document: dict, prop: str) -> dict:
    [finding] = [f for f in document["findings"] if f["drift"].get("property") == prop]
    return finding


def s3(endpoint: str, region: str = LU) -> Any:
    return boto3.client("s3", region_name=region, endpoint_url=endpoint)


def ec2(endpoint: str) -> Any:
    return boto3.client("ec2", region_name=LU, endpoint_url=endpoint)


# ------------------------------------------------------------------------ the estate as declared

def test_unchanged_estate_has_no_drift(capsys, estate):
    code, document = drift_json(capsys, estate)
    assert code == 0
    assert document["source"] == "drift"
    assert document["findings"] == []
    assert document["summary"]["resources"] == 6   # 3 buckets, 1 key, 1 security group, 1 log group


def test_state_ids_are_the_clouds_ids(estate):
    state = json.loads(estate["state"].read_text())
    assert state["version"] == 3
    resources = {r["urn"].rsplit("::", 1)[1] + "|" + r["type"]: r for r in state["deployment"]["resources"]}
    key = resources["data-key|aws:kms/key:Key"]
    assert key["id"] == estate["key"]
    boto3.client("kms", region_name=LU, endpoint_url=estate["endpoint"]).describe_key(KeyId=key["id"])
    assert resources["app|aws:ec2/securityGroup:SecurityGroup"]["id"].startswith("sg-")
    sse = resources["customer-contacts|aws:s3/bucketServerSideEncryptionConfiguration:"
                    "BucketServerSideEncryptionConfiguration"]
    key_ref = sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    assert key_ref.endswith(f":key/{estate['key']}")
    alias = resources["data-key|aws:kms/alias:Alias"]
    assert alias["inputs"]["targetKeyId"] == estate["key"]
    assert all(r["provider"].count("::") >= 4 for r in state["deployment"]["resources"] if r.get("provider"))


# ------------------------------------------------------------------------ one change at a time

def _encryption_off(e: dict) -> None:
    s3(e["endpoint"]).delete_bucket_encryption(Bucket=CONTACTS)


def _ssh_opened(e: dict) -> None:
    ec2(e["endpoint"]).authorize_security_group_ingress(GroupId=e["sg"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _bucket_abroad(e: dict) -> None:
    s3(e["endpoint"], EU).create_bucket(Bucket="shadow-copy", CreateBucketConfiguration={"LocationConstraint": EU})


def _bucket_at_home(e: dict) -> None:
    s3(e["endpoint"]).create_bucket(Bucket="hand-made", CreateBucketConfiguration={"LocationConstraint": LU})


def _sg_deleted(e: dict) -> None:
    ec2(e["endpoint"]).delete_security_group(GroupId=e["sg"])


def _pab_flag_off(e: dict) -> None:
    s3(e["endpoint"]).put_public_access_block(Bucket=INVOICES, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})


def _versioning_suspended(e: dict) -> None:
    s3(e["endpoint"]).put_bucket_versioning(Bucket=CONTACTS, VersioningConfiguration={"Status": "Suspended"})


def _rotation_off(e: dict) -> None:
    boto3.client("kms", region_name=LU, endpoint_url=e["endpoint"]).disable_key_rotation(KeyId=e["key"])


def _tls_statement_removed(e: dict) -> None:
    policy = json.loads(s3(e["endpoint"]).get_bucket_policy(Bucket=CONTACTS)["Policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    s3(e["endpoint"]).put_bucket_policy(Bucket=CONTACTS, Policy=json.dumps(policy))


CASES: dict[str, tuple[Callable[[dict], None], Callable[[dict], set[tuple]]]] = {
    "encryption off": (_encryption_off, lambda e: {
        ("DRIFT-S3-ENCRYPTION", CONTACTS, "encryption.algorithm", "encryption"),
        ("DRIFT-S3-ENCRYPTION", CONTACTS, "encryption.kms_key_id", "encryption"),
        ("DRIFT-S3-ENCRYPTION", CONTACTS, "encryption.bucket_key_enabled", "encryption")}),
    "ssh opened": (_ssh_opened, lambda e: {("DRIFT-SG-RULES", e["sg"], "ingress", "access")}),
    "bucket abroad": (_bucket_abroad, lambda e: {("DRIFT-UNMANAGED", "shadow-copy", "unmanaged", "residency")}),
    "sg deleted": (_sg_deleted, lambda e: {("DRIFT-MISSING", e["sg"], "missing", "access")}),
    "pab flag off": (_pab_flag_off, lambda e: {
        ("DRIFT-S3-PUBLIC-ACCESS", INVOICES, "public_access_block.block_public_policy", "access")}),
    "versioning suspended": (_versioning_suspended, lambda e: {
        ("DRIFT-S3-VERSIONING", CONTACTS, "versioning.enabled", "retention")}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_change_is_exactly_its_drift(capsys, estate, case):
    change, expected = CASES[case]
    change(estate)
    code, document = drift_json(capsys, estate)
    assert code == 1
    assert summary(document) == expected(estate)
    for finding in document["findings"]:
        assert finding["status"] == "fail"
        if "property" in finding["drift"]:
            assert finding["resource"]["urn"].startswith("urn:pulumi:local::luxguard::")


def test_other_changes_together(capsys, estate):
    _bucket_at_home(estate)
    _rotation_off(estate)
    _tls_statement_removed(estate)
    _, document = drift_json(capsys, estate)
    assert summary(document) == {
        ("DRIFT-UNMANAGED", "hand-made", "unmanaged", "access"),
        ("DRIFT-KMS-ROTATION", estate["key"], "rotation_enabled", "encryption"),
        ("DRIFT-S3-POLICY", CONTACTS, "policy.denies_insecure_transport", "access"),
        ("DRIFT-S3-POLICY", CONTACTS, "policy.statement_ids", "access")}
    assert by_property(document, "policy.statement_ids")["drift"] == {
        "property": "policy.statement_ids", "declared": ["DenyInsecureTransport", "DenyUnencryptedUploads"],
        "actual": ["DenyUnencryptedUploads"]}


def test_drift_values_declared_and_actual(capsys, estate):
    _encryption_off(estate)
    _pab_flag_off(estate)
    _versioning_suspended(estate)
    _ssh_opened(estate)
    _, document = drift_json(capsys, estate)
    algorithm = by_property(document, "encryption.algorithm")
    assert algorithm["drift"] == {"property": "encryption.algorithm", "declared": "aws:kms", "actual": "AES256"}
    assert algorithm["severity"] == "high"
    assert algorithm["resource"]["type"] == "AWS::S3::Bucket" and algorithm["resource"]["country"] == "LU"
    assert by_property(document, "public_access_block.block_public_policy")["drift"] == {
        "property": "public_access_block.block_public_policy", "declared": True, "actual": False}
    versioning = by_property(document, "versioning.enabled")
    assert versioning["drift"] == {"property": "versioning.enabled", "declared": True, "actual": False}
    assert versioning["severity"] == "medium"
    ingress = by_property(document, "ingress")
    assert ingress["drift"]["added"] == ["tcp 22 0.0.0.0/0"] and ingress["drift"]["removed"] == []
    assert [r["ports"] for r in ingress["drift"]["declared"]] == [[443, 443], [5432, 5432]]
    assert [r["ports"] for r in ingress["drift"]["actual"]] == [[22, 22], [443, 443], [5432, 5432]]
    severities = [f["severity"] for f in document["findings"]]
    assert severities == sorted(severities, key=["critical", "high", "medium", "low"].index)


def test_missing_bucket_and_stricter_change(capsys, estate):
    endpoint = estate["endpoint"]
    client = s3(endpoint)
    client.delete_bucket_policy(Bucket=LOGS)  # moto enforces its TLS-only Deny on our plain-HTTP calls
    for page in client.get_paginator("list_object_versions").paginate(Bucket=LOGS):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            client.delete_object(Bucket=LOGS, Key=version["Key"], VersionId=version["VersionId"])
    client.delete_bucket(Bucket=LOGS)
    ec2(endpoint).revoke_security_group_ingress(GroupId=estate["sg"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    _, document = drift_json(capsys, estate)
    missing = [f for f in document["findings"] if f["drift"].get("kind") == "missing"]
    assert [(f["resource"]["id"], f["category"], f["severity"]) for f in missing] == [(LOGS, "retention", "high")]
    ingress = by_property(document, "ingress")
    assert ingress["severity"] == "low"  # only a rule removed: stricter than declared
    assert ingress["drift"]["removed"] == ["tcp 443 0.0.0.0/0"]


def test_drift_is_recorded_in_history(capsys, estate, tmp_path):
    from luxguard.sinks.history import HistoryStore

    _ssh_opened(estate)
    db = tmp_path / "history.db"
    code, _, err = run_cli(capsys, "drift", "--state", estate["state"], "--endpoint-url", estate["endpoint"],
                           "--db", db, "--format", "json")
    assert code == 1, err
    store = HistoryStore(str(db))
    [run] = store.runs("drift")
    assert run.target.startswith("luxguard/local@")
    [stored] = store.findings(run.id)
    assert stored["drift"]["property"] == "ingress"
    assert [t["rule_id"] for t in store.timeline()] == ["DRIFT-SG-RULES"]


def test_watch_with_state_runs_drift(capsys, estate, tmp_path):
    from luxguard.sinks.history import HistoryStore

    _versioning_suspended(estate)
    db = tmp_path / "history.db"
    code, _, err = run_cli(capsys, "watch", "--max-runs", "1", "--interval", "1s", "--state", estate["state"],
                           "--endpoint-url", estate["endpoint"], "--regions", LU, "--db", db)
    assert code == 1, err   # the drift fails the gate, as `luxguard drift` would
    assert "drift 1: 1 drifted" in err
    assert {r.source for r in HistoryStore(str(db)).runs()} == {"aws", "drift"}


# ------------------------------------------------------------------------ DIY backends

@pytest.mark.parametrize("gzipped", [False, True])
def test_file_backend(capsys, estate, tmp_path, gzipped):
    backend = tmp_path / "backend"
    path = estate["provisioned"].write_backend(backend, gzipped=gzipped)
    assert path.name == ("local.json.gz" if gzipped else "local.json")
    _ssh_opened(estate)
    code, out, err = run_cli(capsys, "drift", "--backend", f"file://{backend}", "--stack", "local",
                             "--endpoint-url", estate["endpoint"], "--format", "json", "--no-history")
    assert code == 1, err
    assert summary(json.loads(out)) == {("DRIFT-SG-RULES", estate["sg"], "ingress", "access")}
    for stack in ("luxguard/local", "organization/luxguard/local"):
        assert load_backend(f"file://{backend}", stack).target == "luxguard/local"
    with pytest.raises(LuxguardError, match="no state for stack 'local'.*stacks/other/local.json"):
        load_backend(f"file://{backend}", "other/local")


def test_file_backend_legacy_layout_and_newest_copy(estate, tmp_path):
    checkpoint = json.loads(estate["provisioned"].write_backend(tmp_path / "a").read_text())
    legacy = tmp_path / "b" / ".pulumi" / "stacks" / "local.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps(checkpoint))
    state = load_backend(f"file://{tmp_path / 'b'}", "local")
    assert (state.project, state.stack) == ("luxguard", "local")
    assert len(state.capture.resources) == len(checkpoint["checkpoint"]["latest"]["resources"])
    # A plain and a gzipped copy side by side: the newer one is read.
    import os
    import time

    gz = legacy.with_suffix(".json.gz")
    gz.write_bytes(gzip.compress(b"{broken"))
    os.utime(legacy, (time.time() - 100, time.time() - 100))
    with pytest.raises(LuxguardError, match=r"local\.json\.gz: not a Pulumi state \(invalid JSON"):
        load_backend(f"file://{tmp_path / 'b'}", "local")


def test_s3_backend(estate, tmp_path):
    endpoint = estate["endpoint"]
    path = estate["provisioned"].write_backend(tmp_path / "b", gzipped=True)
    s3(endpoint).create_bucket(Bucket="pulumi-state", CreateBucketConfiguration={"LocationConstraint": LU})
    s3(endpoint).put_object(Bucket="pulumi-state", Key="team/.pulumi/stacks/luxguard/local.json.gz",
                            Body=path.read_bytes())
    state = load_backend("s3://pulumi-state/team", "local", endpoint_url=endpoint)
    assert state.where == "s3://pulumi-state/team/.pulumi/stacks/luxguard/local.json.gz"
    assert {r.id for r in state.capture.resources if r.type == "aws:ec2/securityGroup:SecurityGroup"} == {estate["sg"]}
    with pytest.raises(LuxguardError, match="no state for stack 'production'"):
        load_backend("s3://pulumi-state/team", "production", endpoint_url=endpoint)


# ------------------------------------------------------------------------ bad input: one line, exit 2

def _one_line_error(capsys, *args: Any) -> str:
    code, out, err = run_cli(capsys, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("luxguard: error: ")
    return lines[0]


def test_bad_state_files(capsys, estate, tmp_path):
    endpoint = estate["endpoint"]
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"version": 3, "deployment": {')
    line = _one_line_error(capsys, "drift", "--state", malformed, "--endpoint-url", endpoint)
    assert str(malformed) in line and "invalid JSON" in line

    document = json.loads(estate["state"].read_text())
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**document, "version": 4}))
    line = _one_line_error(capsys, "drift", "--state", future, "--endpoint-url", endpoint)
    assert str(future) in line and "field version" in line and "4" in line

    line = _one_line_error(capsys, "drift", "--state", estate["state"], "--stack", "production",
                           "--endpoint-url", endpoint)
    assert "state is for stack 'local'" in line and "production" in line

    line = _one_line_error(capsys, "drift", "--state", tmp_path / "nope.json", "--endpoint-url", endpoint)
    assert "nope.json: state file not found" in line

    bad_urn = tmp_path / "bad-urn.json"
    document["deployment"]["resources"][1]["urn"] = "not-a-urn"
    bad_urn.write_text(json.dumps(document))
    line = _one_line_error(capsys, "drift", "--state", bad_urn, "--endpoint-url", endpoint)
    assert "deployment.resources[1].urn" in line

    line = _one_line_error(capsys, "drift", "--endpoint-url", endpoint)
    assert "--state FILE" in line


def test_unreachable_backends(capsys, tmp_path):
    line = _one_line_error(capsys, "drift", "--backend", "s3://pulumi-state", "--stack", "local",
                           "--endpoint-url", "http://127.0.0.1:9")
    assert "s3://pulumi-state" in line and "unreachable" in line
    line = _one_line_error(capsys, "drift", "--backend", f"file://{tmp_path}/missing", "--stack", "local")
    assert "missing" in line and "not found" in line
    line = _one_line_error(capsys, "drift", "--backend", f"file://{tmp_path}", "--stack", "local")
    assert "no .pulumi/stacks" in line
    line = _one_line_error(capsys, "drift", "--backend", "https://app.pulumi.com", "--stack", "local")
    assert "unsupported backend" in line
    line = _one_line_error(capsys, "drift", "--backend", f"file://{tmp_path}", "--endpoint-url", "http://127.0.0.1:9")
    assert "--stack" in line


def test_unreachable_cloud(capsys, estate):
    line = _one_line_error(capsys, "drift", "--state", estate["state"], "--endpoint-url", "http://127.0.0.1:9",
                           "--no-history")
    assert "cannot reach" in line


# ------------------------------------------------------------------------ state reading, no cloud

def _export(resources: list[dict]) -> bytes:
    return json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": resources}}).encode()


def test_state_secrets_pending_deletes_and_provider_region():
    stack = "urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev"
    provider = "urn:pulumi:dev::shop::pulumi:providers:aws::default_7_0_0"
    data = _export([
        {"urn": stack, "type": "pulumi:pulumi:Stack", "custom": False},
        {"urn": provider, "type": "pulumi:providers:aws", "custom": True, "id": "abc",
         "inputs": {"region": "lu-central-1"}},
        {"urn": "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::data", "type": "aws:s3/bucket:Bucket", "custom": True,
         "id": "shop-data", "inputs": {"bucket": "shop-data", "tags": {
             "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "xyz"}},
         "outputs": {"arn": "arn:aws:s3:::shop-data"}, "provider": f"{provider}::abc", "parent": stack},
        {"urn": "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::data", "type": "aws:s3/bucket:Bucket", "custom": True,
         "id": "old-copy", "delete": True, "inputs": {}},
    ])
    state = parse_state(data, "export.json", "shop/dev")
    assert (state.project, state.stack) == ("shop", "dev")
    buckets = [r for r in state.capture.resources if r.type == "aws:s3/bucket:Bucket"]
    assert [(b.id, b.name, b.provider) for b in buckets] == [("shop-data", "data", provider)]
    assert buckets[0].inputs["tags"] is None and buckets[0].inputs["arn"] == "arn:aws:s3:::shop-data"
    from luxguard.sources.pulumi_normalise import normalise

    [bucket] = normalise(state.capture)
    assert (bucket.id, bucket.region, bucket.urn) == ("shop-data", "lu-central-1", buckets[0].urn)
    with pytest.raises(LuxguardError, match="not 'shop2'"):
        parse_state(data, "export.json", "shop2/dev")


def test_drift_table_is_documented_and_consistent():
    from luxguard.core.model import CATEGORIES, SEVERITIES
    from luxguard.resources import property_kind

    ids = [r.rule_id for r in DRIFT_RULES]
    assert len(ids) == len(set(ids))
    for rule in DRIFT_RULES:
        assert rule.category in CATEGORIES and rule.severity in SEVERITIES
        for prop in rule.properties:
            for rtype in rule.types:
                assert rtype == "*" or property_kind(rtype, prop) is not None, (rtype, prop)
    assert DriftDetector(Settings().locations(), Settings().pinned()).pinned == "LU"


def test_load_state_file_accepts_gzip(estate, tmp_path):
    gz = tmp_path / "state.json.gz"
    gz.write_bytes(gzip.compress(estate["state"].read_bytes()))
    assert load_state_file(gz, "local").stack == "local"


def test_waivers_and_approvals_apply_to_drift(capsys, estate, tmp_path):
    """A reviewed manual change can be waived; a bucket abroad is covered only by an approval."""
    import yaml

    _ssh_opened(estate)
    _bucket_abroad(estate)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "id": "WVR-SSH", "rule": "DRIFT-SG-RULES", "resource": estate["sg"], "reason": "break-glass debug session",
        "owner": "sre-oncall", "expires": "2030-01-01"}]}))
    code, document = drift_json(capsys, estate, "--waivers", str(waivers), "--as-of", "2026-06-01")
    statuses = {(f["rule_id"], f["resource"]["id"]): f["status"] for f in document["findings"]}
    assert statuses[("DRIFT-SG-RULES", estate["sg"])] == "waived"
    unmanaged = [f for f in document["findings"] if f["rule_id"] == "DRIFT-UNMANAGED"]
    assert unmanaged and all(f["status"] == "fail" for f in unmanaged)

    approvals = tmp_path / "approvals.yaml"
    approvals.write_text(yaml.safe_dump({"approvals": [{
        "id": "APR-IE", "customer": "ACME", "data_categories": ["contact"], "destinations": {"countries": ["IE"]},
        "scope": {"resource_ids": [f["resource"]["id"] for f in unmanaged]}, "document": "DPA-7",
        "approved_by": "DPO", "granted": "2026-01-01", "expires": "2027-01-01"}]}))
    # the hand-made bucket carries no data-classification tag: an approval cannot cover unknown data
    code, document = drift_json(capsys, estate, "--approvals", str(approvals), "--as-of", "2026-06-01")
    (finding,) = [f for f in document["findings"] if f["rule_id"] == "DRIFT-UNMANAGED"]
    assert finding["status"] == "fail" and "cannot cover unclassified data" in finding["message"]


def test_residency_drift_cannot_be_waived(capsys, tmp_path):
    import yaml

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "id": "WVR-1", "rule": "DRIFT-RESIDENCY", "resource": "*", "reason": "moved by hand",
        "owner": "me", "expires": "2030-01-01"}]}))
    code, _, err = run_cli(capsys, "waivers", "validate", waivers)
    assert code == 2 and "unknown rule DRIFT-RESIDENCY" in err


@pytest.mark.parametrize("fault, code", [("denied", "UnauthorizedOperation"), ("html", "InvalidAnswer")])
def test_a_failed_listing_is_undecided_never_deleted_outside_pulumi(capsys, estate, fault, code):
    from tests.fault_proxy import FaultProxy

    with FaultProxy(estate["endpoint"]) as proxy:
        proxy.inject(fault, {("ec2", "DescribeSecurityGroups")})
        exit_code, document = drift_json(capsys, {**estate, "endpoint": proxy.url})
    groups = [f for f in document["findings"] if f["resource"]["type"] == "AWS::EC2::SecurityGroup"]
    assert groups and all(f["status"] == "error" for f in groups)
    missing = {f["resource"]["id"] for f in groups if f["drift"] == {"kind": "missing"}}
    assert estate["sg"] in missing and all(code in f["message"] for f in groups)
    unmanaged = [f for f in groups if f["drift"] == {"kind": "unmanaged"}]
    assert len(unmanaged) == 1 and unmanaged[0]["listing"]["code"] == code and unmanaged[0]["resource"]["id"] == "*"
    assert exit_code == 1 and document["summary"]["errors"] == len(groups)
