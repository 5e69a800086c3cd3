"""Reading IAM/S3 policy documents the same way for plans, live buckets and state."""

from __future__ import annotations

import json
from typing import Any, Optional, Union

from luxguard.core.external_access import analyse

def parse(document: Union[str, dict, None]) -> Optional[dict]:
    """A policy as a dict; None for no policy. Raises ValueError for malformed JSON."""
    if document in (None, "", {}):
        return None
    if isinstance(document, dict):
        return document
    return json.loads(document)


def statements(policy: Optional[dict]) -> list[dict]:
    if not policy:
        return []
    raw = policy.get("Statement", [])
    return [raw] if isinstance(raw, dict) else list(raw)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_public_statement(statement: dict) -> bool:
    """An Allow that lets anyone at all in, as external_access judges it (the one evaluation of
    "public"): a principal no condition narrows to known accounts, organizations or networks.
    Raises external_access.PolicyError (a ValueError) when the statement cannot be judged."""
    if statement.get("Effect") != "Allow":
        return False
    return any(grant.public for grant in analyse({"Statement": [statement]}))


def _condition_value(statement: dict, operator: str, key: str) -> list[str]:
    block = (statement.get("Condition") or {}).get(operator) or {}
    for k, v in block.items():
        if k.lower() == key.lower():
            return [str(x).lower() for x in _as_list(v)]
    return []


def denies_insecure_transport(statement: dict) -> bool:
    return statement.get("Effect") == "Deny" and "false" in _condition_value(
        statement, "Bool", "aws:SecureTransport"
    )


def denies_unencrypted_uploads(statement: dict) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    actions = {a.lower() for a in _as_list(statement.get("Action"))}
    if not actions & {"s3:putobject", "s3:*", "*"}:
        return False
    key = "s3:x-amz-server-side-encryption"
    return bool(
        _condition_value(statement, "StringNotEquals", key)
        or "true" in _condition_value(statement, "Null", key)
    )


def summarise_bucket_policy(document: Union[str, dict, None]) -> dict[str, Any]:
    """The `policy.*` properties of the normalised bucket model."""
    policy = parse(document)
    stmts = statements(policy)
    grants = analyse(policy)
    return {
        "present": policy is not None,
        "public": any(grant.public for grant in grants),   # Denies subtracted, as for external access
        "denies_insecure_transport": any(denies_insecure_transport(s) for s in stmts),
        "denies_unencrypted_uploads": any(denies_unencrypted_uploads(s) for s in stmts),
        "statement_ids": sorted(str(s["Sid"]) for s in stmts if s.get("Sid")),
        "grants": [grant.to_dict() for grant in grants],
    }
