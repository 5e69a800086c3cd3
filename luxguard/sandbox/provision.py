"""Provision a Pulumi stack into the LOCAL SANDBOX cloud without the Pulumi engine.

This is for the demo and the tests only: real deployments use `pulumi up`. The stack program
runs under Pulumi's mocks (`capture_program`, exactly as `luxguard check` runs it); then each
captured resource is created with boto3, in dependency order, against the local cloud's
endpoint, and a state file in the `pulumi stack export` (version 3) shape is written whose ids
are the ids the cloud returned (KMS key ids, `sg-...`) and whose inputs reference them, as
`pulumi up` would have recorded.

Supported pulumi-aws types: those whose resource-type descriptor has a sandbox handler
(`PulumiType.sandbox`, created in `sandbox_rank` order); today what the reference stacks use:
kms Key and Alias, s3 Bucket and its BucketServerSideEncryptionConfiguration,
BucketPublicAccessBlock, BucketPolicy, BucketVersioning, BucketLogging, BucketOwnershipControls,
BucketLifecycleConfiguration, BucketObjectLockConfiguration, BucketAcl and tags, and ec2
SecurityGroup with inline ingress/egress. Any other custom resource type stops provisioning
with one clear error.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import boto3

from luxguard.core.errors import LuxguardError
from luxguard.resources import pulumi_types
from luxguard.sources.pulumi_capture import PROVIDER_PREFIX, Capture, CapturedResource, arn_for, capture_program
from luxguard.sources.pulumi_normalise import PlanIndex
from luxguard.sources.state import checkpoint_document, export_document

STACK_TYPE = "pulumi:pulumi:Stack"
MOCK_STACK_PREFIX = "pulumi:pulumi:Stack$"
@dataclass
class Provisioned:
    """What was created: the captured program with real ids, and the state document."""

    capture: Capture
    state: dict[str, Any]
    ids: dict[str, str] = field(default_factory=dict)      # Pulumi URN -> cloud id
    endpoint: str = ""

    def write_state(self, path: Path) -> Path:
        """The `pulumi stack export` document, replacing any previous one atomically."""
        from luxguard.sinks.outputs import write_atomically

        path = Path(path)
        write_atomically(path, json.dumps(self.state, indent=2) + "\n")
        return path

    def write_backend(self, root: Path, gzipped: bool = False) -> Path:
        """The same state as a DIY backend checkpoint: ROOT/.pulumi/stacks/<project>/<stack>.json[.gz]."""
        import gzip

        project, stack = self.capture.project, self.capture.stack
        target = Path(root) / ".pulumi" / "stacks" / project / f"{stack}.json{'.gz' if gzipped else ''}"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(checkpoint_document(project, stack, self.state)).encode("utf-8")
        target.write_bytes(gzip.compress(data) if gzipped else data)
        return target


# --------------------------------------------------------------------------- helpers

def _clean_urn(urn: Optional[str]) -> Optional[str]:
    """Mock URNs qualify top-level types with the root stack type; the engine does not."""
    return urn.replace("::" + MOCK_STACK_PREFIX, "::", 1) if urn else urn


def _plain(value: Any) -> Any:
    """Mocks hand numbers over as floats (443.0); state JSON has integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _substitute(value: Any, exact: dict[str, str], inside: dict[str, str]) -> Any:
    """Replace mock ids by real ones: whole values for short ids, substrings for ARNs."""
    if isinstance(value, str):
        if value in exact:
            return exact[value]
        for old, new in inside.items():
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, exact, inside) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, exact, inside) for v in value]
    return value


# --------------------------------------------------------------------------- the provisioner

class Provisioner:
    def __init__(self, capture: Capture, endpoint: str, account_id: Optional[str] = None):
        self.capture = capture
        self.endpoint = endpoint
        self.index = PlanIndex(capture)
        self.account = account_id or str(capture.config.get("luxguard:accountId") or "123456789012")
        self.exact: dict[str, str] = {}     # mock id -> real id
        self.inside: dict[str, str] = {}    # mock ARN -> real ARN
        self.ids: dict[str, str] = {}       # urn -> real id
        self.outputs: dict[str, dict[str, Any]] = {}
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(service, region_name=region, endpoint_url=self.endpoint)
        return self._clients[key]

    def configure_bucket(self, region: str, inputs: dict, operation: str, **kwargs: Any) -> tuple[str, dict]:
        """One S3 configuration call on the bucket `inputs` names, in that bucket's region."""
        bucket = inputs["bucket"]
        getattr(self.client("s3", self.index.bucket_region(bucket) or region), operation)(Bucket=bucket, **kwargs)
        return bucket, {}

    # -- the run

    def run(self) -> Provisioned:
        handlers = {spec.type: spec for spec in pulumi_types() if spec.sandbox is not None}
        custom = [r for r in self.capture.resources
                  if r.custom and not r.type.startswith(PROVIDER_PREFIX) and r.type != STACK_TYPE]
        unsupported = sorted({r.type for r in custom if r.type not in handlers})
        if unsupported:
            raise LuxguardError(f"provision (local sandbox): resource type(s) not supported: {', '.join(unsupported)}")
        real_inputs: dict[str, dict] = {}
        from botocore.exceptions import BotoCoreError, ClientError

        for res in sorted(custom, key=lambda r: (handlers[r.type].sandbox_rank, r.urn)):
            inputs = _plain(_substitute(res.inputs, self.exact, self.inside))
            region = self.index.region_of(res) or "us-east-1"
            try:
                real_id, outputs = handlers[res.type].sandbox(self, res, inputs, region)
            except (ClientError, BotoCoreError) as exc:
                raise LuxguardError(f"provision (local sandbox): creating {res.type} {res.name} failed: {exc}") from None
            self.ids[res.urn] = real_id
            if outputs.get("arn"):   # the program's ARN of it (a replica names its source so) is the real one now
                self.exact.setdefault(arn_for(res.type, region, self.account, res.id), str(outputs["arn"]))
            real_inputs[res.urn] = inputs
            self.outputs[res.urn] = {**inputs, "id": real_id, "region": region, **outputs}
        return self._result(real_inputs)

    def _result(self, real_inputs: dict[str, dict]) -> Provisioned:
        project, stack = self.capture.project, self.capture.stack
        stack_urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
        provider_ids = {r.urn: str(uuid.uuid5(uuid.NAMESPACE_URL, r.urn)) for r in self.capture.resources
                        if r.type.startswith(PROVIDER_PREFIX)}
        state_resources: list[dict[str, Any]] = [{"urn": stack_urn, "custom": False, "type": STACK_TYPE, "outputs": {}}]
        captured: list[CapturedResource] = []
        for res in self.capture.resources:
            urn, parent = _clean_urn(res.urn), _clean_urn(res.parent)
            if res.type.startswith(PROVIDER_PREFIX):
                inputs = _plain(dict(res.inputs))
                if isinstance(inputs.get("endpoints"), str) and self.endpoint:
                    inputs["endpoints"] = inputs["endpoints"].replace("http://127.0.0.1:5000", self.endpoint)
                entry = {"urn": urn, "custom": True, "id": provider_ids[res.urn], "type": res.type,
                         "inputs": inputs, "outputs": inputs, "parent": parent}
                real_id = provider_ids[res.urn]
            elif not res.custom:
                entry = {"urn": urn, "custom": False, "type": res.type, "parent": parent}
                real_id, inputs = res.id, {}
            else:
                real_id, inputs = self.ids[res.urn], real_inputs[res.urn]
                entry = {"urn": urn, "custom": True, "id": real_id, "type": res.type, "inputs": inputs,
                         "outputs": self.outputs[res.urn], "parent": parent}
            if res.provider:
                entry["provider"] = f"{_clean_urn(res.provider)}::{provider_ids.get(res.provider, 'default')}"
            state_resources.append(entry)
            captured.append(CapturedResource(urn=urn or res.urn, type=res.type, name=res.name, id=real_id,
                                             inputs=inputs, provider=_clean_urn(res.provider), parent=parent,
                                             custom=res.custom, source_file=res.source_file,
                                             source_line=res.source_line))
        import pulumi

        document = export_document(project, stack, state_resources, f"v{getattr(pulumi, '__version__', '3')}")
        real_capture = Capture(project=project, stack=stack, config=self.capture.config, resources=captured,
                               program_dir=self.capture.program_dir)
        return Provisioned(capture=real_capture, state=document, ids=self.ids, endpoint=self.endpoint)


def provision_capture(capture: Capture, endpoint: str) -> Provisioned:
    """Create the captured resources in the local cloud at `endpoint` (sandbox only)."""
    if not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        raise LuxguardError(f"provision: {endpoint} is not a local sandbox endpoint; deploy real stacks with `pulumi up`")
    return Provisioner(capture, endpoint).run()


def provision_stack(program_dir: Path, stack: str, endpoint: str) -> Provisioned:
    """Run the Pulumi program under mocks, then create its resources in the local sandbox."""
    return provision_capture(capture_program(Path(program_dir), stack), endpoint)
