"""Writing real Pulumi projects to disk and running the real CLI on them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from cli import run
from luxguard.core.rules import load_rules

PROGRAMS = Path(__file__).parent / "programs"


def write_program(directory: Path, body: str, stack: str = "test", config: dict[str, Any] | None = None) -> Path:
    """A Pulumi project: Pulumi.yaml, Pulumi.<stack>.yaml and a __main__.py importing the toolkit."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: case\nruntime: python\n")
    settings = {"aws:region": "lu-central-1", **(config or {})}
    (directory / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": settings}))
    shutil.copy(PROGRAMS / "toolkit.py", directory / "toolkit.py")
    (directory / "__main__.py").write_text("import toolkit as t\n" + body + "\n")
    return directory


def deploy(endpoint: str, directory: Path, program: str) -> tuple[Any, Any, str]:
    """(capture, provisioned, endpoint) of a toolkit `program` written to `directory`, captured
    under Pulumi's mocks and provisioned into the local cloud at `endpoint`."""
    from luxguard.sandbox.provision import provision_capture
    from luxguard.sources.pulumi_capture import capture_program

    capture = capture_program(write_program(directory, program), "test")
    return capture, provision_capture(capture, endpoint), endpoint


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def failing_rule_ids(findings_json: str) -> set[str]:
    return {f["rule_id"] for f in json.loads(findings_json)["findings"] if f["status"] == "fail"}


# Rules about facts only the live account knows: no IaC declares root credentials, and a key declared
# in code is new. Their compliant and violating cases are live tests (tests/test_identities.py).
LIVE_ONLY = {"LUX-ACC-015": "root access keys", "LUX-ACC-016": "access key age and last use"}


def pulumi_examples(variant: str) -> list[str]:
    """Ids of the built-in rules whose `examples.<variant>` has a Pulumi program, sorted."""
    return [rule.id for rule in load_rules()
            if rule.examples and "pulumi" in getattr(rule.examples, variant)]


def scan_findings(capsys, endpoint: str, regions: str, *args: str, expect: int = 1) -> list[dict]:
    """`scan --format json --no-history` of `regions` at `endpoint`: its findings (exit code checked)."""
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", endpoint, "--regions", regions, "--format", "json",
                             "--no-history", *args)
    assert code == expect, err
    return json.loads(out)["findings"]


def scan_with_approvals(capsys, endpoint: str, regions: str, approvals_yaml: str, tmp_path: Path) -> list[dict]:
    """The findings of a scan judged against the approvals file `approvals_yaml`."""
    approvals = tmp_path / "approvals.yaml"
    approvals.write_text(approvals_yaml, encoding="utf-8")
    return scan_findings(capsys, endpoint, regions, "--approvals", str(approvals))


def scan_refusing(capsys, endpoint: str, regions: str, service: str, operation: str) -> list[dict]:
    """The findings of a scan through the fault proxy, with every `service` `operation` call denied."""
    from tests.fault_proxy import FaultProxy

    with FaultProxy(endpoint) as proxy:
        proxy.inject("denied", {(service, operation)})
        return scan_findings(capsys, proxy.url, regions)


# -------------------------------------------------------------------------- one resource type, live

def scan_live(endpoint: str, regions: tuple[str, ...] = ("lu-central-1", "eu-west-1")):
    """The collector's result for `regions` of the local cloud (resources, failures, API call counts)."""
    import boto3

    from scanners import collect

    return collect(boto3.Session(region_name=regions[0]), list(regions), endpoint)


def named(resources, resource_type: str) -> dict[str, Any]:
    """The resources of `resource_type`, by their `name` property."""
    return {r.properties["name"]: r for r in resources if r.type == resource_type}


def verdicts_of(report, resource_type: str) -> dict[tuple[str, str], str]:
    """(rule id, resource name) -> status, for the findings on `resource_type` in a check or scan report."""
    return {(f.rule_id, f.resource.properties["name"]): f.status.value for f in report.findings
            if f.resource.type == resource_type}


def drift_failures(capsys, state: Path, endpoint: str, resource_type: str) -> set[tuple[str, Any]]:
    """(rule id, drift kind) of the failing `drift --state` findings on `resource_type`."""
    code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                             "--no-history")
    assert code in (0, 1), err
    return {(f["rule_id"], f["drift"].get("kind")) for f in json.loads(out)["findings"]
            if f["status"] == "fail" and f["resource"]["type"] == resource_type}


def verdicts_by_id(report, *resource_types: str) -> dict[tuple[str, str], str]:
    """(rule id, resource id) -> status, for the findings on any of `resource_types` in a check or scan report."""
    return {(f.rule_id, f.resource.id): f.status.value for f in report.findings if f.resource.type in resource_types}


def drift_changes(capsys, state: Path, endpoint: str, *resource_types: str) -> set[tuple[str, str, Any]]:
    """(rule id, resource id, drifted property or else drift kind) of the failing `drift --state`
    findings on any of `resource_types`."""
    code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                             "--no-history")
    assert code in (0, 1), err
    return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"))
            for f in json.loads(out)["findings"] if f["status"] == "fail" and f["resource"]["type"] in resource_types}


def check_and_scan(capture, endpoint: str, resource_type: str, regions: tuple[str, ...] = ("lu-central-1", "eu-west-1"),
                   names: Any = None) -> tuple[dict, dict]:
    """(check's verdicts, scan's verdicts) on `resource_type`, each (rule id, name) -> status: what
    `check` says of a program and what `scan` says of what it provisioned (only `names`, when the
    local cloud holds others of the type)."""
    from luxguard.pipeline import Settings, check_capture, evaluate

    settings = Settings()
    live = [r for name, r in named(scan_live(endpoint, regions).resources, resource_type).items()
            if names is None or name in names]
    return (verdicts_of(check_capture(capture, settings), resource_type),
            verdicts_of(evaluate(settings.engine(), settings, live, "aws"), resource_type))
