"""The enforcer: safe, verified, audited repair of failing findings (`luxguard enforce`).

    findings -> plan (read-only; one PlannedChange per repairable failing finding)
             -> apply (re-read, exact calls, audit before/after) -> verify (re-scan, re-plan)

Actions live in `actions.py`, registered by name; rules name them in `action: {name, options}`.
"""

from luxguard.actors.enforcer.base import (
                   REGISTRY,
                   Action,
                   ApiCall,
                   Blocked,
                   DesignatedKey,
                   EnforceContext,
                   PlannedChange,
                   make_action,
                   register,
                   validate_rule_actions,
)
from luxguard.actors.enforcer.runner import (
                   AuditLog,
                   Outcome,
                   Plan,
                   Result,
                   Skipped,
                   Verification,
                   apply,
                   check_key,
                   key_region,
                   plan,
                   select,
                   verify,
)

__all__ = ["REGISTRY", "Action", "ApiCall", "AuditLog", "Blocked", "DesignatedKey", "EnforceContext", "Outcome",
           "Plan", "PlannedChange", "Result", "Skipped", "Verification", "apply", "check_key", "key_region", "make_action", "plan",
           "register", "select", "validate_rule_actions", "verify"]
