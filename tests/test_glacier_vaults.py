"""S3 Glacier vaults: listed live from the local cloud, judged on where they keep archives, the
same verdicts from `check` and `scan`, a hand-made vault found by drift, a refused listing never
a pass."""

from __future__ import annotations

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import deploy, drift_failures, named, scan_live, scan_refusing, verdicts_of
from tests.moto_cloud import EU, LU, client

VAULT = "AWS::Glacier::Vault"

PROGRAM = """
t.vault('lux-archive')
t.vault('dr-archive', region='eu-west-1')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_listed_and_judged_where_they_keep_archives(deployed):
    capture, _, endpoint = deployed
    result = scan_live(endpoint)
    vaults = named(result.resources, VAULT)
    assert {name: v.region for name, v in vaults.items()} == {"lux-archive": LU, "dr-archive": EU}
    assert vaults["dr-archive"].arn.endswith(":vaults/dr-archive")
    assert result.api_calls["glacier.ListVaults"] == 2
    settings = Settings()
    planned = verdicts_of(check_capture(capture, settings), VAULT)
    live = verdicts_of(evaluate(settings.engine(), settings, list(vaults.values()), "aws"), VAULT)
    assert planned == live == {("LUX-RES-001", "lux-archive"): "pass", ("LUX-RES-001", "dr-archive"): "fail"}


def test_drift_finds_a_vault_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, VAULT) == set()
    client(endpoint, "glacier", EU).create_vault(accountId="-", vaultName="by-hand")
    assert drift_failures(capsys, state, endpoint, VAULT) == {("DRIFT-UNMANAGED", "unmanaged")}


def test_a_refused_listing_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "glacier", "ListVaults")
                if f["resource"]["type"] == VAULT]
    assert [(f["rule_id"], f["status"], f["resource"]["id"]) for f in findings] == [("LUX-RES-001", "error", "*")]
