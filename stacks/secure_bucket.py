"""An S3 bucket that can hold personal data: private, encrypted, logged, versioned, and
kept exactly as long as its data classification requires.

Policy sections enforced here: encryption and firewalls ("How Does LuxCloud Protect the
Personal Data it Holds?", GDPR Art. 32), retention ("How long will LuxCloud keep your
information?", GDPR Art. 5(1)(e), Art. 17; accounting: Code de commerce art. 16), and
auditability (GDPR Art. 30).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Union

import pulumi
import pulumi_aws as aws

from stacks.encryption_key import EncryptionKey
from stacks.errors import StackConfigError
from stacks.pinning import approval_tags, require_pinned_provider
from stacks.settings import account_id_from_config, check_account_id

# controls.md, "classification": the data categories a storage resource may declare.
CATEGORIES = ("contact", "billing", "cardholder", "accounting", "technical", "marketing")
EXPIRING_CATEGORIES = frozenset({"contact", "marketing"})
CLASSIFICATION_TAG = "data-classification"
ROLE_TAG = "luxguard:role"
ACCESS_LOGS_ROLE = "access-logs"

ACCOUNTING_RETENTION_YEARS = 10
ACCOUNTING_RETENTION_DAYS = 3650
DEFAULT_PERSONAL_DATA_EXPIRY_DAYS = 730
# Project choice, not a policy figure: contact/prospect data older than 3 years is stale
# under common EU guidance, so a longer expiry is refused rather than silently accepted.
MAX_PERSONAL_DATA_EXPIRY_DAYS = 1095
DEFAULT_NONCURRENT_EXPIRY_DAYS = 90

_BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class SecureBucketArgs:
    """What a bucket holds and where its access logs go.

    - `classification`: categories from CATEGORIES; decides tags, object lock and lifecycle.
    - `encryption_key`: required except for log buckets (S3 access logs need SSE-S3).
    - `log_bucket`: the access-log bucket (a log SecureBucket, or a bucket name in the same
      Luxembourg region); None only when `is_log_bucket`.
    - `personal_data_expiry_days`: only for contact/marketing data (default 730, max 1095).
    - `noncurrent_version_expiry_days`: default 90 (3650 for accounting data).
    - `account_id`: only log buckets use it (to scope the log delivery grant); defaults to
      config `luxguard:accountId`.
    """

    bucket_name: str
    classification: Sequence[str]
    encryption_key: Optional[EncryptionKey] = None
    log_bucket: Optional[Union[str, "SecureBucket"]] = None
    log_prefix: Optional[str] = None
    is_log_bucket: bool = False
    personal_data_expiry_days: Optional[int] = None
    noncurrent_version_expiry_days: Optional[int] = None
    account_id: Optional[str] = None
    tags: Mapping[str, str] = field(default_factory=dict)


def normalise_classification(classification: Sequence[str]) -> tuple[str, ...]:
    """Known categories, deduplicated, in CATEGORIES order; refuses unknown or none."""
    if isinstance(classification, str):
        classification = classification.split("+")
    given = [c.strip() for c in classification]
    unknown = [c for c in given if c not in CATEGORIES]
    if unknown:
        raise StackConfigError(
            f"unknown data classification {', '.join(map(repr, unknown))}: use one or more of {', '.join(CATEGORIES)}"
        )
    if not given:
        raise StackConfigError(
            f"empty data classification: declare which data the bucket holds ({', '.join(CATEGORIES)})"
        )
    return tuple(c for c in CATEGORIES if c in given)


@dataclass(frozen=True)
class Retention:
    """The retention a classification implies; computed and checked before any resource."""

    object_lock_years: Optional[int]
    expiry_days: Optional[int]
    noncurrent_days: int


def retention_for(categories: tuple[str, ...], args: SecureBucketArgs) -> Retention:
    accounting = "accounting" in categories
    expiring = sorted(EXPIRING_CATEGORIES.intersection(categories))
    if accounting and expiring:
        raise StackConfigError(
            f"accounting data must be kept {ACCOUNTING_RETENTION_YEARS} years but {'/'.join(expiring)} "
            "data must expire: keep them in separate buckets"
        )
    expiry = args.personal_data_expiry_days
    if expiry is not None and not expiring:
        raise StackConfigError(
            f"personal_data_expiry_days={expiry} is only for contact or marketing data; "
            f"this bucket holds {'+'.join(categories)}: remove it"
        )
    if expiring:
        expiry = DEFAULT_PERSONAL_DATA_EXPIRY_DAYS if expiry is None else expiry
        if not 1 <= expiry <= MAX_PERSONAL_DATA_EXPIRY_DAYS:
            raise StackConfigError(
                f"personal_data_expiry_days={expiry} for {'/'.join(expiring)} data: must be "
                f"1..{MAX_PERSONAL_DATA_EXPIRY_DAYS} so that the data really expires"
            )
    noncurrent = args.noncurrent_version_expiry_days
    if noncurrent is None:
        noncurrent = ACCOUNTING_RETENTION_DAYS if accounting else DEFAULT_NONCURRENT_EXPIRY_DAYS
    if noncurrent < 1 or (accounting and noncurrent < ACCOUNTING_RETENTION_DAYS):
        floor = ACCOUNTING_RETENTION_DAYS if accounting else 1
        raise StackConfigError(
            f"noncurrent_version_expiry_days={noncurrent}: must be at least {floor}"
            + (" for accounting data (kept 10 years)" if accounting else "")
        )
    return Retention(
        object_lock_years=ACCOUNTING_RETENTION_YEARS if accounting else None,
        expiry_days=expiry if expiring else None,
        noncurrent_days=noncurrent,
    )


def deny_policy(bucket_arn: str) -> str:
    """Deny non-TLS access and uploads not encrypted with KMS (applies to every principal)."""
    return _policy(
        [
            _deny_insecure_transport(bucket_arn),
            {
                "Sid": "DenyUnencryptedUploads",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
        ]
    )


def log_bucket_policy(bucket_arn: str, account_id: str) -> str:
    """Deny non-TLS access; let only S3 log delivery for this account write logs.

    With BucketOwnerEnforced, ACL grants are ignored, so log delivery must be granted here.
    There is no DenyUnencryptedUploads: log delivery sends no SSE header and would be denied.
    """
    return _policy(
        [
            _deny_insecure_transport(bucket_arn),
            {
                "Sid": "AllowS3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ]
    )


def _deny_insecure_transport(bucket_arn: str) -> dict:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _policy(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class SecureBucket(pulumi.ComponentResource):
    """aws.s3.Bucket plus its encryption, public access block, policy, versioning, logging,
    ownership, lifecycle and (accounting) object lock, each a separate resource."""

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    categories: tuple[str, ...]
    is_log_bucket: bool
    region: str

    def __init__(
        self, name: str, args: SecureBucketArgs, *, region: str, opts: Optional[pulumi.ResourceOptions]
    ) -> None:
        provider, pin = require_pinned_provider(f"SecureBucket {name}", region, opts)
        categories = normalise_classification(args.classification)
        retention = retention_for(categories, args)
        _check_name(name, args.bucket_name)
        log_target = _check_logging(name, args, categories, region)
        tags = _tags(name, args, categories)
        account_id = None
        if args.is_log_bucket:
            account_id = check_account_id(args.account_id) if args.account_id else account_id_from_config()
        elif args.encryption_key is None:
            raise StackConfigError(
                f"SecureBucket {name}: no encryption_key: personal data is encrypted with a "
                "customer-managed key: pass an EncryptionKey"
            )
        elif args.encryption_key.region != region:
            raise StackConfigError(
                f"SecureBucket {name}: key {args.encryption_key.alias_name} is in "
                f"{args.encryption_key.region}, the bucket in {region}: use a key in the same region"
            )
        else:
            args.encryption_key.claim(f"SecureBucket {name}", dedicated="cardholder" in categories)

        super().__init__("luxguard:index:SecureBucket", name, None, opts)
        self.categories = categories
        self.is_log_bucket = args.is_log_bucket
        self.region = region
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            object_lock_enabled=True if retention.object_lock_years else None,
            tags={**tags, **approval_tags(pin)},
            opts=child,
        )
        bucket_id = self.bucket.bucket
        self.bucket_name = bucket_id
        self.arn = self.bucket.arn

        if args.is_log_bucket:
            # Real S3 only delivers server access logs to a target bucket whose default
            # encryption is SSE-S3 (AES256), never SSE-KMS: the one exception to aws:kms,
            # marked by the luxguard:role=access-logs tag. Logs name requesters (IPs, ARNs),
            # so the bucket is otherwise treated like the others: private, TLS-only, in LU.
            sse_default: dict = {"sse_algorithm": "AES256"}
            bucket_key = None
        else:
            sse_default = {"sse_algorithm": "aws:kms", "kms_master_key_id": args.encryption_key.arn}
            bucket_key = True
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket_id,
            rules=[{"apply_server_side_encryption_by_default": sse_default, "bucket_key_enabled": bucket_key}],
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            name, bucket=bucket_id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        policy = (
            self.arn.apply(lambda arn: log_bucket_policy(arn, account_id))
            if args.is_log_bucket
            else self.arn.apply(deny_policy)
        )
        aws.s3.BucketPolicy(
            name,
            bucket=bucket_id,
            policy=policy,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access, ownership])),
        )
        versioning = aws.s3.BucketVersioning(
            name, bucket=bucket_id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        after_versioning = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning]))
        if log_target is not None:
            aws.s3.BucketLogging(
                name,
                bucket=bucket_id,
                target_bucket=log_target,
                target_prefix=args.log_prefix or f"{args.bucket_name}/",
                opts=child,
            )
        if retention.object_lock_years:
            aws.s3.BucketObjectLockConfiguration(
                name,
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": "COMPLIANCE", "years": retention.object_lock_years}},
                opts=after_versioning,
            )
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=bucket_id, rules=_lifecycle_rules(retention), opts=after_versioning
        )
        self.register_outputs(
            {"bucket": bucket_id, "arn": self.arn, CLASSIFICATION_TAG: tags[CLASSIFICATION_TAG]}
        )


def _check_name(name: str, bucket_name: str) -> None:
    if not _BUCKET_NAME.match(bucket_name or ""):
        raise StackConfigError(
            f"SecureBucket {name}: bucket name {bucket_name!r} is not a valid S3 bucket name "
            "(3-63 lowercase letters, digits, '.' and '-')"
        )


def _check_logging(
    name: str, args: SecureBucketArgs, categories: tuple[str, ...], region: str
) -> Optional[pulumi.Input[str]]:
    """The log target (name or Output), after refusing a bucket that would go unaudited."""
    if args.is_log_bucket and categories != ("technical",):
        raise StackConfigError(
            f"SecureBucket {name}: a log bucket holds access logs only: classification must be "
            f"'technical', got {'+'.join(categories)}"
        )
    target = args.log_bucket
    if target is None:
        if args.is_log_bucket:
            return None
        raise StackConfigError(
            f"SecureBucket {name}: no log_bucket: access to personal data must be auditable: "
            "pass a log SecureBucket (is_log_bucket=True) in the same Luxembourg region"
        )
    if isinstance(target, SecureBucket):
        if not target.is_log_bucket:
            raise StackConfigError(f"SecureBucket {name}: log_bucket must be a log bucket (is_log_bucket=True)")
        if target.region != region:
            raise StackConfigError(
                f"SecureBucket {name}: log bucket is in {target.region}, this bucket in {region}: "
                "S3 logs only to a bucket in the same region"
            )
        return target.bucket_name
    if target == args.bucket_name:
        raise StackConfigError(f"SecureBucket {name}: a bucket may not log to itself ({target})")
    _check_name(name, target)
    return target


def _tags(name: str, args: SecureBucketArgs, categories: tuple[str, ...]) -> dict[str, str]:
    ours = {CLASSIFICATION_TAG: "+".join(categories)}
    if args.is_log_bucket:
        ours[ROLE_TAG] = ACCESS_LOGS_ROLE
    clash = sorted(k for k in args.tags if k in (CLASSIFICATION_TAG, ROLE_TAG))
    if clash:
        raise StackConfigError(
            f"SecureBucket {name}: tags {', '.join(clash)} are set from classification/is_log_bucket: remove them"
        )
    return {**args.tags, **ours}


def _lifecycle_rules(retention: Retention) -> list[dict]:
    rules: list[dict] = [
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": retention.noncurrent_days},
        }
    ]
    if retention.expiry_days is not None:
        rules.append(
            {
                "id": "expire-personal-data",
                "status": "Enabled",
                "filter": {},
                "expiration": {"days": retention.expiry_days},
            }
        )
    return rules
