"""The CrossGuard policy pack (policypack/) must give exactly `luxguard check`'s verdicts.

1. Validators called directly with PolicyResources built from real captures (every rule case and
   the reference stacks).
2. The real pack process, through the analyzer gRPC interface the Pulumi engine uses.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    StackValidationArgs,
)
from pulumi_policy.policy import PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from luxguard.core.errors import LuxguardError
from luxguard.core.rules import load_rules
from luxguard.pipeline import Settings, check_capture
from luxguard.sources.pulumi_capture import Capture, CapturedResource, capture_program
from policypack import luxguard_pack
from tests.helpers import pulumi_examples, write_program

REPO = Path(__file__).resolve().parent.parent
PACK_DIR = REPO / "policypack"
STARTUP_TIMEOUT = 20.0
CAPTURE_TIMEOUT = 120.0   # the reference stack's program, in a process of its own, on a busy machine
RPC_TIMEOUT = 10.0
# A bucket whose own `region` input (eu-west-1) differs from its provider's (lu-central-1), and the
# reverse: residency must follow the resource's own region, like `luxguard check`.
OWN_REGION_OUTSIDE = ("import pulumi_aws as aws\n"
                      "aws.s3.Bucket('moved', bucket='moved', region='eu-west-1', "
                      "tags={'data-classification': 'contact'}, opts=t.opts())")
OWN_REGION_INSIDE = ("import pulumi_aws as aws\n"
                     "aws.kms.Key('k', enable_key_rotation=True, region='lu-central-1', opts=t.opts('eu-west-1'))")
# No explicit provider: the region is the stack's aws:region (the default provider's).
DEFAULT_PROVIDER = "import pulumi_aws as aws\naws.kms.Key('k', enable_key_rotation=True)"
EXAMPLES = {rule.id: rule.examples for rule in load_rules()}


# --- captures ----------------------------------------------------------------------------------

_captures: dict[str, Capture] = {}


def capture_in_subprocess(program: Path, stack: str, plan: Path) -> Capture:
    """The reference stack is the repo root, and capture_program forgets the modules a run imported
    from under the program's folder, which there includes .venv/ (pulumi_aws): captured in this
    process it would break later captures, so it runs in its own."""
    code = ("import sys; from pathlib import Path; from luxguard.sources.pulumi_capture import capture_program; "
            "Path(sys.argv[3]).write_text(capture_program(Path(sys.argv[1]), sys.argv[2]).to_json())")
    subprocess.run([sys.executable, "-c", code, str(program), stack, str(plan)], cwd=REPO, check=True,
                   timeout=CAPTURE_TIMEOUT, capture_output=True)
    return Capture.from_file(plan)


def capture_of(label: str, tmp_root: Path) -> Capture:
    """Captures by label ("LUX-ENC-001/violating", "reference/local", "own-region/outside"), cached."""
    if label not in _captures:
        kind, variant = label.split("/")
        if kind == "reference":
            _captures[label] = capture_in_subprocess(REPO, variant, tmp_root / f"{variant}.plan.json")
        elif kind == "default-provider":
            program = write_program(tmp_root / label.replace("/", "-"), DEFAULT_PROVIDER, config={"aws:region": variant})
            _captures[label] = capture_program(program, "test")
        else:
            body = {"outside": OWN_REGION_OUTSIDE, "inside": OWN_REGION_INSIDE}.get(variant) if kind == "own-region" \
                else getattr(EXAMPLES[kind], variant)["pulumi"]
            _captures[label] = capture_program(write_program(tmp_root / label.replace("/", "-"), body), "test")
    return _captures[label]


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("policypack-programs")


def expected(capture: Capture) -> set[tuple[str, str]]:
    """(policy name, urn) of every failing finding of `luxguard check` on the capture."""
    report = check_capture(capture, Settings())
    return {(f.rule_id.lower(), f.resource.urn or "") for f in report.findings if f.status.value == "fail"}


ALL_LABELS = ([f"{rid}/{variant}" for variant in ("compliant", "violating") for rid in pulumi_examples(variant)]
              + ["reference/local", "reference/production", "own-region/outside", "own-region/inside",
                 "default-provider/lu-central-1", "default-provider/eu-west-1"])


# --- 1. validators called directly ---------------------------------------------------------------

def policy_resources(capture: Capture) -> list[PolicyResource]:
    """What pulumi_policy hands a stack validation; the default provider stays None, so the
    region must come from the stack config, as the docs say it may."""
    providers = {r.urn: r for r in capture.resources if r.type.startswith("pulumi:providers:")}
    resources: dict[str, PolicyResource] = {}
    for r in capture.resources:
        provider = providers.get(r.provider or "")
        resources[r.urn] = PolicyResource(
            r.type, unknown_checking_proxy(json.loads(json.dumps(r.inputs))), r.urn, r.name,
            PolicyResourceOptions(False, [], None, [], None, [], r.parent),
            PolicyProviderResource(provider.type, unknown_checking_proxy(dict(provider.inputs)), provider.urn,
                                   provider.name) if provider else None,
            None, [], {})
    for r in capture.resources:
        resources[r.urn].parent = resources.get(r.parent or "")
    return list(resources.values())


@pytest.fixture(scope="module")
def direct_policies():
    current: dict[str, Any] = {}
    policies = luxguard_pack.build_policies(Settings(), environ={}, config=lambda: current["config"])
    return policies, current


@pytest.mark.parametrize("label", ALL_LABELS)
def test_validators_agree_with_luxguard_check(label, tmp_root, direct_policies):
    policies, current = direct_policies
    capture = capture_of(label, tmp_root)
    current["config"] = capture.config
    args = StackValidationArgs(policy_resources(capture))
    violations: set[tuple[str, str]] = set()
    for policy in policies:
        def report(message: str, urn: Optional[str] = None, name: str = policy.name) -> None:
            assert name.upper() in message and "Privacy policy clause:" in message
            violations.add((name, urn or ""))
        policy.validate(args, report)
    assert violations == expected(capture)
    kind, variant = label.split("/")
    if kind in EXAMPLES and variant == "violating":
        assert {name for name, _ in violations} == {r.lower() for r in EXAMPLES[kind].fails}
    if kind == "reference":
        assert violations == set()


def test_own_region_input_beats_the_provider_region(tmp_root, direct_policies):
    # a bare bucket fails other rules too; residency is the point here
    assert "lux-res-001" in {name for name, _ in expected(capture_of("own-region/outside", tmp_root))}
    assert expected(capture_of("own-region/inside", tmp_root)) == set()
    assert expected(capture_of("default-provider/lu-central-1", tmp_root)) == set()
    assert {name for name, _ in expected(capture_of("default-provider/eu-west-1", tmp_root))} == {"lux-res-001"}


def test_enforcement_defaults_and_overrides(tmp_path):
    env = {luxguard_pack.ENFORCEMENT_ENV: "medium=disabled, LUX-ACC-004=advisory"}
    levels = {p.name: p.enforcement_level for p in luxguard_pack.build_policies(Settings(), environ=env)}
    rules = {r.id.lower(): r for r in Settings().rules()}
    for name, level in levels.items():
        default = luxguard_pack.DEFAULT_ENFORCEMENT[rules[name].severity]
        want = EnforcementLevel.DISABLED if rules[name].severity == "medium" else default
        assert level == (EnforcementLevel.ADVISORY if name == "lux-acc-004" else want), name
    file = tmp_path / "enforcement.yaml"
    file.write_text("critical: advisory\nlux-res-001: disabled\n")
    overrides = luxguard_pack.enforcement_overrides({luxguard_pack.ENFORCEMENT_FILE_ENV: str(file),
                                                     luxguard_pack.ENFORCEMENT_ENV: "lux-res-001=mandatory"})
    assert overrides == {"critical": EnforcementLevel.ADVISORY, "lux-res-001": EnforcementLevel.MANDATORY}
    with pytest.raises(Exception, match="unknown enforcement level 'block'"):
        luxguard_pack.parse_enforcement("high=block")


# --- 2. the real pack through the analyzer gRPC interface -------------------------------------

def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(json.loads(json.dumps(value)), struct_pb2.Struct())


def _default_provider(capture: Capture) -> CapturedResource:
    urn = f"urn:pulumi:{capture.stack}::{capture.project}::pulumi:providers:aws::default_7_51_1"
    return CapturedResource(urn=urn, type="pulumi:providers:aws", name="default_7_51_1", id="default",
                            inputs={"region": capture.config.get("aws:region")})


def as_preview(resources: list[CapturedResource]) -> tuple[list[CapturedResource], dict[str, dict[str, list[str]]]]:
    """Replace references to other resources' ids/ARNs by the unknown sentinel, as in a preview of a new
    stack, and record the property dependencies the engine would send instead."""
    names: dict[str, list[str]] = {}
    for r in resources:
        if r.type in ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:ec2/securityGroup:SecurityGroup",
                      "aws:ebs/volume:Volume", "aws:ebs/snapshot:Snapshot"):
            for ref in (r.id, f"arn:aws:s3:::{r.id}"):
                names.setdefault(ref, []).append(r.urn)
    deps: dict[str, dict[str, list[str]]] = {}

    def blank(value: Any, key: str, owner: CapturedResource) -> Any:
        if isinstance(value, dict):
            return {k: blank(v, key, owner) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v, key, owner) for v in value]
        target = names.get(value) if isinstance(value, str) else None
        if isinstance(value, str) and value.startswith("arn:aws:kms:") and ":key/" in value:
            target = names.get(value.rsplit(":key/", 1)[1])
        if not target or len(target) != 1 or target[0] == owner.urn:
            return value
        deps.setdefault(owner.urn, {}).setdefault(key, []).append(target[0])
        return UNKNOWN_STRING_VALUE

    previewed = [CapturedResource(**{**r.__dict__, "inputs": {k: blank(v, k, r) for k, v in r.inputs.items()}})
                 for r in resources]
    return previewed, deps


def stack_request(capture: Capture, preview: bool = False) -> analyzer_pb2.AnalyzeStackRequest:
    """The AnalyzeStack request the engine would send: every resource with its provider (the default
    provider for resources without an explicit one, carrying the stack's aws:region), parent and deps."""
    default = _default_provider(capture)
    resources = [*capture.resources, default]
    by_urn = {r.urn: r for r in resources}
    resources, deps = as_preview(resources) if preview else (resources, {})
    messages = []
    for r in resources:
        provider = by_urn.get(r.provider or "") or (default if r.type.startswith("aws:") else None)
        stack_resource = analyzer_pb2.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs), parent=r.parent or "",
            options=analyzer_pb2.AnalyzerResourceOptions(parent=r.parent or ""),
            dependencies=sorted({u for urns in deps.get(r.urn, {}).values() for u in urns}))
        if provider is not None:
            stack_resource.provider.CopyFrom(analyzer_pb2.AnalyzerProviderResource(
                type=provider.type, urn=provider.urn, name=provider.name, properties=_struct(provider.inputs)))
        for key, urns in deps.get(r.urn, {}).items():
            stack_resource.propertyDependencies[key].urns.extend(urns)
        messages.append(stack_resource)
    return analyzer_pb2.AnalyzeStackRequest(resources=messages)


class PackProcess:
    """`python policypack/__main__.py` as the Pulumi CLI starts it: config in PULUMI_CONFIG, the
    analyzer's port on the first line of stdout."""

    def __init__(self, config: dict[str, Any], extra_env: Optional[dict[str, str]] = None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LUXGUARD_", "PULUMI_"))}
        env.update(PULUMI_CONFIG=json.dumps({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}),
                   PULUMI_PROJECT="case", PULUMI_STACK="test", PULUMI_DRY_RUN="true", **(extra_env or {}))
        self.process = subprocess.Popen([sys.executable, "-u", str(PACK_DIR / "__main__.py")], cwd=PACK_DIR, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self.channel).result(timeout=RPC_TIMEOUT)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _read_port(self) -> int:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(remaining, 0))
            if not ready or self.process.poll() is not None:
                self.stop()
                raise AssertionError(f"policy pack did not print its port: {self.process.stderr.read().decode()}")
            line += os.read(self.process.stdout.fileno(), 64)
        return int(line.strip())

    def stop(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()


@pytest.fixture(scope="module")
def packs() -> Iterator:
    """One pack process per distinct stack config (the CLI starts one per stack), killed at the end."""
    started: dict[str, PackProcess] = {}

    def pack_for(config: dict[str, Any], extra_env: Optional[dict[str, str]] = None) -> PackProcess:
        key = json.dumps([config, extra_env], sort_keys=True)
        if key not in started:
            started[key] = PackProcess(config, extra_env)
        return started[key]

    yield pack_for
    for pack in started.values():
        pack.stop()


GRPC_CASES = [
    ("reference/local", False), ("reference/production", False), ("reference/local", True),
    ("LUX-ENC-001/violating", False),   # bucket: SSE child resource folded into the bucket
    ("LUX-ACC-001/violating", True),    # bucket: missing public access block, preview unknowns
    ("LUX-RES-003/violating", True),    # bucket + KMS key in another region, key ARN unknown
    ("LUX-ACC-004/violating", False),   # security group
    ("LUX-ENC-005/violating", False),   # KMS key
    ("LUX-ENC-008/violating", True),    # RDS instance
    ("LUX-ACC-007/violating", False),   # RDS instance
    ("LUX-RES-002/violating", False),   # replication to another region: several rules
    ("own-region/outside", False), ("own-region/inside", False),
    ("default-provider/lu-central-1", False), ("default-provider/eu-west-1", False),
    ("LUX-ENC-001/compliant", True),
]


@pytest.mark.parametrize("label,preview", GRPC_CASES)
def test_analyze_stack_over_grpc_gives_luxguard_checks_verdicts(label, preview, tmp_root, packs):
    capture = capture_of(label, tmp_root)
    stub = packs(capture.config).stub
    response = stub.AnalyzeStack(stack_request(capture, preview), timeout=RPC_TIMEOUT)
    got = {(d.policyName, d.urn) for d in response.diagnostics}
    assert got == expected(capture)
    rules = {r.id: r for r in Settings().rules()}
    for d in response.diagnostics:
        rule = rules[d.policyName.upper()]
        assert d.policyPackName == "luxguard" and rule.id in d.message and rule.clause_section in d.message
        want = luxguard_pack.DEFAULT_ENFORCEMENT[rule.severity]
        assert d.enforcementLevel == analyzer_pb2.EnforcementLevel.Value(want.name)
    kind, variant = label.split("/")
    if kind in EXAMPLES and variant == "violating":
        assert {d.policyName for d in response.diagnostics} == {r.lower() for r in EXAMPLES[kind].fails}
    if kind == "reference" or variant == "compliant":
        assert got == set()


def test_analyzer_info_and_per_resource_analyze(tmp_root, packs):
    capture = capture_of("LUX-ENC-001/violating", tmp_root)
    stub = packs(capture.config).stub
    info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT)
    rules = Settings().rules()
    assert info.name == "luxguard"
    assert [p.name for p in info.policies] == [r.id.lower() for r in rules]
    for policy, rule in zip(info.policies, rules):
        assert policy.description == rule.title
        assert policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK
        assert policy.enforcementLevel == analyzer_pb2.EnforcementLevel.Value(
            luxguard_pack.DEFAULT_ENFORCEMENT[rule.severity].name)
    assert stub.GetPluginInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT).version
    # Per-resource Analyze: the pack has stack policies only, so nothing is said about one resource
    # (a lone bucket cannot be judged without its child resources).
    request = stack_request(capture)
    for resource in request.resources:
        response = stub.Analyze(analyzer_pb2.AnalyzeRequest(
            type=resource.type, urn=resource.urn, name=resource.name, properties=resource.properties,
            options=resource.options, provider=resource.provider if resource.HasField("provider") else None),
            timeout=RPC_TIMEOUT)
        assert list(response.diagnostics) == [] and list(response.not_applicable) == []


def test_enforcement_from_environment_and_pulumi_policy_config(tmp_root, packs):
    capture = capture_of("LUX-RES-003/violating", tmp_root)   # fails LUX-RES-003 (high) and LUX-RES-001 (critical)
    stub = packs(capture.config, {luxguard_pack.ENFORCEMENT_ENV: "high=advisory,LUX-RES-001=disabled"}).stub
    levels = {p.name: p.enforcementLevel for p in stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT).policies}
    assert levels["lux-res-003"] == analyzer_pb2.ADVISORY and levels["lux-res-001"] == analyzer_pb2.DISABLED
    response = stub.AnalyzeStack(stack_request(capture), timeout=RPC_TIMEOUT)
    assert {(d.policyName, d.enforcementLevel) for d in response.diagnostics} == {("lux-res-003", analyzer_pb2.ADVISORY)}
    # `pulumi preview --policy-pack-config` arrives as Configure; it overrides per policy.
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        "lux-res-001": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY),
        "lux-res-003": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.DISABLED)}), timeout=RPC_TIMEOUT)
    response = stub.AnalyzeStack(stack_request(capture), timeout=RPC_TIMEOUT)
    assert {(d.policyName, d.enforcementLevel) for d in response.diagnostics} == {("lux-res-001", analyzer_pb2.MANDATORY)}


def test_pinned_country_override(tmp_root, packs):
    capture = capture_of("LUX-RES-001/compliant", tmp_root)
    stub = packs(capture.config, {luxguard_pack.PINNED_ENV: "DE"}).stub
    response = stub.AnalyzeStack(stack_request(capture), timeout=RPC_TIMEOUT)
    assert "lux-res-001" in {d.policyName for d in response.diagnostics}


# --- approvals and waivers, as in `luxguard check` ------------------------------------------------

APPROVAL = {"id": "APR-DATA", "customer": "ACME", "data_categories": ["contact"], "destinations": {"countries": ["IE"]},
            "scope": {"resource_ids": ["data-lu"]}, "document": "DPA-2026-3", "approved_by": "ACME DPO",
            "granted": "2026-01-01", "expires": "2026-12-31"}


def _approvals_env(tmp_path: Path, approval: dict, as_of: str) -> dict[str, str]:
    import yaml

    path = tmp_path / "approvals.yaml"
    path.write_text(yaml.safe_dump({"approvals": [approval]}))
    return {luxguard_pack.APPROVALS_ENV: str(path), luxguard_pack.AS_OF_ENV: as_of}


def _violations(policies, capture: Capture) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    args = StackValidationArgs(policy_resources(capture))
    for policy in policies:
        policy.validate(args, lambda message, urn=None, name=policy.name: found.setdefault(name, []).append(message))
    return found


@pytest.mark.parametrize("approval, as_of, waived, needle", [
    (APPROVAL, "2026-06-01", True, None),
    (APPROVAL, "2027-02-01", False, "approval APR-DATA expired on 2026-12-31"),
    (APPROVAL, "2025-06-01", False, "approval APR-DATA is granted only from 2026-01-01"),
    ({**APPROVAL, "scope": {"resource_ids": ["other-bucket"]}}, "2026-06-01", False, None),
])
def test_validators_apply_approvals(approval, as_of, waived, needle, tmp_root, tmp_path):
    capture = capture_of("LUX-RES-001/violating", tmp_root)   # bucket data-lu in eu-west-1 (IE), contact data
    env = _approvals_env(tmp_path, approval, as_of)
    policies = luxguard_pack.build_policies(luxguard_pack.settings_from_env(env), environ=env,
                                            config=lambda: capture.config)
    found = _violations(policies, capture)
    assert ("lux-res-001" not in found) is waived
    if needle:
        assert any(needle in message for message in found["lux-res-001"])


def test_malformed_approvals_stop_the_pack_with_one_line(tmp_path):
    env = _approvals_env(tmp_path, {**APPROVAL, "granted": "someday"}, "2026-06-01")
    with pytest.raises(LuxguardError, match=r"approvals.yaml: field approvals.0.granted"):
        luxguard_pack.settings_from_env(env)
    process = subprocess.run([sys.executable, str(REPO / "policypack" / "__main__.py")], env={**os.environ, **env},
                             capture_output=True, text=True, timeout=STARTUP_TIMEOUT)
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert process.stderr.strip().count("\n") == 0 and "field approvals.0.granted" in process.stderr


def test_approvals_over_grpc(tmp_root, tmp_path, packs):
    capture = capture_of("LUX-RES-001/violating", tmp_root)
    stub = packs(capture.config, _approvals_env(tmp_path, APPROVAL, "2026-06-01")).stub
    response = stub.AnalyzeStack(stack_request(capture), timeout=RPC_TIMEOUT)
    assert "lux-res-001" not in {d.policyName for d in response.diagnostics}
    (tmp_path / "later").mkdir()
    expired = packs(capture.config, _approvals_env(tmp_path / "later", APPROVAL, "2027-02-01")).stub
    response = expired.AnalyzeStack(stack_request(capture), timeout=RPC_TIMEOUT)
    assert any(d.policyName == "lux-res-001" and "expired on 2026-12-31" in d.message for d in response.diagnostics)


def test_first_preview_computed_values_are_undecided_not_violations(tmp_root, direct_policies):
    """A new stack's first preview: bucket policies built with .apply are unknown. Rules reading
    them are undecided (error), never a violation that would block the compliant stack."""
    policies, current = direct_policies
    capture = capture_of("reference/local", tmp_root)
    current["config"] = capture.config
    resources = policy_resources(capture)
    buckets = {r.name: r for r in resources if r.resource_type == "aws:s3/bucket:Bucket"}
    bucket_urns = {c.id: c.urn for c in capture.resources if c.type == "aws:s3/bucket:Bucket"}
    previewed = 0
    for resource, captured in zip(resources, capture.resources):
        if captured.type != "aws:s3/bucketPolicy:BucketPolicy":
            continue
        owner = next(b for b in buckets.values() if b.urn == bucket_urns[captured.inputs["bucket"]])
        resource.props = unknown_checking_proxy({**captured.inputs, "bucket": UNKNOWN_STRING_VALUE,
                                                 "policy": UNKNOWN_STRING_VALUE})
        resource.property_dependencies = {"bucket": [owner], "policy": [owner]}
        previewed += 1
    assert previewed == 3
    args = StackValidationArgs(resources)
    found: set[str] = set()
    for policy in policies:
        policy.validate(args, lambda message, urn=None, name=policy.name: found.add(name))
    assert found == set()
    report = check_capture(luxguard_pack.capture_from_stack(resources, capture.config), Settings())
    undecided = {(f.rule_id, f.resource.id) for f in report.findings if f.status.value == "error"}
    assert {rule for rule, _ in undecided} == {"LUX-ENC-003", "LUX-ENC-004", "LUX-ACC-002", "LUX-ACC-011"}
    assert len({rid for _, rid in undecided}) == 3
