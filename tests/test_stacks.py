"""The stacks refuse every misconfiguration they promise to refuse, and the reference program
declares exactly the compliant resources, for each stack config on disk. Runs offline under
pulumi.runtime.set_mocks; no Pulumi CLI, no cloud."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Callable, Optional

import pulumi
import pytest
import yaml
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from stacks import (
    AllowedIngress,
    EncryptionKey,
    EncryptionKeyArgs,
    Firewall,
    FirewallArgs,
    SecureBucket,
    SecureBucketArgs,
    StackConfigError,
    ensure_region_allowed,
    pinned_provider,
)
from stacks.reference import main as reference_main

# pulumi_aws warns at import about its own deprecated *V2 classes; the reference test asserts
# the exact resource types, so a deprecated class in the stacks would still fail it.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*")

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"
LU = "lu-central-1"
# Pulumi type tokens of the resources the stacks declare.
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
SG = "aws:ec2/securityGroup:SecurityGroup"
PROVIDER = "pulumi:providers:aws"


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource (type, name, inputs, provider reference) and fakes the
    outputs the components read: key ARNs/ids, bucket names/ARNs, provider regions."""

    def __init__(self) -> None:
        self.resources: list[dict] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ == KEY:
            region = self.region_of(args.provider)
            state.update(arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/{args.name}", keyId=args.name)
            resource_id = args.name
        elif args.typ == BUCKET:
            bucket = args.inputs["bucket"]
            state.update(arn=f"arn:aws:s3:::{bucket}", bucket=bucket, id=bucket)
            resource_id = bucket
        elif args.typ == SG:
            resource_id = f"sg-{args.name}"
            state["arn"] = f"arn:aws:ec2:{self.region_of(args.provider)}:{ACCOUNT}:security-group/{resource_id}"
        self.resources.append(
            {"type": args.typ, "name": args.name, "inputs": dict(args.inputs), "provider": args.provider,
             "id": resource_id, "custom": args.custom}
        )
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise AssertionError(f"the stacks must not call data sources offline: {args.token}")

    # -- queries for assertions ------------------------------------------------------------
    def of_type(self, typ: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name: str) -> dict:
        found = [r for r in self.of_type(typ) if r["name"] == name]
        assert len(found) == 1, f"expected one {typ} named {name}, got {[r['name'] for r in self.of_type(typ)]}"
        return found[0]

    def provider_by_ref(self, ref: str) -> dict:
        """A provider reference is '<urn>::<id>'; find the registered provider it points to."""
        urn, _, provider_id = ref.rpartition("::")
        name = urn.rsplit("::", 1)[-1]
        matches = [r for r in self.of_type(PROVIDER) if r["name"] == name and r["id"] == provider_id]
        assert len(matches) == 1, ref
        return matches[0]

    def region_of(self, ref: Optional[str]) -> str:
        return self.provider_by_ref(ref)["inputs"]["region"] if ref else "unknown"


@pytest.fixture
def mocks() -> RecordingMocks:
    """Fresh Pulumi runtime per test: settings, root stack, config and pending outputs are global."""
    pulumi_settings.ROOT.set(None)
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="luxguard", stack="test", preview=False)
    pulumi.runtime.set_all_config({})
    pulumi_settings.SETTINGS.outputs.clear()
    yield recording
    pulumi.runtime.set_all_config({})


def run(program: Callable[[], None]) -> None:
    """Run `program` as Pulumi would, waiting for every registration; re-raises its error."""
    _sync_await(run_pulumi_func(program))


_provider_count = itertools.count()


def lu_opts(region: str = LU, approval: Optional[str] = None) -> pulumi.ResourceOptions:
    """A freshly pinned provider, uniquely named (one URN per resource, as the engine requires)."""
    name = f"pin-{region}-{next(_provider_count)}"
    return pulumi.ResourceOptions(provider=pinned_provider(name, region, approval=approval))


def refused(program: Callable[[], None], *fragments: str) -> str:
    with pytest.raises(StackConfigError) as info:
        run(program)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def key(opts: pulumi.ResourceOptions, name: str = "k", region: str = LU) -> EncryptionKey:
    return EncryptionKey(name, EncryptionKeyArgs(alias=name, account_id=ACCOUNT), region=region, opts=opts)


def log_bucket(opts: pulumi.ResourceOptions, region: str = LU) -> SecureBucket:
    return SecureBucket(
        "logs",
        SecureBucketArgs(bucket_name="acme-logs", classification=["technical"], is_log_bucket=True, account_id=ACCOUNT),
        region=region,
        opts=opts,
    )


def data_bucket(classification, opts=None, **extra) -> Callable[[], SecureBucket]:
    def program() -> SecureBucket:
        o = opts or lu_opts()
        return SecureBucket(
            "data",
            SecureBucketArgs(
                bucket_name="acme-data",
                classification=classification,
                encryption_key=key(o),
                log_bucket=extra.pop("log_bucket", None) or log_bucket(o),
                **extra,
            ),
            region=LU,
            opts=o,
        )

    return program


def firewall(*rules: AllowedIngress) -> Callable[[], Firewall]:
    return lambda: Firewall("fw", FirewallArgs(ingress=list(rules)), region=LU, opts=lu_opts())


# -- region pinning -----------------------------------------------------------------------

def test_region_outside_lu_without_approval_is_refused_with_the_fix():
    with pytest.raises(StackConfigError) as info:
        ensure_region_allowed("eu-west-1")
    message = str(info.value)
    for fragment in ("eu-west-1", "IE", "LU", "set luxguard:approval in Pulumi.<stack>.yaml"):
        assert fragment in message


def test_unknown_region_is_outside():
    with pytest.raises(StackConfigError, match="mars-north-1 is not in the location catalogue"):
        ensure_region_allowed("mars-north-1")


def test_lu_region_is_allowed_and_outside_with_approval_is_accepted():
    assert ensure_region_allowed(LU).country == "LU"
    pin = ensure_region_allowed("eu-central-1", approval="APR-2026-001")
    assert (pin.country, pin.approval) == ("DE", "APR-2026-001")


def test_component_outside_lu_with_approval_is_accepted_and_tagged(mocks):
    def program():
        EncryptionKey("k", EncryptionKeyArgs(alias="k", account_id=ACCOUNT), region="eu-central-1",
                      opts=lu_opts("eu-central-1", approval="APR-2026-001"))

    run(program)
    kms = mocks.one(KEY, "k")
    assert mocks.region_of(kms["provider"]) == "eu-central-1"
    assert kms["inputs"]["tags"] == {"luxguard:approval": "APR-2026-001"}


def test_pinned_provider_outside_lu_without_approval_is_refused(mocks):
    refused(lambda: pinned_provider("p", "us-east-1"), "us-east-1", "US", "luxguard:approval")


@pytest.mark.parametrize(
    "make",
    [
        lambda opts: key(opts),
        lambda opts: log_bucket(opts),
        lambda opts: Firewall("fw", FirewallArgs(ingress=[]), region=LU, opts=opts),
    ],
    ids=["EncryptionKey", "SecureBucket", "Firewall"],
)
def test_every_component_refuses_a_missing_or_unpinned_provider_or_another_region(mocks, make):
    refused(lambda: make(None), "no provider given")
    refused(lambda: make(pulumi.ResourceOptions()), "no provider given")
    import pulumi_aws as aws

    refused(lambda: make(pulumi.ResourceOptions(provider=aws.Provider("raw", region=LU))), "pinned_provider")
    other = lambda: make(lu_opts("eu-central-1", approval="APR-1"))  # noqa: E731 region=LU != provider's
    refused(other, "region lu-central-1 does not match the provider's region eu-central-1")


# -- encryption key -----------------------------------------------------------------------

def test_key_is_customer_managed_rotated_and_scoped_to_the_account(mocks):
    run(lambda: key(lu_opts(), name="data"))
    kms = mocks.one(KEY, "data")["inputs"]
    assert kms["enableKeyRotation"] is True
    assert kms["deletionWindowInDays"] == 30
    assert kms["multiRegion"] is False
    (statement,) = json.loads(kms["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    provider = mocks.provider_by_ref(mocks.one(KEY, "data")["provider"])["inputs"]
    assert provider["region"] == LU and "endpoints" not in provider  # no endpoint: plain AWS API
    alias = mocks.one(ALIAS, "data")["inputs"]
    assert alias == {"name": "alias/data", "targetKeyId": "data"}


def test_key_reads_the_account_from_config_and_refuses_when_missing(mocks):
    refused(lambda: EncryptionKey("k", EncryptionKeyArgs(alias="k"), region=LU, opts=lu_opts()),
            "luxguard:accountId", "Pulumi.<stack>.yaml")
    pulumi.runtime.set_all_config({"luxguard:accountId": "123456789012"})
    run(lambda: EncryptionKey("k2", EncryptionKeyArgs(alias="k2"), region=LU, opts=lu_opts()))
    policy = json.loads(mocks.one(KEY, "k2")["inputs"]["policy"])
    assert policy["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::123456789012:root"


def test_cardholder_bucket_needs_a_dedicated_key(mocks):
    def program():
        opts = lu_opts()
        shared, logs = key(opts), log_bucket(opts)
        args = dict(encryption_key=shared, log_bucket=logs)
        SecureBucket("a", SecureBucketArgs(bucket_name="acme-a", classification=["billing"], **args), region=LU, opts=opts)
        SecureBucket("b", SecureBucketArgs(bucket_name="acme-b", classification=["cardholder"], **args), region=LU, opts=opts)

    refused(program, "SecureBucket b", "dedicated")


# -- secure bucket ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "classification, fragment",
    [
        (["contact", "passport"], "unknown data classification 'passport'"),
        ([], "empty data classification"),
        (["accounting", "contact"], "separate buckets"),
    ],
)
def test_bucket_refuses_bad_classification(mocks, classification, fragment):
    refused(data_bucket(classification), fragment)


@pytest.mark.parametrize(
    "classification, extra, fragment",
    [
        (["contact"], {"personal_data_expiry_days": 5000}, "personal_data_expiry_days=5000"),
        (["billing"], {"personal_data_expiry_days": 365}, "only for contact or marketing"),
        (["accounting"], {"noncurrent_version_expiry_days": 90}, "at least 3650"),
    ],
)
def test_bucket_refuses_retention_that_breaks_the_policy(mocks, classification, extra, fragment):
    refused(data_bucket(classification, **extra), fragment)


def test_bucket_refuses_missing_key_missing_log_bucket_and_logging_to_itself(mocks):
    def no_key():
        opts = lu_opts()
        SecureBucket("d", SecureBucketArgs(bucket_name="acme-d", classification=["contact"], log_bucket=log_bucket(opts)),
                     region=LU, opts=opts)

    def no_logs():
        opts = lu_opts()
        SecureBucket("d", SecureBucketArgs(bucket_name="acme-d", classification=["contact"], encryption_key=key(opts)),
                     region=LU, opts=opts)

    def to_itself():
        SecureBucket("d", SecureBucketArgs(bucket_name="acme-d", classification=["contact"], encryption_key=key(lu_opts()),
                                           log_bucket="acme-d"), region=LU, opts=lu_opts())

    refused(no_key, "no encryption_key")
    refused(no_logs, "no log_bucket")
    refused(to_itself, "may not log to itself")


def test_contact_bucket_is_encrypted_private_logged_versioned_and_expires(mocks):
    run(data_bucket(["contact"]))
    bucket = mocks.one(BUCKET, "data")["inputs"]
    assert bucket["bucket"] == "acme-data"
    assert bucket["tags"] == {"data-classification": "contact"}
    assert "objectLockEnabled" not in bucket

    (sse_rule,) = mocks.one(SSE, "data")["inputs"]["rules"]
    assert sse_rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": f"arn:aws:kms:{LU}:{ACCOUNT}:key/k"}
    assert sse_rule["bucketKeyEnabled"] is True

    pab = mocks.one(PAB, "data")["inputs"]
    assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))

    statements = {s["Sid"]: s for s in json.loads(mocks.one(POLICY, "data")["inputs"]["policy"])["Statement"]}
    assert set(statements) == {"DenyInsecureTransport", "DenyUnencryptedUploads"}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyUnencryptedUploads"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}

    assert mocks.one(VERSIONING, "data")["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    logging = mocks.one(LOGGING, "data")["inputs"]
    assert (logging["bucket"], logging["targetBucket"]) == ("acme-data", "acme-logs")
    assert mocks.one(OWNERSHIP, "data")["inputs"]["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}
    rules = {r["id"]: r for r in mocks.one(LIFECYCLE, "data")["inputs"]["rules"]}
    assert rules["expire-personal-data"]["expiration"] == {"days": 730}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert not mocks.of_type(LOCK)


def test_accounting_bucket_is_locked_ten_years_and_never_expires_sooner(mocks):
    run(data_bucket(["accounting", "billing"]))
    bucket = mocks.one(BUCKET, "data")["inputs"]
    assert bucket["objectLockEnabled"] is True
    assert bucket["tags"] == {"data-classification": "billing+accounting"}
    lock = mocks.one(LOCK, "data")["inputs"]
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "years": 10}}
    rules = mocks.one(LIFECYCLE, "data")["inputs"]["rules"]
    assert [r["id"] for r in rules] == ["expire-noncurrent-versions"]
    assert rules[0]["noncurrentVersionExpiration"]["noncurrentDays"] >= 3650


def test_log_bucket_uses_sse_s3_is_tagged_and_grants_only_log_delivery(mocks):
    run(lambda: log_bucket(lu_opts()))
    bucket = mocks.one(BUCKET, "logs")["inputs"]
    assert bucket["tags"] == {"data-classification": "technical", "luxguard:role": "access-logs"}
    (sse_rule,) = mocks.one(SSE, "logs")["inputs"]["rules"]
    assert sse_rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert not mocks.of_type(LOGGING)
    statements = {s["Sid"]: s for s in json.loads(mocks.one(POLICY, "logs")["inputs"]["policy"])["Statement"]}
    assert set(statements) == {"DenyInsecureTransport", "AllowS3ServerAccessLogs"}
    assert statements["AllowS3ServerAccessLogs"]["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert statements["AllowS3ServerAccessLogs"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_log_bucket_must_be_technical(mocks):
    refused(lambda: SecureBucket("logs", SecureBucketArgs(bucket_name="acme-logs", classification=["contact"],
                                                          is_log_bucket=True, account_id=ACCOUNT), region=LU, opts=lu_opts()),
            "classification must be 'technical'")


# -- firewall -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "rule, fragments",
    [
        (AllowedIngress(port=22, cidrs=["0.0.0.0/0"], description="ssh"), ("tcp 22", "0.0.0.0/0", "22 (SSH)")),
        (AllowedIngress(port=3389, cidrs=["10.0.0.0/8", "::/0"], description="rdp"), ("tcp 3389", "::/0", "3389 (RDP)")),
        (AllowedIngress(port=(0, 65535), cidrs=["0.0.0.0/0"], description="all"), ("tcp 0-65535", "22 (SSH)", "27017 (MongoDB)")),
        (AllowedIngress(port=(5000, 6000), cidrs=["::/0"], description="range"), ("tcp 5000-6000", "5432 (PostgreSQL)")),
        (AllowedIngress(port=0, protocol="-1", cidrs=["0.0.0.0/0"], description="any"), ("all protocols and ports", "0.0.0.0/0")),
        (AllowedIngress(port=6379, protocol="udp", cidrs=["0.0.0.0/0"], description="redis"), ("udp 6379", "6379 (Redis)")),
    ],
    ids=["ssh-world", "rdp-ipv6-world", "all-ports-world", "range-with-postgres", "protocol-all-world", "udp-redis"],
)
def test_firewall_refuses_admin_and_data_ports_open_to_the_world(mocks, rule, fragments):
    refused(firewall(rule), "Firewall fw", "whole internet", *fragments)


@pytest.mark.parametrize(
    "rule, fragment",
    [
        (AllowedIngress(port=(443, 80), cidrs=["10.0.0.0/8"], description="backwards"), "not ascending"),
        (AllowedIngress(port=443, protocol="gre", cidrs=["10.0.0.0/8"], description="gre"), "unknown protocol 'gre'"),
        (AllowedIngress(port=443, cidrs=["10.0.0.300/8"], description="typo"), "10.0.0.300/8"),
        (AllowedIngress(port=443, cidrs=["10.0.0.0/8"], description=" "), "give a description"),
    ],
)
def test_firewall_refuses_malformed_rules(mocks, rule, fragment):
    refused(firewall(rule), fragment)


def test_firewall_allows_https_from_world_and_db_from_vpc_with_no_egress(mocks):
    run(firewall(
        AllowedIngress(port=443, cidrs=["0.0.0.0/0", "::/0"], description="https"),
        AllowedIngress(port=5432, cidrs=["10.0.0.0/16"], description="postgres from vpc"),
        AllowedIngress(port=0, protocol="-1", cidrs=["10.1.0.0/16"], description="peer vpc"),
    ))
    sg = mocks.one(SG, "fw")["inputs"]
    assert sg["egress"] == []
    assert sg["revokeRulesOnDelete"] is True
    assert sg["ingress"][0] == {"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"],
                                "ipv6CidrBlocks": ["::/0"], "description": "https"}
    assert sg["ingress"][1]["cidrBlocks"] == ["10.0.0.0/16"]
    assert (sg["ingress"][2]["protocol"], sg["ingress"][2]["fromPort"], sg["ingress"][2]["toPort"]) == ("-1", 0, 0)


# -- the reference program, per stack config file ----------------------------------------

def stack_config(stack: str) -> dict[str, str]:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {key: str(value) for key, value in document["config"].items()}


@pytest.mark.parametrize("stack, endpoint, account, prefix", [
    ("production", "https://api.lu-central-1.luxcloud.lu", "111122223333", "luxcloud-prod"),
    ("local", "http://127.0.0.1:5000", "123456789012", "luxcloud-local"),
])
def test_reference_program_is_pinned_encrypted_and_private(mocks, stack, endpoint, account, prefix):
    config = stack_config(stack)
    assert config["luxguard:region"] == LU and config["luxguard:accountId"] == account
    pulumi.runtime.set_all_config(config)
    run(reference_main)

    (provider,) = mocks.of_type(PROVIDER)
    assert provider["inputs"]["region"] == LU
    endpoints = json.loads(provider["inputs"]["endpoints"])
    assert endpoints == [{s: endpoint for s in ("s3", "kms", "ec2", "rds", "dynamodb", "sts", "iam", "cloudwatchlogs")}]
    # pulumi-aws JSON-encodes non-string provider inputs: booleans arrive as "true".
    for flag in ("s3UsePathStyle", "skipCredentialsValidation", "skipRequestingAccountId",
                 "skipRegionValidation", "skipMetadataApiCheck"):
        assert provider["inputs"][flag] == "true", flag

    assert {r["type"] for r in mocks.resources if not r["custom"]} == {
        "luxguard:index:EncryptionKey", "luxguard:index:SecureBucket", "luxguard:index:Firewall"}
    others = [r for r in mocks.resources if r["custom"] and r["type"] != PROVIDER]
    assert {r["type"] for r in others} == {
        KEY, ALIAS, BUCKET, SG,
        SSE,
        PAB, POLICY,
        VERSIONING, LOGGING,
        OWNERSHIP,
        LIFECYCLE,
        LOCK,
        "aws:cloudwatch/logGroup:LogGroup",
    }
    for resource in others:
        assert resource["provider"], f"{resource['type']} {resource['name']} has no explicit provider"
        assert mocks.region_of(resource["provider"]) == LU, resource["name"]

    buckets = {r["name"]: r["inputs"] for r in mocks.of_type(BUCKET)}
    assert {n: b["bucket"] for n, b in buckets.items()} == {
        "access-logs": f"{prefix}-access-logs", "customer-contacts": f"{prefix}-customer-contacts",
        "invoices": f"{prefix}-invoices"}
    key_arn = f"arn:aws:kms:{LU}:{ACCOUNT}:key/data-key"
    for name in ("customer-contacts", "invoices"):
        (rule,) = mocks.one(SSE, name)["inputs"]["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
        sids = {s["Sid"] for s in json.loads(mocks.one(POLICY, name)["inputs"]["policy"])["Statement"]}
        assert sids == {"DenyInsecureTransport", "DenyUnencryptedUploads"}
        assert mocks.one(LOGGING, name)["inputs"]["targetBucket"] == f"{prefix}-access-logs"
    assert json.loads(mocks.one(KEY, "data-key")["inputs"]["policy"])["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{account}:root"}

    (lock,) = mocks.of_type(LOCK)
    assert lock["name"] == "invoices" and lock["inputs"]["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "years": 10}
    contact_rules = mocks.one(LIFECYCLE, "customer-contacts")["inputs"]["rules"]
    assert any(r.get("expiration", {}).get("days") == 730 for r in contact_rules)

    sg = mocks.one(SG, "app")["inputs"]
    assert sg["egress"] == []
    assert [(r["fromPort"], r["cidrBlocks"]) for r in sg["ingress"]] == [(443, ["0.0.0.0/0"]), (5432, ["10.0.0.0/16"])]


def test_reference_program_refuses_a_stack_outside_lu_until_approved(mocks):
    config = {**stack_config("production"), "luxguard:region": "eu-west-1"}
    pulumi.runtime.set_all_config(config)
    refused(reference_main, "eu-west-1", "IE", "set luxguard:approval in Pulumi.<stack>.yaml")
    pulumi.runtime.set_all_config({**config, "luxguard:approval": "APR-2026-007"})
    run(reference_main)
    (provider,) = mocks.of_type(PROVIDER)
    assert provider["inputs"]["region"] == "eu-west-1"
    assert all(r["inputs"]["tags"]["luxguard:approval"] == "APR-2026-007" for r in mocks.of_type(BUCKET))


def test_reference_program_requires_its_config(mocks):
    pulumi.runtime.set_all_config({"luxguard:region": LU, "luxguard:namePrefix": "x"})
    refused(reference_main, "missing stack config luxguard:accountId")
