"""`luxguard sandbox`: the local cloud with the reference stack and a few violations in it, left
running so that a newcomer can try scan, drift and enforce by hand (LOCAL SANDBOX ONLY).

It starts moto's server on 127.0.0.1, provisions stack `local` the way the demo does, writes its
state for `drift`, plants the demo's hand changes (luxguard.sandbox.violations), prints the
`export` line that points boto3 at it (botocore reads AWS_ENDPOINT_URL, and so luxguard does)
and the next commands, then serves until SIGINT or SIGTERM, and stops cleanly (exit 0).
"""

from __future__ import annotations

import shlex
import signal
import threading
from pathlib import Path
from typing import Callable, Optional

from luxguard.sandbox.demo import STACK, reference_program_dir
from luxguard.sandbox.local_cloud import LU
from luxguard.sandbox.violations import ABROAD, break_things

REGIONS = f"{LU},{ABROAD}"
KEY_TYPE = "aws:kms/key:Key"


def _key_arn(state: dict) -> Optional[str]:
    """The stack's KMS key (the designated key `enforce --kms-key` repairs encryption with)."""
    keys = [r for r in state.get("deployment", {}).get("resources", []) if r.get("type") == KEY_TYPE]
    return (keys[0].get("outputs") or {}).get("arn") if keys else None


def next_steps(endpoint: str, state_path: Path, key_arn: Optional[str]) -> list[str]:
    """What to paste into another shell, then the commands to try, one per line."""
    from luxguard.sandbox.local_cloud import sandbox_exports

    state = shlex.quote(str(state_path))
    enforce = f"luxguard enforce --regions {REGIONS}" + (f" --kms-key {key_arn}" if key_arn else "")
    return [
        "unset AWS_PROFILE AWS_DEFAULT_PROFILE",
        sandbox_exports(endpoint),
        f"luxguard scan --regions {REGIONS}",
        f"luxguard drift --state {state}",
        f"{enforce}            # the plan; add --apply to make it",
    ]


def run_sandbox(output_dir: Path, port: int, say: Callable[[str], None] = print) -> int:
    """Serve the sandbox until SIGINT/SIGTERM; `say` prints one line (flushed)."""
    from luxguard.sandbox.local_cloud import local_cloud
    from luxguard.sandbox.provision import provision_stack

    program = reference_program_dir()
    output_dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with local_cloud(port) as endpoint:
            say(f"luxguard sandbox: a local cloud (moto) on {endpoint}, with Luxembourg's region {LU}; "
                f"loopback only, fake credentials, nothing leaves this machine")
            provisioned = provision_stack(program, STACK, endpoint)
            state_path = provisioned.write_state(output_dir / "state.json").resolve()
            made = [r for r in provisioned.capture.resources if r.custom and not r.type.startswith("pulumi:")]
            say(f"provisioned the reference stack (stack '{STACK}'): {len(made)} resources; "
                f"its state (`pulumi stack export` format) is {state_path}")
            say("then changed by hand, outside Pulumi:")
            for change in break_things(endpoint, provisioned):
                say(f"  - {change}")
            unset, exports, *commands = next_steps(endpoint, state_path, _key_arn(provisioned.state))
            say("")
            say("In another shell, point luxguard (boto3) at the sandbox:")
            say("")
            say(f"  {unset}")
            say(f"  {exports}")
            say("")
            say("then try:")
            say("")
            for command in commands:
                say(f"  {command}")
            say("")
            say("Serving until Ctrl-C.")
            stop.wait()
            say("luxguard sandbox: stopping; the local cloud and everything in it is gone")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
