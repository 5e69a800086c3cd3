"""Provision a Pulumi stack into the LOCAL SANDBOX cloud without the Pulumi engine.

This is for the demo and the tests only: real deployments use `pulumi up`. The stack program
runs under Pulumi's mocks (`capture_program`, exactly as `luxguard check` runs it); then each
captured resource is created with boto3, in dependency order, against the local cloud's
endpoint, and a state file in the `pulumi stack export` (version 3) shape is written whose ids
are the ids the cloud returned (KMS key ids, `sg-...`) and whose inputs reference them, as
`pulumi up` would have recorded.

Supported pulumi-aws types (what the reference stacks use): kms Key and Alias, s3 Bucket and
its BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock, BucketPolicy,
BucketVersioning, BucketLogging, BucketOwnershipControls, BucketLifecycleConfiguration,
BucketObjectLockConfiguration, BucketAcl and BucketTagging-by-tags, and ec2 SecurityGroup with inline
ingress/egress. Any other custom resource type stops provisioning with one clear error.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import boto3

from luxguard.core.errors import LuxguardError
from luxguard.sources.pulumi_capture import PROVIDER_PREFIX, Capture, CapturedResource, capture_program
from luxguard.sources.pulumi_normalise import PlanIndex
from luxguard.sources.state import checkpoint_document, export_document

STACK_TYPE = "pulumi:pulumi:Stack"
MOCK_STACK_PREFIX = "pulumi:pulumi:Stack$"
# Creation order: keys before what they encrypt, buckets before their configuration,
# the access-log bucket's policy before logging points at it.
ORDER = [
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
]


@dataclass
class Provisioned:
    """What was created: the captured program with real ids, and the state document."""

    capture: Capture
    state: dict[str, Any]
    ids: dict[str, str] = field(default_factory=dict)      # Pulumi URN -> cloud id
    endpoint: str = ""

    def write_state(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.state, indent=2) + "\n", encoding="utf-8")
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


def _tags(tags: Optional[dict]) -> list[dict[str, str]]:
    return [{"Key": str(k), "Value": str(v)} for k, v in (tags or {}).items()]


def _permissions(rules: list[dict]) -> list[dict[str, Any]]:
    perms = []
    for rule in rules:
        protocol = str(rule.get("protocol", "-1"))
        perm: dict[str, Any] = {"IpProtocol": protocol}
        if protocol not in ("-1", "all"):
            perm.update(FromPort=int(rule.get("fromPort", 0)), ToPort=int(rule.get("toPort", 0)))
        description = {"Description": rule["description"]} if rule.get("description") else {}
        if rule.get("cidrBlocks"):
            perm["IpRanges"] = [{"CidrIp": c, **description} for c in rule["cidrBlocks"]]
        if rule.get("ipv6CidrBlocks"):
            perm["Ipv6Ranges"] = [{"CidrIpv6": c, **description} for c in rule["ipv6CidrBlocks"]]
        if rule.get("securityGroups"):
            perm["UserIdGroupPairs"] = [{"GroupId": g, **description} for g in rule["securityGroups"]]
        perms.append(perm)
    return perms


def _lifecycle_rule(rule: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("id") or "rule", "Status": rule.get("status", "Enabled")}
    flt = rule.get("filter") or {}
    out["Filter"] = {"Prefix": flt.get("prefix", "")} if not flt.get("tag") else {
        "Tag": {"Key": flt["tag"]["key"], "Value": flt["tag"]["value"]}}
    if (rule.get("expiration") or {}).get("days"):
        out["Expiration"] = {"Days": int(rule["expiration"]["days"])}
    if (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays"):
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["noncurrentVersionExpiration"]["noncurrentDays"])}
    if (rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation"):
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"])}
    return out


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

    def handlers(self) -> dict[str, Callable[[CapturedResource, dict, str], tuple[str, dict]]]:
        return {
            "aws:kms/key:Key": self._kms_key,
            "aws:kms/alias:Alias": self._kms_alias,
            "aws:ec2/securityGroup:SecurityGroup": self._security_group,
            "aws:s3/bucket:Bucket": self._bucket,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": lambda r, i, reg: self._s3(
                reg, i, "put_bucket_ownership_controls", OwnershipControls={"Rules": [
                    {"ObjectOwnership": (i.get("rule") or {}).get("objectOwnership", "BucketOwnerEnforced")}]}),
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda r, i, reg: self._s3(
                reg, i, "put_public_access_block", PublicAccessBlockConfiguration={
                    "BlockPublicAcls": bool(i.get("blockPublicAcls")), "IgnorePublicAcls": bool(i.get("ignorePublicAcls")),
                    "BlockPublicPolicy": bool(i.get("blockPublicPolicy")),
                    "RestrictPublicBuckets": bool(i.get("restrictPublicBuckets"))}),
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": self._sse,
            "aws:s3/bucketVersioning:BucketVersioning": lambda r, i, reg: self._s3(
                reg, i, "put_bucket_versioning", VersioningConfiguration={
                    "Status": (i.get("versioningConfiguration") or {}).get("status", "Enabled")}),
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": self._object_lock,
            "aws:s3/bucketAcl:BucketAcl": lambda r, i, reg: self._s3(reg, i, "put_bucket_acl", ACL=i.get("acl", "private")),
            "aws:s3/bucketPolicy:BucketPolicy": lambda r, i, reg: self._s3(
                reg, i, "put_bucket_policy",
                Policy=i["policy"] if isinstance(i.get("policy"), str) else json.dumps(i.get("policy"))),
            "aws:s3/bucketLogging:BucketLogging": self._logging,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lambda r, i, reg: self._s3(
                reg, i, "put_bucket_lifecycle_configuration",
                LifecycleConfiguration={"Rules": [_lifecycle_rule(x) for x in i.get("rules") or []]}),
        }

    # -- resource handlers: each returns (real id, outputs)

    def _kms_key(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        kms = self.client("kms", region)
        args: dict[str, Any] = {"Description": inputs.get("description", ""),
                                "MultiRegion": bool(inputs.get("multiRegion"))}
        if inputs.get("policy"):
            args["Policy"] = inputs["policy"] if isinstance(inputs["policy"], str) else json.dumps(inputs["policy"])
        if inputs.get("tags"):
            args["Tags"] = [{"TagKey": k, "TagValue": str(v)} for k, v in inputs["tags"].items()]
        meta = kms.create_key(**args)["KeyMetadata"]
        if inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        mock_arn = f"arn:aws:kms:{region}:{self.account}:key/{res.id}"
        self.exact[res.id] = meta["KeyId"]
        self.inside[mock_arn] = meta["Arn"]
        return meta["KeyId"], {"arn": meta["Arn"], "keyId": meta["KeyId"]}

    def _kms_alias(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        name = inputs["name"]
        self.client("kms", region).create_alias(AliasName=name, TargetKeyId=inputs["targetKeyId"])
        return name, {"arn": f"arn:aws:kms:{region}:{self.account}:{name}"}

    def _security_group(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        ec2 = self.client("ec2", region)
        vpc = inputs.get("vpcId") or ec2.describe_vpcs(
            Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        args: dict[str, Any] = {"GroupName": inputs.get("name") or res.name,
                                "Description": inputs.get("description") or "Managed by Pulumi", "VpcId": vpc}
        if inputs.get("tags"):
            args["TagSpecifications"] = [{"ResourceType": "security-group", "Tags": _tags(inputs["tags"])}]
        group_id = ec2.create_security_group(**args)["GroupId"]
        # Like the provider: the default allow-all egress goes; only declared rules stay.
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        if inputs.get("ingress"):
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_permissions(inputs["ingress"]))
        if inputs.get("egress"):
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=_permissions(inputs["egress"]))
        self.exact[res.id] = group_id
        self.inside[f"security-group/{res.id}"] = f"security-group/{group_id}"
        return group_id, {"arn": f"arn:aws:ec2:{region}:{self.account}:security-group/{group_id}", "vpcId": vpc}

    def _bucket(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        s3 = self.client("s3", region)
        name = inputs.get("bucket") or res.id
        args: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        if inputs.get("objectLockEnabled"):
            args["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**args)
        if inputs.get("tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(inputs["tags"])})
        if inputs.get("acl"):
            s3.put_bucket_acl(Bucket=name, ACL=inputs["acl"])
        if (inputs.get("versioning") or {}).get("enabled"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name, {"arn": f"arn:aws:s3:::{name}", "bucket": name,
                      "bucketDomainName": f"{name}.s3.{region}.amazonaws.com"}

    def _s3(self, region: str, inputs: dict, operation: str, **kwargs: Any) -> tuple[str, dict]:
        bucket = inputs["bucket"]
        getattr(self.client("s3", self.index.bucket_region(bucket) or region), operation)(Bucket=bucket, **kwargs)
        return bucket, {}

    def _sse(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        rules = []
        for rule in inputs.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            by_default = {"SSEAlgorithm": default.get("sseAlgorithm", "AES256")}
            if default.get("kmsMasterKeyId"):
                by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
            rules.append({"ApplyServerSideEncryptionByDefault": by_default,
                          "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))})
        return self._s3(region, inputs, "put_bucket_encryption", ServerSideEncryptionConfiguration={"Rules": rules})

    def _logging(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        """moto's PutBucketLogging check of the target's policy fails on a statement whose
        Principal is the string "*" (AWS accepts it). Sandbox workaround: while logging is
        configured, the target bucket carries only its log-delivery statements; then its
        declared policy goes back unchanged."""
        target = inputs["targetBucket"]
        s3 = self.client("s3", self.index.bucket_region(target) or region)
        try:
            declared = s3.get_bucket_policy(Bucket=target)["Policy"]
        except s3.exceptions.ClientError:
            declared = None
        if declared:
            statements = json.loads(declared).get("Statement") or []
            delivery = [st for st in statements if isinstance(st.get("Principal"), dict)]
            if len(delivery) != len(statements) and delivery:
                s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": delivery}))
            elif len(delivery) != len(statements):   # nothing to keep: lift it while logging is set
                s3.delete_bucket_policy(Bucket=target)
        try:
            return self._s3(region, inputs, "put_bucket_logging", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": target, "TargetPrefix": inputs.get("targetPrefix", "")}})
        finally:
            if declared:
                s3.put_bucket_policy(Bucket=target, Policy=declared)

    def _object_lock(self, res: CapturedResource, inputs: dict, region: str) -> tuple[str, dict]:
        config: dict[str, Any] = {"ObjectLockEnabled": inputs.get("objectLockEnabled", "Enabled")}
        retention = (inputs.get("rule") or {}).get("defaultRetention") or {}
        if retention:
            default: dict[str, Any] = {"Mode": retention.get("mode", "COMPLIANCE")}
            if retention.get("years"):
                default["Years"] = int(retention["years"])
            elif retention.get("days"):
                default["Days"] = int(retention["days"])
            config["Rule"] = {"DefaultRetention": default}
        return self._s3(region, inputs, "put_object_lock_configuration", ObjectLockConfiguration=config)

    # -- the run

    def run(self) -> Provisioned:
        handlers = self.handlers()
        custom = [r for r in self.capture.resources
                  if r.custom and not r.type.startswith(PROVIDER_PREFIX) and r.type != STACK_TYPE]
        unsupported = sorted({r.type for r in custom if r.type not in handlers})
        if unsupported:
            raise LuxguardError(f"provision (local sandbox): resource type(s) not supported: {', '.join(unsupported)}")
        rank = {t: i for i, t in enumerate(ORDER)}
        real_inputs: dict[str, dict] = {}
        from botocore.exceptions import BotoCoreError, ClientError

        for res in sorted(custom, key=lambda r: (rank[r.type], r.urn)):
            inputs = _plain(_substitute(res.inputs, self.exact, self.inside))
            region = self.index.region_of(res) or "us-east-1"
            try:
                real_id, outputs = handlers[res.type](res, inputs, region)
            except (ClientError, BotoCoreError) as exc:
                raise LuxguardError(f"provision (local sandbox): creating {res.type} {res.name} failed: {exc}") from None
            self.ids[res.urn] = real_id
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
