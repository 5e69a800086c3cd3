"""`luxguard enforce` on AMI launch permissions, against moto's server: the public one (group
`all`) is removed (dry-run first, audited, verified by a re-scan, idempotent); a stranger's is
reported with the exact change and removed only with --remove-external-grants; an approved
processor's is never touched."""

from __future__ import annotations

import json
from pathlib import Path

from tests.moto_cloud import EU, LU, client
from tests.test_enforcer import calls, enforce, planned, result_of, writes  # noqa: F401 - fixture
from tests.test_enforcer_access import AS_OF, PROCESSOR, STRANGER, approvals, scan


def seed(endpoint: str) -> str:
    """A classified AMI anyone, a stranger and an approved processor may launch."""
    ec2 = client(endpoint, "ec2")
    image = ec2.register_image(Name="shared-image", RootDeviceName="/dev/xvda")["ImageId"]
    ec2.create_tags(Resources=[image], Tags=[{"Key": "data-classification", "Value": "contact"}])
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [
        {"Group": "all"}, {"UserId": STRANGER}, {"UserId": PROCESSOR}]})
    return image


def launchers(endpoint: str, image: str) -> list[str]:
    answer = client(endpoint, "ec2").describe_image_attribute(ImageId=image, Attribute="launchPermission")
    return sorted(p.get("Group") or p["UserId"] for p in answer["LaunchPermissions"])


def test_public_launch_goes_a_strangers_is_reported_and_the_processors_stays(fresh_cloud, capsys, tmp_path, calls):
    image = seed(fresh_cloud)
    rules = ("--rule", "LUX-ACC-008", "--rule", "LUX-ACC-012", *approvals(tmp_path), *AS_OF)

    # Dry-run: the exact change, and nothing changed.
    calls.clear()
    code, plan, err = enforce(capsys, fresh_cloud, tmp_path, *rules)
    assert code == 0 and plan["mode"] == "dry-run" and writes(calls) == [], err
    assert ("LUX-ACC-008", image, "ebs_unshare_snapshot") in planned(plan)
    (public,) = [c for c in plan["plan"] if c["resource"]["id"] == image and c["rule_id"] == "LUX-ACC-008"]
    assert public["calls"] == [{"service": "ec2", "region": LU, "operation": "ModifyImageAttribute", "params": {
        "ImageId": image, "LaunchPermission": {"Remove": [{"Group": "all"}]}}}]
    assert public["diff"] == ["- launch permission group all (public)"]
    (external,) = [c for c in plan["plan"] if c["resource"]["id"] == image and c["rule_id"] == "LUX-ACC-012"]
    assert f"= launch permission account {PROCESSOR} (approved processor: never touched)" in external["diff"]
    assert external["kept"] == [f"launch permission account {STRANGER} (outside the trusted zone; "
                                f"--remove-external-grants would remove it)"]
    assert launchers(fresh_cloud, image) == sorted(["all", PROCESSOR, STRANGER])

    # Applied: not public any more, audited and verified; the stranger kept (reported).
    code, applied, err = enforce(capsys, fresh_cloud, tmp_path, *rules, "--apply", "--yes")
    assert code == 0, err
    assert launchers(fresh_cloud, image) == sorted([PROCESSOR, STRANGER])
    assert result_of(applied, "LUX-ACC-008", image)["verification"] == "now passes"
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert any(e["resource_id"] == image and e["outcome"] == "succeeded" for e in entries)
    failing = {(f["rule_id"], f["resource"]["id"]) for f in scan(capsys, fresh_cloud, tmp_path)
               if f["status"] == "fail"}
    assert ("LUX-ACC-008", image) not in failing and ("LUX-ACC-012", image) in failing

    # Second run: nothing planned; the stranger listed as kept.
    calls.clear()
    code, again, _ = enforce(capsys, fresh_cloud, tmp_path, *rules)
    assert planned(again, runnable_only=False) == set() and writes(calls) == []
    assert (image, "kept") in {(s["resource"]["id"], s["kind"]) for s in again["skipped"]}

    # --remove-external-grants: the stranger goes, the approved processor stays and is waived.
    code, removed, err = enforce(capsys, fresh_cloud, tmp_path, *rules, "--remove-external-grants", "--apply", "--yes")
    assert code == 0, [(r["rule_id"], r["outcome"], r["verification"], r["detail"]) for r in removed["results"]]
    assert launchers(fresh_cloud, image) == [PROCESSOR]
    findings = {(f["rule_id"], f["resource"]["id"]): f["status"] for f in scan(capsys, fresh_cloud, tmp_path)}
    assert findings[("LUX-ACC-012", image)] == "waived" and findings[("LUX-ACC-008", image)] == "pass"
    code, last, _ = enforce(capsys, fresh_cloud, tmp_path, *rules, "--remove-external-grants")
    assert planned(last, runnable_only=False) == set()


def test_an_organizations_launch_permission_is_reported_never_removed(fresh_cloud, capsys, tmp_path: Path):
    ec2 = client(fresh_cloud, "ec2")
    image = ec2.register_image(Name="org-image", RootDeviceName="/dev/xvda")["ImageId"]
    other = "arn:aws:organizations::999988887777:organization/o-stranger1"
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"OrganizationArn": other}]})
    findings = {(f["rule_id"], f["resource"]["id"]): f for f in scan(capsys, fresh_cloud, tmp_path)}
    assert findings[("LUX-ACC-012", image)]["status"] == "fail"
    assert "o-stranger1" in findings[("LUX-ACC-012", image)]["message"]
    code, plan, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ACC-012", "--remove-external-grants",
                              *AS_OF)
    assert code == 0, err
    assert [c for c in plan["plan"] if c["resource"]["id"] == image] == []
    (kept,) = [s for s in plan["skipped"] if s["resource"]["id"] == image]
    assert (kept["kind"], kept["reason"]) == ("kept", f"launch permission organization {other} (outside the trusted "
                                                      f"zone; organizations are never removed)")


def test_an_image_abroad_is_tagged_not_moved(fresh_cloud, capsys, tmp_path):
    """LUX-RES-001's repair on an AMI copied to Ireland: two tags (CreateTags), its own kept."""
    from luxguard.actors.enforcer.actions import RESIDENCY_TAG

    ec2 = client(fresh_cloud, "ec2", EU)
    image = ec2.register_image(Name="irish-copy", RootDeviceName="/dev/xvda")["ImageId"]
    ec2.create_tags(Resources=[image], Tags=[{"Key": "data-classification", "Value": "contact"}])
    code, applied, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-RES-001", "--apply", "--yes",
                                 regions=f"{LU},{EU}")
    assert code == 0, err
    (change,) = [r for r in applied["results"] if r["resource"]["id"] == image]
    assert change["outcome"] == "succeeded"
    tags = {t["Key"]: t["Value"] for t in ec2.describe_images(ImageIds=[image])["Images"][0]["Tags"]}
    assert tags["data-classification"] == "contact" and tags[RESIDENCY_TAG] == "violation"
    code, again, _ = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-RES-001", regions=f"{LU},{EU}")
    assert image not in {c["resource"]["id"] for c in again["plan"]}
