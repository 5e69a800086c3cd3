"""One rule-case corpus in three forms: every rule's compliant and violating Pulumi example is
also written as a Terraform directory, its plan JSON, and CloudFormation templates
(tests/programs/iac_forms.py), and every form must give the same verdicts, rule for rule."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from luxguard.core.model import Status
from luxguard.pipeline import Settings, check_capture, check_infrastructure_code
from luxguard.sources.infrastructure_code import IacOptions
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import write_program
from tests.programs import iac_forms
from tests.rule_cases import CASES

# CloudFormation has no resource type for these; their examples exist in two forms only.
NOT_IN_CLOUDFORMATION = {"LUX-ENC-007": "EBS snapshots", "LUX-ACC-008": "EBS snapshot permissions",
                         "LUX-ENC-010": "EBS encryption by default", "LUX-ACC-006": "default security groups"}

# pulumi-aws accepts a "replica" in the table's own region (the compliant LUX-RES-006 example);
# a CloudFormation GlobalTable always lists its own region, which is the table itself, not a copy.
NOT_APPLICABLE_IN = {("LUX-RES-006", "compliant", "cloudformation"): "LUX-RES-006"}


def verdicts(report) -> Counter:
    """(rule, resource type, status) counted: what must agree between the forms."""
    return Counter((f.rule_id, f.resource.type, f.status.value) for f in report.findings)


def failing(report) -> set[str]:
    return {f.rule_id for f in report.findings if f.status == Status.FAIL}


def _forms(tmp: Path, body: str) -> dict:
    capture = capture_program(write_program(tmp / "pulumi", body), "test")
    settings = Settings()
    reports = {"pulumi": check_capture(capture, settings)}
    terraform = tmp / "terraform"
    terraform.mkdir()
    (terraform / "main.tf").write_text(iac_forms.terraform(capture))
    reports["terraform"] = check_infrastructure_code(terraform, settings, IacOptions(), with_checkov=False)
    plan = tmp / "tfplan.json"
    plan.write_text(json.dumps(iac_forms.terraform_plan(capture), indent=1))
    reports["terraform plan"] = check_infrastructure_code(plan, settings, IacOptions(), with_checkov=False)
    templates = iac_forms.cloudformation(capture)
    if templates is not None:
        folder = tmp / "cloudformation"
        folder.mkdir()
        for name, text in templates.items():
            (folder / name).write_text(text)
        target = folder if len(templates) > 1 else folder / next(iter(templates))
        reports["cloudformation"] = check_infrastructure_code(target, settings, IacOptions(), with_checkov=False)
    return reports


CASE_PARAMS = [pytest.param(rule_id, kind, id=f"{rule_id}-{kind}") for rule_id in sorted(CASES)
               for kind in ("compliant", "violating")]


@pytest.mark.parametrize("rule_id,kind", CASE_PARAMS)
def test_every_form_gives_the_same_verdicts(rule_id, kind, tmp_path):
    compliant, violating, fails = CASES[rule_id]
    reports = _forms(tmp_path, compliant if kind == "compliant" else violating)
    expected = set(fails) if kind == "violating" else set()
    assert ("cloudformation" in reports) == (rule_id not in NOT_IN_CLOUDFORMATION)
    for form, report in reports.items():
        assert failing(report) == expected, form
        assert report.count(Status.ERROR) == 0, (form, [f.message for f in report.findings if f.status == Status.ERROR])
        expected_verdicts = verdicts(reports["pulumi"])
        if (rule_id, kind, form) in NOT_APPLICABLE_IN:
            expected_verdicts = Counter({k: n for k, n in expected_verdicts.items()
                                         if k[0] != NOT_APPLICABLE_IN[(rule_id, kind, form)]})
        assert verdicts(report) == expected_verdicts, form
    if kind == "violating":
        for form, report in reports.items():
            assert rule_id in {f.rule_id for f in report.findings if f.status == Status.FAIL}, form
