"""Entry point Pulumi runs for `--policy-pack policypack`: serves the luxguard rules as policies.

PolicyPack() starts the analyzer gRPC server on 127.0.0.1, prints its port on stdout for the
engine and blocks until the engine stops the process.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

try:
    import luxguard  # noqa: F401 - installed (`-e ..` in requirements.txt)
except ImportError:  # run from a checkout without installing luxguard: use the repo next door
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from luxguard_pack import PACK_NAME, build_policies  # noqa: E402 - after the path fix above

from luxguard.core.errors import LuxguardError  # noqa: E402

try:
    policies = build_policies()
except LuxguardError as error:   # a bad rule, approvals or waivers file: one line, no traceback
    print(f"luxguard policy pack: error: {error}", file=sys.stderr)
    sys.exit(2)

PolicyPack(
    name=PACK_NAME,
    policies=policies,
    enforcement_level=EnforcementLevel.ADVISORY,
    description="LuxCloud privacy-policy promises (the luxguard rule catalogue) as CrossGuard stack policies.",
    display_name="luxguard",
    provider="aws",
    tags=["privacy", "gdpr", "luxembourg"],
)
