"""`policy_remove_public_grants`: take public grants out of a resource policy (bucket, key, queue,
topic, secret), keeping every other statement verbatim.

Each Allow statement is judged one principal at a time by `external_access` (the one evaluation
of who a grant lets in, the policy's Deny statements subtracted):

- public (anyone at all): removed;
- an account outside the trusted zone that no approval in force covers (foreign): reported with
  the exact change, removed only with `--remove-external-grants`;
- an approved processor's account, or the trusted zone: never touched.

A statement loses only the principals that go; it disappears when none is left. A policy left
with no statement keeps a TLS-only Deny (S3, Secrets Manager: nothing is deleted), is cleared
with SetQueueAttributes (SQS), and is refused where the service needs a grant (KMS keys, SNS).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from luxguard.core.external_access import PolicyError, TrustedZone, analyse, external_grants
from luxguard.core.model import Finding, Resource
from luxguard.core.policy_documents import statements
from luxguard.resources import PolicyAccess, all_types, by_cfn_type
from luxguard.actors.enforcer.base import Action, ApiCall, Blocked, EnforceContext, PlannedChange, register

PUBLIC, FOREIGN, APPROVED, INTERNAL = "public", "foreign", "approved", "internal"
FLAG = "--remove-external-grants"


@dataclass(frozen=True)
class Entry:
    """One principal of one Allow statement and what it lets in."""

    kind: str                   # "*" for the whole principal (Principal "*", NotPrincipal), else AWS/Service/...
    value: str
    verdict: str                # PUBLIC | FOREIGN | APPROVED | INTERNAL
    callers: tuple[str, ...]    # who gets in, as external_access names them
    actions: tuple[str, ...]

    def describe(self) -> str:
        who = "everyone (*)" if self.verdict == PUBLIC else ", ".join(self.callers)
        return f"{self.principal()} lets {who} do {', '.join(self.actions)}"

    def principal(self) -> str:
        return self.value if self.kind == "*" else f"{self.kind}:{self.value}"


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list) else [value]


def _principals(statement: dict) -> list[tuple[str, str]]:
    principal = statement.get("Principal")
    if "NotPrincipal" in statement:
        return [("*", "NotPrincipal " + json.dumps(statement["NotPrincipal"], sort_keys=True))]
    if not isinstance(principal, dict):
        return [("*", f"Principal {json.dumps(principal)}")]
    return [(kind, str(value)) for kind, raw in sorted(principal.items()) for value in _as_list(raw)]


def _judge(statement: dict, kind: str, value: str, denies: list[dict], zone: TrustedZone,
           approved: TrustedZone) -> Entry:
    single = statement if kind == "*" else dict(statement, Principal={kind: value})
    outside = external_grants(analyse({"Statement": [single, *denies]}), zone)
    callers = tuple(sorted({p for g in outside for p in g.principals()}))
    actions = tuple(sorted({a for g in outside for a in g.actions}))
    if not outside:
        verdict = INTERNAL
    elif any(g.public for g in outside):
        verdict = PUBLIC
    elif not external_grants(outside, approved):
        verdict = APPROVED
    else:
        verdict = FOREIGN
    return Entry(kind, value, verdict, callers, actions)


def _without(statement: dict, gone: list[Entry]) -> dict | None:
    """The statement minus the principals that go; None when none is left."""
    entries = _principals(statement)
    left = [(k, v) for k, v in entries if not any((e.kind, e.value) == (k, v) for e in gone)]
    if not left:
        return None
    principal: dict[str, Any] = {}
    for kind, value in left:
        principal.setdefault(kind, []).append(value)
    original = statement["Principal"]
    kept = dict(statement, Principal={k: (v[0] if len(v) == 1 and not isinstance(original.get(k), list) else v)
                                      for k, v in principal.items()})
    return kept


def _label(statement: dict, index: int) -> str:
    return f"statement {statement.get('Sid') or '#' + str(index)}"


def policy_access(resource: Resource) -> PolicyAccess:
    descriptor = by_cfn_type(resource.type)
    if descriptor is None or descriptor.resource_policy is None:
        raise Blocked(f"cannot rewrite the policy of {resource.type}")
    if descriptor.resource_policy.by_arn and not resource.arn:
        raise Blocked(f"{resource.type} {resource.id} has no ARN in the findings; cannot read its policy")
    return descriptor.resource_policy


@register
class RemovePublicGrants(Action):
    """Remove public principals (always) and foreign ones (only with --remove-external-grants)."""

    name = "policy_remove_public_grants"
    resource_types = tuple(sorted(d.cfn_type for d in all_types() if d.resource_policy is not None))

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        access = policy_access(resource)
        try:
            return access.read(ctx.client(access.service, resource.region), resource)
        except ValueError as error:
            raise Blocked(f"refused: the policy of {resource.id} is not JSON ({error}); review it by hand") from None

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        stmts = statements(current)
        if not stmts:
            return None
        zone, approved = ctx.zone_for(finding)
        if not zone.accounts:
            raise Blocked("refused: the scanned account is unknown, so the trusted zone is empty; "
                          "luxguard does not judge grants without it")
        denies = [s for s in stmts if s.get("Effect") == "Deny"]
        kept_stmts, diff, kept_notes, removed = [], [], [], 0
        try:
            for index, statement in enumerate(stmts):
                if statement.get("Effect") != "Allow":
                    kept_stmts.append(statement)
                    continue
                entries = [_judge(statement, k, v, denies, zone, approved) for k, v in _principals(statement)]
                gone = [e for e in entries if e.verdict == PUBLIC
                        or (e.verdict == FOREIGN and ctx.remove_external_grants)]
                label = _label(statement, index)
                for e in entries:
                    if e.verdict == FOREIGN and not ctx.remove_external_grants:
                        kept_notes.append(f"{label}: {e.describe()} (outside the trusted zone; {FLAG} would "
                                          f"remove {e.principal()})")
                    elif e.verdict == APPROVED:
                        diff.append(f"= {label}: {e.describe()} (approved processor: never touched)")
                rest = _without(statement, gone) if gone else statement
                if rest is None:
                    removed += 1
                    diff.append(f"- {label} {json.dumps(statement, sort_keys=True)} "
                                f"({'; '.join(e.describe() + ' (' + e.verdict + ')' for e in gone)})")
                    continue
                if gone:
                    removed += 1
                    diff += [f"~ {label}: {e.principal()} removed ({e.describe()}, {e.verdict})"
                             for e in gone]
                kept_stmts.append(rest)
        except PolicyError as error:
            raise Blocked(f"refused: the policy of {finding.resource.id} cannot be judged ({error}); "
                          "review it by hand") from None
        diff += [f"! kept {note}" for note in kept_notes]
        if not removed:
            if kept_notes:
                return PlannedChange(action=self.name, finding=finding, after=current, diff=diff, kept=kept_notes)
            return None
        untouched = len([s for s in kept_stmts if any(s is t for t in stmts)])
        diff.insert(0, f"= {untouched} other statement(s) kept verbatim")
        calls, after = self._calls(finding.resource, current, kept_stmts)
        planned = self.change(finding, calls, after, diff)
        planned.kept = kept_notes
        return planned

    def _calls(self, resource: Resource, current: dict, kept_stmts: list[dict]) -> tuple[list[ApiCall], dict | None]:
        access = policy_access(resource)
        if access.remove_statements is not None:
            return self._statement_calls(access, resource, current, kept_stmts)
        if not kept_stmts and access.floor is not None:
            kept_stmts = [access.floor(resource)]
        if not kept_stmts:
            if access.remove is None:
                raise Blocked(f"refused: removing the public grants would leave the {resource.type} policy with no "
                              f"statement, and {access.service.upper()} needs one; rewrite it by hand")
            operation, params = access.remove(resource)
            return [ApiCall(access.service, resource.region, operation, params)], None
        after = copy.deepcopy(current)
        after["Statement"] = kept_stmts
        operation, params = access.write(resource, after)
        size = len(json.dumps(after, separators=(",", ":")).encode())
        if access.max_bytes is not None and size > access.max_bytes:
            raise Blocked(f"refused: the rewritten policy would be {size} bytes, over the limit of {access.max_bytes}")
        return [ApiCall(access.service, resource.region, operation, params)], after

    @staticmethod
    def _statement_calls(access: PolicyAccess, resource: Resource, current: dict,
                         kept_stmts: list[dict]) -> tuple[list[ApiCall], dict | None]:
        """A policy of separate permissions: whole statements go, none is rewritten."""
        stmts = statements(current)
        if any(not any(k is s for s in stmts) for k in kept_stmts):
            raise Blocked(f"refused: a permission of {resource.id} grants to several principals and only some "
                          f"would go; {resource.type} permissions are removed whole, so review it by hand")
        removed = [s for s in stmts if not any(s is k for k in kept_stmts)]
        try:
            removals = access.remove_statements(resource, removed)
        except ValueError as error:
            raise Blocked(f"refused: {error}; review the policy of {resource.id} by hand") from None
        calls = [ApiCall(access.service, resource.region, operation, params) for operation, params in removals]
        return calls, ({**current, "Statement": kept_stmts} if kept_stmts else None)
