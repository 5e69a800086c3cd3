"""Need to know: which identities may read personal data without a condition (LUX-ACC-017).

Two steps, like external access (external_access.py):

1. `data_reads(documents)`: an identity's policies (inline, attached, its groups') -> every
   data-reading action (`DATA_READ_ACTIONS`, matched by the statement's patterns, `NotAction`
   included) that an Allow statement without a Condition grants, on which Resource pattern, by
   which policy; unconditional Denies on the same action and resource are subtracted. It does
   not depend on the other resources, so sources compute it.
2. `personal_data_reads(reads, stores)`: the reads that reach `*` or a store holding personal data
   (a `data-classification` tag, see LUX-CLS-001) of this run. The engine does this step, as it
   does the trusted zone, because it needs every resource of the run.

A document that cannot be read raises PolicyError (external_access), never "no reads".
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from luxguard.core.external_access import PolicyError, parse_policy

# Actions that read the data a store holds (not its configuration).
DATA_READ_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
                     "kms:Decrypt", "rds-db:connect", "s3:GetObject", "s3:GetObjectVersion",
                     "secretsmanager:GetSecretValue")
# The service of an action -> the model types whose data it reads.
STORE_TYPES = {"s3": ("AWS::S3::Bucket",), "dynamodb": ("AWS::DynamoDB::Table",), "kms": ("AWS::KMS::Key",),
               "rds-db": ("AWS::RDS::DBInstance",), "secretsmanager": ("AWS::SecretsManager::Secret",)}


@dataclass(frozen=True, order=True)
class DataRead:
    action: str      # one of DATA_READ_ACTIONS
    resource: str    # the Resource pattern it is allowed on ('*' for NotResource)
    policy: str      # which policy grants it

    def describe(self) -> str:
        return f"{self.action} on {self.resource} ({self.policy})"


@dataclass(frozen=True)
class Store:
    """A store of this run holding personal data: its model type, ARN, name, region and account."""

    type: str
    arn: str
    name: str


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _matches(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def statement_actions(statement: dict) -> list[str]:
    """The data-reading actions a statement names (by pattern, or by leaving them out of NotAction)."""
    if "NotAction" in statement:
        return [a for a in DATA_READ_ACTIONS if not _matches(a, _listed(statement["NotAction"]))]
    actions = _listed(statement.get("Action"))
    if not actions:
        raise PolicyError("statement has no Action")
    return [a for a in DATA_READ_ACTIONS if _matches(a, actions)]


def statement_resources(statement: dict) -> list[str]:
    if "NotResource" in statement:
        return ["*"]   # everything but a few: personal data included
    resources = _listed(statement.get("Resource"))
    if not resources:
        raise PolicyError("statement has no Resource")
    return sorted(set(resources))


def statement_reads(statement: dict, policy: str) -> list[DataRead]:
    """What an Allow statement without a Condition lets its identity read ([] otherwise)."""
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return []
    return [DataRead(action, resource, policy) for action in statement_actions(statement)
            for resource in statement_resources(statement)]


def _denied(read: DataRead, denies: list[dict]) -> bool:
    """An unconditional Deny naming the action and a Resource pattern covering the read's."""
    for deny in denies:
        if deny.get("Condition") or "NotAction" in deny or "NotResource" in deny:
            continue
        if read.action in statement_actions(deny) and _matches(read.resource, _listed(deny.get("Resource"))):
            return True
    return False


def data_reads(documents: Iterable[tuple[str, Any]]) -> list[DataRead]:
    """Every unconditioned data read the (policy name, document) pairs grant, Denies subtracted.
    A document of None is one that could not be read: PolicyError."""
    allows: list[DataRead] = []
    denies: list[dict] = []
    for name, document in documents:
        if document is None:
            raise PolicyError(f"policy {name} could not be read")
        policy = parse_policy(document)
        raw = policy["Statement"] if policy else []
        for statement in [raw] if isinstance(raw, dict) else raw:
            if statement.get("Effect") not in ("Allow", "Deny"):
                raise PolicyError(f"policy {name}: a statement has Effect {statement.get('Effect')!r}")
            if statement.get("Effect") == "Deny":
                denies.append(statement)
            else:
                allows.extend(statement_reads(statement, name))
    return sorted({r for r in allows if not _denied(r, denies)})


# --------------------------------------------------------------------------- against the run's stores

def _arn_parts(arn: str) -> Optional[list[str]]:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def reaches(read: DataRead, store: Store) -> bool:
    """Does the read's Resource pattern cover the store (for an action of the store's service)?"""
    service = read.action.split(":", 1)[0]
    if store.type not in STORE_TYPES.get(service, ()):
        return False
    if read.resource == "*":
        return True
    if service == "rds-db":
        return True   # a dbuser ARN names the database by its resource id, which the model lacks: assume it
    pattern, arn = _arn_parts(read.resource), _arn_parts(store.arn)
    if pattern is None or arn is None:
        return False
    if not all(fnmatch.fnmatchcase(arn[i].lower(), pattern[i].lower()) or not arn[i] for i in (2, 3, 4)):
        return False   # another service, region or account
    wanted = pattern[5]
    if service in ("s3", "dynamodb"):   # objects of a bucket, indexes and streams of a table: the store's data
        head = wanted.split("/", 2 if service == "dynamodb" else 1)
        wanted = "/".join(head[:2]) if service == "dynamodb" else head[0]
    return fnmatch.fnmatchcase(arn[5].lower(), wanted.lower())


def personal_data_reads(reads: Iterable[dict], stores: Iterable[Store]) -> list[str]:
    """The reads (model data) that reach `*` or one of `stores`, described for the finding: one line
    per Resource pattern and policy, its actions joined ("every data-reading action" for all)."""
    stores = list(stores)
    grouped: dict[tuple[str, str, str], set[str]] = {}
    for raw in reads:
        read = DataRead(str(raw["action"]), str(raw["resource"]), str(raw["policy"]))
        reached = sorted(s.name for s in stores if reaches(read, s))
        if read.resource != "*" and not reached:
            continue
        target = "" if read.resource == "*" else f": {', '.join(reached)}"
        grouped.setdefault((read.resource, read.policy, target), set()).add(read.action)
    lines = []
    for (resource, policy, target), actions in grouped.items():
        named = "every data-reading action" if len(actions) == len(DATA_READ_ACTIONS) else ", ".join(sorted(actions))
        lines.append(f"{named} on {resource} ({policy}){target}")
    return sorted(lines)


def to_model(reads: Iterable[DataRead]) -> list[dict[str, str]]:
    return [{"action": r.action, "resource": r.resource, "policy": r.policy} for r in reads]


# Stores without an ARN in the model (a plan's) are named the way AWS names them.
_ARN_FORMS = {"AWS::S3::Bucket": "arn:aws:s3:::{id}", "AWS::DynamoDB::Table": "arn:aws:dynamodb:{region}:{account}:table/{id}",
              "AWS::KMS::Key": "arn:aws:kms:{region}:{account}:key/{id}",
              "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:{region}:{account}:secret:{id}",
              "AWS::RDS::DBInstance": "arn:aws:rds:{region}:{account}:db:{id}"}


def _key_of(resource: Any, name: str) -> list[Store]:
    """The KMS key encrypting a personal-data store: who may decrypt with it reads the store's data
    (a key named by alias is not matched; the alias's key is found by its own tag, if any)."""
    from luxguard.core.model import lookup

    ref = resource.properties.get("kms_key_id") or lookup(resource.properties, "encryption.kms_key_id")
    if not isinstance(ref, str) or not ref or "alias/" in ref:
        return []
    arn = ref if ref.startswith("arn:") else f"arn:aws:kms:{resource.region or ''}:{resource.account or ''}:key/{ref}"
    return [Store("AWS::KMS::Key", arn, f"the key of {name}")]


def personal_data_stores(resources: Iterable[Any]) -> list[Store]:
    """The run's stores that hold personal data (a data-classification tag naming a category), and
    the keys that encrypt them."""
    stores = []
    for resource in resources:
        if not resource.properties.get("classification"):
            continue
        name = str(resource.properties.get("name") or resource.id)
        stores += _key_of(resource, name)
        form = _ARN_FORMS.get(resource.type)
        if form is None:
            continue
        arn = resource.arn or form.format(id=resource.id, region=resource.region or "", account=resource.account or "")
        stores.append(Store(resource.type, str(arn), name))
    return sorted(set(stores), key=lambda s: (s.type, s.arn, s.name))


def localise_data_reads(properties: dict[str, Any], stores: list[Store]) -> None:
    """Fill an identity's `access.personal_data_reads` for this run's stores (engine, like the trusted zone)."""
    access = properties.get("access")
    if isinstance(access, dict) and "data_reads" in access:
        access["personal_data_reads"] = personal_data_reads(access["data_reads"] or [], stores)
