"""Who outside the trusted zone can a resource policy let in? One evaluation for every service.

A resource policy (S3 bucket, KMS key, SQS queue, SNS topic, Secrets Manager secret, Lambda
function, ECR repository, EFS file system, OpenSearch domain, Backup vault) is analysed in two
steps, in the spirit of IAM Access Analyzer:

1. `analyse(policy)` turns each Allow statement into `Grant`s that do not depend on who is
   scanning: the principal becomes a conjunction of `Constraint`s (the principal's account, the
   accounts, organizations or networks its conditions restrict it to), and the Deny statements
   are subtracted (a Deny on the same actions for everyone outside an organization adds that
   organization as a constraint; an unconditional Deny removes the actions).
2. `external_grants(grants, zone)` keeps the grants that a principal outside the `TrustedZone`
   (the scanned account, its organization's accounts, approved processors) can use. A grant is
   inside the zone when at least one of its constraints is (all of a conjunction must hold, so
   one trusted constraint is enough).

Shares that are not policies (EBS snapshot and AMI launch permissions, RDS snapshot restore
attributes) are grants too: `share_grants(accounts)`.

What cannot be understood (a malformed document, an unknown principal form) never reads as
"internal": `analyse` raises `PolicyError`, and callers record it as a collection error.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Union

ANYONE = "anyone"          # no restriction on who the caller is
ACCOUNT = "account"        # the caller's account is one of `values`
ORGANIZATION = "organization"  # the caller's account belongs to one of `values` (o-...)
NETWORK = "network"        # the request comes from one of `values` (VPC, VPC endpoint, private range)
SERVICE = "service"        # an AWS service principal acting for whoever it serves

ACCOUNT_ID = re.compile(r"^\d{12}$")
ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(?P<account>[^:]*):")

# Condition keys naming the caller's (or the calling service's source) account.
ACCOUNT_KEYS = {"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "aws:resourceaccount"}
ARN_KEYS = {"aws:principalarn", "aws:sourcearn"}
ORG_KEYS = {"aws:principalorgid", "aws:sourceorgid"}
ORG_PATH_KEYS = {"aws:principalorgpaths", "aws:sourceorgpaths"}
NETWORK_KEYS = {"aws:sourcevpc", "aws:sourcevpce"}
IP_KEYS = {"aws:sourceip"}
# Operators whose values bound the key (the request matches one of the values). `...IfExists`
# operators do not: a request without the key passes them.
POSITIVE_OPERATORS = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
                      "ipaddress", "foranyvalue:stringequals", "foranyvalue:stringlike"}
NEGATIVE_OPERATORS = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals",
                      "arnnotlike", "notipaddress", "forallvalues:stringnotequals", "forallvalues:stringnotlike"}


class PolicyError(ValueError):
    """The document is not a policy luxguard can judge (never read as 'no external access')."""


@dataclass(frozen=True, order=True)
class Constraint:
    """One thing a caller must satisfy: `kind` (ANYONE, ACCOUNT, ...) with the allowed `values`."""

    kind: str
    values: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == ANYONE:
            return "*"
        return f"{self.kind}:{'|'.join(self.values)}"


@dataclass(frozen=True)
class Grant:
    """What an Allow statement (minus the Denies) lets one kind of caller do."""

    sid: str
    constraints: tuple[Constraint, ...]
    actions: tuple[str, ...]

    @property
    def public(self) -> bool:
        """Anyone at all: no constraint narrows the caller (a service acting for anyone included)."""
        return all(c.kind == ANYONE for c in self.constraints)

    def principals(self) -> list[str]:
        """The callers, for a finding: account ids, organizations, networks, or '*'."""
        named = [c for c in self.constraints if c.kind != ANYONE]
        return sorted({v for c in named for v in c.values}) or ["*"]

    def to_dict(self) -> dict[str, Any]:
        return {"sid": self.sid, "principals": self.principals(), "actions": list(self.actions),
                "public": self.public, "constraints": [[c.kind, *c.values] for c in self.constraints]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Grant":
        constraints = tuple(Constraint(str(c[0]), tuple(str(v) for v in c[1:])) for c in data["constraints"])
        return cls(str(data.get("sid", "")), constraints, tuple(str(a) for a in data.get("actions", ())))


@dataclass(frozen=True)
class TrustedZone:
    """Who may reach personal data: our accounts, our organizations, approved processors' accounts."""

    accounts: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()

    def trusts(self, constraint: Constraint) -> bool:
        if constraint.kind == ACCOUNT:
            return bool(constraint.values) and set(constraint.values) <= self.accounts
        if constraint.kind == ORGANIZATION:
            return bool(constraint.values) and set(constraint.values) <= self.organizations
        if constraint.kind == NETWORK:
            return True  # requests from our VPCs, VPC endpoints or private address ranges
        return False

    def admits(self, grant: Grant) -> bool:
        """Can only callers inside the zone use this grant?"""
        kinds = {c.kind for c in grant.constraints}
        if kinds == {SERVICE}:
            return True  # an AWS service with no source restriction acts for this account's own calls
        return any(self.trusts(c) for c in grant.constraints)


def parse_policy(document: Union[str, Mapping, None]) -> Optional[dict]:
    """A policy document as a dict (None when there is none). Raises PolicyError when malformed."""
    if document in (None, "", {}):
        return None
    if isinstance(document, Mapping):
        policy = dict(document)
    else:
        try:
            policy = json.loads(document)
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"policy is not JSON: {exc}") from None
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise PolicyError("policy has no Statement")
    raw = policy["Statement"]
    stmts = [raw] if isinstance(raw, dict) else raw
    if not isinstance(stmts, list) or not all(isinstance(s, dict) for s in stmts):
        raise PolicyError("Statement is not a list of objects")
    return policy


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _account_of(principal: str) -> str:
    """'123456789012' or an ARN -> its account; '*' when it names any account."""
    principal = principal.strip()
    if principal == "*":
        return "*"
    if ACCOUNT_ID.match(principal):
        return principal
    match = ARN_ACCOUNT.match(principal)
    if not match:
        raise PolicyError(f"unrecognised AWS principal {principal!r}")
    account = match.group("account")
    return account if ACCOUNT_ID.match(account) else "*"  # wildcards or empty: any account


def _principal_constraints(statement: dict) -> list[tuple[Constraint, ...]]:
    """Alternatives (any may call) for the statement's Principal; each a conjunction."""
    if "NotPrincipal" in statement:
        return [(Constraint(ANYONE),)]  # everyone except a few: outsiders included
    principal = statement.get("Principal")
    if principal is None:
        raise PolicyError("statement has no Principal")
    if principal == "*":
        return [(Constraint(ANYONE),)]
    if not isinstance(principal, Mapping):
        raise PolicyError(f"unrecognised Principal {principal!r}")
    alternatives: list[tuple[Constraint, ...]] = []
    for kind, raw in sorted(principal.items()):
        for value in _as_list(raw):
            value = str(value)
            if kind == "AWS":
                account = _account_of(value)
                alternatives.append((Constraint(ANYONE),) if account == "*" else (Constraint(ACCOUNT, (account,)),))
            elif kind == "Service":
                alternatives.append((Constraint(SERVICE, (value,)),))
            elif kind == "Federated":
                match = ARN_ACCOUNT.match(value)
                account = match.group("account") if match else ""
                # A SAML/OIDC provider of an account is that account's; a public identity provider
                # (Cognito, Login with Amazon, ...) lets anyone with an identity there in.
                alternatives.append((Constraint(ACCOUNT, (account,)),) if ACCOUNT_ID.match(account)
                                    else (Constraint(ANYONE),))
            elif kind == "CanonicalUser":
                alternatives.append((Constraint(ANYONE),))  # cannot be tied to an account from here
            else:
                raise PolicyError(f"unrecognised Principal type {kind!r}")
    return alternatives


def _condition_constraints(condition: Any, positive: bool) -> list[Constraint]:
    """Constraints a Condition block puts on the caller (positive: the request must match)."""
    if condition in (None, {}):
        return []
    if not isinstance(condition, Mapping):
        raise PolicyError("Condition is not an object")
    wanted = POSITIVE_OPERATORS if positive else NEGATIVE_OPERATORS
    out: list[Constraint] = []
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"Condition {operator} is not an object")
        if operator.lower() not in wanted:
            continue
        for key, raw in block.items():
            constraint = _key_constraint(key.lower(), [str(v) for v in _as_list(raw)])
            if constraint is not None:
                out.append(constraint)
    return out


def _key_constraint(key: str, values: list[str]) -> Optional[Constraint]:
    if not values or any(v in ("*", "") for v in values):
        return None
    if key in ACCOUNT_KEYS:
        if all(ACCOUNT_ID.match(v) for v in values):
            return Constraint(ACCOUNT, tuple(sorted(set(values))))
        return None  # wildcards in account ids may match outsiders
    if key in ARN_KEYS:
        accounts = set()
        for value in values:
            match = ARN_ACCOUNT.match(value)
            if not match or not ACCOUNT_ID.match(match.group("account")):
                return None  # an ARN without an account (e.g. a bucket's) does not say whose
            accounts.add(match.group("account"))
        return Constraint(ACCOUNT, tuple(sorted(accounts)))
    if key in ORG_KEYS:
        if all(re.match(r"^o-[a-z0-9]{10,32}$", v) for v in values):
            return Constraint(ORGANIZATION, tuple(sorted(set(values))))
        return None
    if key in ORG_PATH_KEYS:
        orgs = {v.split("/")[0] for v in values}
        if all(re.match(r"^o-[a-z0-9]{10,32}$", o) for o in orgs):
            return Constraint(ORGANIZATION, tuple(sorted(orgs)))
        return None
    if key in NETWORK_KEYS:
        if any("*" in v or "?" in v for v in values):
            return None
        return Constraint(NETWORK, tuple(sorted(set(values))))
    if key in IP_KEYS:
        try:
            networks = [ipaddress.ip_network(v, strict=False) for v in values]
        except ValueError:
            raise PolicyError(f"aws:SourceIp value is not an address range: {values}") from None
        if all(_is_internal_range(n) for n in networks):
            return Constraint(NETWORK, tuple(sorted(set(values))))
        return None  # anyone on a public range, from any account
    return None


INTERNAL_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def _is_internal_range(network: Union[ipaddress.IPv4Network, ipaddress.IPv6Network]) -> bool:
    """RFC 1918 / unique-local ranges: reachable only from inside private networks."""
    return any(network.version == r.version and network.subnet_of(r) for r in INTERNAL_RANGES)  # type: ignore[arg-type]


def _actions(statement: dict) -> tuple[str, ...]:
    if "NotAction" in statement:
        return tuple(f"* except {a}" for a in sorted(str(a) for a in _as_list(statement["NotAction"])))
    actions = _as_list(statement.get("Action"))
    if not actions:
        raise PolicyError("statement has no Action")
    return tuple(sorted({str(a) for a in actions}))


def _covers(deny_patterns: list[str], action: str) -> bool:
    """Does a Deny's Action list include every request `action` (itself maybe a pattern) allows?"""
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in deny_patterns)


def _deny_applies_to_everyone(statement: dict) -> bool:
    principal = statement.get("Principal")
    return principal == "*" or (isinstance(principal, Mapping) and _as_list(principal.get("AWS")) == ["*"])


def _subtract_denies(grants: list[Grant], denies: list[dict]) -> list[Grant]:
    """Apply Deny statements that name everyone and either have no condition (the actions go) or
    deny outside a set of accounts/organizations/networks (those become constraints)."""
    for deny in denies:
        if "NotPrincipal" in deny or not _deny_applies_to_everyone(deny) or "NotAction" in deny:
            continue
        if deny.get("NotResource") is not None:
            continue
        patterns = [str(a) for a in _as_list(deny.get("Action"))]
        condition = deny.get("Condition")
        if condition in (None, {}):
            grants = [Grant(g.sid, g.constraints, tuple(a for a in g.actions if not _covers(patterns, a)))
                      for g in grants]
            continue
        # Deny unless the caller is inside X: every remaining caller must be inside X.
        limits = _condition_constraints(condition, positive=False)
        other_operators = [op for op in condition if op.lower() not in NEGATIVE_OPERATORS]
        if not limits or other_operators:
            continue  # denies only some requests (e.g. insecure transport): outsiders keep access
        narrowed = []
        for grant in grants:
            if all(_covers(patterns, a) for a in grant.actions):
                narrowed.append(Grant(grant.sid, tuple(sorted(set(grant.constraints) | set(limits))), grant.actions))
            else:
                narrowed.append(grant)
        grants = narrowed
    return [g for g in grants if g.actions]


def analyse(document: Union[str, Mapping, None]) -> list[Grant]:
    """Every (caller, actions) a policy allows, Denies subtracted; [] for no policy."""
    policy = parse_policy(document)
    if policy is None:
        return []
    raw = policy["Statement"]
    stmts = [raw] if isinstance(raw, dict) else list(raw)
    grants: list[Grant] = []
    denies: list[dict] = []
    for index, statement in enumerate(stmts):
        effect = statement.get("Effect")
        if effect == "Deny":
            denies.append(statement)
            continue
        if effect != "Allow":
            raise PolicyError(f"statement {index} has Effect {effect!r}")
        sid = str(statement.get("Sid") or f"#{index}")
        actions = _actions(statement)
        limits = _condition_constraints(statement.get("Condition"), positive=True)
        for alternative in _principal_constraints(statement):
            constraints = set(alternative) | set(limits)
            if len(constraints) > 1:
                constraints.discard(Constraint(ANYONE))
            grants.append(Grant(sid, tuple(sorted(constraints)), actions))
    return sorted(_subtract_denies(grants, denies), key=lambda g: (g.sid, g.constraints))


def share_grants(accounts: Iterable[str], actions: Iterable[str], sid: str = "share") -> list[Grant]:
    """Launch/restore permissions: 'all' is public, account ids are those accounts."""
    grants = []
    for account in sorted(set(accounts)):
        constraint = Constraint(ANYONE) if account.lower() == "all" else Constraint(ACCOUNT, (account,))
        grants.append(Grant(sid, (constraint,), tuple(sorted(actions))))
    return grants


def external_grants(grants: Iterable[Grant], zone: TrustedZone) -> list[Grant]:
    """The grants a caller outside `zone` can use."""
    return [g for g in grants if not zone.admits(g)]


GRANT_GROUPS = ("policy", "sharing")   # model groups that may carry `grants`


def zone_summary(grants: Optional[list], zone: TrustedZone) -> dict[str, Any]:
    """`external_principals` / `external_actions` of a group's grants, against `zone`; None when
    the grants are unknown (so a rule reading them cannot pass)."""
    if grants is None:
        return {"external_principals": None, "external_actions": None}
    outside = external_grants([Grant.from_dict(g) for g in grants], zone)
    return {"external_principals": sorted({p for g in outside for p in g.principals()}),
            "external_actions": sorted({a for g in outside for a in g.actions})}


def localise_grants(properties: dict[str, Any], zone: TrustedZone) -> None:
    """Fill each grant-carrying group's external_* properties for this run's trusted zone (like
    `country`, they depend on who is judging, so the engine derives them, not the sources)."""
    for group in GRANT_GROUPS:
        values = properties.get(group)
        if isinstance(values, dict) and "grants" in values:
            values.update(zone_summary(values["grants"], zone))


def grants_of(document: Union[str, Mapping, None]) -> list[dict[str, Any]]:
    """A policy's grants as model data (raises PolicyError like `analyse`)."""
    return [g.to_dict() for g in analyse(document)]


def share_grants_of(accounts: Iterable[str], actions: Iterable[str]) -> list[dict[str, Any]]:
    return [g.to_dict() for g in share_grants(accounts, actions)]
