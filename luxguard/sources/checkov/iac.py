"""`check_iac_path`: one gate for Terraform and CloudFormation, through checkov.

checkov runs its built-in checks (minus luxguard/sources/checkov/skips.yaml) and the policies generated
from our rule files (custom_policies.py) on a Terraform directory, a Terraform plan JSON
(`terraform show -json`) or a CloudFormation template.

CloudFormation has no region in the template: luxguard takes it from `--region` or from the
template's `Metadata: {luxguard: {region: ...}}` and scans a copy in which every resource carries
`Metadata.LuxguardRegion`; without either, residency rules fail (an unknown region is outside).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any, Optional

import yaml

from luxguard.core.errors import LuxguardError
from luxguard.core.locations import DEFAULT_PINNED_COUNTRY, load_locations
from luxguard.core.model import Resource, SourceLocation
from luxguard.sinks.outputs import Report
from luxguard.core.rules import Rule
from luxguard.sources.checkov.custom_policies import export_rules
from luxguard.sources.checkov.runner import results_to_findings, run_checkov


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt ...)."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def _read_document(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError:
        return None


def detect_kind(path: Path) -> tuple[str, Any]:
    """('terraform' | 'terraform_plan' | 'cloudformation', parsed document or None)."""
    path = Path(path)
    if not path.exists():
        raise LuxguardError(f"{path}: path not found")
    if path.is_dir():
        if any(path.glob("*.tf")):
            return "terraform", None
        raise LuxguardError(f"{path}: not a Pulumi project (no Pulumi.yaml) nor a Terraform directory (no *.tf files)")
    if path.suffix == ".tf":
        return "terraform", None
    document = _read_document(path)
    if isinstance(document, dict):
        if "planned_values" in document or ("format_version" in document and "terraform_version" in document):
            return "terraform_plan", document
        if "AWSTemplateFormatVersion" in document or isinstance(document.get("Resources"), dict):
            return "cloudformation", document
    raise LuxguardError(f"{path}: not a Terraform directory, Terraform plan JSON or CloudFormation template")


def _template_region(document: dict, region: Optional[str]) -> Optional[str]:
    if region:
        return region
    meta = (document.get("Metadata") or {}).get("luxguard") or {}
    return str(meta["region"]) if isinstance(meta, dict) and meta.get("region") else None


def _cfn_scan_copy(document: dict, region: Optional[str], folder: Path) -> Path:
    copy = json.loads(json.dumps(document, default=str))
    for resource in (copy.get("Resources") or {}).values():
        if isinstance(resource, dict) and region:
            resource.setdefault("Metadata", {})
            if isinstance(resource["Metadata"], dict):
                resource["Metadata"]["LuxguardRegion"] = region
    target = folder / "template.json"
    target.write_text(json.dumps(copy, indent=1), encoding="utf-8")
    return target


def _line_of(text_lines: list[str], logical_id: str) -> int:
    pattern = re.compile(rf'^\s*"?{re.escape(logical_id)}"?\s*:')
    return next((n for n, line in enumerate(text_lines, 1) if pattern.match(line)), 1)


def check_iac_path(path: Path, rules: list[Rule], settings: Any = None, region: Optional[str] = None) -> Report:
    """Terraform directory / plan JSON / CloudFormation template -> a Report (source "checkov")."""
    path = Path(path)
    kind, document = detect_kind(path)
    locations = load_locations(getattr(settings, "location_files", ()) or ())
    pinned = getattr(settings, "pinned_country", None) or DEFAULT_PINNED_COUNTRY
    export = export_rules(rules, locations, pinned)
    notes = [f"{rule_id} not checked through checkov: {reason}" for rule_id, reason in sorted(export.skipped.items())]
    original_lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    with tempfile.TemporaryDirectory(prefix="luxguard-iac-") as folder:
        policies = export.write(Path(folder) / "policies")
        args = ["--external-checks-dir", str(policies)]
        if kind == "terraform":
            args += ["-d" if path.is_dir() else "-f", str(path), "--framework", "terraform"]
        elif kind == "terraform_plan":
            args += ["-f", str(path), "--framework", "terraform_plan"]
        else:
            template_region = _template_region(document, region)
            if template_region is None:
                notes.append(f"{path}: no region (pass --region or set Metadata.luxguard.region); "
                             "residency rules fail: an unknown region is outside")
            args += ["-f", str(_cfn_scan_copy(document, template_region, Path(folder))), "--framework", "cloudformation"]
        reports = run_checkov(args)

    def resource_for(result: dict) -> Resource:
        address = str(result.get("resource") or "")
        lines = result.get("file_line_range") or [1, 1]
        if kind == "cloudformation":
            rtype, _, logical = address.rpartition(".")
            return Resource(type=rtype, id=logical, source=SourceLocation(str(path), _line_of(original_lines, logical)))
        file = str(path / str(result.get("file_path", "")).lstrip("/")) if path.is_dir() else str(path)
        rtype = address.split(".")[0]
        return Resource(type=rtype, id=address, source=SourceLocation(file, int(lines[0] or 1)))

    def tags_for(result: dict) -> dict:
        tags = result.get("entity_tags") or {}
        return tags if isinstance(tags, dict) else {}

    run = results_to_findings(reports, resource_for, tags_for, export.rules)
    notes += [f"skipped {check} on {address}: {reason}" for check, address, reason in run.skipped]
    return Report(source="checkov", findings=_sorted(run.findings), resources=run.resources, rules=rules,
                  base_dir=path if path.is_dir() else path.parent, notes=notes)


def _sorted(findings: list) -> list:
    from luxguard.core.model import sort_findings

    return sort_findings(findings)
