"""Running checkov (a subprocess from its own virtualenv) and turning its JSON into Findings."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

from luxguard.core.datafiles import read_yaml
from luxguard.core.errors import LuxguardError
from luxguard.core.packaged import CHECKOUT_DIR
from luxguard.core.model import Finding, Resource, SourceLocation, Status
from luxguard.sources.pulumi_capture import Capture
from luxguard.sources.checkov.terraform_plan import PlanEntry, capture_to_plan

REPO_ROOT = CHECKOUT_DIR
SKIPS_FILE = Path(__file__).resolve().parent / "skips.yaml"
TIMEOUT_SECONDS = 900
# checkov cannot share luxguard's environment (it pins packaging<24; pulumi needs >=26): its own one.
CHECKOV_INSTALL_HINT = ("pipx install checkov==3.3.30 (its own environment), or make install in a checkout, "
                        "or set LUXGUARD_CHECKOV")


def find_checkov() -> str:
    """$LUXGUARD_CHECKOV, else .venv-checkov/bin/checkov next to the repo, else `checkov` on PATH."""
    configured = os.environ.get("LUXGUARD_CHECKOV")
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise LuxguardError(f"LUXGUARD_CHECKOV={configured}: not an executable file")
        return configured
    local = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which("checkov")
    if found:
        return found
    raise LuxguardError(f"checkov is not installed: {CHECKOV_INSTALL_HINT}")


def run_checkov(args: list[str]) -> list[dict[str, Any]]:
    """checkov ARGS -o json; one report per framework (checkov prints a list for several)."""
    command = [find_checkov(), *args, "-o", "json", "--skip-download", "--compact"]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
           "LOG_LEVEL": "ERROR", "PYTHONWARNINGS": "ignore"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env)
    except OSError as exc:
        raise LuxguardError(f"cannot start checkov ({command[0]}): {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise LuxguardError(f"checkov did not finish within {TIMEOUT_SECONDS} s") from None
    if done.returncode not in (0, 1):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LuxguardError(f"checkov failed (exit {done.returncode}): {last}")
    text = done.stdout.strip()
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    try:
        data = json.loads(text[min(starts):]) if starts else {}
    except ValueError:
        raise LuxguardError(f"checkov printed no JSON report: {text[:200]!r}") from None
    reports = data if isinstance(data, list) else [data]
    # A scan that found nothing prints {"passed": 0, "failed": 0, ...} without "results".
    return [r for r in reports if isinstance(r, dict) and "results" in r]


# --- skips, categories, severities ------------------------------------------------------------

@dataclass(frozen=True)
class Skip:
    check: str
    reason: str
    only_when_tag: Optional[dict] = None

    def applies(self, check_id: str, tags: dict[str, Any]) -> bool:
        if check_id != self.check:
            return False
        if not self.only_when_tag:
            return True
        return all(str(tags.get(k)) == str(v) for k, v in self.only_when_tag.items())


@lru_cache(maxsize=1)
def load_skips() -> tuple[Skip, ...]:
    document = read_yaml(SKIPS_FILE) or {}
    skips = []
    for entry in document.get("skips") or []:
        if not entry.get("check") or not entry.get("reason"):
            raise LuxguardError(f"{SKIPS_FILE}: every skip needs `check` and `reason`")
        skips.append(Skip(entry["check"], entry["reason"], entry.get("only_when_tag")))
    return tuple(skips)


def skipped_note(skips: list[tuple[str, str, str]]) -> str:
    """One note for every intended skip (a compliant stack is not a page of warnings); the reasons
    live in skips.yaml, where the policy is reviewed."""
    counts = Counter(check for check, _, _ in skips)
    return (f"checkov: {len(skips)} failed results of {len(counts)} checks skipped by policy "
            f"(luxguard/sources/checkov/skips.yaml): {', '.join(f'{c} x{n}' for c, n in sorted(counts.items()))}")


def skipped(check_id: str, tags: dict[str, Any]) -> Optional[Skip]:
    return next((s for s in load_skips() if s.applies(check_id, tags)), None)


def category_of(check_name: str) -> str:
    name = check_name.lower()
    if any(w in name for w in ("encrypt", "kms", "cmk", "sse")):
        return "encryption"
    if any(w in name for w in ("logging", "logs", "log file", "cloudtrail", "audit")):
        return "logging"
    if any(w in name for w in ("versioning", "lifecycle", "backup", "recovery", "retention", "deletion")):
        return "retention"
    return "access"


WORLD_WORDS = ("0.0.0.0", "::/0", "public", "port ", "ingress", "acl", "all principals", "wildcard")


def severity_of(category: str, check_name: str) -> str:
    """checkov OSS has no severities offline: world-reachable access is critical, encryption high,
    logging medium, everything else low."""
    name = check_name.lower()
    if category == "access" and any(w in name for w in WORLD_WORDS):
        return "critical"
    return {"encryption": "high", "logging": "medium"}.get(category, "low")


# --- results -> findings ----------------------------------------------------------------------

@dataclass
class CheckovRun:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)   # (check id, resource, reason)
    resources: int = 0
    notes: list[str] = field(default_factory=list)


def results_to_findings(reports: list[dict[str, Any]], resource_for: Callable[[dict], Resource],
                        tags_for: Callable[[dict], dict], custom_rules: Optional[dict] = None) -> CheckovRun:
    """Failed and passed checks -> Findings; built-in checks on the skip list are dropped (and
    listed); ids of our generated policies become the luxguard rule they came from."""
    custom_rules = custom_rules or {}
    run = CheckovRun()
    for report in reports:
        run.resources += int((report.get("summary") or {}).get("resource_count") or 0)
        results = report.get("results") or {}
        for status, key in ((Status.FAIL, "failed_checks"), (Status.PASS, "passed_checks")):
            for result in results.get(key) or []:
                finding = _finding(result, status, resource_for, tags_for, custom_rules, run)
                if finding is not None:
                    run.findings.append(finding)
    return run


def _finding(result: dict, status: Status, resource_for: Callable[[dict], Resource], tags_for: Callable[[dict], dict],
             custom_rules: dict, run: CheckovRun) -> Optional[Finding]:
    check_id = str(result.get("check_id"))
    name = str(result.get("check_name") or check_id)
    address = str(result.get("resource") or "")
    extra = {"checkov": {"check_id": check_id, "check_name": name, "guideline": result.get("guideline"),
                         "resource_address": address, "file": result.get("file_path"),
                         "lines": result.get("file_line_range")}}
    resource = resource_for(result)
    rule = custom_rules.get(check_id)
    if rule is not None:
        message = f"{rule.title}: {address} ({name})" if status == Status.FAIL else f"{rule.title}: {address}"
        return Finding(rule_id=rule.id, category=rule.category, severity=rule.severity, status=status,
                       resource=resource, message=message, clause=rule.clause_section,
                       remediation=rule.remediation, title=rule.title, extra=extra)
    skip = skipped(check_id, tags_for(result))
    if skip is not None:
        if status == Status.FAIL:
            run.skipped.append((check_id, address, skip.reason))
        return None
    category = category_of(name)
    return Finding(rule_id=check_id, category=category, severity=severity_of(category, name), status=status,
                   resource=resource, message=f"{name} ({address})" if status == Status.FAIL else f"{name}: {address}",
                   title=name, extra=extra)


# --- Pulumi captures --------------------------------------------------------------------------

def _capture_resources(capture: Capture, entries: dict[str, PlanEntry]) -> dict[str, Resource]:
    """Plan address -> the normalised resource it belongs to (a child config -> its bucket/group,
    with the child's own URN and source line)."""
    from luxguard.resources import pulumi_type
    from luxguard.sources.pulumi_normalise import normalise

    by_urn = {r.urn: r for r in normalise(capture)}
    by_type_id = {(c.type, c.id): c for c in capture.resources}
    out: dict[str, Resource] = {}
    for address, entry in entries.items():
        res = entry.resource
        source = None
        if res.source_file and "site-packages" not in res.source_file:
            source = SourceLocation(file=res.source_file, line=int(res.source_line or 1))
        if res.urn in by_urn:
            out[address] = by_urn[res.urn]
            continue
        parent = None
        spec = pulumi_type(res.type)
        if spec is not None and spec.fold is not None:
            captured = by_type_id.get((spec.fold.parent_type, str(res.inputs.get(spec.fold.parent_input))))
            parent = by_urn.get(captured.urn) if captured else None
        if parent is not None:
            out[address] = dataclasses.replace(parent, urn=res.urn, source=source or parent.source)
        else:
            out[address] = Resource(type=entry.tf_type, id=res.id, region=entry.region, urn=res.urn, source=source,
                                    properties={"name": res.name, "region": entry.region})
    return out


def check_capture_with_checkov(capture: Capture) -> CheckovRun:
    plan = capture_to_plan(capture)
    resources = _capture_resources(capture, plan.entries)
    tags = {address: dict(e.resource.inputs.get("tags") or {}) for address, e in plan.entries.items()}
    if not plan.entries:
        return CheckovRun(notes=["checkov: no resource of the program has a Terraform equivalent"])
    with tempfile.TemporaryDirectory(prefix="luxguard-checkov-") as folder:
        plan_file = Path(folder) / "tfplan.json"
        plan_file.write_text(json.dumps(plan.document, indent=1), encoding="utf-8")
        reports = run_checkov(["-f", str(plan_file), "--framework", "terraform_plan"])

    def resource_for(result: dict) -> Resource:
        address = str(result.get("resource"))
        return resources.get(address) or Resource(type=address.split(".")[0], id=address)

    run = results_to_findings(reports, resource_for, lambda r: tags.get(str(r.get("resource")), {}))
    if plan.unmapped:
        run.notes.append("checkov did not see these Pulumi types (no Terraform mapping): " + ", ".join(plan.unmapped))
    return run
