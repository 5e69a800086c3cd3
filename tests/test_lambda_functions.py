"""Lambda functions: collected live from the local cloud (region, environment key, resource
policy), the same verdicts from `check` and `scan`, an approved processor's invoke grant waived,
drift when the key is changed by hand, and a refused GetPolicy never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import deploy, drift_changes, scan_live, scan_refusing, scan_with_approvals, verdicts_by_id
from tests.moto_cloud import EU, LU, client

FUNCTION = "AWS::Lambda::Function"
PROCESSOR = "222233334444"

PROGRAM = f"""
t.function(name='fn-ok')
t.function(name='fn-no-env', cmk=False, environment=False)
t.function(name='fn-aws-key', cmk=False)
t.function(name='fn-ireland', region='eu-west-1', key_region='eu-west-1')
t.function(name='fn-own-caller', permission='own_account')
t.function(name='fn-foreign-caller', permission='foreign_account')
t.function(name='fn-processor', permission='{PROCESSOR}')
t.function(name='fn-unclassified', classification=None)
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-PAYROLL
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [fn-processor]}}
    document: LC-DPA-2026-031
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
    found = {r.id: r for r in result.resources if r.type == FUNCTION}
    assert sorted(found) == ["fn-aws-key", "fn-foreign-caller", "fn-ireland", "fn-no-env", "fn-ok",
                             "fn-own-caller", "fn-processor", "fn-unclassified"]
    ok = found["fn-ok"]
    assert ok.arn == f"arn:aws:lambda:{LU}:123456789012:function:fn-ok"
    assert ok.properties["customer_managed_key"] is True and ok.properties["kms_key_region"] == LU
    assert ok.properties["environment_variables"] is True and ok.properties["classification"] == ["contact"]
    assert ok.properties["policy"] == {"grants": []}
    assert found["fn-no-env"].properties["environment_variables"] is False
    assert found["fn-aws-key"].properties["kms_key_id"] == "alias/aws/lambda"
    assert found["fn-ireland"].region == EU
    assert found["fn-unclassified"].properties["classification"] == []
    [grant] = found["fn-foreign-caller"].properties["policy"]["grants"]
    assert "999999999999" in json.dumps(grant) and "lambda:InvokeFunction" in json.dumps(grant)
    calls = result.api_calls
    # one listing per region, one GetPolicy per function, tags from the region's tagging pass
    assert calls["lambda.ListFunctions"] == 2 and calls["lambda.GetPolicy"] == len(found)
    assert "lambda.ListTags" not in calls


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_by_id(check_capture(capture, settings), FUNCTION)
    live = verdicts_by_id(evaluate(settings.engine(), settings, [r for r in scan_live(endpoint).resources
                                                                 if r.type == FUNCTION], "aws"), FUNCTION)
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-017", "fn-aws-key"), ("LUX-RES-001", "fn-ireland"), ("LUX-RES-004", "fn-ireland"),
        ("LUX-ACC-011", "fn-foreign-caller"), ("LUX-ACC-011", "fn-processor"),
        ("LUX-CLS-001", "fn-unclassified")}


def test_an_approved_processor_is_waived_and_a_stranger_fails(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    access = {f["resource"]["id"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
              if f["rule_id"] == "LUX-ACC-011" and f["resource"]["type"] == FUNCTION}
    assert access["fn-processor"]["status"] == "waived" and "APR-2026-PAYROLL" in json.dumps(access["fn-processor"])
    assert access["fn-foreign-caller"]["status"] == "fail" and "999999999999" in access["fn-foreign-caller"]["message"]
    assert access["fn-own-caller"]["status"] == "pass"


def test_drift_when_functions_are_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_changes(capsys, state, endpoint, FUNCTION) == set()
    # (the local cloud ignores a KMSKeyArn change in UpdateFunctionConfiguration, so the key's
    # drift is exercised by DRIFT-STORE-ENCRYPTION's other types in tests/test_data_stores.py)
    lam = client(endpoint, "lambda", LU)
    lam.untag_resource(Resource=f"arn:aws:lambda:{LU}:123456789012:function:fn-ok", TagKeys=["data-classification"])
    lam.delete_function(FunctionName="fn-aws-key")
    role = lam.get_function(FunctionName="fn-no-env")["Configuration"]["Role"]
    from luxguard.resources.lambda_function import deployment_package
    lam.create_function(FunctionName="hand-made", Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": deployment_package()})
    assert drift_changes(capsys, state, endpoint, FUNCTION) == {
        ("DRIFT-CLASSIFICATION", "fn-ok", "classification"), ("DRIFT-MISSING", "fn-aws-key", "missing"),
        ("DRIFT-UNMANAGED", "hand-made", "unmanaged")}


def test_a_refused_get_policy_is_an_error_for_the_access_rule_only(capsys, deployed):
    _, _, endpoint = deployed
    functions = [f for f in scan_refusing(capsys, endpoint, LU, "lambda", "GetPolicy")
                 if f["resource"]["type"] == FUNCTION]
    access = [f for f in functions if f["rule_id"] == "LUX-ACC-011"]
    assert access and {f["status"] for f in access} == {"error"}
    assert all("AccessDenied" in f["message"] for f in access)
    # what GetPolicy does not answer is still judged
    assert {(f["rule_id"], f["resource"]["id"], f["status"]) for f in functions if f["rule_id"] == "LUX-ENC-017"} >= {
        ("LUX-ENC-017", "fn-aws-key", "fail"), ("LUX-ENC-017", "fn-ok", "pass")}


def test_a_refused_listing_is_an_error_for_every_function_rule(capsys, deployed):
    _, _, endpoint = deployed
    functions = [f for f in scan_refusing(capsys, endpoint, LU, "lambda", "ListFunctions")
                 if f["resource"]["type"] == FUNCTION]
    assert {f["rule_id"] for f in functions} >= {"LUX-ACC-011", "LUX-ENC-017", "LUX-RES-001", "LUX-CLS-001"}
    assert {f["status"] for f in functions} == {"error"}
