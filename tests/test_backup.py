"""AWS Backup vaults and plans: collected live from the local cloud (region, the vault's key, the
vaults a plan's copy actions copy into), the same verdicts from `check` and `scan`, an approved
copy abroad and an approved processor's vault waived, drift when a plan is changed by hand, and a
refused GetBackupPlan or ListBackupVaults never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import deploy, drift_changes, scan_live, scan_refusing, scan_with_approvals, verdicts_by_id
from tests.moto_cloud import EU, LU, client

VAULT = "AWS::Backup::BackupVault"
PLAN = "AWS::Backup::BackupPlan"
BACKUP_TYPES = (VAULT, PLAN)
PROCESSOR = "222233334444"
PROCESSOR_VAULT = f"arn:aws:backup:{LU}:{PROCESSOR}:backup-vault:processor-vault"
FOREIGN_VAULT = f"arn:aws:backup:{LU}:999999999999:backup-vault:theirs"

PROGRAM = f"""
vault = t.backup_vault()
spare = t.backup_vault(name='spare-vault')
t.backup_vault(name='aws-key-vault', cmk=False)
t.backup_vault(name='unclassified-vault', classification=None)
dr = t.backup_vault(name='dr-vault', region='eu-west-1', key_region='eu-west-1')
t.backup_plan(vault, name='plan-local', copy_to=[spare])
t.backup_plan(vault, name='plan-to-ireland', copy_to=[dr])
t.backup_plan(vault, name='plan-approved-copy', copy_to=[dr])
t.backup_plan(vault, name='plan-foreign', copy_to=['{FOREIGN_VAULT}'])
t.backup_plan(vault, name='plan-processor', copy_to=['{PROCESSOR_VAULT}'])
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-VAULT
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [plan-processor]}}
    document: LC-DPA-2026-041
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
  - id: APR-2026-DR
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{countries: [IE]}}
    scope: {{resource_ids: [plan-approved-copy]}}
    document: LC-DPA-2026-042
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_properties_and_calls(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    vaults = {r.id: r for r in result.resources if r.type == VAULT}
    plans = {r.id: r for r in result.resources if r.type == PLAN}
    assert sorted(vaults) == ["aws-key-vault", "dr-vault", "orders-vault", "spare-vault", "unclassified-vault"]
    assert sorted(plans) == ["plan-approved-copy", "plan-foreign", "plan-local", "plan-processor", "plan-to-ireland"]
    ok = vaults["orders-vault"]
    assert ok.arn == f"arn:aws:backup:{LU}:123456789012:backup-vault:orders-vault"
    assert ok.properties["customer_managed_key"] is True and ok.properties["kms_key_region"] == LU
    assert ok.properties["classification"] == ["contact"]
    assert vaults["aws-key-vault"].properties["kms_key_id"] == "alias/aws/backup"
    assert vaults["aws-key-vault"].properties["customer_managed_key"] is False
    assert vaults["dr-vault"].region == EU and vaults["unclassified-vault"].properties["classification"] == []
    assert plans["plan-local"].properties["copy_regions"] == [LU]
    assert plans["plan-to-ireland"].properties["copy_regions"] == [EU]
    [grant] = plans["plan-foreign"].properties["sharing"]["grants"]
    assert grant["principals"] == ["999999999999"] and grant["actions"] == ["backup:CopyIntoBackupVault"]
    calls = result.api_calls
    # one listing of each per region; a plan and a tag read per plan (vaults' tags: the tagging pass)
    assert calls["backup.ListBackupVaults"] == 2 and calls["backup.ListBackupPlans"] == 2
    assert calls["backup.GetBackupPlan"] == len(plans) and calls["backup.ListTags"] == len(plans)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_by_id(check_capture(capture, settings), *BACKUP_TYPES)
    live = verdicts_by_id(evaluate(settings.engine(), settings, [r for r in scan_live(endpoint).resources
                                                                 if r.type in BACKUP_TYPES], "aws"), *BACKUP_TYPES)
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-032", "aws-key-vault"), ("LUX-CLS-001", "unclassified-vault"),
        ("LUX-RES-001", "dr-vault"), ("LUX-RES-004", "dr-vault"),
        ("LUX-RES-018", "plan-to-ireland"), ("LUX-RES-018", "plan-approved-copy"),
        ("LUX-ACC-025", "plan-foreign"), ("LUX-ACC-025", "plan-processor")}


def test_approvals_waive_an_approved_copy_abroad_and_a_processor(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = [f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
                if f["resource"]["type"] == PLAN]
    access = {f["resource"]["id"]: f for f in findings if f["rule_id"] == "LUX-ACC-025"}
    assert access["plan-processor"]["status"] == "waived" and "APR-2026-VAULT" in json.dumps(access["plan-processor"])
    assert access["plan-foreign"]["status"] == "fail" and "999999999999" in access["plan-foreign"]["message"]
    assert access["plan-local"]["status"] == "pass"
    copies = {f["resource"]["id"]: f["status"] for f in findings if f["rule_id"] == "LUX-RES-018"}
    assert copies["plan-approved-copy"] == "waived" and copies["plan-to-ireland"] == "fail"
    assert copies["plan-local"] == "pass"


def _declare_copies(state: dict, plan: str, destinations: list[str]) -> None:
    """The state as if the program had declared `plan` copying into `destinations` (the local
    cloud cannot update a plan: UpdateBackupPlan is not implemented, so the declared side moves)."""
    for resource in state["deployment"]["resources"]:
        if resource["type"] == "aws:backup/plan:Plan" and resource.get("inputs", {}).get("name") == plan:
            for side in ("inputs", "outputs"):
                for rule in resource.get(side, {}).get("rules") or []:
                    rule["copyActions"] = [{"destinationVaultArn": d} for d in destinations]


def test_drift_when_plans_and_vaults_are_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_changes(capsys, state, endpoint, *BACKUP_TYPES) == set()
    backup = client(endpoint, "backup", LU)
    plan_id = next(p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]
                   if p["BackupPlanName"] == "plan-foreign")
    backup.delete_backup_plan(BackupPlanId=plan_id)
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "plan-hand-made", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "orders-vault",
        "CopyActions": [{"DestinationBackupVaultArn": FOREIGN_VAULT}]}]})
    backup.untag_resource(ResourceArn=f"arn:aws:backup:{LU}:123456789012:backup-vault:spare-vault",
                          TagKeyList=["data-classification"])
    document = json.loads(state.read_text())
    _declare_copies(document, "plan-local", [f"arn:aws:backup:{EU}:123456789012:backup-vault:dr-vault", PROCESSOR_VAULT])
    state.write_text(json.dumps(document))
    assert drift_changes(capsys, state, endpoint, *BACKUP_TYPES) == {
        ("DRIFT-BACKUP-COPY", "plan-local", "copy_regions"), ("DRIFT-BACKUP-COPY", "plan-local", "sharing.grants"),
        ("DRIFT-MISSING", "plan-foreign", "missing"), ("DRIFT-UNMANAGED", "plan-hand-made", "unmanaged"),
        ("DRIFT-CLASSIFICATION", "spare-vault", "classification")}


def test_a_refused_plan_read_is_an_error_for_the_copy_rules(capsys, deployed):
    _, _, endpoint = deployed
    plans = [f for f in scan_refusing(capsys, endpoint, LU, "backup", "GetBackupPlan") if f["resource"]["type"] == PLAN]
    assert {f["rule_id"] for f in plans} == {"LUX-RES-018", "LUX-ACC-025"}
    assert {f["status"] for f in plans} == {"error"} and all("AccessDenied" in f["message"] for f in plans)


def test_a_refused_vault_listing_is_an_error_for_every_vault_rule(capsys, deployed):
    _, _, endpoint = deployed
    findings = scan_refusing(capsys, endpoint, LU, "backup", "ListBackupVaults")
    vaults = [f for f in findings if f["resource"]["type"] == VAULT]
    assert {f["rule_id"] for f in vaults} >= {"LUX-ENC-032", "LUX-RES-001", "LUX-CLS-001"}
    assert {f["status"] for f in vaults} == {"error"}
    assert {f["status"] for f in findings if f["resource"]["type"] == PLAN and f["rule_id"] == "LUX-ACC-025"} == {
        "pass", "fail"}


def test_a_refused_tagging_pass_leaves_the_vaults_classification_undecided(capsys, deployed):
    _, _, endpoint = deployed
    vaults = [f for f in scan_refusing(capsys, endpoint, LU, "tagging", "GetResources") if f["resource"]["type"] == VAULT]
    classification = {f["resource"]["id"]: f["status"] for f in vaults if f["rule_id"] == "LUX-CLS-001"}
    assert classification and set(classification.values()) == {"error"}
    assert ("LUX-ENC-032", "aws-key-vault", "fail") in {(f["rule_id"], f["resource"]["id"], f["status"]) for f in vaults}
