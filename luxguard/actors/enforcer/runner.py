"""Planning and applying: failing findings -> planned changes -> audited calls -> verification."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from luxguard.core.errors import LuxguardError
from luxguard.core.locations import Locations
from luxguard.core.model import Finding, Status
from luxguard.core.rules import Rule
from luxguard.actors.enforcer.base import Action, DesignatedKey, EnforceContext, PlannedChange, make_action
from luxguard.actors.enforcer.drift_repairs import drift_repair

KEY_ARN = re.compile(r"^arn:[a-z-]+:kms:([a-z0-9-]+):\d{12}:key/[A-Za-z0-9-]+$")


class Outcome(StrEnum):
    """What happened to one planned change (the audit log's and the results' `outcome`)."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"           # shown with the error code: "failed: AccessDenied"
    REFUSED = "refused"
    NO_OP = "no-op"


class SkipKind(StrEnum):
    """Why a failing or waived finding gets no change (the plan's `skipped[].kind`)."""

    WAIVED = "waived"            # an approval or waiver covers it: never acted on
    MANUAL = "manual"            # no automatic repair exists: a person decides
    UP_TO_DATE = "up-to-date"    # the configuration already matches, or another change covers it
    KEPT = "kept"                # external grants reported with the exact change, removed only on request


class Verification(StrEnum):
    """What the re-read and re-scan after applying say about the finding."""

    NONE = ""
    NOW_PASSES = "now passes"
    NOW_WAIVED = "now waived (an approval covers what is left)"
    STILL_FAILING = "still failing"
    PENDING = "pending (the cloud applies it asynchronously)"
    RECORDED = "recorded (still failing: migrate the data or record an approval)"
    RESTORED = "restored"
    KEPT = "partly: external grants kept (reported; --remove-external-grants removes them)"
    NOT_VERIFIED = "not verified"


def outcome_text(outcome: Outcome, error_code: str = "") -> str:
    return f"{outcome}: {error_code}" if outcome == Outcome.FAILED else str(outcome)


def _error_text(error: Exception) -> tuple[str, str]:
    """(error code, full message) for an API error."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code") or "ClientError"
        message = error.response.get("Error", {}).get("Message") or str(error)
        return code, f"{code}: {message}"
    return type(error).__name__, f"{type(error).__name__}: {error}"


# ------------------------------------------------------------------------------ the designated key

def key_region(arn: str) -> str:
    """The region of a KMS key ARN; anything else (alias, bare id) is a usage error."""
    match = KEY_ARN.match(arn or "")
    if not match:
        raise LuxguardError(f"--kms-key {arn!r}: give the full ARN of a KMS key "
                            "(arn:aws:kms:REGION:ACCOUNT:key/ID); aliases and bare ids are not accepted")
    return match.group(1)


def check_key(arn: str, clients: Any, locations: Locations, pinned: str) -> DesignatedKey:
    """DescribeKey the key: it must exist, be enabled, customer-managed, symmetric, in `pinned`."""
    match = KEY_ARN.match(arn or "")
    if not match:
        return DesignatedKey(arn, None, "not a KMS key ARN")
    region = match.group(1)
    country = locations.country_of(region)
    if country != pinned:
        return DesignatedKey(arn, region, f"the key is in {region} ({country or 'unknown country'}), "
                                          f"outside the pinned country {pinned}")
    try:
        meta = clients.client("kms", region).describe_key(KeyId=arn)["KeyMetadata"]
    except (ClientError, BotoCoreError) as error:
        return DesignatedKey(arn, region, f"cannot use the key ({_error_text(error)[1]})")
    problems = []
    if meta.get("KeyState") != "Enabled":
        problems.append(f"state {meta.get('KeyState')}")
    if meta.get("KeyManager") != "CUSTOMER":
        problems.append("not customer-managed")
    if meta.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT" or \
            meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        problems.append("not a symmetric encryption key")
    return DesignatedKey(meta.get("Arn") or arn, region, ", ".join(problems) or None)


# ------------------------------------------------------------------------------ planning

def finding_label(finding: Finding) -> str:
    """The rule id, and for drift the property that drifted: one resource can have several drift
    findings of one rule (a removed encryption is three properties), told apart only by it."""
    if not finding.drift:
        return finding.rule_id
    prop = finding.drift.get("property") if isinstance(finding.drift, dict) else None
    return f"{finding.rule_id} (drift of {prop})" if prop else f"{finding.rule_id} (drift)"


@dataclass
class Skipped:
    finding: Finding
    reason: str          # waived | manual: ... | nothing to do: ...
    kind: SkipKind

    def to_dict(self) -> dict[str, Any]:
        r = self.finding.resource
        return {"rule_id": self.finding.rule_id, "resource": {"type": r.type, "id": r.id, "region": r.region},
                "kind": self.kind.value, "reason": self.reason}


@dataclass
class Plan:
    changes: list[PlannedChange] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    actions: dict[int, Action] = field(default_factory=dict)   # id(change) -> action

    def runnable(self) -> list[PlannedChange]:
        return [c for c in self.changes if not c.blocked]


def select(findings: Iterable[Finding], rule_ids: Iterable[str] = (), resource: str | None = None,
           category: str | None = None) -> list[Finding]:
    """The findings `--rule`, `--resource` and `--category` narrow enforcement to."""
    wanted = set(rule_ids)
    chosen = []
    for finding in findings:
        r = finding.resource
        if wanted and finding.rule_id not in wanted:
            continue
        if category and finding.category != category:
            continue
        names = [n for n in (r.id, r.arn, r.properties.get("name")) if n]
        if resource and not any(fnmatch.fnmatchcase(n, resource) for n in names):
            continue
        chosen.append(finding)
    return chosen


def action_for(finding: Finding, rules: dict[str, Rule]) -> tuple[Action | None, str]:
    """The action that repairs the finding, or (None, why it is manual)."""
    if finding.drift:
        repair = drift_repair(finding)
        if isinstance(repair, str):
            return None, repair
        return make_action(*repair), ""
    rule = rules.get(finding.rule_id)
    if rule is None or not rule.action:
        return None, f"{finding.rule_id} has no automatic repair: {rule.remediation if rule else 'unknown rule'}"
    if finding.resource.type not in make_action(rule.action["name"], rule.action.get("options")).resource_types:
        return None, f"{rule.action['name']} does not repair {finding.resource.type}"
    return make_action(rule.action["name"], rule.action.get("options")), ""


def plan(findings: Iterable[Finding], rules: list[Rule], ctx: EnforceContext,
         progress: Callable[[str], None] = lambda _m: None) -> Plan:
    """Read each failing finding's resource and compute its change. Waived findings are
    never acted on; passing and error findings are not touched."""
    by_id = {rule.id: rule for rule in rules}
    result = Plan()
    for finding in findings:
        if finding.status == Status.WAIVED:
            who = (finding.waiver or {}).get("id", "?")
            result.skipped.append(Skipped(finding, f"waived ({(finding.waiver or {}).get('kind', 'waiver')} {who})",
                                          SkipKind.WAIVED))
            continue
        if finding.status != Status.FAIL:
            continue
        action, why = action_for(finding, by_id)
        if action is None:
            result.skipped.append(Skipped(finding, why, SkipKind.MANUAL))
            continue
        progress(f"planning {action.name} on {finding.resource.id}")
        try:
            change = action.plan(finding, ctx)
        except (ClientError, BotoCoreError) as error:
            change = PlannedChange(action=action.name, finding=finding,
                                   blocked=f"cannot read the current configuration: {_error_text(error)[1]}")
        if change is not None and not change.calls and change.kept and not change.blocked:
            result.skipped.append(Skipped(finding, "; ".join(change.kept), SkipKind.KEPT))
            continue
        if change is None:
            note = ("already tagged; the data must be migrated to the pinned country or covered by an approval"
                    if not action.resolves_finding else "the configuration already matches; nothing to change")
            result.skipped.append(Skipped(finding, note, SkipKind.UP_TO_DATE))
            continue
        result.changes.append(change)
        result.actions[id(change)] = action
    _drop_duplicates(result)
    return result


def _drop_duplicates(result: Plan) -> None:
    """Several findings on one resource can need the same action (one removed encryption is three
    drifted properties): keep one change per resource and action, a runnable one when there is one;
    changes whose calls differ (e.g. other ports) all stay."""
    kept: list[PlannedChange] = []
    for change in result.changes:
        twin = next((k for k in kept if (k.resource.type, k.resource.id, k.action)
                     == (change.resource.type, change.resource.id, change.action)), None)
        same_calls = twin is not None and [c.to_dict() for c in twin.calls] == [c.to_dict() for c in change.calls]
        if twin is not None and (same_calls or change.blocked or twin.blocked):
            if twin.blocked and not change.blocked:
                kept[kept.index(twin)] = change
                change, twin = twin, change
            result.skipped.append(Skipped(change.finding, f"covered by the {twin.action} change planned for "
                                          f"{finding_label(twin.finding)}", SkipKind.UP_TO_DATE))
            result.actions.pop(id(change), None)
            continue
        kept.append(change)
    result.changes = kept


# ------------------------------------------------------------------------------ audit

class AuditLog:
    """Every action, before and after: the history store (if any) and a JSON-lines file."""

    def __init__(self, path: Path, store: Any, actor: str):
        self.path, self.store, self.actor = Path(path), store, actor
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
        except OSError as exc:
            raise LuxguardError(f"{self.path}: cannot write the audit log ({exc.strerror})") from None

    def record(self, change: PlannedChange, status: Outcome, before: Any, after: Any, detail: str,
               error_code: str = "") -> dict:
        r = change.resource
        outcome = outcome_text(status, error_code)
        entry = {"at": datetime.now(UTC), "actor": self.actor, "resource_type": r.type,
                 "resource_id": r.id, "rule_id": change.finding.rule_id, "action": change.action,
                 "outcome": outcome[:32], "before": _jsonable(before), "after": _jsonable(after), "detail": detail}
        line = dict(entry, at=entry["at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"), region=r.region,
                    outcome=outcome, calls=[c.to_dict() for c in change.calls])
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
            handle.flush()
        if self.store is not None:
            self.store.record_audit([entry])
        return line


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str)) if value is not None else None


# ------------------------------------------------------------------------------ applying

@dataclass
class Result:
    change: PlannedChange
    status: Outcome
    detail: str = ""
    before: Any = None
    after: Any = None
    verification: Verification = Verification.NONE
    error_code: str = ""         # the API's error code when status is FAILED

    @property
    def outcome(self) -> str:
        """As shown and written: succeeded | failed: <Code> | refused | no-op."""
        return outcome_text(self.status, self.error_code)

    @property
    def succeeded(self) -> bool:
        return self.status == Outcome.SUCCEEDED

    @property
    def ok(self) -> bool:
        return self.status in (Outcome.SUCCEEDED, Outcome.NO_OP) and self.verification != Verification.STILL_FAILING

    def to_dict(self) -> dict[str, Any]:
        return {**self.change.to_dict(), "outcome": self.outcome, "detail": self.detail,
                "before": _jsonable(self.before), "after": _jsonable(self.after),
                "verification": self.verification.value}


def apply(plan_: Plan, ctx: EnforceContext, audit: AuditLog,
          progress: Callable[[str], None] = lambda _m: None) -> list[Result]:
    """Execute every change; one failure never stops the others. Each change is re-planned
    from a fresh read just before it runs, so nothing changed meanwhile is overwritten."""
    results = []
    for number, change in enumerate(plan_.changes, start=1):
        finding = change.finding
        if finding.status != Status.FAIL:   # belt and braces: waived findings never reach here
            continue
        if change.blocked:
            progress(f"[{number}/{len(plan_.changes)}] not run: {change.action} on {change.resource.type} "
                     f"{change.resource.id} (refused: see the plan)")
            audit.record(change, Outcome.REFUSED, change.before, None, change.blocked)
            results.append(Result(change, Outcome.REFUSED, change.blocked, change.before))
            continue
        action = plan_.actions[id(change)]
        progress(f"[{number}/{len(plan_.changes)}] applying {action.name} on "
                 f"{change.resource.type} {change.resource.id}")
        try:
            current, fresh = action.read_and_plan(finding, ctx)
        except (ClientError, BotoCoreError) as error:
            code, detail = _error_text(error)
            audit.record(change, Outcome.FAILED, change.before, None, f"re-reading before the change: {detail}", code)
            results.append(Result(change, Outcome.FAILED, detail, change.before, error_code=code))
            continue
        if fresh is None or (not fresh.calls and not fresh.blocked):
            # Nothing to do: what was read just now is both before and after (the plan's values are
            # stale), and no call was made.
            now = current if fresh is None else fresh.before
            done = replace(change, calls=[], diff=[], before=now, after=now,
                           kept=fresh.kept if fresh is not None else [])
            detail = "already compliant when re-read (changed since the plan, or by an earlier action)"
            audit.record(done, Outcome.NO_OP, now, now, detail)
            results.append(Result(done, Outcome.NO_OP, detail, now, now))
            continue
        if fresh.blocked:
            audit.record(fresh, Outcome.REFUSED, fresh.before, None, fresh.blocked)
            results.append(Result(fresh, Outcome.REFUSED, fresh.blocked, fresh.before))
            continue
        detail = "; ".join(c.describe() for c in fresh.calls)
        if fresh.calls != change.calls:
            detail = "configuration changed since the plan; applied the re-computed change: " + detail
        audit.record(fresh, Outcome.STARTED, fresh.before, fresh.after, detail)
        try:
            action.apply(fresh, ctx)
            status, code, message = Outcome.SUCCEEDED, "", detail
        except (ClientError, BotoCoreError) as error:
            status = Outcome.FAILED
            code, message = _error_text(error)
        try:
            after = action.read(change.resource, ctx)
        except (ClientError, BotoCoreError) as error:
            after = {"unreadable": _error_text(error)[1]}
        except Exception as error:  # noqa: BLE001 - the audit entry must still be written
            after = {"unreadable": str(error)}
        audit.record(fresh, status, fresh.before, after, message, code)
        results.append(Result(fresh, status, message, fresh.before, after, error_code=code))
    return results


def verify(results: list[Result], plan_: Plan, ctx: EnforceContext, rescanned: list[Finding] | None) -> None:
    """After applying: does each finding pass now (re-scan), and is its re-plan empty?"""
    status = {(f.rule_id, f.resource.type, f.resource.id): f.status for f in rescanned or []}
    for result in results:
        if result.status != Outcome.SUCCEEDED:
            continue
        change, finding = result.change, result.change.finding
        action = next((a for c, a in ((c, plan_.actions.get(id(c))) for c in plan_.changes)
                       if c.finding is finding and a is not None), None)
        try:
            again = action.plan(finding, ctx) if action is not None else None
            settled = action is not None and (again is None or (not again.calls and not again.blocked))
        except (ClientError, BotoCoreError):
            settled = False
        now = status.get((finding.rule_id, change.resource.type, change.resource.id))
        if action is not None and not action.resolves_finding:
            result.verification = Verification.RECORDED if settled else Verification.STILL_FAILING
        elif finding.drift:
            result.verification = Verification.RESTORED if settled else Verification.STILL_FAILING
        elif now == Status.PASS:
            result.verification = Verification.NOW_PASSES
        elif now == Status.WAIVED and settled:
            result.verification = Verification.NOW_WAIVED
        elif change.kept and settled:
            result.verification = Verification.KEPT
        elif action is not None and action.asynchronous and settled:
            result.verification = Verification.PENDING
        elif now is None:
            result.verification = Verification.RESTORED if settled else Verification.NOT_VERIFIED
        else:
            result.verification = Verification.STILL_FAILING
