"""The same resources, declared in a program and deployed, get the same verdicts from check and scan."""

from __future__ import annotations

import pytest

from luxguard.pipeline import Settings, check_capture
from scanners import collect, open_session
from tests.helpers import deploy
from tests.moto_cloud import LU

# Resources of the types the sandbox provisioner creates, compliant and violating.
PROGRAM = """
t.bucket(name='eq-compliant')
t.bucket(name='eq-aes', sse='AES256', pab=False, policy='tls_only', logging=False)
t.bucket(name='eq-bare', sse=None, policy='none', versioning=False, noncurrent_days=None,
         ownership='ObjectWriter')
import pulumi_aws as aws
aws.s3.Bucket('eq-new', bucket='eq-new', tags={'data-classification': 'technical'})  # AWS's defaults
t.key(name='eq-no-rotation', rotation=False)
t.security_group(name='eq-open-ssh', ingress=[
    {'protocol': 'tcp', 'from_port': 22, 'to_port': 22, 'cidr_blocks': ['0.0.0.0/0']},
    {'protocol': 'tcp', 'from_port': 443, 'to_port': 443, 'ipv6_cidr_blocks': ['::/0']}])
t.security_group(name='eq-db-world', ingress=[
    {'protocol': 'tcp', 'from_port': 5432, 'to_port': 5432, 'cidr_blocks': ['0.0.0.0/0']}])
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def verdicts(report, id_of_urn=None) -> dict[tuple[str, str, str], str]:
    """(rule, type, resource) -> status, with planned resources named by their cloud id."""
    result = {}
    for finding in report.findings:
        resource = finding.resource
        resource_id = (id_of_urn or {}).get(resource.urn, resource.id)
        result[(finding.rule_id, resource.type, resource_id)] = finding.status.value
    return result


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, provisioned, endpoint = deployed
    settings = Settings()
    planned = verdicts(check_capture(capture, settings), provisioned.ids)
    assert ("LUX-ACC-004", "AWS::EC2::SecurityGroup", provisioned.ids[next(
        r.urn for r in capture.resources if r.name == "eq-open-ssh")]) in planned

    from luxguard.pipeline import evaluate

    live_resources = collect(open_session(None, LU), [LU], endpoint).resources
    managed = set(planned_ids := {key[2] for key in planned})
    live = verdicts(evaluate(settings.engine(), settings, [r for r in live_resources if r.id in managed], "aws"))
    assert planned_ids == {key[2] for key in live}
    differences = {key: (planned.get(key), live.get(key)) for key in planned.keys() | live.keys()
                   if planned.get(key) != live.get(key)}
    assert differences == {}
    failing = {key[0] for key, status in planned.items() if status == "fail"}
    assert {"LUX-ENC-001", "LUX-ACC-001", "LUX-ENC-003", "LUX-ENC-005", "LUX-ACC-004", "LUX-ACC-005",
            "LUX-LOG-001", "LUX-ACC-010"} <= failing
