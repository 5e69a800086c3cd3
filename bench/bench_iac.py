"""`luxguard check` on a 1,000-resource Terraform configuration (its plan JSON and its directory)
beside plain checkov on the same files, in one run.

Usage: python bench/bench_iac.py [--units 100] [--keep DIR]
One unit is 10 resources (KMS key, bucket with SSE, public access block, policy and versioning,
security group with a rule resource, volume, database, table), every third unit misconfigured.
The plan JSON is written from the same description (references as `terraform show -json` prints
them: known names as values, generated ids in after_unknown with configuration references).
Each tool runs in its own process; wall times include interpreter start.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def unit(i: int) -> list[tuple[str, str, dict, dict]]:
    """(type, name, values, references attribute -> "type.name.attr") of one unit."""
    bad = i % 3 == 0
    key, bucket = f"key{i}", f"data{i}"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::data-{i}", f"arn:aws:s3:::data-{i}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    return [
        ("aws_kms_key", key, {"enable_key_rotation": not bad}, {}),
        ("aws_s3_bucket", bucket, {"bucket": f"data-{i}", "tags": {"data-classification": "contact"}}, {}),
        ("aws_s3_bucket_server_side_encryption_configuration", bucket, {"bucket": f"data-{i}", "rule": [
            {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256" if bad else "aws:kms",
                                                          "kms_master_key_id": None if bad else "KEY"}]}]},
         {} if bad else {"rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id": f"aws_kms_key.{key}.arn"}),
        ("aws_s3_bucket_public_access_block", bucket, {"bucket": f"data-{i}", "block_public_acls": True,
                                                       "ignore_public_acls": True, "block_public_policy": not bad,
                                                       "restrict_public_buckets": True}, {}),
        ("aws_s3_bucket_policy", bucket, {"bucket": f"data-{i}", "policy": json.dumps(policy)}, {}),
        ("aws_s3_bucket_versioning", bucket, {"bucket": f"data-{i}",
                                              "versioning_configuration": [{"status": "Enabled"}]}, {}),
        ("aws_security_group", f"db{i}", {"name": f"db-{i}", "egress": []}, {}),
        ("aws_vpc_security_group_ingress_rule", f"db{i}", {
            "security_group_id": "SG", "ip_protocol": "tcp", "from_port": 5432, "to_port": 5432,
            "cidr_ipv4": "0.0.0.0/0" if bad else "10.0.0.0/16"}, {"security_group_id": f"aws_security_group.db{i}.id"}),
        ("aws_ebs_volume", f"vol{i}", {"availability_zone": "lu-central-1a", "size": 10, "encrypted": not bad,
                                       "kms_key_id": None if bad else "KEY", "tags": {"data-classification": "billing"}},
         {} if bad else {"kms_key_id": f"aws_kms_key.{key}.arn"}),
        ("aws_db_instance", f"db{i}", {"identifier": f"db-{i}", "engine": "postgres", "instance_class": "db.t3.micro",
                                       "allocated_storage": 20, "storage_encrypted": True, "publicly_accessible": bad,
                                       "kms_key_id": "KEY", "tags": {"data-classification": "contact"}},
         {"kms_key_id": f"aws_kms_key.{key}.arn"}),
    ]


def _hcl(value, indent: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        inner = indent + "  "
        return "{\n" + "".join(f"{inner}{json.dumps(k)} = {_hcl(v, inner)}\n" for k, v in value.items()) + indent + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v, indent) for v in value) + "]"
    return json.dumps(value)


def _body(values: dict, refs: dict, path: str, indent: str) -> str:
    out = ""
    for key, value in values.items():
        here = f"{path}{key}"
        if here in refs:
            out += f"{indent}{key} = {refs[here]}\n"
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for n, block in enumerate(value):
                out += f"{indent}{key} {{\n{_body(block, refs, f'{here}.{n}.', indent + '  ')}{indent}}}\n"
        elif value is not None:
            out += f"{indent}{key} = {_hcl(value, indent)}\n"
    return out


def write_terraform(folder: Path, resources: list) -> None:
    text = 'provider "aws" {\n  region = "lu-central-1"\n}\n\n'
    for rtype, name, values, refs in resources:
        rewritten = dict(refs)
        if "bucket" in values and rtype != "aws_s3_bucket":
            rewritten["bucket"] = f"aws_s3_bucket.{name}.id"
        text += f'resource "{rtype}" "{name}" {{\n{_body(values, rewritten, "", "  ")}}}\n\n'
    (folder / "main.tf").write_text(text)


def _unknown_paths(values: dict, refs: dict) -> dict:
    """after_unknown and configuration expressions for the referenced (not yet known) values."""
    unknown: dict = {}
    expressions: dict = {}
    for path, target in refs.items():
        parts = path.split(".")
        u, e = unknown, expressions
        for n, part in enumerate(parts[:-1]):
            nxt = parts[n + 1]
            default = [] if nxt.isdigit() else {}
            if isinstance(u, list):
                index = int(part)
                while len(u) <= index:
                    u.append({})
                    e.append({})
                u, e = u[index], e[index]
            else:
                u = u.setdefault(part, default)
                e = e.setdefault(part, [] if nxt.isdigit() else {})
        if isinstance(u, list):
            continue
        u[parts[-1]] = True
        e[parts[-1]] = {"references": [target, target.rsplit(".", 1)[0]]}
    return {"after_unknown": unknown, "expressions": expressions}


def _drop(values: dict, refs: dict) -> dict:
    """Planned values without those known only after apply."""
    out = json.loads(json.dumps(values))
    for path in refs:
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node.pop(parts[-1], None)
    return out


def write_plan(path: Path, resources: list) -> None:
    planned, changes, configured = [], [], []
    for rtype, name, values, refs in resources:
        address = f"{rtype}.{name}"
        extra = _unknown_paths(values, refs)
        expressions = extra["expressions"]
        if "bucket" in values and rtype != "aws_s3_bucket":
            expressions["bucket"] = {"references": [f"aws_s3_bucket.{name}.id", f"aws_s3_bucket.{name}"]}
        planned.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                        "values": _drop(values, refs), "sensitive_values": {}})
        changes.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": _drop(values, refs),
                                   "after_unknown": extra["after_unknown"]}})
        configured.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                           "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})
    document = {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {
        "resources": planned}}, "resource_changes": changes, "configuration": {
        "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "lu-central-1"}}}},
        "root_module": {"resources": configured}}}
    path.write_text(json.dumps(document, indent=1))


def timed(command: list[str], env: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - started
    text = done.stdout.strip()
    start = min(i for i in (text.find("{"), text.find("[")) if i >= 0) if text else 0
    try:
        report = json.loads(text[start:]) if text else {}
    except ValueError:
        raise SystemExit(f"{command[0]} printed no JSON (exit {done.returncode}): {done.stderr[-400:]}")
    return seconds, report


def _luxguard(report: dict) -> str:
    s = report.get("summary", {})
    return f"{s.get('resources', 0)} resources, {s.get('failed', 0)} failed, {s.get('passed', 0)} passed"


def _checkov(report) -> str:
    reports = report if isinstance(report, list) else [report]
    failed = sum(len((r.get("results") or {}).get("failed_checks") or []) for r in reports)
    passed = sum(len((r.get("results") or {}).get("passed_checks") or []) for r in reports)
    count = sum(int((r.get("summary") or {}).get("resource_count") or 0) for r in reports)
    return f"{count} resources, {failed} failed, {passed} passed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=100, help="10 resources each (default 100: 1,000 resources)")
    parser.add_argument("--keep", type=Path, help="write the configuration and plan here and keep them")
    args = parser.parse_args()
    from luxguard.sources.checkov.runner import find_checkov

    checkov = find_checkov()
    resources = [r for i in range(args.units) for r in unit(i)]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="luxguard-bench-iac-"))
    (folder / "tf").mkdir(parents=True, exist_ok=True)
    write_terraform(folder / "tf", resources)
    write_plan(folder / "tfplan.json", resources)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR",
           "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    lux = [sys.executable, str(ROOT / "cli.py"), "check", "--format", "json"]
    plain = [checkov, "-o", "json", "--compact", "--skip-download"]
    runs = [
        ("luxguard check tfplan.json (rules only)", lux + [str(folder / "tfplan.json"), "--without-checkov"], _luxguard),
        ("luxguard check tf/ (rules only)", lux + [str(folder / "tf"), "--without-checkov"], _luxguard),
        ("luxguard check tfplan.json (default: + checkov)", lux + [str(folder / "tfplan.json")], _luxguard),
        ("checkov -f tfplan.json", plain + ["-f", str(folder / "tfplan.json"), "--framework", "terraform_plan"], _checkov),
        ("checkov -d tf/", plain + ["-d", str(folder / "tf"), "--framework", "terraform"], _checkov),
    ]
    print(f"{len(resources)} Terraform resources; {os.cpu_count()} CPUs")
    print(f"{'run':<48} {'wall s':>7}  result")
    for label, command, describe in runs:
        seconds, report = timed(command, env)
        print(f"{label:<48} {seconds:>7.2f}  {describe(report)}")
    if not args.keep:
        import shutil

        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
